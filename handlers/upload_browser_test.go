package handlers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"certreg/fixture"
	"certreg/sheets"
)

// The re-import form is a plain form (no htmx, so no CSRF header): its
// token reaches the server as the first part of the upload. A file over the
// route's cap is stopped in the page, with the server's message, before
// anything is sent.
func TestBrowserReimportAndOversizedUpload(t *testing.T) {
	w := fixture.Demo(t)
	b := newBrowser(t, w)
	b.login("demo-unit", "Demo#2026pass")
	id := batchID(t, w, "demo-unit", demoDraft)
	dir := t.TempDir()
	good := writeTemp(t, dir, "新名单.xlsx", candidateWorkbook(t, testPerson(21), testPerson(23)))
	huge := filepath.Join(dir, "太大.xlsx")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(sheets.MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()

	before, _ := w.Store.Batch(w.Actor(t, "demo-unit"), id)
	if before.Count == 2 {
		t.Fatal("pick a workbook with another number of people than the draft has")
	}
	b.open("/batches/" + itoa(id))
	b.eval(`document.querySelector('form[action$="/import"]').closest('details').open = true`)
	b.do(chromedp.SetUploadFiles(chromedp.CSS(`#reimport-file`), []string{huge}),
		chromedp.Click(chromedp.CSS(`form[action$="/import"] button[type=submit]`)))
	b.waitFor("the size toast", `document.getElementById('toasts') && document.getElementById('toasts').textContent.includes('名单文件不能超过 10 MB')`)
	if got := b.evalString(`document.body.classList.contains('loading') ? 'loading' : ''`); got != "" {
		t.Fatal("the page is left loading after the refusal")
	}

	b.do(chromedp.SetUploadFiles(chromedp.CSS(`#reimport-file`), []string{good}),
		chromedp.Click(chromedp.CSS(`form[action$="/import"] button[type=submit]`)))
	b.confirmDialog()
	b.waitFor("the flash", `document.getElementById('toasts') && document.getElementById('toasts').textContent.includes('已重新导入名单')`)
	bt, _ := w.Store.Batch(w.Actor(t, "demo-unit"), id)
	if bt.Count != 2 {
		t.Fatalf("after re-import: %d candidates", bt.Count)
	}
	if got := b.text(`#content`); strings.Contains(got, "页面已过期") {
		t.Fatalf("CSRF refused: %s", got)
	}
}
