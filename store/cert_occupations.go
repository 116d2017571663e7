package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// CertOccupations lists the occupations a certificate-list filter offers the
// viewer: for the province the whole catalogue; for any other organisation
// those of its own scope and those its certificates carry (a scope narrowed
// later still finds its older certificates), from the library's counters.
func (s *Store) CertOccupations(viewer Org) ([]Occupation, error) {
	var out []Occupation
	err := s.db.View(func(tx *bolt.Tx) error {
		held := map[string]bool{}
		if viewer.Type != Province {
			for code := range viewer.Scope {
				held[code] = true
			}
			prefix := key(field1(ixOcc), scopeBytes(viewer.ID))
			c := tx.Bucket(bCertCount).Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				held[string(k[len(prefix):])] = true
			}
		}
		return tx.Bucket(bOccupations).ForEach(func(k, v []byte) error {
			if viewer.Type != Province && !held[string(k)] {
				return nil
			}
			var o Occupation
			if err := jsonUnmarshal(v, &o); err != nil {
				return err
			}
			out = append(out, o)
			return nil
		})
	})
	return out, err
}
