package store

import bolt "go.etcd.io/bbolt"

// CertNumbers lists every certificate number in the database (tests).
func (s *Store) CertNumbers() []string {
	var out []string
	_ = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCerts).ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	return out
}
