package store

import (
	"bytes"
	"slices"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// CertOccupations lists the occupations a certificate-list filter offers the
// viewer: for the province the whole catalogue; for any other organisation
// those of its own scope and those its certificates carry (a scope narrowed
// later still finds its older certificates), from the library's counters.
//
// The answer is kept per viewer (a dept's list page asked for it with a
// read of its counters on every request) and filed under the generations
// of the catalogue, the organisations (a viewer's scope) and the set of
// occupations each scope holds, which moves when a scope gets its first
// certificate of an occupation or loses its last (addCountsTx).
func (s *Store) CertOccupations(viewer Org) ([]Occupation, error) {
	gen := [3]uint64{catalogGen.Load(), orgsGen.Load(), heldOccGen.Load()}
	all, err := s.catalog()
	if err != nil {
		return nil, err
	}
	if viewer.Type == Province {
		return slices.Clone(all), nil
	}
	c := &s.mem.heldOccs
	c.mu.Lock()
	got, ok := c.byOrg[viewer.ID]
	c.mu.Unlock()
	if ok && got.gen == gen {
		return slices.Clone(got.list), nil
	}
	out, err := s.heldOccupations(viewer, all)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.byOrg == nil || len(c.byOrg) >= maxHeldOccOrgs {
		c.byOrg = map[uint64]heldOccs{}
	}
	c.byOrg[viewer.ID] = heldOccs{gen: gen, list: out}
	c.mu.Unlock()
	return slices.Clone(out), nil
}

// CertOccupationsGeneration moves whenever CertOccupations may answer
// differently for some viewer (the sum of the generations its answers are
// filed under: each only grows).
func (s *Store) CertOccupationsGeneration() uint64 {
	return catalogGen.Load() + orgsGen.Load() + heldOccGen.Load()
}

// heldOccGen moves when a transaction that adds a scope's first
// certificate of an occupation, or removes its last, commits.
var heldOccGen atomic.Uint64

func heldOccupationsChangedTx(tx *bolt.Tx) { tx.OnCommit(func() { heldOccGen.Add(1) }) }

// maxHeldOccOrgs bounds the organisations whose lists are kept.
const maxHeldOccOrgs = 20000

type heldOccs struct {
	gen  [3]uint64
	list []Occupation
}

type heldOccCache struct {
	mu    sync.Mutex
	byOrg map[uint64]heldOccs
}

// heldOccupations reads which of the catalogue's occupations viewer's
// scope offers or its certificates carry.
func (s *Store) heldOccupations(viewer Org, all []Occupation) ([]Occupation, error) {
	held := map[string]bool{}
	for code := range viewer.Scope {
		held[code] = true
	}
	err := s.db.View(func(tx *bolt.Tx) error {
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
