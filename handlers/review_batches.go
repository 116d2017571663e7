package handlers

import (
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

const reviewPageSize = 20

type reviewListData struct {
	Tab      store.ReviewTab
	Rows     []store.ReviewRow
	Pending  uint64
	Done     uint64
	Filter   reviewQuery
	Orgs     []store.Org
	Pager    pager
	Province bool
}

type reviewQuery struct {
	Tab, Org, Q, From, To, Result string
}

// reviewBatches is 批次审核: the batches waiting for the caller's
// organisation (待审核) and those it has reviewed (已审核).
func (s *Server) reviewBatches(c *fiber.Ctx) error {
	w := whoOf(c)
	q := reviewQuery{Tab: c.Query("tab", "pending"), Org: c.Query("org"), Q: c.Query("q"), From: c.Query("from"), To: c.Query("to"), Result: c.Query("result")}
	tab := store.ReviewPending
	if q.Tab == "done" {
		tab = store.ReviewDone
	}
	q.Tab = string(tab)
	f := store.ReviewFilter{Tab: tab, OrgID: parseUint(q.Org), Q: q.Q, Result: store.BatchAction(q.Result)}
	if t, err := time.ParseInLocation("2006-01-02", q.From, cst); err == nil {
		f.From = t
	}
	if t, err := time.ParseInLocation("2006-01-02", q.To, cst); err == nil {
		f.To = t.Add(24*time.Hour - time.Millisecond)
	}
	page := pageParam(c)
	f.Offset, f.Limit = (page-1)*reviewPageSize, reviewPageSize
	a := w.actor(c.IP())
	rows, total, err := s.st.ReviewBatches(a, f)
	if err != nil {
		return err
	}
	pending, done, err := s.st.ReviewCounts(a)
	if err != nil {
		return err
	}
	orgs, _, err := s.st.Orgs(w.org, store.OrgFilter{All: true})
	if err != nil {
		return err
	}
	var submitters []store.Org
	for _, o := range orgs {
		if o.Type == store.Unit || o.Type == store.Direct {
			submitters = append(submitters, o)
		}
	}
	d := reviewListData{Tab: tab, Rows: rows, Pending: pending, Done: done, Filter: q, Orgs: submitters, Province: w.org.Type == store.Province,
		Pager: newPager("/reviews/batches", url.Values{"tab": {q.Tab}, "org": {q.Org}, "q": {q.Q}, "from": {q.From}, "to": {q.To}, "result": {q.Result}}, page, reviewPageSize, total)}
	if isHTMX(c) && c.Get("HX-Target") == "review-table" {
		return s.fragment(c, fiber.StatusOK, tplReviewRows, d)
	}
	return s.render(c, fiber.StatusOK, tplReviews, "批次审核", d, nil)
}

const reviewCandPage = 100

type reviewData struct {
	Batch      store.Batch
	Org        store.Org
	Tab        string
	Candidates []store.CandidateView
	Current    *store.CandidateView
	Log        []store.ReviewEntry
	Pager      pager
	CanReview  bool // the caller's organisation holds the batch now
	Image      int  // materials tab: the image shown large (1-based; 0 none)
	Certs      []store.Certificate
	Error      string // a refused mark, shown in the details pane
}

// reviewBatch is the review workspace: candidates on the left, the selected
// one's details on the right, the materials and the review log in tabs.
func (s *Server) reviewBatch(c *fiber.Ctx) error { return s.renderReview(c, fiber.StatusOK, nil) }

func (s *Server) loadReview(c *fiber.Ctx) (reviewData, error) {
	w := whoOf(c)
	id, err := idParam(c)
	if err != nil {
		return reviewData{}, err
	}
	a := w.actor(c.IP())
	b, err := s.st.Batch(a, id)
	if err != nil {
		return reviewData{}, err
	}
	if b.OrgID == w.org.ID || b.State == store.BatchDraft {
		return reviewData{}, fiber.ErrNotFound // a reviewer never sees drafts; owners use 我的批次
	}
	org, err := s.st.Org(b.OrgID)
	if err != nil {
		return reviewData{}, err
	}
	d := reviewData{Batch: b, Org: org, Tab: c.Query("tab", "people")}
	d.CanReview = b.State.UnderReview() && s.reviewerOf(b, org) == w.org.ID
	return d, nil
}

// reviewerOf is the organisation that reviews the batch in its state.
func (s *Server) reviewerOf(b store.Batch, owner store.Org) uint64 {
	switch b.State {
	case store.BatchPendingDept:
		return owner.ParentID
	case store.BatchPendingProvince:
		if p, err := s.st.ProvinceOrg(); err == nil {
			return p.ID
		}
	}
	return 0
}

func (s *Server) renderReview(c *fiber.Ctx, status int, errs map[string]string) error {
	w := whoOf(c)
	d, err := s.loadReview(c)
	if err != nil {
		return err
	}
	a := w.actor(c.IP())
	if d.Tab == "certs" && d.Batch.State != store.BatchApproved {
		d.Tab = "people"
	}
	switch d.Tab {
	case "materials":
		d.Image, _ = strconv.Atoi(c.Query("img"))
		if d.Image < 0 || d.Image > len(d.Batch.Images()) {
			d.Image = 0
		}
	case "log":
		if d.Log, err = s.st.BatchLog(a, d.Batch.ID); err != nil {
			return err
		}
	case "certs":
	default:
		d.Tab = "people"
		page := pageParam(c)
		if d.Candidates, err = s.st.BatchCandidates(a, d.Batch.ID, (page-1)*reviewCandPage, reviewCandPage); err != nil {
			return err
		}
		d.Pager = newPager("/reviews/batches/"+itoa(d.Batch.ID), url.Values{}, page, reviewCandPage, d.Batch.Count)
		sel := parseUint(c.Query("c"))
		for i := range d.Candidates {
			if d.Candidates[i].ID == sel || (sel == 0 && i == 0) {
				cv := d.Candidates[i]
				d.Current = &cv
			}
		}
	}
	if d.Batch.State == store.BatchApproved {
		if d.Certs, err = s.st.BatchCertificates(w.org, d.Batch.ID); err != nil {
			return err
		}
	}
	return s.render(c, status, tplReview, d.Batch.Name, d, errs)
}

// reviewCandidate answers the details pane of one candidate (htmx).
func (s *Server) reviewCandidate(c *fiber.Ctx) error {
	w := whoOf(c)
	d, err := s.loadReview(c)
	if err != nil {
		return err
	}
	cv, err := s.st.BatchCandidate(w.actor(c.IP()), d.Batch.ID, parseUint(c.Params("cid")))
	if err != nil {
		return err
	}
	d.Current = &cv
	if !isHTMX(c) {
		return s.redirect(c, "/reviews/batches/"+itoa(d.Batch.ID)+"?c="+itoa(cv.ID))
	}
	return s.fragment(c, fiber.StatusOK, tplReviewDetail, d)
}

// markCandidate sets or clears a 不通过 mark and answers the details pane
// with the list item and the action bar swapped out of band.
func (s *Server) markCandidate(c *fiber.Ctx) error {
	w := whoOf(c)
	d, err := s.reviewable(c)
	if err != nil {
		return err
	}
	a := w.actor(c.IP())
	cid := parseUint(c.Params("cid"))
	failed := c.FormValue("failed") == "1"
	b, err := s.st.MarkCandidate(a, d.Batch.ID, cid, failed, c.FormValue("note"))
	if err != nil {
		if msg, ok := userMessage(err); ok {
			cv, cerr := s.st.BatchCandidate(a, d.Batch.ID, cid)
			if cerr != nil {
				return cerr
			}
			d.Current = &cv
			c.Set("HX-Retarget", "#cand-detail")
			d.Error = msg
			return s.fragment(c, fiber.StatusUnprocessableEntity, tplReviewDetail, d)
		}
		return s.reviewError(c, err)
	}
	d.Batch = b
	cv, err := s.st.BatchCandidate(a, d.Batch.ID, cid)
	if err != nil {
		return err
	}
	d.Current = &cv
	msg := "已清除不通过标记。"
	if failed {
		msg = "已标记为审核不通过。"
	}
	c.Set("HX-Trigger", toastTrigger(msg, "ok"))
	return s.fragment(c, fiber.StatusOK, tplReviewMarked, d)
}

// reviewable loads a batch for a review action: it must be with the
// caller's organisation now.
func (s *Server) reviewable(c *fiber.Ctx) (reviewData, error) {
	d, err := s.loadReview(c)
	if err != nil {
		return d, err
	}
	if !d.CanReview {
		return d, notReviewable(d.Batch)
	}
	return d, nil
}

// notReviewable answers a move on a batch the caller's organisation does
// not hold now (a stale page, or another reviewer was faster).
func notReviewable(b store.Batch) error {
	return fiber.NewError(fiber.StatusUnprocessableEntity, "该批次当前为「"+b.State.Label()+"」，不在本机构的审核中，可能已被处理。请刷新页面。")
}

// reviewError turns a refused move (a stale page, another reviewer was
// faster) into a clear message.
func (s *Server) reviewError(c *fiber.Ctx, err error) error {
	var se *store.StateError
	if errors.As(err, &se) {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "该批次当前状态为「"+se.State.Label()+"」，不能"+se.Doing+"。可能已被其他审核人员处理，请刷新页面。")
	}
	if errors.Is(err, store.ErrForbidden) {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "该批次已不在本机构的审核中，可能已被处理，请刷新页面。")
	}
	return err
}

func (s *Server) approveBatch(c *fiber.Ctx) error {
	w := whoOf(c)
	d, err := s.reviewable(c)
	if err != nil {
		return err
	}
	b, err := s.st.ApproveBatch(w.actor(c.IP()), d.Batch.ID)
	if err != nil {
		if msg, ok := userMessage(err); ok {
			return s.renderReview(c, fiber.StatusUnprocessableEntity, map[string]string{"": msg})
		}
		return s.reviewError(c, err)
	}
	switch b.State {
	case store.BatchApproved:
		s.flash(c, "批次「"+b.Name+"」审核通过，已生成 "+strconv.Itoa(b.Count)+" 张证书。")
	default:
		s.flash(c, "批次「"+b.Name+"」审核通过，已提交省厅审核。")
	}
	return s.redirect(c, "/reviews/batches/"+itoa(b.ID))
}

func (s *Server) rejectBatch(c *fiber.Ctx) error {
	w := whoOf(c)
	d, err := s.reviewable(c)
	if err != nil {
		return err
	}
	b, err := s.st.RejectBatch(w.actor(c.IP()), d.Batch.ID, c.FormValue("reason"), nil)
	if err != nil {
		errs, ferr := inputErrors(err)
		if ferr == nil {
			errs["reason"] = errs[firstKey(errs)]
			return s.renderReview(c, fiber.StatusUnprocessableEntity, errs)
		}
		return s.reviewError(c, err)
	}
	s.flash(c, "批次「"+b.Name+"」审核不通过，已退回"+d.Org.Name+"。")
	return s.redirect(c, "/reviews/batches?tab=done")
}

func firstKey(m map[string]string) string {
	for k := range m {
		if k != "" {
			return k
		}
	}
	return ""
}
