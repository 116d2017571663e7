package handlers

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"certreg/fixture"
	"certreg/sheets"
	"certreg/store"
)

type fetched struct {
	Status      int    `json:"status"`
	Type        string `json:"type"`
	Disposition string `json:"disp"`
	Data        string `json:"data"`
}

// fetch gets a URL with the browser's session and returns the answer.
func (b *browser) fetchURL(path string) fetched {
	b.t.Helper()
	js := `fetch(` + jsonString(path) + `).then(async r => {
		const a = new Uint8Array(await r.arrayBuffer()); let s = '';
		for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);
		return {status: r.status, type: r.headers.get('content-type') || '', disp: r.headers.get('content-disposition') || '', data: btoa(s)};
	})`
	f, err := chromedp.Run(b.ctx, chromedp.Evaluate[fetched](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("fetch %s: %v", path, err)
	}
	return f
}

func (b *browser) evalString(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("eval %s: %v", js, err)
	}
	return s
}

// fillTemplate fills the downloaded template: the example row goes, the
// rows come in its place.
func fillTemplate(t *testing.T, tpl []byte, path string, rows ...[]string) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(tpl))
	if err != nil {
		t.Fatalf("open template: %v", err)
	}
	defer f.Close()
	if err := f.RemoveRow(sheets.SheetCandidates, 2); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		r := r
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheets.SheetCandidates, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeTemp(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// createBatchInBrowser runs the wizard: a file with errors, then the fixed
// file and the images; it returns the batch page's state text.
func (b *browser) createBatchInBrowser(name, badPath, goodPath string, images []string, shots bool) {
	b.t.Helper()
	b.open("/batches")
	b.do(chromedp.Click(chromedp.CSS(`#new-batch`)), chromedp.WaitVisible(chromedp.CSS(`#step1-form`)))
	if shots {
		b.shot("batch-wizard-step1")
	}
	b.do(
		chromedp.SendKeys(chromedp.CSS(`#name`), name),
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{badPath}),
		chromedp.Click(chromedp.CSS(`#check-file`)),
		chromedp.WaitVisible(chromedp.CSS(`#error-table`)),
	)
	if shots {
		b.shot("batch-wizard-errors")
	}
	errs := b.text(`#error-table`)
	for _, want := range []string{"第 3 行", "身份证号", "B3", "校验位错误", "第 4 行", "职业（工种）", "E4"} {
		if !strings.Contains(errs, want) {
			b.t.Fatalf("error list lacks %q:\n%s", want, errs)
		}
	}
	href := b.evalString(`document.getElementById('annotated-link').getAttribute('href')`)
	ann := b.fetchURL(href)
	if ann.Status != 200 || !strings.Contains(ann.Disposition, "attachment") {
		b.t.Fatalf("annotated workbook: %d %q", ann.Status, ann.Disposition)
	}
	raw, _ := base64.StdEncoding.DecodeString(ann.Data)
	af, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		b.t.Fatalf("annotated workbook does not open: %v", err)
	}
	comments, _ := af.GetComments(af.GetSheetList()[0])
	af.Close()
	marked := map[string]bool{}
	for _, c := range comments {
		marked[c.Cell] = true
	}
	if !marked["B3"] || !marked["E4"] {
		b.t.Fatalf("annotated workbook marks %v", marked)
	}
	// The name stays; the fixed file passes.
	if got := b.evalString(`document.getElementById('name').value`); got != name {
		b.t.Fatalf("name not kept: %q", got)
	}
	b.do(
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{goodPath}),
		chromedp.Click(chromedp.CSS(`#check-file`)),
		chromedp.WaitVisible(chromedp.CSS(`#step2-form`)),
	)
	if got := b.text(`#check-ok`); !strings.Contains(got, "检查通过") {
		b.t.Fatalf("step 2: %q", got)
	}
	if len(images) > 0 {
		b.do(chromedp.SetUploadFiles(chromedp.CSS(`#images`), images))
	}
	if shots {
		b.shot("batch-wizard-step2")
	}
	b.do(chromedp.Click(chromedp.CSS(`#confirm-batch`)), chromedp.WaitVisible(chromedp.CSS(`#batch-state`)))
}

func TestBrowserUnitCreatesAndSubmitsBatch(t *testing.T) {
	w := fixture.Demo(t)
	b := newBrowser(t, w)
	b.login("demo-unit", store.DemoPassword)
	b.open("/batches")
	b.do(chromedp.WaitVisible(chromedp.CSS(`#batch-table`)))
	b.shot("batches-list")
	if got := b.text(`#tab-draft`); !strings.Contains(got, "待提交") || !strings.Contains(got, "2") {
		t.Fatalf("draft tab: %q", got)
	}

	// The template, downloaded with the session and filled by the test.
	tf := b.fetchURL("/batches/template.xlsx")
	if tf.Status != 200 || !strings.Contains(tf.Type, "spreadsheetml") || !strings.Contains(tf.Disposition, "filename*=UTF-8''") {
		t.Fatalf("template: %d %q %q", tf.Status, tf.Type, tf.Disposition)
	}
	tpl, err := base64.StdEncoding.DecodeString(tf.Data)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := [][]string{testPerson(1), testPerson(3), testPerson(5)}
	badID := append([]string(nil), testPerson(7)...)
	badID[1] = badID[1][:17] + string("0123456789X"[(strings.IndexByte("0123456789X", badID[1][17])+1)%11])
	badOcc := append([]string(nil), testPerson(9)...)
	badOcc[4] = "木工"
	badPath := fillTemplate(t, tpl, filepath.Join(dir, "名单-有错误.xlsx"), good[0], badID, badOcc)
	goodPath := fillTemplate(t, tpl, filepath.Join(dir, "名单.xlsx"), good...)
	img1 := writeTemp(t, dir, "签到表.png", pngOf(t, 640, 480, 1))
	img2 := writeTemp(t, dir, "现场照片.png", pngOf(t, 480, 360, 2))

	b.createBatchInBrowser("2026年第7期砌筑工培训班", badPath, goodPath, []string{img1, img2}, true)
	if got := b.text(`#batch-state`); got != "待提交" {
		t.Fatalf("state after confirm: %q", got)
	}
	b.shot("batch-draft")
	rows := b.text(`#cand-table`)
	if !strings.Contains(rows, good[1][1]) { // the full ID on the batch page
		t.Fatalf("candidates: %s", rows)
	}

	// Edit a candidate in place: an invalid phone is refused inline.
	b.do(chromedp.Click(chromedp.CSS(`#cand-rows tr:first-child a.btn`)), chromedp.WaitVisible(chromedp.CSS(`tr.editing`)))
	b.do(chromedp.SetValue(chromedp.CSS(`tr.editing input[name=phone]`), "12345"),
		chromedp.Click(chromedp.CSS(`tr.editing button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`tr.editing .field.invalid .error`)))
	if got := b.text(`tr.editing .field.invalid .error`); !strings.Contains(got, "不是有效的手机号码") {
		t.Fatalf("inline error: %q", got)
	}
	b.shot("batch-edit-inline-error")
	b.do(chromedp.SetValue(chromedp.CSS(`tr.editing input[name=phone]`), "13800001111"),
		chromedp.Click(chromedp.CSS(`tr.editing button.primary`)),
		chromedp.WaitNotPresent(chromedp.CSS(`tr.editing`)))
	if got := b.text(`#cand-rows tr:first-child`); !strings.Contains(got, "13800001111") {
		t.Fatalf("edited row: %q", got)
	}
	// Remove one (htmx, with the confirmation dialog): the row and the count go.
	b.do(chromedp.Click(chromedp.CSS(`#cand-rows tr:nth-child(3) button.danger`)))
	b.confirmDialog()
	b.do(chromedp.WaitNotPresent(chromedp.CSS(`#cand-rows tr:nth-child(3)`)))
	if got := b.text(`#cand-count`); got != "2" {
		t.Fatalf("count after removal: %q", got)
	}

	// The materials: two images, previewed in the page.
	b.do(chromedp.Click(chromedp.CSS(`#tab-materials`)), chromedp.WaitVisible(chromedp.CSS(`#thumbs`)))
	b.waitImagesLoaded("#thumbs img", 2)
	b.shot("batch-materials")
	b.do(chromedp.Click(chromedp.CSS(`#thumbs a[data-preview]`)), chromedp.WaitVisible(chromedp.CSS(`dialog.preview[open] img`)))
	b.shot("batch-image-preview")
	b.do(chromedp.Click(chromedp.CSS(`dialog.preview button`)))

	// Submit, confirmed in the dialog: the dept reviews it now.
	b.do(chromedp.Click(chromedp.CSS(`#submit-batch`)))
	b.shot("batch-submit-confirm")
	b.confirmDialog()
	b.do(chromedp.WaitVisible(chromedp.CSS(`.alert.info`)))
	if got := b.text(`#batch-state`); got != "主管部门审核中" {
		t.Fatalf("state after submit: %q", got)
	}
	b.shot("batch-submitted")
	b.do(chromedp.Click(chromedp.CSS(`#tab-log`)), chromedp.WaitVisible(chromedp.CSS(`#log-table`)))
	if got := b.text(`#log-table`); !strings.Contains(got, "提交审核") || !strings.Contains(got, "创建批次") || !strings.Contains(got, "张秀英") {
		t.Fatalf("review log: %q", got)
	}
	b.shot("batch-log")

	// The demo's rejected batch shows the reviewer's marks and reason.
	b.open("/batches?tab=rejected")
	b.do(chromedp.WaitVisible(chromedp.CSS(`#reopen-form`)))
	b.shot("batches-rejected")
	b.do(chromedp.Click(chromedp.CSS(`#batch-table td a`)), chromedp.WaitVisible(chromedp.CSS(`#reject-reason`)))
	if got := b.text(`#cand-table`); strings.Count(got, "不通过") < 2 {
		t.Fatalf("marks not shown: %q", got)
	}
	b.shot("batch-rejected")
}

func TestBrowserDirectBatchGoesToProvince(t *testing.T) {
	w := fixture.Demo(t)
	b := newBrowser(t, w)
	b.login("demo-direct", store.DemoPassword)
	dir := t.TempDir()
	bad := append([]string(nil), testPerson(21)...)
	bad[1] = bad[1][:17] + string("0123456789X"[(strings.IndexByte("0123456789X", bad[1][17])+1)%11])
	badOcc := append([]string(nil), testPerson(23)...)
	badOcc[4] = "抹灰工" // not in the 省直所's scope
	badPath := writeTemp(t, dir, "bad.xlsx", candidateWorkbook(t, testPerson(20), bad, badOcc))
	goodPath := writeTemp(t, dir, "good.xlsx", candidateWorkbook(t, testPerson(20), testPerson(22)))
	doc := writeTemp(t, dir, "培训计划.pdf", []byte("%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"))
	b.open("/batches/new")
	b.createBatchInBrowser("省直所秋季砌筑工班", badPath, goodPath, nil, false)
	b.do(chromedp.Click(chromedp.CSS(`#tab-materials`)), chromedp.WaitVisible(chromedp.CSS(`#materials-form`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#docs`), []string{doc}),
		chromedp.Click(chromedp.CSS(`#upload-materials`)),
		chromedp.WaitVisible(chromedp.CSS(`#doc-table a.btn`)))
	b.do(chromedp.Click(chromedp.CSS(`#submit-batch`)))
	b.confirmDialog()
	b.do(chromedp.WaitVisible(chromedp.CSS(`.alert.info`)))
	if got := b.text(`#batch-state`); got != "省厅审核中" {
		t.Fatalf("省直所 batch after submit: %q", got)
	}
	b.shot("direct-submitted")
	id := batchID(t, w, "demo-direct", "省直所秋季砌筑工班")
	if q, _, _ := w.Store.ReviewQueue(w.Actor(t, "demo-province"), 0, 50); !containsBatch(q, id) {
		t.Fatal("the province's queue lacks the 省直所's batch")
	}
}

// confirmDialog clicks OK in the app's confirmation dialog.
func (b *browser) confirmDialog() {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS(`dialog.confirm[open] button[value="ok"]`)),
		chromedp.Click(chromedp.CSS(`dialog.confirm[open] button[value="ok"]`)))
}

func containsBatch(list []store.Batch, id uint64) bool {
	for _, b := range list {
		if b.ID == id {
			return true
		}
	}
	return false
}
