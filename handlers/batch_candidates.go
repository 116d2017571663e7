package handlers

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"certreg/candidate"
	"certreg/files"
	"certreg/sheets"
	"certreg/store"
)

// Online editing of a draft or rejected batch: add, edit in place, remove
// one candidate (the rules of the import, errors inline with 422), and
// re-import the whole list.

func candParam(c *fiber.Ctx) (uint64, error) {
	id, err := strconv.ParseUint(c.Params("cid"), 10, 64)
	if err != nil || id == 0 {
		return 0, fiber.ErrNotFound
	}
	return id, nil
}

// htmxFail answers an htmx action that was refused with a toast and no swap.
func htmxFail(c *fiber.Ctx, msg string) error {
	c.Set("HX-Trigger", toastTrigger(msg, "error"))
	c.Set("HX-Reswap", "none")
	return c.Status(fiber.StatusUnprocessableEntity).SendString(msg)
}

// candidateRow is one row of the table (htmx: after an edit is cancelled).
func (s *Server) candidateRow(c *fiber.Ctx) error {
	b, v, err := s.batchCandidate(c)
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect("/batches/"+itoa(b.ID), fiber.StatusSeeOther)
	}
	w := whoOf(c)
	return s.partial(c, fiber.StatusOK, tplCandRow, candRow{BatchID: b.ID, V: v,
		Editable: b.OrgID == w.org.ID && w.can(store.CapBatchManage) && b.State.Editable()})
}

// editCandidate is the edit form of one candidate: a table row in place for
// htmx, a page otherwise.
func (s *Server) editCandidate(c *fiber.Ctx) error {
	b, v, err := s.batchCandidate(c)
	if err != nil {
		return err
	}
	if b.OrgID != whoOf(c).org.ID || !b.State.Editable() {
		msg := (&store.StateError{State: b.State, Doing: "修改合格人员"}).Error()
		if b.OrgID != whoOf(c).org.ID {
			return s.deny(c)
		}
		if isHTMX(c) {
			return htmxFail(c, msg)
		}
		return fiber.NewError(fiber.StatusUnprocessableEntity, msg)
	}
	f, err := s.candForm(c, b, v.ID, v.Raw())
	if err != nil {
		return err
	}
	f.Seq = v.Seq
	f.editing(v.Candidate)
	return s.renderCandEdit(c, fiber.StatusOK, b, f)
}

func (s *Server) renderCandEdit(c *fiber.Ctx, status int, b store.Batch, f candForm) error {
	if isHTMX(c) {
		return s.partial(c, status, tplCandEdit, f)
	}
	errs := map[string]string{}
	if f.Message != "" {
		errs[""] = f.Message
	}
	return s.render(c, status, tplCandidate, "修改合格人员", fiber.Map{"Batch": b, "Form": f}, errs)
}

func (s *Server) updateCandidate(c *fiber.Ctx) error {
	b, err := s.batchOf(c)
	if err != nil {
		return err
	}
	cid, err := candParam(c)
	if err != nil {
		return err
	}
	raw := rawOf(c)
	cand, err := s.st.UpdateCandidate(actorOf(c), b.ID, cid, formRev(c), raw)
	if err != nil {
		f, ferr := s.candForm(c, b, cid, raw)
		if ferr != nil {
			return ferr
		}
		f.Rev, f.Base = formRev(c), c.FormValue("base")
		v, verr := s.st.BatchCandidate(actorOf(c), b.ID, cid)
		if verr == nil {
			f.Seq = v.Seq
		}
		if n, ok := staleOf(c, err, candidateFields(v.Candidate)); ok && verr == nil {
			f.Stale = n
			f.editing(v.Candidate)
		} else {
			errs, err := inputErrors(err)
			if err != nil {
				return err
			}
			f.Errors, f.Message = errs, errs[""]
		}
		return s.renderCandEdit(c, fiber.StatusUnprocessableEntity, b, f)
	}
	if !isHTMX(c) {
		s.flash(c, "已保存「"+cand.Name+"」的信息。")
		return s.redirect(c, "/batches/"+itoa(b.ID))
	}
	v, err := s.st.BatchCandidate(actorOf(c), b.ID, cid)
	if err != nil {
		return err
	}
	c.Set("HX-Trigger", toastTrigger("已保存「"+cand.Name+"」的信息。", "ok"))
	return s.partial(c, fiber.StatusOK, tplCandRow, candRow{BatchID: b.ID, Editable: true, V: v})
}

func (s *Server) addCandidate(c *fiber.Ctx) error {
	b, err := s.batchOf(c)
	if err != nil {
		return err
	}
	raw := rawOf(c)
	cand, err := s.st.AddCandidate(actorOf(c), b.ID, raw)
	if err != nil {
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		f, ferr := s.candForm(c, b, 0, raw)
		if ferr != nil {
			return ferr
		}
		f.Errors, f.Message, f.Open = errs, errs[""], true
		if isHTMX(c) {
			return s.partial(c, fiber.StatusUnprocessableEntity, tplCandAdd, f)
		}
		return s.renderBatch(c, fiber.StatusUnprocessableEntity, b, batchOpts{tab: "candidates", add: &f,
			errs: map[string]string{"": errs[""]}})
	}
	nb, err := s.st.Batch(actorOf(c), b.ID)
	if err != nil {
		return err
	}
	last := (nb.Count-1)/candPageSize + 1
	s.flash(c, "已添加「"+cand.Name+"」。")
	to := "/batches/" + itoa(b.ID)
	if last > 1 {
		to += "?tab=candidates&page=" + strconv.Itoa(last)
	}
	return s.redirect(c, to)
}

func (s *Server) removeCandidate(c *fiber.Ctx) error {
	b, v, err := s.batchCandidate(c)
	if err != nil {
		return err
	}
	nb, err := s.st.RemoveCandidate(actorOf(c), b.ID, v.ID)
	if err != nil {
		if isHTMX(c) {
			if msg, ok := userMessage(err); ok {
				return htmxFail(c, msg)
			}
			return err
		}
		return s.batchFail(c, b, err, "", "candidates", nil)
	}
	msg := "已删除「" + v.Name + "」。"
	if !isHTMX(c) {
		s.flash(c, msg)
		return s.redirect(c, "/batches/"+itoa(b.ID))
	}
	// The row goes (empty swap); the counts update out of band.
	c.Set("HX-Trigger", toastTrigger(msg, "ok"))
	return s.partial(c, fiber.StatusOK, tplCandCount, nb)
}

// reimportBatch replaces the list of a draft or rejected batch by a new
// workbook, all or nothing.
func (s *Server) reimportBatch(c *fiber.Ctx) error {
	b, err := s.batchOf(c)
	if err != nil {
		return err
	}
	a := actorOf(c)
	if _, _, err := s.ownEditable(c, b, "重新导入名单"); err != nil {
		return s.batchFail(c, b, err, "file", "candidates", nil)
	}
	fail := func(v *importView, msg string) error {
		v.BatchID = b.ID
		return s.renderBatch(c, fiber.StatusUnprocessableEntity, b, batchOpts{tab: "candidates", imp: v,
			errs: map[string]string{"": "名单未通过检查，原名单未作改动。", "file": msg}})
	}
	form, err := s.readUpload(c, workbookUpload, nil)
	defer form.close()
	if err != nil {
		var ue *uploadError
		if !errors.As(err, &ue) {
			return err
		}
		return fail(&importView{FileError: ue.msg}, ue.msg)
	}
	wb := form.files[0]
	name := files.CleanName(wb.Name)
	res, err := s.checkWorkbook(a, b.ID, wb.Reader(), wb.Size)
	if err != nil {
		var fe *sheets.FileError
		if !errors.As(err, &fe) {
			return err
		}
		return fail(&importView{FileName: name, FileError: fe.Message}, fe.Message)
	}
	if !res.OK() {
		ref, err := s.st.StageWorkbook(a, wb)
		if err != nil {
			return err
		}
		v := newImportView(name, res)
		v.Ref = ref
		return fail(v, fmt.Sprintf("名单中有 %d 处错误", len(res.Errors)))
	}
	nb, err := s.st.ReplaceCandidates(a, b.ID, res.Candidates)
	if err != nil {
		var ie *store.ImportError
		if errors.As(err, &ie) {
			return fail(newImportView(name, &candidate.Result{Errors: ie.Errors}), ie.Error())
		}
		return s.batchFail(c, b, err, "file", "candidates", nil)
	}
	s.flash(c, fmt.Sprintf("已重新导入名单，现有 %d 名合格人员。", nb.Count))
	return s.redirect(c, "/batches/"+itoa(b.ID))
}

// ownEditable refuses early (before reading an upload) a batch the caller
// cannot change: another organisation's, or one under review or approved.
func (s *Server) ownEditable(c *fiber.Ctx, b store.Batch, doing string) (store.Batch, bool, error) {
	if b.OrgID != whoOf(c).org.ID {
		return b, false, fmt.Errorf("batch %d: %w", b.ID, store.ErrForbidden)
	}
	if !b.State.Editable() {
		return b, false, &store.StateError{State: b.State, Doing: doing}
	}
	return b, true, nil
}

// batchCandidate loads the batch and the candidate a route names, within the
// caller's scope.
func (s *Server) batchCandidate(c *fiber.Ctx) (store.Batch, store.CandidateView, error) {
	b, err := s.batchOf(c)
	if err != nil {
		return store.Batch{}, store.CandidateView{}, err
	}
	cid, err := candParam(c)
	if err != nil {
		return store.Batch{}, store.CandidateView{}, err
	}
	v, err := s.st.BatchCandidate(actorOf(c), b.ID, cid)
	return b, v, err
}
