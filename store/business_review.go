package store

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// The moves of a business:
//
//	(new) ─submit─▶ pending_dept ─approve─▶ pending_province ─approve─▶ approved
//	   (省直所: submit goes straight to pending_province)
//	pending_* ─reject(reason)─▶ rejected ─submit (corrected)─▶ pending_*
//	pending_*, rejected ─withdraw─▶ withdrawn
//
// The applying organisation submits and withdraws; the reviewer of the
// current state (the unit's dept for pending_dept, the province for
// pending_province) approves or rejects. The province's approval applies
// the business to the certificate in the same transaction.

// moveBizTx makes one move and everything that goes with it in the caller's
// transaction: the role check, the open-business index, the applicant's
// list and counters, the review queues, the reviewed lists, the overview
// index, the review log and, on final approval, the effect on the
// certificate. The caller logs the operation.
func (s *Store) moveBizTx(tx *bolt.Tx, u User, own Org, b *Business, action BizAction, reason string) error {
	from := b.State
	var to BizState
	doing := action.Label()
	switch action {
	case BizSubmit:
		if from != "" && from != BizRejected {
			return &BizStateError{State: from, Doing: "提交申请"}
		}
		if b.OrgID != own.ID {
			return fmt.Errorf("submit business %d by org %d: %w", b.ID, own.ID, ErrForbidden)
		}
		to = BizPendingDept
		if own.Type == Direct {
			to = BizPendingProvince
		}
	case BizWithdraw:
		if !from.Open() {
			return &BizStateError{State: from, Doing: doing}
		}
		if b.OrgID != own.ID {
			return fmt.Errorf("withdraw business %d by org %d: %w", b.ID, own.ID, ErrForbidden)
		}
		to = BizWithdrawn
	case BizApprove, BizReject:
		if !from.Pending() {
			return &BizStateError{State: from, Doing: doing}
		}
		if bizReviewerTx(tx, from, *b) != own.ID || !u.Can(own.Type, CapBusinessReview) {
			return fmt.Errorf("%s business %d in %s by org %d: %w", action, b.ID, from, own.ID, ErrForbidden)
		}
		switch {
		case action == BizReject:
			to = BizRejected
		case from == BizPendingDept:
			to = BizPendingProvince
		default:
			to = BizApproved
		}
	default:
		return fmt.Errorf("unknown business action %q", action)
	}
	if action == BizReject {
		reason = strings.TrimSpace(reason)
		switch {
		case reason == "":
			return invalid("reason", "请填写审核不通过的原因")
		case utf8.RuneCountInString(reason) > MaxReasonLen:
			return invalid("reason", fmt.Sprintf("原因不能超过 %d 个字", MaxReasonLen))
		}
	}
	now := s.Now()
	id := itob(b.ID)

	// Leave the old reviewer's queue, join the new one's.
	queue := tx.Bucket(bBizQueue)
	if from.Pending() {
		rid := bizReviewerTx(tx, from, *b)
		if err := queue.Delete(key(itob(rid), []byte{b.Kind.code()}, tsKey(b.Queued), id)); err != nil {
			return err
		}
		if _, err := incr(tx, counterBizQueue(rid, b.Kind), -1); err != nil {
			return err
		}
	}
	if to.Pending() {
		rid := bizReviewerTx(tx, to, *b)
		if rid == 0 {
			return fmt.Errorf("business %d in %s has no reviewer", b.ID, to)
		}
		b.Queued = now
		if err := queue.Put(key(itob(rid), []byte{b.Kind.code()}, tsKey(now), id), nil); err != nil {
			return err
		}
		if _, err := incr(tx, counterBizQueue(rid, b.Kind), 1); err != nil {
			return err
		}
	}
	// The reviewer's 已审核 list holds its last review of each business.
	if action == BizApprove || action == BizReject {
		reviewed := tx.Bucket(bBizReviewed)
		for _, e := range b.Log {
			if e.OrgID == own.ID && (e.Action == BizApprove || e.Action == BizReject) {
				if err := reviewed.Delete(key(itob(own.ID), []byte{b.Kind.code()}, tsKey(e.Time), id)); err != nil {
					return err
				}
			}
		}
		if err := reviewed.Put(key(itob(own.ID), []byte{b.Kind.code()}, tsKey(now), id), []byte{to.code()}); err != nil {
			return err
		}
		b.Reviewed = now
	}
	switch action {
	case BizSubmit:
		b.Round++
		b.Submitted = now
		b.RejectReason, b.RejectBy = "", ""
	case BizReject:
		b.RejectReason, b.RejectBy = reason, own.Name
	}
	b.State, b.Updated = to, now
	b.Log = append(b.Log, BizLogEntry{Time: now, Username: u.Username, UserName: u.Name, OrgID: own.ID, OrgName: own.Name,
		Action: action, From: from, To: to, Round: b.Round, Reason: reason})

	// The certificate's open business.
	open := tx.Bucket(bBizOpen)
	if to.Open() {
		if err := open.Put([]byte(b.Number), id); err != nil {
			return err
		}
	} else if cur := open.Get([]byte(b.Number)); cur != nil && btoi(cur) == b.ID {
		if err := open.Delete([]byte(b.Number)); err != nil {
			return err
		}
	}
	// The applicant's list and its counters, and the province's overview.
	if from != "" {
		if _, err := incr(tx, counterBizOrg(b.OrgID, from), -1); err != nil {
			return err
		}
	}
	if _, err := incr(tx, counterBizOrg(b.OrgID, to), 1); err != nil {
		return err
	}
	if err := tx.Bucket(bBizOrg).Put(key(itob(b.OrgID), tsKey(b.Created), id), []byte{b.Kind.code(), to.code()}); err != nil {
		return err
	}
	if err := putOverviewTx(tx, b.Created, 'B', b.ID, b.Kind, to, b.OrgID); err != nil {
		return err
	}
	if to == BizApproved {
		if err := s.applyBizTx(tx, u, own, b); err != nil {
			return err
		}
	}
	return putBusinessTx(tx, *b)
}

// putOverviewTx writes the overview entry of a business (source 'B') or a
// batch's registration ('G'): when it began, what it is, where it stands and
// whose it is, so the overview filters without decoding records.
func putOverviewTx(tx *bolt.Tx, at interface{ UnixMilli() int64 }, source byte, id uint64, k BizKind, st BizState, orgID uint64) error {
	b := tx.Bucket(bBizOverview)
	b.FillPercent = 0.9
	v := make([]byte, 0, 10)
	v = append(v, k.code(), st.code())
	v = append(v, itob(orgID)...)
	return b.Put(overviewKey(at.UnixMilli(), source, id), v)
}

func overviewKey(ms int64, source byte, id uint64) []byte {
	if ms < 0 {
		ms = 0
	}
	return key(itob(uint64(ms)), []byte{source}, itob(id))
}

// reviewerTx checks that the actor may review businesses and returns its
// user and organisation.
func reviewerTx(tx *bolt.Tx, a Actor) (User, Org, error) {
	u, own, err := actorTx(tx, a)
	if err != nil {
		return User{}, Org{}, err
	}
	if !u.Can(own.Type, CapBusinessReview) {
		return User{}, Org{}, ErrForbidden
	}
	return u, own, nil
}

// ApproveBusiness approves a business as its current reviewer: a dept sends
// it on to the province; the province's approval changes the certificate.
func (s *Store) ApproveBusiness(a Actor, id uint64) (Business, error) {
	return s.reviewBusiness(a, id, BizApprove, "")
}

// RejectBusiness rejects a business with a reason; the applicant may correct
// and resubmit it, or withdraw it.
func (s *Store) RejectBusiness(a Actor, id uint64, reason string) (Business, error) {
	return s.reviewBusiness(a, id, BizReject, reason)
}

func (s *Store) reviewBusiness(a Actor, id uint64, action BizAction, reason string) (Business, error) {
	var b Business
	err := s.db.Update(func(tx *bolt.Tx) error {
		u, own, err := reviewerTx(tx, a)
		if err != nil {
			return err
		}
		if b, err = businessForTx(tx, a, id); err != nil {
			return err
		}
		if err := s.moveBizTx(tx, u, own, &b, action, reason); err != nil {
			return err
		}
		act, detail := ActBizApprove, b.Kind.Label()
		if action == BizReject {
			act, detail = ActBizReject, b.Kind.Label()+"，原因："+strings.TrimSpace(reason)
		} else if b.State == BizApproved {
			detail += "，已生效：" + b.Summary()
		}
		return s.logTx(tx, a, act, b.Number, detail)
	})
	return b, err
}

// applyBizTx is the effect of the province's approval on the certificate,
// in the approval's transaction: a 变更 updates the holder's fields, bumps
// the version and keeps the old values in the history; a 补办 issues a new
// number from the current year's segment of the same occupation, level and
// region, keeping the original 发证日期, and supersedes the old number; a 注销
// cancels. Every index and counter moves with it.
func (s *Store) applyBizTx(tx *bolt.Tx, u User, own Org, b *Business) error {
	var c Certificate
	if err := getCert(tx.Bucket(bCerts), []byte(b.Number), &c); err != nil {
		return fmt.Errorf("certificate %s of business %d: %w", b.Number, b.ID, err)
	}
	if c.Status != CertValid {
		return invalid("", fmt.Sprintf("证书 %s 当前为%s状态，不能再办理%s；请审核不通过并说明原因", c.Number, c.Status.Label(), b.Kind.Label()))
	}
	now := s.Now()
	ev := CertEvent{Time: now, Kind: b.Kind.Label(), Username: u.Username, OrgName: own.Name}
	switch b.Kind {
	case BizChange:
		if c.Version != b.CertVersion {
			return invalid("", fmt.Sprintf("证书 %s 在申请后已被修改（版本 %d → %d），请审核不通过，由单位核对后重新提交", c.Number, b.CertVersion, c.Version))
		}
		// The rules again: the new ID number may have been taken meanwhile.
		nv, err := checkChangeTx(tx, c, BizApplication{Kind: BizChange, NewName: b.New.Name, NewIDNumber: b.New.IDNumber, NewWorkUnit: b.New.WorkUnit})
		if err != nil {
			if ve, ok := err.(*ValidationError); ok {
				return invalid("", "变更内容已不符合要求："+ve.Message)
			}
			return err
		}
		old := c
		holders := tx.Bucket(bCertHolder)
		if nv.IDNumber != "" {
			if err := holders.Delete(holderKey(c.IDNumber, c.Occupation, c.Level)); err != nil {
				return err
			}
			c.IDNumber, c.Gender = nv.IDNumber, nv.Gender
			if err := holders.Put(holderKey(c.IDNumber, c.Occupation, c.Level), []byte(c.Number)); err != nil {
				return err
			}
		}
		if nv.Name != "" {
			c.Name = nv.Name
		}
		if nv.WorkUnit != "" {
			c.WorkUnit = nv.WorkUnit
		}
		c.Version++
		ev.Detail = fmt.Sprintf("业务 %d：%s（版本 %d → %d）", b.ID, b.Summary(), old.Version, c.Version)
		if nv.Name != "" || nv.IDNumber != "" {
			// The paper shows the old name or number: it needs printing again.
			c.Printed = false
			ev.Detail += "；需重新打印"
		}
		c.History = append(c.History, ev)
		if err := reindexCertTx(tx, &old, &c); err != nil {
			return err
		}
		if err := s.putCertTx(tx, c); err != nil {
			return err
		}
		if nv.Name != "" || nv.IDNumber != "" {
			return markBizPrintTx(tx, c.OrgID, c.Number, b.ID)
		}
		return nil
	case BizCancel:
		ev.Detail = fmt.Sprintf("业务 %d：注销。原因：%s", b.ID, b.Reason)
		if err := s.changeCertStatusTx(tx, &c, CertCancelled, ev); err != nil {
			return err
		}
		return s.putCertTx(tx, c)
	case BizReissue:
		nc, err := s.reissueTx(tx, &c, b, ev)
		if err != nil {
			return err
		}
		b.NewNumber = nc.Number
		return markBizPrintTx(tx, nc.OrgID, nc.Number, b.ID)
	}
	return fmt.Errorf("business %d of unknown kind %q", b.ID, b.Kind)
}

// reissueTx supersedes old with a new certificate under a new number of the
// current year's segment (same occupation, level and region), which keeps
// the holder, the batch and the original 发证日期.
func (s *Store) reissueTx(tx *bolt.Tx, old *Certificate, b *Business, ev CertEvent) (Certificate, error) {
	now := s.Now()
	first, sg, err := allocateTx(tx, IssueDay(now).Year(), old.Region, old.Occupation, old.Level, 1, now)
	if err != nil {
		return Certificate{}, err
	}
	nc := *old
	nc.Number = fmt.Sprintf("%s%04d", sg.Code, first)
	nc.Status, nc.Version = CertValid, 1
	nc.Printed, nc.PrintCount, nc.LastPrinted, nc.LastPrintedBy = false, 0, time.Time{}, ""
	nc.Replaces, nc.ReplacedBy = old.Number, ""
	nc.History = []CertEvent{{Time: now, Kind: "补办", Username: ev.Username, OrgName: ev.OrgName,
		Detail: fmt.Sprintf("业务 %d：补办自证书 %s，发证日期沿用原证书。原因：%s", b.ID, old.Number, b.Reason)}}
	ev.Detail = fmt.Sprintf("业务 %d：补办为新证书 %s。原因：%s", b.ID, nc.Number, b.Reason)
	old.ReplacedBy = nc.Number
	if err := s.changeCertStatusTx(tx, old, CertSuperseded, ev); err != nil {
		return Certificate{}, err
	}
	if err := s.putCertTx(tx, *old); err != nil {
		return Certificate{}, err
	}
	// The new certificate: record, holder and batch indexes, list indexes
	// and the valid counters of its organisation and those above.
	if tx.Bucket(bCerts).Get([]byte(nc.Number)) != nil {
		return Certificate{}, fmt.Errorf("reissue number %s already exists", nc.Number)
	}
	if err := s.putCertTx(tx, nc); err != nil {
		return Certificate{}, err
	}
	hk := holderKey(nc.IDNumber, nc.Occupation, nc.Level)
	if cur := tx.Bucket(bCertHolder).Get(hk); cur != nil {
		return Certificate{}, invalid("", fmt.Sprintf("持证人已持有同职业（工种）同等级的有效证书 %s，不能补办", cur))
	}
	if err := tx.Bucket(bCertHolder).Put(hk, []byte(nc.Number)); err != nil {
		return Certificate{}, err
	}
	if nc.BatchID != 0 {
		if err := putIndexFill(tx.Bucket(bCertBatch), key(itob(nc.BatchID), []byte(nc.Number))); err != nil {
			return Certificate{}, err
		}
	}
	if err := reindexCertTx(tx, nil, &nc); err != nil {
		return Certificate{}, err
	}
	for _, id := range nc.Scopes() {
		if _, err := incr(tx, counterValidOrg(id), 1); err != nil {
			return Certificate{}, err
		}
	}
	// The statistics: a valid certificate more on the original 发证日期,
	// no new registration.
	if err := statsAddTx(tx, nc, false); err != nil {
		return Certificate{}, err
	}
	return nc, nil
}

// markBizPrintTx lists a certificate under its organisation's 业务打印 until
// it is next printed (or marked printed by hand).
func markBizPrintTx(tx *bolt.Tx, orgID uint64, number string, bizID uint64) error {
	return tx.Bucket(bBizPrint).Put(key(itob(orgID), []byte(number)), itob(bizID))
}

func unmarkBizPrintTx(tx *bolt.Tx, orgID uint64, number string) error {
	return tx.Bucket(bBizPrint).Delete(key(itob(orgID), []byte(number)))
}
