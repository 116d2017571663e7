package store

import (
	"bytes"
	"fmt"
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
