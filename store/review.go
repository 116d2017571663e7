package store

import (
	"bytes"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The reviewers' lists (docs/batches.md): 待审核 from the review queue of the
// reviewing organisation, 已审核 from its index of last reviews. Both walk
// only the reviewer's own index prefix, newest reviews first.

// ReviewTab is 待审核 or 已审核.
type ReviewTab string

const (
	ReviewPending ReviewTab = "pending"
	ReviewDone    ReviewTab = "done"
)

// ReviewFilter selects batches of a reviewer's lists.
type ReviewFilter struct {
	Tab      ReviewTab
	OrgID    uint64 // the submitting organisation
	Q        string // name or batch code contains
	From, To time.Time
	Result   BatchAction // 已审核: approve or reject
	Offset   int
	Limit    int
}

// ReviewRow is a batch in a reviewer's list with the reviewer's last action.
type ReviewRow struct {
	Batch    Batch
	Org      Org
	Action   BatchAction // 已审核: what this reviewer did last
	Reviewed time.Time
}

// ReviewBatches lists one page of the actor's organisation's review list and
// the total of matching rows.
func (s *Store) ReviewBatches(a Actor, f ReviewFilter) ([]ReviewRow, int, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 20
	}
	to := f.To
	if to.IsZero() {
		to = time.UnixMilli(1 << 50)
	}
	var rows []ReviewRow
	total := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		u, own, err := actorTx(tx, a)
		if err != nil {
			return err
		}
		if !u.Can(own.Type, CapBatchReview) {
			return ErrForbidden
		}
		b := tx.Bucket(bBatchQueue)
		reverse := false
		if f.Tab == ReviewDone {
			b, reverse = tx.Bucket(bBatchReviewed), true
		}
		prefix := itob(own.ID)
		lo := key(prefix, tsKey(f.From))
		hi := key(prefix, tsKey(to), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		q := strings.TrimSpace(f.Q)
		orgs := map[uint64]Org{}
		c := b.Cursor()
		var k, v []byte
		if reverse {
			k, v = c.Seek(hi)
			if k == nil {
				k, v = c.Last()
			} else if bytes.Compare(k, hi) > 0 {
				k, v = c.Prev()
			}
		} else {
			k, v = c.Seek(lo)
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, lo) >= 0 && bytes.Compare(k, hi) <= 0; k, v = stepKV(c, reverse) {
			action := BatchAction(v)
			if f.Result != "" && action != f.Result {
				continue
			}
			bt, err := getBatchTx(tx, btoi(k[16:]))
			if err != nil {
				return err
			}
			if f.OrgID != 0 && bt.OrgID != f.OrgID {
				continue
			}
			if q != "" && !strings.Contains(bt.Name, q) && !strings.Contains(bt.Code(), strings.ToUpper(q)) {
				continue
			}
			total++
			if total <= f.Offset || len(rows) == f.Limit {
				continue
			}
			o, ok := orgs[bt.OrgID]
			if !ok {
				if o, err = orgTx(tx, bt.OrgID); err != nil {
					return err
				}
				orgs[bt.OrgID] = o
			}
			rows = append(rows, ReviewRow{Batch: bt, Org: o, Action: action, Reviewed: time.UnixMilli(int64(btoi(k[8:16])))})
		}
		return nil
	})
	return rows, total, err
}

func stepKV(c *bolt.Cursor, reverse bool) ([]byte, []byte) {
	if reverse {
		return c.Prev()
	}
	return c.Next()
}

// ReviewCounts are the numbers on the 待审核 and 已审核 tabs.
func (s *Store) ReviewCounts(a Actor) (pending, done uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		pending = btoi(tx.Bucket(bCounters).Get([]byte(counterBatchQueue(a.OrgID))))
		prefix := itob(a.OrgID)
		c := tx.Bucket(bBatchReviewed).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			done++
		}
		return nil
	})
	return pending, done, err
}
