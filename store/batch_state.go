package store

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// The batch state machine (docs/batches.md): the arrows a batch may take
// between states, who may take each, and what moving a batch writes in the
// same transaction: its record, tab and review-queue indexes, counters, the
// review log and the operation log; the province's approval issues the
// certificates (issuance.go).

// BatchAction is an entry of a batch's review log.
type BatchAction string

const (
	BatchCreate  BatchAction = "create"
	BatchSubmit  BatchAction = "submit"
	BatchApprove BatchAction = "approve"
	BatchReject  BatchAction = "reject"
	BatchReopen  BatchAction = "reopen"
)

// Label is the Chinese name of the action.
func (ac BatchAction) Label() string {
	switch ac {
	case BatchCreate:
		return "创建批次"
	case BatchSubmit:
		return "提交审核"
	case BatchApprove:
		return "审核通过"
	case BatchReject:
		return "审核不通过"
	case BatchReopen:
		return "移回待提交"
	}
	return string(ac)
}

// mover says who performs a move, relative to the batch.
type mover int

const (
	byOwner    mover = iota + 1 // the batch's own organisation
	byReviewer                  // the organisation reviewing the batch's current state
)

// batchMove is one arrow of the diagram of docs/batches.md.
type batchMove struct {
	action BatchAction
	from   BatchState
	owner  OrgType // type of the batch's organisation
	to     BatchState
	by     mover
}

// batchMoves is the whole state diagram: every move a batch can make, and
// nothing else. moveBatchTx refuses any (action, state) not listed.
var batchMoves = []batchMove{
	{BatchSubmit, BatchDraft, Unit, BatchPendingDept, byOwner},
	{BatchSubmit, BatchDraft, Direct, BatchPendingProvince, byOwner},
	{BatchApprove, BatchPendingDept, Unit, BatchPendingProvince, byReviewer},
	{BatchApprove, BatchPendingProvince, Unit, BatchApproved, byReviewer},
	{BatchApprove, BatchPendingProvince, Direct, BatchApproved, byReviewer},
	{BatchReject, BatchPendingDept, Unit, BatchRejected, byReviewer},
	{BatchReject, BatchPendingProvince, Unit, BatchRejected, byReviewer},
	{BatchReject, BatchPendingProvince, Direct, BatchRejected, byReviewer},
	{BatchReopen, BatchRejected, Unit, BatchDraft, byOwner},
	{BatchReopen, BatchRejected, Direct, BatchDraft, byOwner},
}

func findMove(action BatchAction, from BatchState, owner OrgType) (batchMove, bool) {
	for _, m := range batchMoves {
		if m.action == action && m.from == from && m.owner == owner {
			return m, true
		}
	}
	return batchMove{}, false
}

// StateError refuses something the batch's state does not allow (a move
// outside the diagram, an edit of a batch under review). errors.Is(err,
// ErrConflict) holds.
type StateError struct {
	State BatchState
	Doing string // e.g. 提交审核
}

func (e *StateError) Error() string {
	return fmt.Sprintf("批次当前为「%s」，不能%s", e.State.Label(), e.Doing)
}

// Is makes a StateError match ErrConflict.
func (e *StateError) Is(target error) bool { return target == ErrConflict }

// ReviewEntry is one line of a batch's review log.
type ReviewEntry struct {
	Seq      uint64      `json:"seq"`
	Time     time.Time   `json:"time"`
	UserID   uint64      `json:"user_id"`
	Username string      `json:"username"`
	UserName string      `json:"user_name"` // the person's name
	OrgID    uint64      `json:"org_id"`
	OrgName  string      `json:"org_name"`
	Action   BatchAction `json:"action"`
	From     BatchState  `json:"from,omitempty"`
	To       BatchState  `json:"to"`
	Round    int         `json:"round,omitempty"`
	Reason   string      `json:"reason,omitempty"`
}

// SubmitBatch sends a draft to review: a unit's to its dept, a 省直所's to
// the province. The batch needs at least one candidate and none that breaks
// a rule now (scope narrowed, certified meanwhile, in another batch under
// review); the reviewer marks of the previous round are cleared.
func (s *Store) SubmitBatch(a Actor, id uint64) (Batch, error) {
	return s.moveBatch(a, id, BatchSubmit, "")
}

// ReopenBatches moves rejected batches of the actor's organisation back to
// 待提交, all or none.
func (s *Store) ReopenBatches(a Actor, ids []uint64) (int, error) {
	if len(ids) == 0 {
		return 0, invalid("", "请先勾选要移回待提交的批次")
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		seen := map[uint64]bool{}
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			b, _, err := ownBatchTx(tx, a, id, "")
			if err != nil {
				return err
			}
			if err := s.moveBatchTx(tx, a, &b, BatchReopen, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(uniq(ids)), nil
}

func uniq(ids []uint64) map[uint64]bool {
	m := map[uint64]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// ApproveBatch is a reviewer's approval: a dept's sends a unit's batch on to
// the province, the province's approves it. No candidate may be marked
// 不通过.
//
// Certificate issuance (docs/numbering.md) belongs inside approveBatchTx, after
// the move to BatchApproved, so that the certificates and the approval
// commit together or not at all.
func (s *Store) ApproveBatch(a Actor, id uint64) (Batch, error) {
	var b Batch
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		b, err = s.approveBatchTx(tx, a, id)
		return err
	})
	return b, err
}

func (s *Store) approveBatchTx(tx *bolt.Tx, a Actor, id uint64) (Batch, error) {
	b, _, err := batchForTx(tx, a, id)
	if err != nil {
		return Batch{}, err
	}
	if b.Marked > 0 && b.State.UnderReview() {
		return Batch{}, invalid("", fmt.Sprintf("有 %d 名合格人员被标记为审核不通过，批次不能审核通过", b.Marked))
	}
	if err := s.moveBatchTx(tx, a, &b, BatchApprove, ""); err != nil {
		return Batch{}, err
	}
	if b.State == BatchApproved {
		// docs/batches.md and docs/numbering.md: the province's approval issues the
		// certificates in the same transaction as the state change.
		certs, err := s.issueBatchAtTx(tx, b, a.Username, s.Now())
		if err != nil {
			return Batch{}, err
		}
		// The approval's entry is written by moveBatchTx; this one records
		// the issue with every certificate's content hash (chain.go).
		if err := s.logTx(tx, a, ActCertIssue, b.Code(), fmt.Sprintf("批次「%s」发证 %d 本%s", b.Name, len(certs), numberRange(certs))); err != nil {
			return Batch{}, err
		}
	}
	return b, nil
}

// RejectBatch is a reviewer's rejection with a reason (required) and, in
// the same transaction, 不通过 marks on candidates (candidate id => note),
// added to marks already set with MarkCandidate.
func (s *Store) RejectBatch(a Actor, id uint64, reason string, marks map[uint64]string) (Batch, error) {
	var b Batch
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if b, _, err = batchForTx(tx, a, id); err != nil {
			return err
		}
		if !b.State.UnderReview() {
			return &StateError{State: b.State, Doing: "审核"}
		}
		if err := reviewerCheckTx(tx, a, b); err != nil {
			return err
		}
		for cid, note := range marks {
			if err := s.markTx(tx, a, &b, cid, true, note); err != nil {
				return err
			}
		}
		return s.moveBatchTx(tx, a, &b, BatchReject, reason)
	})
	return b, err
}

func (s *Store) moveBatch(a Actor, id uint64, action BatchAction, reason string) (Batch, error) {
	var b Batch
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if b, _, err = batchForTx(tx, a, id); err != nil {
			return err
		}
		return s.moveBatchTx(tx, a, &b, action, reason)
	})
	return b, err
}

// reviewerIDTx is the organisation that reviews a batch in state st.
func reviewerIDTx(tx *bolt.Tx, st BatchState, owner Org) uint64 {
	switch st {
	case BatchPendingDept:
		return owner.ParentID
	case BatchPendingProvince:
		return btoi(tx.Bucket(bMeta).Get([]byte("province_id")))
	}
	return 0
}

// reviewerCheckTx refuses an actor that is not the reviewer of the batch's
// current state (ErrForbidden inside its scope, ErrNotFound outside).
func reviewerCheckTx(tx *bolt.Tx, a Actor, b Batch) error {
	owner, err := orgTx(tx, b.OrgID)
	if err != nil {
		return err
	}
	if reviewerIDTx(tx, b.State, owner) != a.OrgID {
		return fmt.Errorf("batch %d in %s reviewed by org %d: %w", b.ID, b.State, a.OrgID, ErrForbidden)
	}
	return nil
}

// moveBatchTx makes one move of the diagram and everything that goes with
// it, in the caller's transaction: the actor's role, the tab index and its
// counters, the review queues, the under-review index of candidates, the
// review log and the operation log.
func (s *Store) moveBatchTx(tx *bolt.Tx, a Actor, b *Batch, action BatchAction, reason string) error {
	owner, err := orgTx(tx, b.OrgID)
	if err != nil {
		return err
	}
	viewer, err := orgTx(tx, a.OrgID)
	if err != nil {
		return err
	}
	if !viewer.Contains(owner) {
		return fmt.Errorf("batch %d: %w", b.ID, ErrNotFound)
	}
	mv, ok := findMove(action, b.State, owner.Type)
	if !ok {
		return &StateError{State: b.State, Doing: action.Label()}
	}
	switch mv.by {
	case byOwner:
		if a.OrgID != b.OrgID {
			return fmt.Errorf("%s batch %d by org %d: %w", action, b.ID, a.OrgID, ErrForbidden)
		}
	case byReviewer:
		if reviewerIDTx(tx, b.State, owner) != a.OrgID {
			return fmt.Errorf("%s batch %d by org %d: %w", action, b.ID, a.OrgID, ErrForbidden)
		}
	}
	reason = strings.TrimSpace(reason)
	if action == BatchReject {
		switch {
		case reason == "":
			return invalid("reason", "请填写审核不通过的原因")
		case utf8.RuneCountInString(reason) > MaxReasonLen:
			return invalid("reason", fmt.Sprintf("原因不能超过 %d 个字", MaxReasonLen))
		}
	}
	now := s.Now()
	if action == BatchSubmit {
		if b.Count == 0 {
			return invalid("", "批次中没有合格人员，不能提交审核；请先导入或添加合格人员")
		}
		if probs, err := s.batchProblemsTx(tx, owner, *b, 5); err != nil {
			return err
		} else if len(probs) > 0 {
			return &ImportError{Errors: probs, Summary: "批次中有不符合要求的合格人员，不能提交审核；请修改或删除后再提交"}
		}
		if err := deletePrefix(tx.Bucket(bCandidateMarks), itob(b.ID)); err != nil {
			return err
		}
		b.Marked = 0
		b.Round++
		b.Submitted = now
		b.Reason, b.RejectBy = "", ""
	}

	// Tab index and counters.
	tabs := tx.Bucket(bBatchTab)
	if err := tabs.Delete(batchTabKey(*b)); err != nil {
		return err
	}
	if _, err := incr(tx, counterBatchTab(b.OrgID, b.State.Tab()), -1); err != nil {
		return err
	}
	from := b.State
	b.State = mv.to
	b.Updated = now
	if err := tabs.Put(batchTabKey(*b), []byte(b.Name)); err != nil {
		return err
	}
	if _, err := incr(tx, counterBatchTab(b.OrgID, b.State.Tab()), 1); err != nil {
		return err
	}

	// Review queues: leave the old reviewer's, join the new one's.
	queue := tx.Bucket(bBatchQueue)
	if from.UnderReview() {
		rid := reviewerIDTx(tx, from, owner)
		if err := queue.Delete(key(itob(rid), tsKey(b.QueuedAt), itob(b.ID))); err != nil {
			return err
		}
		if _, err := incr(tx, counterBatchQueue(rid), -1); err != nil {
			return err
		}
	}
	if b.State.UnderReview() {
		rid := reviewerIDTx(tx, b.State, owner)
		b.QueuedAt = now
		if err := queue.Put(key(itob(rid), tsKey(now), itob(b.ID)), nil); err != nil {
			return err
		}
		if _, err := incr(tx, counterBatchQueue(rid), 1); err != nil {
			return err
		}
	} else {
		b.QueuedAt = time.Time{}
	}

	// The reviewer's 已审核 list keeps the last review of each batch.
	if mv.by == byReviewer {
		if b.LastReview == nil {
			b.LastReview = map[string]time.Time{}
		}
		org := strconv.FormatUint(a.OrgID, 10)
		rv := tx.Bucket(bBatchReviewed)
		if prev, ok := b.LastReview[org]; ok {
			if err := rv.Delete(key(itob(a.OrgID), tsKey(prev), itob(b.ID))); err != nil {
				return err
			}
		}
		b.LastReview[org] = now
		if err := rv.Put(key(itob(a.OrgID), tsKey(now), itob(b.ID)), []byte(action)); err != nil {
			return err
		}
		b.Reviewed = now
	}
	if action == BatchReject {
		b.Reason, b.RejectBy = reason, viewer.Name
	}

	// Candidates under review: indexed while the batch is with a reviewer.
	switch {
	case !from.UnderReview() && b.State.UnderReview():
		if err := s.indexUnderReviewTx(tx, *b, true); err != nil {
			return err
		}
	case from.UnderReview() && !b.State.UnderReview():
		if err := s.indexUnderReviewTx(tx, *b, false); err != nil {
			return err
		}
	}

	if err := s.appendReviewTx(tx, a, b, action, from, b.State, reason); err != nil {
		return err
	}
	if err := registrationOverviewTx(tx, *b); err != nil {
		return err
	}
	if err := putBatchTx(tx, *b); err != nil {
		return err
	}
	detail := from.Label() + " → " + b.State.Label()
	if reason != "" {
		detail += "；原因：" + reason
	}
	return s.logTx(tx, a, map[BatchAction]Action{BatchSubmit: ActBatchSubmit, BatchApprove: ActBatchApprove,
		BatchReject: ActBatchReject, BatchReopen: ActBatchReopen}[action], b.Name, detail)
}

// indexUnderReviewTx adds (or removes) every candidate of the batch to the
// under-review index. Adding refuses a person already there for another
// batch: the submit check saw none, so this is a guard.
func (s *Store) indexUnderReviewTx(tx *bolt.Tx, b Batch, add bool) error {
	ur := tx.Bucket(bUnderReview)
	prefix := itob(b.ID)
	c := tx.Bucket(bCandidateKey).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		hk := k[8:]
		if add {
			if other := ur.Get(hk); other != nil && btoi(other) != b.ID {
				return fmt.Errorf("candidate of batch %d already under review in batch %d: %w", b.ID, btoi(other), ErrConflict)
			}
			if err := ur.Put(append([]byte(nil), hk...), itob(b.ID)); err != nil {
				return err
			}
		} else if v := ur.Get(hk); v != nil && btoi(v) == b.ID {
			if err := ur.Delete(append([]byte(nil), hk...)); err != nil {
				return err
			}
		}
	}
	return nil
}

// appendReviewTx writes an entry of the batch's review log.
func (s *Store) appendReviewTx(tx *bolt.Tx, a Actor, b *Batch, action BatchAction, from, to BatchState, reason string) error {
	org, err := orgTx(tx, a.OrgID)
	if err != nil {
		return err
	}
	var u User
	if a.UserID != 0 {
		if err := getJSON(tx.Bucket(bUsers), itob(a.UserID), &u); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	b.NextLog++
	e := ReviewEntry{Seq: b.NextLog, Time: s.Now(), UserID: a.UserID, Username: a.Username, UserName: u.Name,
		OrgID: org.ID, OrgName: org.Name, Action: action, From: from, To: to, Round: b.Round, Reason: reason}
	return putJSON(tx.Bucket(bBatchLog), key(itob(b.ID), itob(e.Seq)), e)
}

// BatchLog returns a batch's review log, oldest first.
func (s *Store) BatchLog(a Actor, id uint64) ([]ReviewEntry, error) {
	var out []ReviewEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		if _, _, err := batchForTx(tx, a, id); err != nil {
			return err
		}
		prefix := itob(id)
		c := tx.Bucket(bBatchLog).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var e ReviewEntry
			if err := jsonUnmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
