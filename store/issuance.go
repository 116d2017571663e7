package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Issuance: the province's approval of a batch issues one certificate per
// candidate, numbered from the segments (docs/numbering.md), in the
// approval's transaction.

// issueBatchAtTx issues the certificates of an approved batch at a moment:
// one per candidate, in list order, inside the approval's transaction.
func (s *Store) issueBatchAtTx(tx *bolt.Tx, b Batch, username string, at time.Time) ([]Certificate, error) {
	// The records are read first and decoded on two goroutines (nothing
	// writes to the transaction meanwhile, so the values stay valid).
	var raws [][]byte
	prefix := itob(b.ID)
	c := tx.Bucket(bCandidates).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		raws = append(raws, v)
	}
	if len(raws) != b.Count {
		return nil, fmt.Errorf("batch %d: %d candidates stored, count %d", b.ID, len(raws), b.Count)
	}
	holders := make([]Holder, len(raws))
	decode := func(from, to int) error {
		for i := from; i < to; i++ {
			var cand Candidate
			if err := jsonUnmarshal(raws[i], &cand); err != nil {
				return err
			}
			holders[i] = Holder{Name: cand.Name, Gender: cand.Gender, IDNumber: cand.IDNumber, WorkUnit: cand.WorkUnit,
				Phone: cand.Phone, Occupation: cand.OccupationCode, Level: cand.Level}
		}
		return nil
	}
	half := len(raws) / 2
	var errHalf error
	done := make(chan struct{})
	go func() {
		defer close(done)
		errHalf = decode(half, len(raws))
	}()
	err := decode(0, half)
	<-done
	if err == nil {
		err = errHalf
	}
	if err != nil {
		return nil, err
	}
	return s.issueAtTx(tx, IssueRequest{OrgID: b.OrgID, BatchID: b.ID, Holders: holders, Username: username,
		Detail: "批次 " + b.Code() + "「" + b.Name + "」"}, at)
}
