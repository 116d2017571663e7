package handlers

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// 业务审核 (docs/businesses.md): 变更管理 / 补办管理 / 注销管理, each with
// 待审核 (the businesses waiting for the caller's organisation, oldest
// first) and 已审核 (those it reviewed, newest first); the review page of
// one business with 审核通过 and 审核不通过 for its current reviewer. The
// store decides who reviews what; the pages only offer it.

type reviewBizListData struct {
	Kind   store.BizKind
	Tab    store.ReviewTab
	Kinds  []store.BizKind
	Queue  map[store.BizKind]uint64 // 待审核 per kind, from the counters
	Page   store.BizPage
	Pager  pager
	Filter bizListQuery
	Error  string
}

func (s *Server) reviewBizList(c *fiber.Ctx) error {
	w := whoOf(c)
	q := parseBizListQuery(c)
	q.State, q.Org = "", ""
	kind := store.BizKind(q.Kind)
	if !store.ValidBizKind(kind) {
		kind = store.BizChange
	}
	q.Kind = string(kind)
	tab := store.ReviewPending
	if q.Tab == string(store.ReviewDone) {
		tab = store.ReviewDone
	}
	q.Tab = string(tab)
	page := pageParam(c)
	f, msg := q.filter(page, kind)
	status := fiber.StatusOK
	d := reviewBizListData{Kind: kind, Tab: tab, Kinds: store.BizKinds, Filter: q, Error: msg}
	if msg != "" {
		status = fiber.StatusUnprocessableEntity
	} else {
		res, err := s.st.ReviewBusinesses(actorOf(c), kind, tab, f)
		if err != nil {
			return err
		}
		d.Page = res
	}
	queue, err := s.st.BizQueueCounts(w.org.ID)
	if err != nil {
		return err
	}
	d.Queue = queue
	d.Pager = newPager("/reviews/business", q.values(), page, bizPageSize, d.Page.Total)
	if isHTMX(c) && c.Get("HX-Target") == "biz-table" {
		c.Set("HX-Push-Url", listURL("/reviews/business", q.values(), page))
		return s.fragment(c, status, tplReviewBizRows, d)
	}
	return s.render(c, status, tplReviewBizList, kind.Label()+"管理", d, nil)
}

// reviewBizData is the review page of a business.
type reviewBizData struct {
	bizDetail
	CanReview bool
	Reviewer  string // who holds it now, when it is pending elsewhere
	Form      map[string]string
}

func (s *Server) reviewBizPage(c *fiber.Ctx) error {
	b, err := s.bizOf(c)
	if err != nil {
		return err
	}
	return s.renderReviewBiz(c, fiber.StatusOK, b, nil, nil)
}

func (s *Server) renderReviewBiz(c *fiber.Ctx, status int, b store.Business, form, errs map[string]string) error {
	w := whoOf(c)
	if b.OrgID == w.org.ID {
		return fiber.ErrNotFound // an organisation never reviews its own; it uses 已申请业务
	}
	det, err := s.loadBizDetail(c, w, b, "/reviews/business/"+itoa(b.ID))
	if err != nil {
		return err
	}
	d := reviewBizData{bizDetail: det, Form: form}
	reviewer, err := s.bizReviewer(b)
	if err != nil {
		return err
	}
	d.CanReview = reviewer != 0 && reviewer == w.org.ID
	return s.render(c, status, tplReviewBiz, b.Kind.Label()+"审核 "+b.Number, d, errs)
}

// bizReviewer is the organisation that reviews the business in its state
// (0 when none does): the unit's dept, then the province.
func (s *Server) bizReviewer(b store.Business) (uint64, error) {
	switch b.State {
	case store.BizPendingDept:
		if len(b.OrgPath) > 0 {
			return b.OrgPath[len(b.OrgPath)-1], nil
		}
	case store.BizPendingProvince:
		p, err := s.st.ProvinceOrg()
		if err != nil {
			return 0, err
		}
		return p.ID, nil
	}
	return 0, nil
}

func (s *Server) approveBiz(c *fiber.Ctx) error {
	b, err := s.bizOf(c)
	if err != nil {
		return err
	}
	nb, err := s.st.ApproveBusiness(actorOf(c), b.ID)
	if err != nil {
		return s.reviewBizFail(c, b, err, nil)
	}
	var msg string
	switch {
	case nb.State == store.BizPendingProvince:
		msg = fmt.Sprintf("证书 %s 的%s申请审核通过，已提交省厅审核。", nb.Number, nb.Kind.Label())
	case nb.Kind == store.BizReissue:
		msg = fmt.Sprintf("证书 %s 的补办申请审核通过，已生成新证书 %s。", nb.Number, nb.NewNumber)
	case nb.Kind == store.BizCancel:
		msg = fmt.Sprintf("证书 %s 的注销申请审核通过，证书已注销。", nb.Number)
	default:
		msg = fmt.Sprintf("证书 %s 的变更申请审核通过，证书信息已更新。", nb.Number)
	}
	s.flash(c, msg)
	return s.redirect(c, "/reviews/business?kind="+string(nb.Kind))
}

func (s *Server) rejectBiz(c *fiber.Ctx) error {
	b, err := s.bizOf(c)
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	nb, err := s.st.RejectBusiness(actorOf(c), b.ID, reason)
	if err != nil {
		return s.reviewBizFail(c, b, err, map[string]string{"reason": reason})
	}
	s.flash(c, fmt.Sprintf("证书 %s 的%s申请审核不通过，已退回%s。", nb.Number, nb.Kind.Label(), nb.OrgName))
	return s.redirect(c, "/reviews/business?kind="+string(nb.Kind))
}

// reviewBizFail shows the review page again with why the move was
// refused: 422, the reason kept.
func (s *Server) reviewBizFail(c *fiber.Ctx, b store.Business, err error, form map[string]string) error {
	var errs map[string]string
	if errors.Is(err, store.ErrForbidden) {
		errs = map[string]string{"": "该业务当前为「" + b.State.Label() + "」，不在本机构的审核中，可能已被处理。请刷新页面。"}
	} else if errs, err = inputErrors(err); err != nil {
		return err
	}
	if r := errs["reason"]; r != "" {
		errs[""] = r
	}
	// The page shows the business as it is now.
	if nb, err := s.st.Business(actorOf(c), b.ID); err == nil {
		b = nb
	}
	return s.renderReviewBiz(c, fiber.StatusUnprocessableEntity, b, form, errs)
}
