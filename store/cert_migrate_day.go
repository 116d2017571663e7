package store

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The day-order migration (schema 6) gives the entries of the fields
// dayOrdered lists — occupation, level, status and print flag, of the
// province and of every issuer group — the issue day between the value and
// the number (cert_index.go), so that a value's certificates are read in
// the list's default order. The day is taken from each entry's summary; no
// record is read.
//
// One transaction converts one group (a field of the province or of one
// issuer group): it reads the group's entries, gives each key of the old
// length its day, sorts them, deletes the group's runs and writes new
// ones. A group already converted (its keys have the new length) is
// skipped, so an interrupted migration is resumed at the next start.
// Progress is reported on the console.

// dayOrderFields are the fields the migration converts, issuer groups
// first (bbolt's key order).
var dayOrderFields = []byte{'L', 'O', 'P', 'S', ixLevel, ixOcc, ixPrinted, ixStatus}

// valueLen is the length of a day-ordered field's value.
func valueLen(field byte) int {
	if field == ixOcc || field == 'O' {
		return 3
	}
	return 1
}

func (s *Store) migrateDayOrder() error {
	start := time.Now()
	var groups, entries int
	if err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCertIx).Cursor()
		for _, f := range dayOrderFields {
			for k, _ := c.Seek([]byte{f}); k != nil && k[0] == f; k, _ = c.Seek(successor(groupOf(k))) {
				groups++
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if groups == 0 {
		return nil
	}
	migrationLog("迁移证书库索引：职业、等级、状态、打印状态按发证日期排列", "分组", groups)
	step := progress{what: "迁移证书库索引（按日期）", total: groups}
	done := 0
	for _, f := range dayOrderFields {
		var from []byte = []byte{f}
		for {
			var next []byte
			err := s.db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket(bCertIx)
				k, _ := b.Cursor().Seek(from)
				if k == nil || k[0] != f {
					return nil
				}
				group := bytes.Clone(groupOf(k))
				next = successor(group)
				n, err := convertGroupTx(b, group, valueLen(f))
				entries += n
				return err
			})
			if err != nil {
				return fmt.Errorf("field %c: %w", f, err)
			}
			if next == nil {
				break
			}
			done++
			step.report(done, "条目", entries)
			from = next
		}
	}
	migrationLog("迁移完成：证书库索引按发证日期排列", "条目", entries, "耗时", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// convertGroupTx rewrites one group's entries in the day order; it returns
// how many it converted (0 when the group was converted before).
func convertGroupTx(b *bolt.Bucket, group []byte, vlen int) (int, error) {
	oldLen := len(group) + vlen + 7
	type entry struct {
		key []byte
		sum [sumLen]byte
	}
	var list []entry
	var runs [][]byte
	converted := 0
	rc := newRunCursor(b)
	for k, sum := rc.seek(group); k != nil && bytes.HasPrefix(k, group); k, sum = rc.next() {
		e := entry{}
		copy(e.sum[:], sum)
		switch len(k) {
		case oldLen:
			e.key = key(k[:oldLen-7], sum[1:3], k[oldLen-7:])
			converted++
		case oldLen + 2:
			e.key = bytes.Clone(k)
		default:
			return 0, fmt.Errorf("index entry %x: %w", k, errCertRecord)
		}
		list = append(list, e)
	}
	if rc.err != nil {
		return 0, rc.err
	}
	if converted == 0 {
		return 0, nil
	}
	c := b.Cursor()
	for k, _ := c.Seek(group); k != nil && bytes.HasPrefix(k, group); k, _ = c.Next() {
		runs = append(runs, bytes.Clone(k))
	}
	for _, k := range runs {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	slices.SortFunc(list, func(a, b entry) int { return bytes.Compare(a.key, b.key) })
	b.FillPercent = 0.9
	var w runWriter
	for i := range list {
		w.add(list[i].key, list[i].sum[:])
	}
	w.flush()
	return converted, w.write(b)
}
