package store

import bolt "go.etcd.io/bbolt"

// SetCertHolderForTest records that idNumber holds a valid certificate for
// the occupation and level, as issuance will; tests use it until issuance
// exists.
func (s *Store) SetCertHolderForTest(idNumber, occupation string, level int, number string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bCertHolder).Put(holderKey(idNumber, occupation, level), []byte(number))
	})
}
