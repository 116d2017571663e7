package store

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Batch lists: the tabs of 我的批次 with their counters, and the review
// queue of a reviewing organisation, each served from an index.

func counterBatchTab(orgID uint64, t BatchTab) string { return fmt.Sprintf("batches|%d|%s", orgID, t) }

func counterBatchQueue(orgID uint64) string { return fmt.Sprintf("batch_queue|%d", orgID) }

// BatchCounts returns the number of batches of the actor's organisation per
// tab, from the counters.
func (s *Store) BatchCounts(a Actor) (map[BatchTab]uint64, error) {
	out := map[BatchTab]uint64{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCounters)
		for _, t := range BatchTabs {
			out[t.Tab] = btoi(c.Get([]byte(counterBatchTab(a.OrgID, t.Tab))))
		}
		return nil
	})
	return out, err
}

// OrgBatchCount is the number of batches an organisation owns, in any
// state, from the counters (e.g. to refuse deleting the organisation).
func (s *Store) OrgBatchCount(orgID uint64) (uint64, error) {
	var n uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		n = orgBatchCountTx(tx, orgID)
		return nil
	})
	return n, err
}

func orgBatchCountTx(tx *bolt.Tx, orgID uint64) uint64 {
	var n uint64
	c := tx.Bucket(bCounters)
	for _, t := range BatchTabs {
		n += btoi(c.Get([]byte(counterBatchTab(orgID, t.Tab))))
	}
	return n
}

// BatchFilter selects a page of the actor's batches in one tab.
type BatchFilter struct {
	Tab      BatchTab
	Name     string // part of the name, case-insensitive
	From, To time.Time
	Offset   int
	Limit    int
}

// Batches lists one tab of the actor's organisation's batches, newest
// first, from the tab index, with the number of batches that match. Names
// are filtered on the index values; only the rows of the page are decoded.
func (s *Store) Batches(a Actor, f BatchFilter) (list []Batch, total int, err error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 20
	}
	if !ValidTab(f.Tab) {
		f.Tab = TabDraft
	}
	to := f.To
	if to.IsZero() {
		to = time.UnixMilli(1<<62 - 1)
	}
	needle := strings.ToLower(strings.TrimSpace(f.Name))
	err = s.db.View(func(tx *bolt.Tx) error {
		prefix := key(itob(a.OrgID), []byte{f.Tab.code()})
		lo := key(prefix, tsKey(f.From), make([]byte, 8))
		hi := key(prefix, tsKey(to), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		c := tx.Bucket(bBatchTab).Cursor()
		k, v := c.Seek(hi)
		if k == nil {
			k, v = c.Last()
		} else if bytes.Compare(k, hi) > 0 {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.Compare(k, lo) >= 0 && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
			if needle != "" && !strings.Contains(strings.ToLower(string(v)), needle) {
				continue
			}
			total++
			if total <= f.Offset || len(list) == f.Limit {
				continue
			}
			b, err := getBatchTx(tx, btoi(k[len(k)-8:]))
			if err != nil {
				return err
			}
			list = append(list, b)
		}
		return nil
	})
	return list, total, err
}

// ReviewQueue lists the batches waiting for the actor's organisation's
// review, oldest first, and their total from the counter (for the review
// pages).
func (s *Store) ReviewQueue(a Actor, offset, limit int) (list []Batch, total uint64, err error) {
	if limit <= 0 || limit > 200 {
		limit = 20
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		total = btoi(tx.Bucket(bCounters).Get([]byte(counterBatchQueue(a.OrgID))))
		prefix := itob(a.OrgID)
		c := tx.Bucket(bBatchQueue).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(list) < limit; k, _ = c.Next() {
			if offset > 0 {
				offset--
				continue
			}
			b, err := getBatchTx(tx, btoi(k[16:]))
			if err != nil {
				return err
			}
			list = append(list, b)
		}
		return nil
	})
	return list, total, err
}
