package handlers

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"certreg/candidate"
	"certreg/store"
)

// The batch page: details, candidates (full ID numbers: the batch is in the
// caller's scope), materials and the review log; for the owner of a draft or
// rejected batch also rename, delete, online editing, re-import, materials
// and submit.

type candRow struct {
	BatchID  uint64
	Editable bool
	V        store.CandidateView
}

type batchPageData struct {
	Batch     store.Batch
	Owner     store.Org
	Mine      bool
	Editable  bool
	Tab       string
	Rows      []candRow
	Pager     pager
	Log       []store.ReviewEntry
	Import    *importView
	Add       candForm
	Problems  []candidate.RowError
	Form      map[string]string
	ReviewURL string
	DocsLeft  int
	ImgsLeft  int
}

type batchOpts struct {
	tab      string
	errs     map[string]string
	form     map[string]string
	imp      *importView
	add      *candForm
	problems []candidate.RowError
}

const candPageSize = 50

func (s *Server) batchPage(c *fiber.Ctx) error {
	b, err := s.batchOf(c)
	if err != nil {
		return err
	}
	return s.renderBatch(c, fiber.StatusOK, b, batchOpts{tab: c.Query("tab")})
}

func (s *Server) renderBatch(c *fiber.Ctx, status int, b store.Batch, o batchOpts) error {
	w := whoOf(c)
	a := actorOf(c)
	owner, err := s.st.Org(b.OrgID)
	if err != nil {
		return err
	}
	d := batchPageData{Batch: b, Owner: owner, Mine: b.OrgID == w.org.ID && w.can(store.CapBatchManage),
		Tab: o.tab, Import: o.imp, Problems: o.problems, Form: o.form}
	d.Editable = d.Mine && b.State.Editable()
	d.DocsLeft = store.MaxBatchDocs - len(b.Docs())
	d.ImgsLeft = store.MaxBatchImages - len(b.Images())
	switch d.Tab {
	case "candidates", "materials", "log":
	default:
		d.Tab = "candidates"
	}
	if s.mayOpen(w, "/reviews/batches") {
		d.ReviewURL = "/reviews/batches"
	}
	if d.Log, err = s.st.BatchLog(a, b.ID); err != nil {
		return err
	}
	page := pageParam(c)
	if d.Tab != "candidates" {
		page = 1
	}
	d.Pager = newPager("/batches/"+itoa(b.ID), url.Values{"tab": {"candidates"}}, page, candPageSize, b.Count)
	views, err := s.st.BatchCandidates(a, b.ID, (d.Pager.Page-1)*candPageSize, candPageSize)
	if err != nil {
		return err
	}
	for _, v := range views {
		d.Rows = append(d.Rows, candRow{BatchID: b.ID, Editable: d.Editable, V: v})
	}
	if o.add != nil {
		d.Add = *o.add
	} else if d.Editable {
		if d.Add, err = s.candForm(c, b, 0, candidate.Raw{}); err != nil {
			return err
		}
	}
	return s.render(c, status, tplBatch, b.Name, d, o.errs)
}

// batchFail re-renders the batch page with the message of a refused action
// (422), or returns the error when it is not the user's.
func (s *Server) batchFail(c *fiber.Ctx, b store.Batch, err error, field, tab string, form map[string]string) error {
	msg, ok := userMessage(err)
	if !ok {
		return err
	}
	if fresh, ferr := s.st.Batch(actorOf(c), b.ID); ferr == nil {
		b = fresh
	}
	errs := map[string]string{"": msg}
	if field != "" {
		errs[field] = msg
	}
	var ie *store.ImportError
	var problems []candidate.RowError
	if errors.As(err, &ie) {
		problems = ie.Errors
	}
	return s.renderBatch(c, fiber.StatusUnprocessableEntity, b, batchOpts{tab: tab, errs: errs, form: form, problems: problems})
}

func (s *Server) renameBatch(c *fiber.Ctx) error {
	b, err := s.batchOf(c)
	if err != nil {
		return err
	}
	name := c.FormValue("name")
	nb, err := s.st.RenameBatch(actorOf(c), b.ID, name)
	if err != nil {
		return s.batchFail(c, b, err, "name", "candidates", map[string]string{"name": name})
	}
	s.flash(c, "批次名称已修改为「"+nb.Name+"」。")
	return s.redirect(c, "/batches/"+itoa(b.ID))
}

func (s *Server) deleteBatch(c *fiber.Ctx) error {
	b, err := s.batchOf(c)
	if err != nil {
		return err
	}
	if err := s.st.DeleteBatch(actorOf(c), b.ID); err != nil {
		return s.batchFail(c, b, err, "", "candidates", nil)
	}
	s.flash(c, "批次「"+b.Name+"」已删除。")
	return s.redirect(c, "/batches?tab=draft")
}

func (s *Server) submitBatch(c *fiber.Ctx) error {
	b, err := s.batchOf(c)
	if err != nil {
		return err
	}
	nb, err := s.st.SubmitBatch(actorOf(c), b.ID)
	if err != nil {
		return s.batchFail(c, b, err, "", "candidates", nil)
	}
	to := "主管部门"
	if nb.State == store.BatchPendingProvince {
		to = "省厅"
	}
	s.flash(c, fmt.Sprintf("批次「%s」已提交%s审核。", nb.Name, to))
	return s.redirect(c, "/batches/"+itoa(b.ID))
}
