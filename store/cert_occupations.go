package store

import (
	"bytes"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// CertOccupations lists the occupations a certificate-list filter offers the
// viewer: for the province the whole catalogue; for any other organisation
// those of its own scope and those its certificates carry (a scope narrowed
// later still finds its older certificates), from the library's counters.
func (s *Store) CertOccupations(viewer Org) ([]Occupation, error) {
	all, err := s.catalog()
	if err != nil {
		return nil, err
	}
	if viewer.Type == Province {
		return slices.Clone(all), nil
	}
	held := map[string]bool{}
	for code := range viewer.Scope {
		held[code] = true
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		prefix := key(field1(ixOcc), scopeBytes(viewer.ID))
		c := tx.Bucket(bCertCount).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			held[string(k[len(prefix):])] = true
		}
		return nil
	})
	var out []Occupation
	for _, o := range all {
		if held[o.Code] {
			out = append(out, o)
		}
	}
	return out, err
}
