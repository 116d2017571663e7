package store

import (
	"bytes"
	"slices"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// CertOccupations lists the occupations a certificate-list filter offers the
// viewer: for the province the whole catalogue; for any other organisation
// those of its own scope and those its certificates carry (a scope narrowed
// later still finds its older certificates), from the library's counters.
// A caller that keeps the answer files it under CertOccupationsGeneration.
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

// CertOccupationsGeneration moves whenever CertOccupations may answer
// differently for some viewer: the catalogue, an organisation (a viewer's
// scope) or the set of occupations a scope's certificates carry changed.
// It is the sum of those generations (each only grows); a caller takes it
// before asking, so what it keeps is never newer than its generation.
func (s *Store) CertOccupationsGeneration() uint64 {
	return catalogGen.Load() + orgsGen.Load() + heldOccGen.Load()
}

// heldOccGen moves when a transaction that adds a scope's first
// certificate of an occupation, or removes its last, commits.
var heldOccGen atomic.Uint64

func heldOccupationsChangedTx(tx *bolt.Tx) { tx.OnCommit(func() { heldOccGen.Add(1) }) }
