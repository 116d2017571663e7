package handlers

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// 已申请业务 (docs/businesses.md): every business the organisation applied
// for with kind and state filters, a search and paging; the detail of one
// with its withdrawal (pending or rejected) and, when rejected, its
// correction and resubmission.

const bizPageSize = 20

// bizListQuery is a business list's filters as typed.
type bizListQuery struct {
	Kind, State, Q, From, To, Org, Tab string
}

func (q bizListQuery) values() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"kind": q.Kind, "state": q.State, "q": q.Q, "from": q.From, "to": q.To, "org": q.Org, "tab": q.Tab} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

func parseBizListQuery(c *fiber.Ctx) bizListQuery {
	q := bizListQuery{Kind: c.Query("kind"), State: c.Query("state"), Q: c.Query("q"), From: c.Query("from"), To: c.Query("to"),
		Org: c.Query("org"), Tab: c.Query("tab")}
	for _, p := range []*string{&q.Kind, &q.State, &q.Q, &q.From, &q.To, &q.Org, &q.Tab} {
		*p = strings.TrimSpace(*p)
		if len(*p) > 60 {
			*p = (*p)[:60]
		}
	}
	return q
}

// filter turns the query into a store filter; unknown kinds and states are
// dropped, a bad date is a message.
func (q *bizListQuery) filter(page int, kinds ...store.BizKind) (store.BizFilter, string) {
	f := store.BizFilter{Q: q.Q, Offset: (page - 1) * bizPageSize, Limit: bizPageSize}
	for _, k := range kinds {
		if string(k) == q.Kind {
			f.Kind = k
		}
	}
	if f.Kind == "" {
		q.Kind = ""
	}
	for _, st := range store.BizStates {
		if string(st) == q.State {
			f.State = st
		}
	}
	if f.State == "" {
		q.State = ""
	}
	errs := map[string]string{}
	f.From, f.To = dateRange(q.From, q.To, errs)
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // the store's ranges end before To
	}
	return f, firstValue(errs)
}

type bizAppliedData struct {
	Filter bizListQuery
	Page   store.BizPage
	Pager  pager
	Kinds  []store.BizKind
	States []store.BizState
	Error  string
}

func (s *Server) bizApplied(c *fiber.Ctx) error {
	q := parseBizListQuery(c)
	q.From, q.To, q.Org, q.Tab = "", "", "", ""
	page := pageParam(c)
	f, _ := q.filter(page, store.BizKinds...)
	res, err := s.st.AppliedBusinesses(actorOf(c), f)
	if err != nil {
		return err
	}
	d := bizAppliedData{Filter: q, Page: res, Kinds: store.BizKinds, States: store.BizStates,
		Pager: newPager("/business/applied", q.values(), page, bizPageSize, res.Total)}
	if isHTMX(c) && c.Get("HX-Target") == "biz-table" {
		c.Set("HX-Push-Url", listURL("/business/applied", q.values(), page))
		return s.fragment(c, fiber.StatusOK, tplBizAppliedRows, d)
	}
	return s.render(c, fiber.StatusOK, tplBizApplied, "已申请业务", d, nil)
}

// listURL is a list's address with its filters and page.
func listURL(base string, v url.Values, page int) string {
	if page > 1 {
		v.Set("page", fmt.Sprint(page))
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

// bizShowData is a business seen by its applicant or by the province's
// overview.
type bizShowData struct {
	bizDetail
	Crumb, CrumbURL          string
	CanWithdraw, CanResubmit bool
}

// ownBiz loads a business the caller's organisation applied for.
func (s *Server) ownBiz(c *fiber.Ctx) (store.Business, error) {
	b, err := s.bizOf(c)
	if err != nil {
		return b, err
	}
	if b.OrgID != whoOf(c).org.ID {
		return store.Business{}, fiber.ErrNotFound
	}
	return b, nil
}

func (s *Server) bizAppliedPage(c *fiber.Ctx) error {
	b, err := s.ownBiz(c)
	if err != nil {
		return err
	}
	return s.renderBizApplied(c, fiber.StatusOK, b, "")
}

func (s *Server) renderBizApplied(c *fiber.Ctx, status int, b store.Business, msg string) error {
	w := whoOf(c)
	det, err := s.loadBizDetail(c, w, b, bizAppliedURL(b.ID))
	if err != nil {
		return err
	}
	d := bizShowData{bizDetail: det, Crumb: "已申请业务", CrumbURL: "/business/applied",
		CanWithdraw: b.State.Open(), CanResubmit: b.State == store.BizRejected}
	var errs map[string]string
	if msg != "" {
		errs = map[string]string{"": msg}
	}
	return s.render(c, status, tplBizShow, b.Kind.Label()+"业务 "+b.Number, d, errs)
}

func (s *Server) bizWithdraw(c *fiber.Ctx) error {
	b, err := s.ownBiz(c)
	if err != nil {
		return err
	}
	nb, err := s.st.WithdrawBusiness(actorOf(c), b.ID)
	if err != nil {
		if msg, ok := userMessage(err); ok {
			return s.renderBizApplied(c, fiber.StatusUnprocessableEntity, b, msg)
		}
		return err
	}
	s.flash(c, fmt.Sprintf("已撤回证书 %s 的%s申请。", nb.Number, nb.Kind.Label()))
	return s.redirect(c, bizAppliedURL(nb.ID))
}

// bizEditPage is the correction form of a rejected business, prefilled
// with what it asked for.
func (s *Server) bizEditPage(c *fiber.Ctx) error {
	w := whoOf(c)
	b, err := s.ownBiz(c)
	if err != nil {
		return err
	}
	if b.State != store.BizRejected {
		s.flash(c, "该业务当前为「"+b.State.Label()+"」，只有审核不通过的业务可以修改后重新提交。")
		return s.redirect(c, bizAppliedURL(b.ID))
	}
	cert, err := s.ownCert(w, b.Number)
	if err != nil {
		return err
	}
	f := bizForm{Kind: b.Kind, Number: b.Number, NewName: b.New.Name, NewIDNumber: b.New.IDNumber, NewWorkUnit: b.New.WorkUnit, Reason: b.Reason}
	return s.render(c, fiber.StatusOK, tplBizNew, bizFormTitle(b.Kind, &b), s.editFormData(w, f, cert, b), nil)
}

func (s *Server) editFormData(w *who, f bizForm, cert store.Certificate, b store.Business) bizFormData {
	d := s.newBizFormData(w, f, cert)
	d.Biz = &b
	d.Action = bizAppliedURL(b.ID) + "/resubmit"
	return d
}

func (s *Server) bizResubmit(c *fiber.Ctx) error {
	w := whoOf(c)
	b, err := s.ownBiz(c)
	if err != nil {
		return err
	}
	cert, err := s.ownCert(w, b.Number)
	if err != nil {
		return err
	}
	form, upErr := s.readUpload(c, proofsUpload, nil)
	defer form.close()
	if form == nil {
		return upErr
	}
	f := parseBizForm(form)
	f.Kind, f.Number = b.Kind, b.Number // the kind and certificate stay
	d := s.editFormData(w, f, cert, b)
	if upErr != nil {
		return s.bizFormFail(c, d, upErr)
	}
	nb, err := s.st.ResubmitBusiness(w.actor(c.IP()), b.ID, f.application(form.files))
	if err != nil {
		return s.bizFormFail(c, d, err)
	}
	s.flash(c, fmt.Sprintf("已重新提交证书 %s 的%s申请，等待%s审核。", nb.Number, nb.Kind.Label(), reviewerName(nb.State)))
	return s.redirect(c, bizAppliedURL(nb.ID))
}
