package store

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"certreg/idcard"
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
			if err := decodeCert(k, v, &c); err != nil {
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

// IndexCountForTest counts the entries of the certificate library's index.
func (s *Store) IndexCountForTest() int {
	n := 0
	_ = s.db.View(func(tx *bolt.Tx) error {
		return forEachIxEntry(tx.Bucket(bCertIx), func(k, sum []byte) error { n++; return nil })
	})
	return n
}

// RebuildIndexForTest drops the certificate indexes and counters and
// writes them again from the records, returning both states' dumps so a
// test can compare what reindexCertTx kept with a fresh build.
func (s *Store) RebuildIndexForTest() (before, after map[string]string, err error) {
	dump := func(tx *bolt.Tx) map[string]string {
		m := map[string]string{}
		_ = forEachIxEntry(tx.Bucket(bCertIx), func(k, v []byte) error {
			m[string(bCertIx)+"|"+string(k)] = string(v)
			return nil
		})
		_ = tx.Bucket(bCertCount).ForEach(func(k, v []byte) error {
			m[string(bCertCount)+"|"+string(k)] = string(v)
			return nil
		})
		return m
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		before = dump(tx)
		for _, name := range [][]byte{bCertIx, bCertCount} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		err := tx.Bucket(bCerts).ForEach(func(k, v []byte) error {
			var c Certificate
			if err := decodeCert(k, v, &c); err != nil {
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
		if err := getCert(tx.Bucket(bCerts), []byte(number), &c); err != nil {
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

// oldCertIndex is certIndex as it was before the compact layout (schema 3):
// one key per field and scope with an 8-byte summary (status code, print
// flag, occupation, level digit, issue day).
func oldCertIndex(c *Certificate) ([]ixEntry, error) {
	num, err := packNumber(c.Number)
	if err != nil {
		return nil, err
	}
	val := make([]byte, 8)
	val[0] = statusCode(c.Status)
	val[1] = '0'
	if c.Printed {
		val[1] = '1'
	}
	copy(val[2:5], fmt.Sprintf("%-3.3s", c.Occupation))
	val[5] = byte('0' + c.Level)
	binary.BigEndian.PutUint16(val[6:8], dayNumber(c.IssueDate))
	name := append([]byte(NormalizeName(c.Name)), 0)
	id := []byte(idcard.Normalize(c.IDNumber))
	var entries []ixEntry
	for _, id64 := range c.Scopes() {
		sc := scopeBytes(id64)
		add := func(field byte, value []byte) {
			entries = append(entries, ixEntry{key(field1(field), sc, value, num), val})
		}
		add(ixAll, nil)
		add(ixDay, val[6:8])
		add(ixOcc, []byte(c.Occupation))
		add(ixLevel, val[5:6])
		if c.Status != CertValid {
			add(ixStatus, val[0:1])
		}
		add(ixPrinted, val[1:2])
		add(ixName, name)
		add(ixID, id)
	}
	return entries, nil
}

// DowngradeForTest puts the database back in the layout before the
// compact-layout migration (schema 4): JSON records, the old index
// (cert_idx), no runs and no issuer-group counters.
func (s *Store) DowngradeForTest() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		old, err := tx.CreateBucket(bOldCertIdx)
		if err != nil {
			return err
		}
		certs := tx.Bucket(bCerts)
		var all []Certificate
		if err := certs.ForEach(func(k, v []byte) error {
			var c Certificate
			if err := decodeCert(k, v, &c); err != nil {
				return err
			}
			all = append(all, c)
			return nil
		}); err != nil {
			return err
		}
		for _, c := range all {
			raw, err := json.Marshal(c)
			if err != nil {
				return err
			}
			if err := certs.Put([]byte(c.Number), raw); err != nil {
				return err
			}
			entries, err := oldCertIndex(&c)
			if err != nil {
				return err
			}
			for _, e := range entries {
				if err := old.Put(e.key, e.val); err != nil {
					return err
				}
			}
		}
		if err := resetBucketTx(tx, bCertIx); err != nil {
			return err
		}
		// Statistics values as four big-endian uint32.
		stats := tx.Bucket(bStats)
		var keys, vals [][]byte
		_ = stats.ForEach(func(k, v []byte) error {
			old := make([]byte, 16)
			for i, n := range decodeStat(v) {
				binary.BigEndian.PutUint32(old[4*i:], uint32(n))
			}
			keys, vals = append(keys, append([]byte(nil), k...)), append(vals, old)
			return nil
		})
		for i := range keys {
			if err := stats.Put(keys[i], vals[i]); err != nil {
				return err
			}
		}
		cnt := tx.Bucket(bCertCount)
		var groups [][]byte
		_ = cnt.ForEach(func(k, _ []byte) error {
			if k[0] == ixGroup {
				groups = append(groups, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range groups {
			if err := cnt.Delete(k); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put([]byte("schema"), itob(4))
	})
}

// DowngradeDayOrderForTest puts the library's day-ordered entries back in
// the layout before the day-order migration (schema 5: value, then number)
// except in the first keep groups, as a migration cut short leaves them.
func (s *Store) DowngradeDayOrderForTest(keep int) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCertIx)
		var groups [][]byte
		c := b.Cursor()
		for _, f := range dayOrderFields {
			for k, _ := c.Seek([]byte{f}); k != nil && k[0] == f; k, _ = c.Seek(successor(groupOf(k))) {
				groups = append(groups, bytes.Clone(groupOf(k)))
			}
		}
		for i, g := range groups {
			if i < keep {
				continue
			}
			vlen := valueLen(g[0])
			var ops []ixOp
			rc := newRunCursor(b)
			for k, sum := rc.seek(g); k != nil && bytes.HasPrefix(k, g); k, sum = rc.next() {
				v := len(g) + vlen
				ops = append(ops, ixOp{key(k[:v], k[v+2:]), bytes.Clone(sum)})
			}
			if rc.err != nil {
				return rc.err
			}
			var runs [][]byte
			for k, _ := c.Seek(g); k != nil && bytes.HasPrefix(k, g); k, _ = c.Next() {
				runs = append(runs, bytes.Clone(k))
			}
			for _, k := range runs {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			slices.SortFunc(ops, func(a, b ixOp) int { return bytes.Compare(a.key, b.key) })
			var w runWriter
			for _, op := range ops {
				w.add(op.key, op.sum)
			}
			w.flush()
			if err := w.write(b); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put([]byte("schema"), itob(5))
	})
}

// RecordFormatsForTest counts the records of each format ('{' JSON, 1
// binary).
func (s *Store) RecordFormatsForTest() map[byte]int {
	out := map[byte]int{}
	_ = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCerts).ForEach(func(_, v []byte) error { out[v[0]]++; return nil })
	})
	return out
}

// HasBucketForTest reports whether a top-level bucket exists.
func (s *Store) HasBucketForTest(name string) bool {
	ok := false
	_ = s.db.View(func(tx *bolt.Tx) error { ok = tx.Bucket([]byte(name)) != nil; return nil })
	return ok
}

// SetMigrateChunkForTest sets the records and keys per migration
// transaction and returns a function restoring it; fail, when positive,
// fails the migration's index step after that many transactions.
func SetMigrateChunkForTest(n, fail int) func() {
	old, oldFail := migrateChunk, migrateFailAfter
	migrateChunk, migrateFailAfter = n, fail
	return func() { migrateChunk, migrateFailAfter = old, oldFail }
}

// SetMigrationLogForTest sends the migrations' progress lines to fn.
func SetMigrationLogForTest(fn func(msg string, args ...any)) func() {
	old := migrationLog
	migrationLog = fn
	return func() { migrationLog = old }
}

// SetScanLimitsForTest changes the entries one page may read and how deep
// a page may start by number, and returns a function restoring them.
func SetScanLimitsForTest(scan, depth int) func() {
	s, d := scanBudget, maxDepth
	scanBudget, maxDepth = scan, depth
	return func() { scanBudget, maxDepth = s, d }
}

// IndexFieldsForTest lists the field letters of the library's index
// entries of one certificate, in key order.
func (s *Store) IndexFieldsForTest(number string) string {
	num, err := packNumber(number)
	if err != nil {
		panic(err)
	}
	var out []byte
	_ = s.db.View(func(tx *bolt.Tx) error {
		return forEachIxEntry(tx.Bucket(bCertIx), func(k, sum []byte) error {
			if bytes.HasSuffix(k, num) {
				out = append(out, k[0])
			}
			return nil
		})
	})
	return string(out)
}

// DeleteIndexEntriesForTest removes the entries of one field letter of a
// certificate from the library's index, as damage would; it returns how
// many it removed.
func (s *Store) DeleteIndexEntriesForTest(number string, field byte) (int, error) {
	num, err := packNumber(number)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.db.Update(func(tx *bolt.Tx) error {
		var ops []ixOp
		err := forEachIxEntry(tx.Bucket(bCertIx), func(k, sum []byte) error {
			if k[0] == field && bytes.HasSuffix(k, num) {
				ops = append(ops, ixOp{key: bytes.Clone(k)})
			}
			return nil
		})
		if err != nil {
			return err
		}
		n = len(ops)
		return applyIx(tx.Bucket(bCertIx), ops)
	})
	return n, err
}

// DeleteRecentWatermarkForTest removes the recent level's watermark, as a
// database written before it existed lacks it.
func (s *Store) DeleteRecentWatermarkForTest() error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Delete(metaRecentAfter) })
}
