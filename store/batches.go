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

	"certreg/candidate"
	"certreg/files"
)

// BatchState is where a batch is in its life (docs/batches.md).
type BatchState string

const (
	BatchDraft           BatchState = "draft"            // 待提交
	BatchPendingDept     BatchState = "pending_dept"     // 主管部门审核中
	BatchPendingProvince BatchState = "pending_province" // 省厅审核中
	BatchApproved        BatchState = "approved"         // 审核通过
	BatchRejected        BatchState = "rejected"         // 审核不通过
)

// Label is the Chinese name of the state.
func (st BatchState) Label() string {
	switch st {
	case BatchDraft:
		return "待提交"
	case BatchPendingDept:
		return "主管部门审核中"
	case BatchPendingProvince:
		return "省厅审核中"
	case BatchApproved:
		return "审核通过"
	case BatchRejected:
		return "审核不通过"
	}
	return string(st)
}

// Editable reports whether the owning organisation may change the batch:
// rename, candidates, materials.
func (st BatchState) Editable() bool { return st == BatchDraft || st == BatchRejected }

// UnderReview reports whether a reviewer holds the batch.
func (st BatchState) UnderReview() bool {
	return st == BatchPendingDept || st == BatchPendingProvince
}

// Tab is the 我的批次 tab that lists the state.
func (st BatchState) Tab() BatchTab {
	switch st {
	case BatchPendingDept, BatchPendingProvince:
		return TabReview
	case BatchApproved:
		return TabApproved
	case BatchRejected:
		return TabRejected
	}
	return TabDraft
}

// BatchTab is one tab of 我的批次.
type BatchTab string

const (
	TabDraft    BatchTab = "draft"
	TabReview   BatchTab = "review"
	TabApproved BatchTab = "approved"
	TabRejected BatchTab = "rejected"
)

// BatchTabs lists the tabs in display order.
var BatchTabs = []struct {
	Tab   BatchTab
	Label string
}{{TabDraft, "待提交"}, {TabReview, "审核中"}, {TabApproved, "审核通过"}, {TabRejected, "审核不通过"}}

// ValidTab reports whether t is a tab.
func ValidTab(t BatchTab) bool {
	for _, x := range BatchTabs {
		if x.Tab == t {
			return true
		}
	}
	return false
}

// code is the tab's byte in the bBatchTab index.
func (t BatchTab) code() byte {
	for i, x := range BatchTabs {
		if x.Tab == t {
			return byte(i + 1)
		}
	}
	return 0
}

func counterBatchTab(orgID uint64, t BatchTab) string { return fmt.Sprintf("batches|%d|%s", orgID, t) }

func counterBatchQueue(orgID uint64) string { return fmt.Sprintf("batch_queue|%d", orgID) }

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

// Limits of a batch.
const (
	MaxBatchName       = 50
	MaxBatchCandidates = 5000
	MaxReasonLen       = 200
)

// Batch is a list of candidates an organisation sends for review.
type Batch struct {
	ID        uint64       `json:"id"`
	OrgID     uint64       `json:"org_id"`
	Name      string       `json:"name"`
	State     BatchState   `json:"state"`
	Count     int          `json:"count"`            // candidates
	Marked    int          `json:"marked,omitempty"` // candidates marked 不通过 by a reviewer
	Files     []StoredFile `json:"files,omitempty"`
	Round     int          `json:"round,omitempty"`  // review rounds started (submits)
	Reason    string       `json:"reason,omitempty"` // reason of the last rejection
	RejectBy  string       `json:"reject_by,omitempty"`
	Created   time.Time    `json:"created"`
	Updated   time.Time    `json:"updated"`
	Submitted time.Time    `json:"submitted,omitempty"`
	Reviewed  time.Time    `json:"reviewed,omitempty"` // last approval or rejection
	QueuedAt  time.Time    `json:"queued_at,omitempty"`
	// LastReview is, per reviewing organisation, the time of its last
	// approval or rejection (the key of bBatchReviewed).
	LastReview map[string]time.Time `json:"last_review,omitempty"`
	NextCand   uint64               `json:"next_cand"`
	NextLog    uint64               `json:"next_log"`
}

// Code is the batch number shown to people.
func (b Batch) Code() string { return fmt.Sprintf("P%06d", b.ID) }

// Docs and Images split the materials.
func (b Batch) Docs() []StoredFile   { return b.filesOf(KindDoc) }
func (b Batch) Images() []StoredFile { return b.filesOf(KindImage) }

func (b Batch) filesOf(k FileKind) []StoredFile {
	var out []StoredFile
	for _, f := range b.Files {
		if f.Kind == k {
			out = append(out, f)
		}
	}
	return out
}

// File returns the material with the given hash.
func (b Batch) File(hash string) (StoredFile, bool) {
	for _, f := range b.Files {
		if f.Hash == hash {
			return f, true
		}
	}
	return StoredFile{}, false
}

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

// batchTabKey is the key of a batch in bBatchTab.
func batchTabKey(b Batch) []byte {
	return key(itob(b.OrgID), []byte{b.State.Tab().code()}, tsKey(b.Created), itob(b.ID))
}

func batchNameKey(orgID uint64, name string) []byte {
	return key(itob(orgID), []byte(strings.ToLower(name)))
}

func getBatchTx(tx *bolt.Tx, id uint64) (Batch, error) {
	var b Batch
	if err := getJSON(tx.Bucket(bBatches), itob(id), &b); err != nil {
		return Batch{}, fmt.Errorf("batch %d: %w", id, err)
	}
	return b, nil
}

func putBatchTx(tx *bolt.Tx, b Batch) error {
	return putJSON(tx.Bucket(bBatches), itob(b.ID), b)
}

// batchForTx loads a batch the actor may see: its organisation is the
// actor's or below it. Anything else is ErrNotFound, as if it did not exist.
func batchForTx(tx *bolt.Tx, a Actor, id uint64) (Batch, Org, error) {
	b, err := getBatchTx(tx, id)
	if err != nil {
		return Batch{}, Org{}, err
	}
	viewer, err := orgTx(tx, a.OrgID)
	if err != nil {
		return Batch{}, Org{}, fmt.Errorf("actor org: %w", err)
	}
	owner, err := orgTx(tx, b.OrgID)
	if err != nil {
		return Batch{}, Org{}, fmt.Errorf("batch %d org: %w", id, err)
	}
	if !viewer.Contains(owner) {
		return Batch{}, Org{}, fmt.Errorf("batch %d: %w", id, ErrNotFound)
	}
	// A draft is its organisation's own until it is submitted: reviewers
	// above it do not see it (nor its candidates and materials).
	if b.State == BatchDraft && viewer.ID != owner.ID {
		return Batch{}, Org{}, fmt.Errorf("draft batch %d seen by org %d: %w", id, viewer.ID, ErrNotFound)
	}
	return b, owner, nil
}

// ownBatchTx loads a batch the actor's organisation owns and may change in
// its current state (doing names the change for the message). A superior
// organisation gets ErrForbidden, anyone else ErrNotFound.
func ownBatchTx(tx *bolt.Tx, a Actor, id uint64, doing string) (Batch, Org, error) {
	b, owner, err := batchForTx(tx, a, id)
	if err != nil {
		return Batch{}, Org{}, err
	}
	if b.OrgID != a.OrgID {
		return Batch{}, Org{}, fmt.Errorf("batch %d of org %d by org %d: %w", id, b.OrgID, a.OrgID, ErrForbidden)
	}
	if doing != "" && !b.State.Editable() {
		return Batch{}, Org{}, &StateError{State: b.State, Doing: doing}
	}
	return b, owner, nil
}

// Batch returns a batch the actor may see.
func (s *Store) Batch(a Actor, id uint64) (Batch, error) {
	var b Batch
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		b, _, err = batchForTx(tx, a, id)
		return err
	})
	return b, err
}

func checkBatchName(tx *bolt.Tx, orgID, self uint64, name string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	switch {
	case name == "":
		return "", invalid("name", "请填写批次名称")
	case utf8.RuneCountInString(name) > MaxBatchName:
		return "", invalid("name", fmt.Sprintf("批次名称不能超过 %d 个字（现有 %d 个字）", MaxBatchName, utf8.RuneCountInString(name)))
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", invalid("name", "批次名称不能包含控制字符")
	}
	if id := tx.Bucket(bBatchName).Get(batchNameKey(orgID, name)); id != nil && btoi(id) != self {
		return "", invalid("name", fmt.Sprintf("本机构已有名为「%s」的批次，请换一个名称", name))
	}
	return name, nil
}

// CheckBatchName checks a name for a new batch of the actor's organisation
// (the create wizard asks before its last step; CreateBatch checks again).
func (s *Store) CheckBatchName(a Actor, name string) (string, error) {
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		name, err = checkBatchName(tx, a.OrgID, 0, name)
		return err
	})
	return name, err
}

// NewBatch is what the create wizard confirms.
type NewBatch struct {
	Name       string
	Candidates []candidate.Candidate // checked again inside the transaction
	Uploads    []*files.Upload       // supporting materials as received
}

// CreateBatch saves a new batch in 待提交 with its candidates and
// materials: a candidate that breaks any rule (see putCandidatesTx)
// refuses the whole batch with an *ImportError and nothing is saved. The
// materials are checked first, then written and synced, and only then does
// the transaction that refers to them run.
func (s *Store) CreateBatch(a Actor, in NewBatch) (Batch, error) {
	files, err := s.prepareUploads(nil, in.Uploads)
	if err != nil {
		return Batch{}, err
	}
	var b Batch
	err = s.db.Update(func(tx *bolt.Tx) error {
		var err error
		b, err = s.createBatchTx(tx, a, in, files)
		return err
	})
	return b, err
}

func (s *Store) createBatchTx(tx *bolt.Tx, a Actor, in NewBatch, files []StoredFile) (Batch, error) {
	org, err := orgTx(tx, a.OrgID)
	if err != nil {
		return Batch{}, fmt.Errorf("create batch: actor org: %w", err)
	}
	if org.Type != Unit && org.Type != Direct {
		return Batch{}, fmt.Errorf("create batch by %s: %w", org.Type, ErrForbidden)
	}
	name, err := checkBatchName(tx, org.ID, 0, in.Name)
	if err != nil {
		return Batch{}, err
	}
	if len(in.Candidates) == 0 {
		return Batch{}, invalid("file", "名单中没有合格人员，请导入至少一名")
	}
	if len(in.Candidates) > MaxBatchCandidates {
		return Batch{}, invalid("file", fmt.Sprintf("一个批次最多 %d 名合格人员（导入了 %d 名）", MaxBatchCandidates, len(in.Candidates)))
	}
	if err := s.checkFilesTx(nil, files); err != nil {
		return Batch{}, err
	}
	bb := tx.Bucket(bBatches)
	id, err := nextID(bb)
	if err != nil {
		return Batch{}, err
	}
	now := s.Now()
	b := Batch{ID: id, OrgID: org.ID, Name: name, State: BatchDraft, Files: files, Created: now, Updated: now}
	if err := s.putCandidatesTx(tx, org, &b, in.Candidates); err != nil {
		return Batch{}, err
	}
	if err := tx.Bucket(bBatchName).Put(batchNameKey(org.ID, name), itob(id)); err != nil {
		return Batch{}, err
	}
	bt := tx.Bucket(bBatchTab)
	bt.FillPercent = 0.9
	if err := bt.Put(batchTabKey(b), []byte(name)); err != nil {
		return Batch{}, err
	}
	if _, err := incr(tx, counterBatchTab(org.ID, TabDraft), 1); err != nil {
		return Batch{}, err
	}
	if err := s.appendReviewTx(tx, a, &b, BatchCreate, "", BatchDraft, fmt.Sprintf("导入 %d 名合格人员，上传资料 %d 份", b.Count, len(b.Files))); err != nil {
		return Batch{}, err
	}
	if err := putBatchTx(tx, b); err != nil {
		return Batch{}, err
	}
	return b, s.logTx(tx, a, ActBatchCreate, name, fmt.Sprintf("%d 名合格人员", b.Count))
}

// RenameBatch changes the name of a draft or rejected batch.
func (s *Store) RenameBatch(a Actor, id uint64, name string) (Batch, error) {
	var b Batch
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if b, _, err = ownBatchTx(tx, a, id, "修改名称"); err != nil {
			return err
		}
		newName, err := checkBatchName(tx, b.OrgID, b.ID, name)
		if err != nil {
			return err
		}
		old := b.Name
		if newName == old {
			return nil
		}
		names := tx.Bucket(bBatchName)
		if err := names.Delete(batchNameKey(b.OrgID, old)); err != nil {
			return err
		}
		if err := names.Put(batchNameKey(b.OrgID, newName), itob(b.ID)); err != nil {
			return err
		}
		b.Name, b.Updated = newName, s.Now()
		if err := tx.Bucket(bBatchTab).Put(batchTabKey(b), []byte(newName)); err != nil {
			return err
		}
		if err := putBatchTx(tx, b); err != nil {
			return err
		}
		return s.logTx(tx, a, ActBatchRename, newName, "原名称："+old)
	})
	return b, err
}

// DeleteBatch removes a draft with its candidates and review log. Its
// files stay on disk: content-addressed, they may be shared.
func (s *Store) DeleteBatch(a Actor, id uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, _, err := ownBatchTx(tx, a, id, "")
		if err != nil {
			return err
		}
		if b.State != BatchDraft {
			return &StateError{State: b.State, Doing: "删除（只能删除待提交的批次）"}
		}
		for _, bk := range [][]byte{bCandidates, bCandidateKey, bCandidateMarks, bBatchLog} {
			if err := deletePrefix(tx.Bucket(bk), itob(id)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bBatchName).Delete(batchNameKey(b.OrgID, b.Name)); err != nil {
			return err
		}
		if err := tx.Bucket(bBatchTab).Delete(batchTabKey(b)); err != nil {
			return err
		}
		if _, err := incr(tx, counterBatchTab(b.OrgID, b.State.Tab()), -1); err != nil {
			return err
		}
		if err := tx.Bucket(bBatches).Delete(itob(id)); err != nil {
			return err
		}
		return s.logTx(tx, a, ActBatchDelete, b.Name, fmt.Sprintf("%d 名合格人员", b.Count))
	})
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
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
