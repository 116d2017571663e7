package store

import (
	"bytes"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// RecentBatches returns the n batches the actor's organisation created
// last, in every state, newest first (the unit's home page). Each 我的批次
// tab index is read backwards for at most n entries.
func (s *Store) RecentBatches(a Actor, n int) ([]Batch, error) {
	var out []Batch
	err := s.db.View(func(tx *bolt.Tx) error {
		u, own, err := actorTx(tx, a)
		if err != nil {
			return err
		}
		if !u.Can(own.Type, CapBatchManage) {
			return ErrForbidden
		}
		c := tx.Bucket(bBatchTab).Cursor()
		for _, t := range BatchTabs {
			prefix := key(itob(own.ID), []byte{t.Tab.code()})
			k, _ := c.Seek(successor(prefix))
			if k == nil {
				k, _ = c.Last()
			} else {
				k, _ = c.Prev()
			}
			for got := 0; k != nil && bytes.HasPrefix(k, prefix) && got < n; k, _ = c.Prev() {
				b, err := getBatchTx(tx, btoi(k[len(k)-8:]))
				if err != nil {
					return err
				}
				out = append(out, b)
				got++
			}
		}
		return nil
	})
	slices.SortFunc(out, func(x, y Batch) int {
		if c := y.Created.Compare(x.Created); c != 0 {
			return c
		}
		return int(int64(y.ID) - int64(x.ID))
	})
	if len(out) > n {
		out = out[:n]
	}
	return out, err
}

// QueuedBatches is the number of batches waiting for an organisation's
// review, from the counter.
func (s *Store) QueuedBatches(orgID uint64) (uint64, error) {
	var n uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		n = btoi(tx.Bucket(bCounters).Get([]byte(counterBatchQueue(orgID))))
		return nil
	})
	return n, err
}
