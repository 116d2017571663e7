package store

import (
	"encoding/hex"

	bolt "go.etcd.io/bbolt"
)

// Test-only doors into the store's internals.

// IssueForTest runs issueTx in its own transaction, logging the
// certificates' content hashes as a batch approval would.
func (s *Store) IssueForTest(req IssueRequest) ([]Certificate, error) {
	var certs []Certificate
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if certs, err = s.issueTx(tx, req); err != nil {
			return err
		}
		return sealPendingTx(tx, s.Now(), "测试发证")
	})
	return certs, err
}

// SetIssueFailAfter injects a failure after n certificates (0: none).
func SetIssueFailAfter(n int) { issueFailAfter = n }

// PutSegmentForTest stores a segment as given.
func (s *Store) PutSegmentForTest(sg Segment) error {
	return s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bSegments), []byte(sg.Code), sg) })
}

// Counter reads a counter.
func (s *Store) Counter(name string) uint64 {
	var v uint64
	_ = s.db.View(func(tx *bolt.Tx) error { v = btoi(tx.Bucket(bCounters).Get([]byte(name))); return nil })
	return v
}

// CountCerts counts certificate records.
func (s *Store) CountCerts() int {
	n := 0
	_ = s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bCerts).Stats().KeyN; return nil })
	return n
}

// AllCertsForTest returns every certificate record, by number.
func (s *Store) AllCertsForTest() []Certificate {
	var out []Certificate
	_ = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCerts).ForEach(func(k, v []byte) error {
			var c Certificate
			if err := jsonUnmarshal(v, &c); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	return out
}

// SetQueryLimitsForTest changes the in-memory sort caps and the count
// budget of certificate queries and returns a function restoring them.
func SetQueryLimitsForTest(gather, budget, top int) func() {
	g, b, t := gatherCap, countBudget, topCap
	gatherCap, countBudget, topCap = gather, budget, top
	return func() { gatherCap, countBudget, topCap = g, b, t }
}

// IndexCountForTest counts the keys of the certificate indexes.
func (s *Store) IndexCountForTest() int {
	n := 0
	_ = s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bCertIdx).Stats().KeyN; return nil })
	return n
}

// RebuildIndexForTest drops the certificate indexes and counters and
// writes them again from the records, returning both states' dumps so a
// test can compare what reindexCertTx kept with a fresh build.
func (s *Store) RebuildIndexForTest() (before, after map[string]string, err error) {
	dump := func(tx *bolt.Tx) map[string]string {
		m := map[string]string{}
		for _, name := range [][]byte{bCertIdx, bCertCount} {
			_ = tx.Bucket(name).ForEach(func(k, v []byte) error {
				m[string(name)+"|"+string(k)] = string(v)
				return nil
			})
		}
		return m
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		before = dump(tx)
		for _, name := range [][]byte{bCertIdx, bCertCount} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		err := tx.Bucket(bCerts).ForEach(func(k, v []byte) error {
			var c Certificate
			if err := jsonUnmarshal(v, &c); err != nil {
				return err
			}
			return reindexCertTx(tx, nil, &c)
		})
		after = dump(tx)
		return err
	})
	return before, after, err
}

// TracePlansForTest sends every certificate query's plan to fn (nil: off).
func TracePlansForTest(fn func(format string, args ...any)) { tracePlan = fn }

// SupersedeForTest marks a certificate 已补办 by newNumber, as a reissue
// will.
func (s *Store) SupersedeForTest(number, newNumber string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var c Certificate
		if err := getJSON(tx.Bucket(bCerts), []byte(number), &c); err != nil {
			return err
		}
		c.ReplacedBy = newNumber
		if err := s.changeCertStatusTx(tx, &c, CertSuperseded, CertEvent{Time: s.Now(), Kind: "补办", Detail: "补办为 " + newNumber}); err != nil {
			return err
		}
		return s.putCertTx(tx, c)
	})
}

// PutUnderReviewForTest records a holder as a candidate of a batch under
// review (batch 0: no longer).
func (s *Store) PutUnderReviewForTest(idNumber, occupation string, level int, batchID uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if batchID == 0 {
			return tx.Bucket(bUnderReview).Delete(holderKey(idNumber, occupation, level))
		}
		return tx.Bucket(bUnderReview).Put(holderKey(idNumber, occupation, level), itob(batchID))
	})
}

// HolderForTest returns the number the holder index keeps for a person,
// occupation and level ("" when none).
func (s *Store) HolderForTest(idNumber, occupation string, level int) string {
	var n string
	_ = s.db.View(func(tx *bolt.Tx) error {
		n = string(tx.Bucket(bCertHolder).Get(holderKey(idNumber, occupation, level)))
		return nil
	})
	return n
}

// RechainForTest recomputes every link of the log, the head and the daily
// anchors recorded in the database, as someone rewriting history with
// access to the file would.
func RechainForTest(tx *bolt.Tx) error {
	prev := chainAnchorTx(tx).Hash
	hashes := map[uint64][32]byte{}
	var head ChainHead
	b := tx.Bucket(bLog)
	var keys [][]byte
	if err := b.ForEach(func(k, _ []byte) error { keys = append(keys, append([]byte(nil), k...)); return nil }); err != nil {
		return err
	}
	for _, k := range keys {
		var e LogEntry
		if err := getJSON(b, k, &e); err != nil {
			return err
		}
		e.Prev = hex.EncodeToString(prev[:])
		if err := putJSON(b, k, e); err != nil {
			return err
		}
		prev = entryHash(&e)
		hashes[e.ID] = prev
		head = ChainHead{ID: e.ID, Hash: prev}
	}
	if err := tx.Bucket(bMeta).Put(metaChainHead, head.bytes()); err != nil {
		return err
	}
	anchors := tx.Bucket(bChainAnchors)
	var aks [][]byte
	if err := anchors.ForEach(func(k, _ []byte) error { aks = append(aks, append([]byte(nil), k...)); return nil }); err != nil {
		return err
	}
	for _, k := range aks {
		var a ChainAnchor
		if err := getJSON(anchors, k, &a); err != nil {
			return err
		}
		if h, ok := hashes[a.ID]; ok {
			a.Hash = hex.EncodeToString(h[:])
		}
		if err := putJSON(anchors, k, a); err != nil {
			return err
		}
	}
	return nil
}

// SigningSeedForTest is the private key in use (nil when none is loaded).
func SigningSeedForTest(s *Store) []byte {
	s.signing.mu.Lock()
	defer s.signing.mu.Unlock()
	if s.signing.priv == nil {
		return nil
	}
	return s.signing.priv.Seed()
}

// SetChainOffForTest leaves the hash chain out (no links, no certificate
// hashes) until the returned function is called: benchmarks measure what
// the chain costs with it.
func SetChainOffForTest(off bool) func() {
	chainOff = off
	return func() { chainOff = false }
}
