package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"certreg/candidate"
	"certreg/data"
	"certreg/files"
	"certreg/sheets"
	"certreg/store"
)

// The create wizard: (1) name and the filled template, checked with every
// rule and the errors listed by row and column, with the annotated workbook
// to download; (2) supporting materials; (3) confirm, which saves the batch
// in 待提交. Nothing is saved before the confirmation; the checked workbook
// waits, bound to its uploader, under its hash.

type batchNewData struct {
	Step     int
	Name     string
	Ref      string
	FileName string
	Count    int
	Preview  []previewRow
	More     int
	Import   *importView
	Scope    []scopeLine
}

type previewRow struct {
	candidate.Candidate
	LevelName string
}

func (d *batchNewData) preview(cands []candidate.Candidate) {
	d.Count = len(cands)
	for _, c := range cands[:min(previewRows, len(cands))] {
		d.Preview = append(d.Preview, previewRow{c, data.LevelName(c.Level)})
	}
	d.More = d.Count - len(d.Preview)
}

// scopeLine is an occupation the organisation may certify, with its levels.
type scopeLine struct {
	Code, Name, Levels string
}

func scopeLines(sc candidate.Scope) []scopeLine {
	var out []scopeLine
	for _, o := range sc.Occupations {
		levels := "五级至一级"
		if len(o.Levels) < len(data.Levels()) {
			var names []string
			for _, l := range data.Levels() {
				for _, x := range o.Levels {
					if x == l.Code {
						names = append(names, l.Grade)
					}
				}
			}
			levels = strings.Join(names, "、")
		}
		out = append(out, scopeLine{o.Code, o.Name, levels})
	}
	return out
}

const previewRows = 5

func (s *Server) newBatchPage(c *fiber.Ctx) error {
	return s.renderNewBatch(c, fiber.StatusOK, batchNewData{Step: 1}, nil)
}

func (s *Server) renderNewBatch(c *fiber.Ctx, status int, d batchNewData, errs map[string]string) error {
	sc, err := s.st.SheetScope(whoOf(c).org.ID)
	if err != nil {
		return err
	}
	d.Scope = scopeLines(sc)
	if errs != nil && errs[""] == "" {
		errs[""] = "请修正标出的内容后再继续。"
	}
	return s.render(c, status, tplBatchNew, "新建批次", d, errs)
}

// checkNewBatch is step 1: the name and the workbook.
func (s *Server) checkNewBatch(c *fiber.Ctx) error {
	a := actorOf(c)
	form, upErr := s.readUpload(c, workbookUpload, nil)
	defer form.close()
	d := batchNewData{Step: 1, Name: form.value("name")}
	errs := map[string]string{}
	if name, err := s.st.CheckBatchName(a, d.Name); err != nil {
		msg, ok := userMessage(err)
		if !ok {
			return err
		}
		errs["name"] = msg
	} else {
		d.Name = name
	}
	if upErr != nil {
		var ue *uploadError
		if !errors.As(upErr, &ue) {
			return upErr
		}
		errs["file"] = ue.msg
		return s.renderNewBatch(c, fiber.StatusUnprocessableEntity, d, errs)
	}
	wb := form.files[0]
	fileName := files.CleanName(wb.Name)
	res, err := s.checkWorkbook(a, 0, wb.Reader(), wb.Size)
	if err != nil {
		var fe *sheets.FileError
		if !errors.As(err, &fe) {
			return err
		}
		d.Import = &importView{FileName: fileName, FileError: fe.Message}
		errs["file"] = fe.Message
		return s.renderNewBatch(c, fiber.StatusUnprocessableEntity, d, errs)
	}
	ref, err := s.st.StageWorkbook(a, wb)
	if err != nil {
		return err
	}
	if !res.OK() {
		d.Import = newImportView(fileName, res)
		d.Import.Ref = ref
		errs["file"] = fmt.Sprintf("名单中有 %d 处错误，请按下方列表修改后重新上传", len(res.Errors))
		errs[""] = "名单未通过检查，批次尚未保存。"
		return s.renderNewBatch(c, fiber.StatusUnprocessableEntity, d, errs)
	}
	// The list is good: step 2 keeps it, and shows a name problem there
	// (its name field is editable) rather than asking for the file again.
	s.imports.put(a.UserID, ref, res.Candidates)
	d.Step, d.Ref, d.FileName = 2, ref, fileName
	d.preview(res.Candidates)
	if len(errs) > 0 {
		return s.renderNewBatch(c, fiber.StatusUnprocessableEntity, d, errs)
	}
	return s.renderNewBatch(c, fiber.StatusOK, d, nil)
}

// createBatch is the confirmation: the checked workbook (its candidates as
// step 1 read them when they are still kept, else read again; CreateBatch
// applies every rule once more, the database may have changed), the
// materials, and the batch saved in 待提交.
func (s *Server) createBatch(c *fiber.Ctx) error {
	a := actorOf(c)
	form, upErr := s.readUpload(c, materialsUpload, nil)
	defer form.close()
	d := batchNewData{Step: 2, Name: form.value("name"), Ref: form.value("ref"), FileName: form.value("file_name")}
	content, err := s.st.StagedWorkbook(a, d.Ref)
	if errors.Is(err, store.ErrNotFound) {
		d.Step = 1
		return s.renderNewBatch(c, fiber.StatusUnprocessableEntity, d, map[string]string{"file": "上传的名单已过期或不存在，请重新上传。"})
	} else if err != nil {
		return err
	}
	cands, kept := s.imports.get(a.UserID, d.Ref)
	if !kept {
		res, err := s.checkWorkbook(a, 0, bytes.NewReader(content), int64(len(content)))
		if err != nil {
			return err // it passed step 1: a file error now is not the user's
		}
		if !res.OK() {
			d.Step = 1
			d.Import = newImportView(d.FileName, res)
			d.Import.Ref = d.Ref
			return s.renderNewBatch(c, fiber.StatusUnprocessableEntity, d, map[string]string{"file": "名单中有人员已不符合要求（例如已进入其他批次审核），请按下方列表修改后重新上传"})
		}
		cands = res.Candidates
	}
	d.preview(cands)
	if upErr != nil {
		var ue *uploadError
		if !errors.As(upErr, &ue) {
			return upErr
		}
		return s.renderNewBatch(c, fiber.StatusUnprocessableEntity, d, map[string]string{"files": ue.msg})
	}
	b, err := s.st.CreateBatch(a, store.NewBatch{Name: d.Name, Candidates: cands, Uploads: form.files})
	if err != nil {
		var ve *store.ValidationError
		var ie *store.ImportError
		switch {
		case errors.As(err, &ve):
			field := ve.Field
			if field != "name" {
				field = "files"
			}
			return s.renderNewBatch(c, fiber.StatusUnprocessableEntity, d, map[string]string{field: ve.Message})
		case errors.As(err, &ie):
			d.Step = 1
			d.Import = newImportView(d.FileName, &candidate.Result{Errors: ie.Errors})
			d.Import.Ref = d.Ref
			return s.renderNewBatch(c, fiber.StatusUnprocessableEntity, d, map[string]string{"file": ie.Error()})
		}
		return err
	}
	s.imports.drop(a.UserID, d.Ref)
	s.flash(c, fmt.Sprintf("批次「%s」已创建（%d 名合格人员），已进入待提交。", b.Name, b.Count))
	return s.redirect(c, "/batches/"+itoa(b.ID))
}

// batchTemplate is the candidate template of the caller's organisation.
func (s *Server) batchTemplate(c *fiber.Ctx) error {
	org := whoOf(c).org
	sc, err := s.st.SheetScope(org.ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sheets.Template(&buf, org.Name, sc); err != nil {
		if len(sc.Occupations) == 0 {
			return fiber.NewError(fiber.StatusUnprocessableEntity, "本单位没有可登记的职业（工种）和等级，无法生成模板，请联系主管部门设置职业（工种）范围。")
		}
		return err
	}
	setDownload(c, mimeXLSX, fileName{"合格人员名单模板（" + org.Name + "）.xlsx", "candidate-template-" + org.Code + ".xlsx"}, false)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Response().SetBody(buf.Bytes())
	return nil
}

// annotatedWorkbook is the caller's uploaded workbook with every bad cell
// filled red and commented, and a 错误说明 column.
func (s *Server) annotatedWorkbook(c *fiber.Ctx) error {
	a := actorOf(c)
	var batchID uint64
	if v := c.Query("batch"); v != "" {
		b, err := s.st.Batch(a, parseUint(v))
		if err != nil {
			return err
		}
		batchID = b.ID
	}
	content, err := s.st.StagedWorkbook(a, c.Query("ref"))
	if err != nil {
		return err
	}
	res, err := s.checkWorkbook(a, batchID, bytes.NewReader(content), int64(len(content)))
	if err != nil {
		var fe *sheets.FileError
		if errors.As(err, &fe) {
			return fiber.NewError(fiber.StatusUnprocessableEntity, fe.Message)
		}
		return err
	}
	var buf bytes.Buffer
	if err := sheets.Annotate(content, res.Errors, &buf); err != nil {
		return err
	}
	setDownload(c, mimeXLSX, fileName{"合格人员名单（错误标注）.xlsx", "candidates-with-errors.xlsx"}, false)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Response().SetBody(buf.Bytes())
	return nil
}
