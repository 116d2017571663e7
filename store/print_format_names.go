package store

import (
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// Every page that can print (the library, a certificate, 补办 printing)
// offers the organisation's print formats by name, and decoding every
// format's whole layout for that was a third of a unit's list page. The
// store keeps each organisation's names and default in memory, filed under
// a generation that every transaction writing a format or a default moves
// when it commits (formatsChangedTx), as org_cache.go does for
// organisations.

var formatsGen atomic.Uint64

// formatsChangedTx marks tx as one that changes print formats or defaults.
func formatsChangedTx(tx *bolt.Tx) { tx.OnCommit(func() { formatsGen.Add(1) }) }

// PrintFormatName is a print format as a choice: its id and name.
type PrintFormatName struct {
	ID   uint64
	Name string
}

type formatNames struct {
	gen   uint64
	names []PrintFormatName
	def   uint64
}

// maxFormatNameOrgs bounds the organisations whose names are kept.
const maxFormatNameOrgs = 20000

type formatNameCache struct {
	mu    sync.Mutex
	byOrg map[uint64]formatNames
}

// PrintFormatNames lists the names of the actor's organisation's formats,
// oldest first, and the id of its default (0: none): PrintFormats without
// the layouts.
func (s *Store) PrintFormatNames(a Actor) ([]PrintFormatName, uint64, error) {
	gen := formatsGen.Load()
	var own Org
	var out formatNames
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		if _, own, err = printActorTx(tx, a); err != nil {
			return err
		}
		c := &s.mem.formats
		c.mu.Lock()
		got, ok := c.byOrg[own.ID]
		c.mu.Unlock()
		if ok && got.gen == gen {
			out = got
			return nil
		}
		list, err := formatsTx(tx, own.ID)
		if err != nil {
			return err
		}
		out = formatNames{gen: gen, def: btoi(tx.Bucket(bPrintDefault).Get(itob(own.ID)))}
		for _, pf := range list {
			out.names = append(out.names, PrintFormatName{pf.ID, pf.Format.Name})
		}
		c.mu.Lock()
		if c.byOrg == nil || len(c.byOrg) >= maxFormatNameOrgs {
			c.byOrg = map[uint64]formatNames{}
		}
		c.byOrg[own.ID] = out
		c.mu.Unlock()
		return nil
	})
	return out.names, out.def, err
}
