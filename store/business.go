package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/data"
)

// Certificate businesses (证书业务, docs/businesses.md): a unit or 省直所
// applies for a 变更 (change of 姓名, 身份证号 and/or 工作单位, never 姓名 and
// 身份证号 together), a 补办 (reissue under a new number) or a 注销 (cancel)
// of one of its valid certificates, with 1–5 proof images. A unit's
// businesses are reviewed by its dept and then by the province; a 省直所's by
// the province only. The province's approval changes the certificate in the
// same transaction as the state change. A certificate has at most one open
// business (pending or rejected) at a time.

// BizKind is the kind of a business. BizRegister is the issuance of a
// batch's certificates (注册), listed beside the businesses in the
// province's overview; it is a batch, not a Business record.
type BizKind string

const (
	BizChange   BizKind = "change"
	BizReissue  BizKind = "reissue"
	BizCancel   BizKind = "cancel"
	BizRegister BizKind = "register"
)

// BizKinds are the kinds a unit applies for, in display order.
var BizKinds = []BizKind{BizChange, BizReissue, BizCancel}

// ValidBizKind reports whether k is a kind a unit applies for.
func ValidBizKind(k BizKind) bool { return k == BizChange || k == BizReissue || k == BizCancel }

// Label is the Chinese name of the kind.
func (k BizKind) Label() string {
	switch k {
	case BizChange:
		return "变更"
	case BizReissue:
		return "补办"
	case BizCancel:
		return "注销"
	case BizRegister:
		return "注册"
	}
	return string(k)
}

// code is the kind's byte in index keys.
func (k BizKind) code() byte {
	switch k {
	case BizChange:
		return 'C'
	case BizReissue:
		return 'R'
	case BizCancel:
		return 'X'
	case BizRegister:
		return 'G'
	}
	return '?'
}

func bizKindOf(c byte) BizKind {
	for _, k := range []BizKind{BizChange, BizReissue, BizCancel, BizRegister} {
		if k.code() == c {
			return k
		}
	}
	return ""
}

// BizState is where a business stands.
type BizState string

const (
	BizPendingDept     BizState = "pending_dept"     // 待主管部门审核
	BizPendingProvince BizState = "pending_province" // 待省厅审核
	BizApproved        BizState = "approved"         // 审核通过
	BizRejected        BizState = "rejected"         // 审核不通过
	BizWithdrawn       BizState = "withdrawn"        // 已撤回
)

// BizStates lists the states in display order.
var BizStates = []BizState{BizPendingDept, BizPendingProvince, BizApproved, BizRejected, BizWithdrawn}

// Label is the Chinese name of the state.
func (s BizState) Label() string {
	switch s {
	case BizPendingDept:
		return "待主管部门审核"
	case BizPendingProvince:
		return "待省厅审核"
	case BizApproved:
		return "审核通过"
	case BizRejected:
		return "审核不通过"
	case BizWithdrawn:
		return "已撤回"
	}
	return string(s)
}

// Pending reports a state waiting for a reviewer.
func (s BizState) Pending() bool { return s == BizPendingDept || s == BizPendingProvince }

// Open reports a business that still holds its certificate: pending, or
// rejected and not yet withdrawn (it may be corrected and resubmitted).
func (s BizState) Open() bool { return s.Pending() || s == BizRejected }

func (s BizState) code() byte {
	switch s {
	case BizPendingDept:
		return 'D'
	case BizPendingProvince:
		return 'P'
	case BizApproved:
		return 'A'
	case BizRejected:
		return 'J'
	case BizWithdrawn:
		return 'W'
	}
	return '?'
}

func bizStateOf(c byte) BizState {
	for _, s := range BizStates {
		if s.code() == c {
			return s
		}
	}
	return ""
}

// Limits of a business application.
const (
	MinBizProofs    = 1
	MaxBizProofs    = 5
	MaxBizProofSize = 200 << 10
)

// HolderValues are the holder's fields a 变更 may change.
type HolderValues struct {
	Name     string `json:"name,omitempty"`
	IDNumber string `json:"id_number,omitempty"`
	Gender   string `json:"gender,omitempty"`
	WorkUnit string `json:"work_unit,omitempty"`
}

// BizAction is a step in a business's review log.
type BizAction string

const (
	BizSubmit   BizAction = "submit"
	BizApprove  BizAction = "approve"
	BizReject   BizAction = "reject"
	BizWithdraw BizAction = "withdraw"
)

// Label is the Chinese name of the action.
func (a BizAction) Label() string {
	switch a {
	case BizSubmit:
		return "提交申请"
	case BizApprove:
		return "审核通过"
	case BizReject:
		return "审核不通过"
	case BizWithdraw:
		return "撤回申请"
	}
	return string(a)
}

// BizLogEntry is one step of a business's review log.
type BizLogEntry struct {
	Time     time.Time `json:"time"`
	Username string    `json:"username"`
	UserName string    `json:"user_name,omitempty"`
	OrgID    uint64    `json:"org_id"`
	OrgName  string    `json:"org_name"`
	Action   BizAction `json:"action"`
	From     BizState  `json:"from,omitempty"`
	To       BizState  `json:"to"`
	Round    int       `json:"round"`
	Reason   string    `json:"reason,omitempty"`
}

// Business is one application for a 变更, 补办 or 注销 of a certificate.
type Business struct {
	ID      uint64   `json:"id"`
	Kind    BizKind  `json:"kind"`
	State   BizState `json:"state"`
	OrgID   uint64   `json:"org_id"` // the applying organisation, which issued the certificate
	OrgName string   `json:"org_name"`
	OrgCode string   `json:"org_code"`
	OrgPath []uint64 `json:"org_path,omitempty"`
	Number  string   `json:"number"` // the certificate
	// The certificate as it was when the application was last submitted.
	Old            HolderValues `json:"old"`
	Occupation     string       `json:"occupation"`
	OccupationName string       `json:"occupation_name"`
	Level          int          `json:"level"`
	CertVersion    int          `json:"cert_version"`
	// New holds the values a 变更 asks for; a field left empty stays as it is.
	New       HolderValues `json:"new,omitempty"`
	Reason    string       `json:"reason,omitempty"` // the applicant's reason
	Proofs    []StoredFile `json:"proofs"`
	Created   time.Time    `json:"created"`
	Submitted time.Time    `json:"submitted"`        // the current round's submission
	Queued    time.Time    `json:"queued,omitempty"` // when it joined its current reviewer's queue
	Updated   time.Time    `json:"updated"`
	Reviewed  time.Time    `json:"reviewed,omitempty"` // the last approval or rejection
	Round     int          `json:"round"`
	// The last rejection, shown until the application is resubmitted.
	RejectReason string `json:"reject_reason,omitempty"`
	RejectBy     string `json:"reject_by,omitempty"`
	// NewNumber is the number a 补办 issued on approval.
	NewNumber string        `json:"new_number,omitempty"`
	Log       []BizLogEntry `json:"log"`
}

// LevelName is the display name of the certificate's level.
func (b Business) LevelName() string { return data.LevelName(b.Level) }

// Changes lists the fields a 变更 changes, as 姓名, 身份证号, 工作单位.
func (b Business) Changes() []string {
	var out []string
	if b.New.Name != "" {
		out = append(out, "姓名")
	}
	if b.New.IDNumber != "" {
		out = append(out, "身份证号")
	}
	if b.New.WorkUnit != "" {
		out = append(out, "工作单位")
	}
	return out
}

// Summary is one line saying what the business asks for.
func (b Business) Summary() string {
	switch b.Kind {
	case BizChange:
		s := ""
		for _, f := range []struct{ label, old, new string }{
			{"姓名", b.Old.Name, b.New.Name}, {"身份证号", b.Old.IDNumber, b.New.IDNumber}, {"工作单位", b.Old.WorkUnit, b.New.WorkUnit},
		} {
			if f.new != "" {
				if s != "" {
					s += "；"
				}
				s += fmt.Sprintf("%s：%s → %s", f.label, f.old, f.new)
			}
		}
		return s
	case BizReissue:
		if b.NewNumber != "" {
			return "补办为新证书 " + b.NewNumber
		}
		return "补办证书"
	case BizCancel:
		return "注销证书"
	}
	return ""
}

// Image returns a proof of the business by hash.
func (b Business) Image(hash string) (StoredFile, bool) {
	for _, f := range b.Proofs {
		if f.Hash == hash {
			return f, true
		}
	}
	return StoredFile{}, false
}

// BizStateError refuses what the business's state does not allow (two
// reviewers at once: the second finds it moved). errors.Is(err,
// ErrConflict) holds.
type BizStateError struct {
	State BizState
	Doing string
}

func (e *BizStateError) Error() string {
	return fmt.Sprintf("该业务当前为「%s」，不能%s（可能已被他人处理，请刷新页面）", e.State.Label(), e.Doing)
}

// Is makes a BizStateError match ErrConflict.
func (e *BizStateError) Is(target error) bool { return target == ErrConflict }

func getBusinessTx(tx *bolt.Tx, id uint64) (Business, error) {
	var b Business
	if err := getJSON(tx.Bucket(bBiz), itob(id), &b); err != nil {
		return Business{}, fmt.Errorf("business %d: %w", id, err)
	}
	return b, nil
}

func putBusinessTx(tx *bolt.Tx, b Business) error {
	return putJSON(tx.Bucket(bBiz), itob(b.ID), b)
}

// businessForTx loads a business the actor's organisation may see: its own,
// or one of an organisation below it. Anything else is ErrNotFound.
func businessForTx(tx *bolt.Tx, a Actor, id uint64) (Business, error) {
	b, err := getBusinessTx(tx, id)
	if err != nil {
		return Business{}, err
	}
	if !b.inScope(a.OrgID) {
		return Business{}, fmt.Errorf("business %d seen by org %d: %w", id, a.OrgID, ErrNotFound)
	}
	return b, nil
}

// inScope reports whether organisation orgID applied for b or is above the
// organisation that did.
func (b Business) inScope(orgID uint64) bool {
	if b.OrgID == orgID {
		return true
	}
	for _, p := range b.OrgPath {
		if p == orgID {
			return true
		}
	}
	return false
}

// bizReviewerTx is the organisation that reviews a business in state st.
func bizReviewerTx(tx *bolt.Tx, st BizState, b Business) uint64 {
	switch st {
	case BizPendingDept:
		if len(b.OrgPath) > 0 {
			return b.OrgPath[len(b.OrgPath)-1]
		}
	case BizPendingProvince:
		return btoi(tx.Bucket(bMeta).Get([]byte("province_id")))
	}
	return 0
}

// Counters of businesses.
func counterBizQueue(reviewer uint64, k BizKind) string {
	return fmt.Sprintf("biz_queue|%d|%s", reviewer, k)
}

func counterBizOrg(orgID uint64, st BizState) string { return fmt.Sprintf("biz_org|%d|%s", orgID, st) }
