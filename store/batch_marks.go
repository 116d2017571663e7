package store

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Reviewers' marks on candidates: a reviewer marks a candidate as failed
// with a note before rejecting the batch, and the unit sees the marks
// (docs/batches.md).

// Mark is a reviewer's 不通过 mark on a candidate.
type Mark struct {
	CandidateID uint64    `json:"candidate_id"`
	Note        string    `json:"note,omitempty"`
	UserID      uint64    `json:"user_id"`
	Username    string    `json:"username"`
	OrgID       uint64    `json:"org_id"`
	OrgName     string    `json:"org_name"`
	Time        time.Time `json:"time"`
	Round       int       `json:"round"`
}

func markTx(tx *bolt.Tx, batchID, candID uint64) (*Mark, error) {
	v := tx.Bucket(bCandidateMarks).Get(key(itob(batchID), itob(candID)))
	if v == nil {
		return nil, nil
	}
	var m Mark
	if err := jsonUnmarshal(v, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// MarkCandidate sets (failed) or clears a reviewer's 不通过 mark with a note
// on a candidate of a batch the actor's organisation is reviewing.
func (s *Store) MarkCandidate(a Actor, batchID, candID uint64, failed bool, note string) (Batch, error) {
	var b Batch
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if b, _, err = batchForTx(tx, a, batchID); err != nil {
			return err
		}
		if !b.State.UnderReview() {
			return &StateError{State: b.State, Doing: "标记合格人员"}
		}
		if err := reviewerCheckTx(tx, a, b); err != nil {
			return err
		}
		if err := s.markTx(tx, a, &b, candID, failed, note); err != nil {
			return err
		}
		return putBatchTx(tx, b)
	})
	return b, err
}

func (s *Store) markTx(tx *bolt.Tx, a Actor, b *Batch, candID uint64, failed bool, note string) error {
	var c Candidate
	ck := key(itob(b.ID), itob(candID))
	if err := getJSON(tx.Bucket(bCandidates), ck, &c); err != nil {
		return fmt.Errorf("candidate %d of batch %d: %w", candID, b.ID, err)
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > MaxReasonLen {
		return invalid("note", fmt.Sprintf("说明不能超过 %d 个字", MaxReasonLen))
	}
	marks := tx.Bucket(bCandidateMarks)
	had := marks.Get(ck) != nil
	if !failed {
		if !had {
			return nil
		}
		b.Marked--
		if err := marks.Delete(ck); err != nil {
			return err
		}
		return s.logTx(tx, a, ActCandidateMark, b.Name, "取消不通过标记："+c.Name)
	}
	org, err := orgTx(tx, a.OrgID)
	if err != nil {
		return err
	}
	if !had {
		b.Marked++
	}
	m := Mark{CandidateID: candID, Note: note, UserID: a.UserID, Username: a.Username, OrgID: org.ID, OrgName: org.Name,
		Time: s.Now(), Round: b.Round}
	if err := putJSON(marks, ck, m); err != nil {
		return err
	}
	return s.logTx(tx, a, ActCandidateMark, b.Name, "标记不通过："+c.Name)
}
