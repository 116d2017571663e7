package handlers

import (
	"io"

	"github.com/gofiber/fiber/v2"

	"certreg/candidate"
	"certreg/data"
	"certreg/sheets"
	"certreg/store"
)

// batchOf loads the batch named by :id if the caller may see it.
func (s *Server) batchOf(c *fiber.Ctx) (store.Batch, error) {
	id, err := idParam(c)
	if err != nil {
		return store.Batch{}, err
	}
	return s.st.Batch(whoOf(c).actor(c.IP()), id)
}

func actorOf(c *fiber.Ctx) store.Actor { return whoOf(c).actor(c.IP()) }

// checkWorkbook reads an uploaded workbook for the actor's organisation with
// every import rule: the sheet's own (sheets.Import, outside any
// transaction) and then the database's (store.CheckImported). batchID is
// the batch being re-imported, 0 for a new one. A file-level problem is a
// *sheets.FileError.
func (s *Server) checkWorkbook(a store.Actor, batchID uint64, r io.Reader, size int64) (*candidate.Result, error) {
	sc, err := s.st.SheetScope(a.OrgID)
	if err != nil {
		return nil, err
	}
	res, err := sheets.Import(r, size, sc)
	if err != nil {
		return nil, err
	}
	return res, s.st.CheckImported(a, batchID, res)
}

// importView is the outcome of a refused workbook: a file-level message or
// the rows with errors, and the staged file for the annotated download.
type importView struct {
	FileName  string
	FileError string
	Errors    []candidate.RowError // at most maxShownErrors
	Total     int
	Rows      int // rows with at least one error
	Ref       string
	BatchID   uint64
}

const maxShownErrors = 200

// AnnotatedURL is the download of the workbook with the errors marked.
func (v importView) AnnotatedURL() string {
	if v.Ref == "" {
		return ""
	}
	u := "/batches/annotated.xlsx?ref=" + v.Ref
	if v.BatchID != 0 {
		u += "&batch=" + itoa(v.BatchID)
	}
	return u
}

func newImportView(name string, res *candidate.Result) *importView {
	v := &importView{FileName: name, Total: len(res.Errors), Rows: countRows(res.Errors)}
	v.Errors = res.Errors
	if len(v.Errors) > maxShownErrors {
		v.Errors = v.Errors[:maxShownErrors]
	}
	return v
}

func countRows(errs []candidate.RowError) int {
	seen := map[int]bool{}
	for _, e := range errs {
		seen[e.Row] = true
	}
	return len(seen)
}

// candForm is a candidate form (add, or edit in place) with its errors,
// keyed by column header.
type candForm struct {
	BatchID uint64
	ID      uint64 // 0 when adding
	Seq     int
	Raw     candidate.Raw
	Errors  map[string]string
	Message string
	Scope   candidate.Scope
	Levels  []data.Level
	CSRF    string
	Open    bool
	// Editing: the revision and values the form was made from (stale.go),
	// and the notice of a save refused because they changed meanwhile.
	Rev   uint64
	Base  string
	Stale *staleNotice
}

// candidateFields are the values of a candidate as its edit form shows them.
func candidateFields(c store.Candidate) []field {
	return []field{{"姓名", c.Name}, {"身份证号", c.IDNumber}, {"性别", c.Gender}, {"工作单位", c.WorkUnit},
		{"职业（工种）", c.OccupationCode + " " + c.OccupationName}, {"等级", c.LevelName()}, {"手机号码", c.Phone}, {"备注", c.Remark}}
}

// editing marks the form as made from candidate v.
func (f *candForm) editing(v store.Candidate) {
	f.Rev, f.Base = store.CurrentRev(v.Rev), formBase(candidateFields(v))
}

func rawOf(c *fiber.Ctx) candidate.Raw {
	return candidate.Raw{Name: c.FormValue("name"), IDNumber: c.FormValue("id_number"), Gender: c.FormValue("gender"),
		WorkUnit: c.FormValue("work_unit"), Occupation: c.FormValue("occupation"), Level: c.FormValue("level"),
		Phone: c.FormValue("phone"), Remark: c.FormValue("remark")}
}

func (s *Server) candForm(c *fiber.Ctx, b store.Batch, id uint64, raw candidate.Raw) (candForm, error) {
	sc, err := s.st.SheetScope(b.OrgID)
	if err != nil {
		return candForm{}, err
	}
	return candForm{BatchID: b.ID, ID: id, Raw: raw, Scope: sc, Levels: data.Levels(), CSRF: whoOf(c).csrfToken(), Errors: map[string]string{}}, nil
}
