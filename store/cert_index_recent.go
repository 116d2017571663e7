package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The recent level of the library's name and ID entries.
//
// Name and ID entries sort by the holder's name and ID number, so the 1,000
// random people of one approval would land on about 1,000 scattered pages
// of each of those ranges (two million entries each at full size): a
// random insert dirties a page. The entries of a certificate issued after
// the watermark W (a day number as dayNumber gives, in bMeta under
// metaRecentAfter) are therefore kept under their own field letters:
//
//	'm' / 'M'   holder name, issued after W (else 'n' / 'N')
//	'j' / 'J'   ID number, issued after W (else 'i' / 'I')
//
// with exactly the layout of the main entries otherwise. These recent
// ranges hold a few days of issuance, so an approval's entries fall on few
// pages. Readers of a name or ID path read both levels of every group and
// merge them by the key part after the group (queryCtx.scan), which the
// two levels share; a certificate's entries are in exactly one of them.
//
// MergeRecentIndex moves the recent entries of the certificates issued up
// to a day into the main ranges (sorted, through applyIx, which rewrites
// each touched run once) and raises W to that day, in one transaction. W
// never goes down, so a certificate issued on a day at or before W (a clock
// set back, a bulk load of old records) simply goes to the main ranges.
// The server merges once a night, at start-up, and when the recent level
// grows past recentIndexBound certificates (handlers/housekeeping.go).
//
// A database without W gets, at open, the last issue day it holds (every
// entry it has is then in the main ranges, where it was written), 0 when it
// holds none.

const (
	ixNameRecent byte = 'm'
	ixIDRecent   byte = 'j'
)

// metaRecentAfter is the key of W in bMeta: 2 bytes, big-endian.
var metaRecentAfter = []byte("ix_recent_after")

// noRecent is a watermark that puts every entry in the main ranges (bulk
// loads, which raise W to their last day afterwards).
const noRecent = uint16(65535)

// RecentIndexBound is the size of the recent level, in certificates, past
// which the server merges it at once rather than at night.
const RecentIndexBound = 200_000

// levelField is the field byte of a certificate's entry of field f: the
// recent letter for a name or ID of a certificate issued after w.
func levelField(f byte, day, w uint16) byte {
	if day <= w {
		return f
	}
	switch f {
	case ixName:
		return ixNameRecent
	case ixID:
		return ixIDRecent
	}
	return f
}

// recentOf is the recent field of a main field that has one.
func recentOf(f byte) (byte, bool) {
	switch f {
	case ixName:
		return ixNameRecent, true
	case ixID:
		return ixIDRecent, true
	}
	return 0, false
}

// recentAfterTx is W. A database that has not stored it yet (opened
// read-only before a write) has every entry in the main ranges: its last
// issue day.
func recentAfterTx(tx *bolt.Tx) uint16 {
	meta := tx.Bucket(bMeta)
	if meta == nil {
		return 0
	}
	if v := meta.Get(metaRecentAfter); len(v) == 2 {
		return binary.BigEndian.Uint16(v)
	}
	return lastIssueDayTx(tx)
}

// lastIssueDayTx is the last day of the province's per-day counters (0: no
// certificate).
func lastIssueDayTx(tx *bolt.Tx) uint16 {
	cnt, meta := tx.Bucket(bCertCount), tx.Bucket(bMeta)
	if cnt == nil || meta == nil {
		return 0
	}
	pid := meta.Get([]byte("province_id"))
	if pid == nil {
		return 0
	}
	prefix := key(field1(ixDay), scopeBytes(btoi(pid)))
	c := cnt.Cursor()
	var k []byte
	if end := successor(prefix); end != nil {
		if k, _ = c.Seek(end); k != nil {
			k, _ = c.Prev()
		} else {
			k, _ = c.Last()
		}
	}
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+2 {
		return 0
	}
	return binary.BigEndian.Uint16(k[len(prefix):])
}

func putRecentAfterTx(tx *bolt.Tx, w uint16) error {
	return tx.Bucket(bMeta).Put(metaRecentAfter, binary.BigEndian.AppendUint16(nil, w))
}

// initRecentAfter stores W in a database that has none (at open).
func (s *Store) initRecentAfter() error {
	var has bool
	if err := s.db.View(func(tx *bolt.Tx) error {
		has = tx.Bucket(bMeta).Get(metaRecentAfter) != nil
		return nil
	}); err != nil || has {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bMeta).Get(metaRecentAfter) != nil {
			return nil
		}
		return putRecentAfterTx(tx, lastIssueDayTx(tx))
	})
}

// prefixes are the group prefixes a path of field reads: one per group of
// the scope, and for a name or ID path the recent level's of each group
// too (the key parts after them have the same shape, so scan merges them).
func (q *queryCtx) prefixes(field byte) [][]byte {
	r, two := recentOf(field)
	out := make([][]byte, 0, 2*len(q.groups))
	for _, g := range q.groups {
		out = append(out, q.prefix(field, g))
		if two {
			out = append(out, q.prefix(r, g))
		}
	}
	return out
}

// RecentIndex is the state of the recent level.
type RecentIndex struct {
	// After is the watermark's day (midnight China time, as IssueDay):
	// certificates issued later have their name and ID entries in the
	// recent level.
	After time.Time
	// Certs is how many certificates are in the recent level.
	Certs int
}

// RecentIndex reports the watermark and the recent level's size (from the
// per-day counters, not by reading entries).
func (s *Store) RecentIndex() (RecentIndex, error) {
	var r RecentIndex
	err := s.db.View(func(tx *bolt.Tx) error {
		w := recentAfterTx(tx)
		d := dayEpoch.AddDate(0, 0, int(w))
		r.After = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, cst)
		r.Certs = recentCertsTx(tx, w)
		return nil
	})
	return r, err
}

// recentCertsTx is how many of the province's certificates were issued
// after w.
func recentCertsTx(tx *bolt.Tx, w uint16) int {
	pid := tx.Bucket(bMeta).Get([]byte("province_id"))
	if pid == nil || w == noRecent {
		return 0
	}
	return dayCount(tx.Bucket(bCertCount), scopeBytes(btoi(pid)), w+1, noRecent)
}

// MergeRecentIndex moves the recent name and ID entries of the
// certificates issued up to the day of upTo (China time) into the main
// ranges and raises the watermark to that day, in one transaction; it
// returns how many certificates moved. A day at or before the watermark
// changes nothing: the watermark never goes down.
func (s *Store) MergeRecentIndex(upTo time.Time) (int, error) {
	day := dayNumber(upTo)
	var covered bool
	if err := s.db.View(func(tx *bolt.Tx) error {
		covered = day <= recentAfterTx(tx)
		return nil
	}); err != nil || covered {
		return 0, err // the server asks every minute of the night
	}
	var moved int
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		moved, err = mergeRecentTx(tx, day)
		return err
	})
	return moved, err
}

// mergeRecentTx is MergeRecentIndex in the caller's transaction, to a day
// number.
func mergeRecentTx(tx *bolt.Tx, upTo uint16) (int, error) {
	w := recentAfterTx(tx)
	if upTo <= w {
		return 0, nil
	}
	b := tx.Bucket(bCertIx)
	var ops []ixOp
	moved := 0
	// Each recent field and its main field: the province's and the issuer
	// groups'.
	levels := [][2]byte{{ixName, ixNameRecent}, {ixID, ixIDRecent},
		{issuerField(ixName), issuerField(ixNameRecent)}, {issuerField(ixID), issuerField(ixIDRecent)}}
	for _, l := range levels {
		main, recent := l[0], l[1]
		rc := newRunCursor(b)
		for k, s := rc.seek([]byte{recent}); k != nil && k[0] == recent; k, s = rc.next() {
			if sumDay(s) > upTo {
				continue
			}
			if recent == ixNameRecent {
				moved++ // one province entry per certificate
			}
			mk := bytes.Clone(k)
			mk[0] = main
			ops = append(ops, ixOp{key: bytes.Clone(k)}, ixOp{key: mk, sum: bytes.Clone(s)})
		}
		if rc.err != nil {
			return 0, rc.err
		}
	}
	slices.SortFunc(ops, func(a, b ixOp) int { return bytes.Compare(a.key, b.key) })
	if err := applyIx(b, ops); err != nil {
		return 0, fmt.Errorf("merge the recent index: %w", err)
	}
	return moved, putRecentAfterTx(tx, upTo)
}
