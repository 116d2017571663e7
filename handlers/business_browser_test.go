package handlers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"certreg/fixture"
	"certreg/store"
)

// applyInBrowser starts a business on a certificate from 申请业务: finds it
// by number, opens the form of kind, fills it (fill runs on the form page)
// and submits it with the proof; it returns the business page's path.
func (b *browser) applyInBrowser(number, kind string, proof string, fill func(), shots string) string {
	b.t.Helper()
	b.open("/business")
	b.do(chromedp.WaitVisible(chromedp.CSS("#biz-cert-table")), chromedp.SendKeys(chromedp.CSS("#f-number"), number))
	// The answer for the whole number (a slow typist's earlier answers may
	// list it too, and be replaced under the click).
	b.waitFor("the number filter", `location.search.includes('number=`+number+`') && document.querySelectorAll('#biz-cert-table tbody tr').length === 1 && document.querySelector('#biz-cert-table tbody').textContent.includes('`+number+`')`)
	if shots != "" {
		b.shot(shots + "-list")
	}
	b.clickUntil(`#biz-cert-table a[href="/business/new?kind=`+kind+`&n=`+number+`"]`, "#biz-form")
	fill()
	if shots != "" {
		b.shot(shots + "-form")
	}
	// Without a proof the page refuses to send (before any confirmation).
	b.do(chromedp.Click(chromedp.CSS("#submit-biz")))
	b.waitFor("the proof message", `!document.getElementById('proofs-error').hidden && document.getElementById('proofs-error').textContent.includes('至少 1 张')`)
	if shots != "" {
		b.shot(shots + "-form-no-proof")
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#proofs"), []string{proof}))
	b.waitFor("the chosen file", `!document.getElementById('proof-picked').hidden && document.getElementById('proofs-error').hidden`)
	b.do(chromedp.Click(chromedp.CSS("#submit-biz")))
	if kind == "cancel" {
		b.confirm()
	}
	b.do(chromedp.WaitVisible(chromedp.CSS("#biz-values")))
	return b.evalString(`location.pathname`)
}

// flashSays is a condition on the page's flash message (kept in the page,
// while its toast goes after a few seconds).
func flashSays(text string) string {
	return `(document.getElementById('flash') || {dataset: {}}).dataset.message && document.getElementById('flash').dataset.message.includes(` + jsonString(text) + `)`
}

// approveInBrowser approves the business at id from the reviewer's queue.
func (b *browser) approveInBrowser(id uint64, kind string, shots string) {
	b.t.Helper()
	b.open("/reviews/business?kind=" + kind)
	b.do(chromedp.WaitVisible(chromedp.CSS("#review-biz-table")))
	if shots != "" {
		b.shot(shots + "-queue")
	}
	b.do(chromedp.Click(chromedp.CSS(`#review-biz-table a[href="/reviews/business/`+itoa(id)+`"]`)), chromedp.WaitVisible(chromedp.CSS("#review-actions")))
	if shots != "" {
		b.shot(shots + "-review")
	}
	b.do(chromedp.Click(chromedp.CSS("#approve-btn")))
	b.confirm()
	b.do(chromedp.WaitVisible(chromedp.CSS("#review-biz-table")))
	b.waitFor("the approval message", flashSays("审核通过"))
}

// demo-unit asks to change a holder's name with a proof image; demo-dept
// and demo-province approve it; the certificate shows the new name in its
// second version; demo-unit prints it from 业务打印, which it then leaves.
// A reissue goes the same way and its old number verifies as 已补办 with
// the new number on the public page.
func TestBrowserBusinessChangeAndReissue(t *testing.T) {
	w := fixture.Demo(t)
	b := newBrowser(t, w)
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatalf("download behaviour: %v", err)
	}
	dir := t.TempDir()
	proof := writeTemp(t, dir, "变更申请表.png", pngOf(t, 600, 420, 4))
	cert := freeCert(t, w, "demo-unit")

	b.login("demo-unit", store.DemoPassword)
	b.open("/business")
	b.do(chromedp.WaitVisible(chromedp.CSS("#biz-cert-table")))
	b.shot("biz-apply-list")
	path := b.applyInBrowser(cert.Number, "change", proof, func() {
		b.do(chromedp.SendKeys(chromedp.CSS("#new_name"), "王新华"))
		b.waitFor("the ID input to lock", `document.getElementById('new_id_number').disabled`)
		b.do(chromedp.SendKeys(chromedp.CSS("#reason"), "原证书姓名录入错误"))
	}, "biz-change")
	b.waitFor("the flash", flashSays("等待主管部门审核"))
	if got := b.text("#biz-changes"); !strings.Contains(got, cert.Name) || !strings.Contains(got, "王新华") {
		t.Fatalf("changes shown: %q", got)
	}
	if n := b.evalString(`String([...document.querySelectorAll('#proof-thumbs img')].filter(i => i.complete && i.naturalWidth === 600).length)`); n != "1" {
		t.Fatalf("%s proof thumbnails load", n)
	}
	b.shot("biz-applied-detail")
	b.do(chromedp.Click(chromedp.CSS("#proof-thumbs a.thumb")), chromedp.WaitVisible(chromedp.CSS("#image-viewer img")))
	b.shot("biz-applied-viewer")
	id := parseUint(strings.TrimPrefix(path, "/business/applied/"))
	b.open("/business/applied")
	b.do(chromedp.WaitVisible(chromedp.CSS("#applied-table")))
	b.shot("biz-applied-list")
	b.open("/")
	b.do(chromedp.WaitVisible(chromedp.CSS("#todo")))
	b.shot("biz-home-unit")
	b.logout()

	b.login("demo-dept", store.DemoPassword)
	b.open("/")
	b.do(chromedp.WaitVisible(chromedp.CSS("#todo")))
	if got := b.text("#todo"); !strings.Contains(got, "待审核变更业务") {
		t.Errorf("dept to-do: %q", got)
	}
	b.shot("biz-home-dept")
	b.approveInBrowser(id, "change", "biz-dept")
	b.logout()

	b.login("demo-province", store.DemoPassword)
	b.approveInBrowser(id, "change", "biz-province")
	b.open("/certificates/" + cert.Number)
	b.do(chromedp.WaitVisible(chromedp.CSS("#cert-businesses")))
	if got := b.text(".page-head .sub"); !strings.Contains(got, "王新华") || !strings.Contains(got, "第 2 版") {
		t.Fatalf("certificate after the change: %q", got)
	}
	if got := b.text("#cert-businesses"); !strings.Contains(got, "审核通过") || !strings.Contains(got, "省厅管理员") {
		t.Errorf("business history: %q", got)
	}
	b.shot("biz-cert-detail-changed")
	b.open("/business/overview")
	b.do(chromedp.WaitVisible(chromedp.CSS("#overview-table")))
	b.shot("biz-overview")
	b.do(chromedp.SetValue(chromedp.CSS("#f-kind"), "register"))
	b.eval(`document.getElementById('f-kind').dispatchEvent(new Event('change', {bubbles: true}))`)
	b.waitFor("the kind filter", `location.search.includes('kind=register') && [...document.querySelectorAll('#overview-table tbody tr td:first-child')].every(td => td.textContent.includes('注册'))`)
	b.shot("biz-overview-register")
	b.logout()

	// demo-unit prints it from 业务打印.
	b.login("demo-unit", store.DemoPassword)
	b.open("/business/print")
	b.do(chromedp.WaitVisible(chromedp.CSS("#biz-print-table")))
	b.shot("biz-print")
	b.do(chromedp.Click(chromedp.CSS(`#biz-print-table input[value="` + cert.Number + `"]`)))
	b.waitFor("the selection", `document.getElementById('cert-selected').textContent.includes('已选 1 本')`)
	b.do(chromedp.Click(chromedp.CSS("#print-selected")))
	var pdf string
	for deadline := time.Now().Add(15 * time.Second); pdf == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if files, _ := filepath.Glob(filepath.Join(downloads, "*.pdf")); len(files) > 0 {
			pdf = files[0]
		}
	}
	if pdf == "" {
		t.Fatal("no PDF downloaded")
	}
	body, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if n := pdfPages(t, body); n != 1 {
		t.Errorf("PDF of %d pages", n)
	}
	if txt := pdfTool(t, body, "pdftotext"); !strings.Contains(txt, "王新华") {
		t.Errorf("the PDF lacks the new name: %q", txt)
	}
	b.waitFor("the list to drop it", `!document.querySelector('#biz-print-table input[value="`+cert.Number+`"]')`)
	if c, _ := w.Store.Certificate(w.Org(t, "demo-unit"), cert.Number); !c.Printed || c.PrintCount != 1 || c.Version != 2 {
		t.Errorf("after printing: printed %v, count %d, version %d", c.Printed, c.PrintCount, c.Version)
	}

	// A reissue: the old number then verifies as 已补办 with the new one.
	old := freeCert(t, w, "demo-unit")
	path = b.applyInBrowser(old.Number, "reissue", proof, func() {
		b.do(chromedp.SendKeys(chromedp.CSS("#reason"), "证书遗失，已登报声明作废"))
	}, "biz-reissue")
	rid := parseUint(strings.TrimPrefix(path, "/business/applied/"))
	b.logout()
	b.login("demo-dept", store.DemoPassword)
	b.approveInBrowser(rid, "reissue", "")
	b.logout()
	b.login("demo-province", store.DemoPassword)
	b.approveInBrowser(rid, "reissue", "")
	biz, err := w.Store.Business(w.Actor(t, "demo-province"), rid)
	if err != nil || biz.State != store.BizApproved || biz.NewNumber == "" {
		t.Fatalf("reissue: %+v %v", biz, err)
	}
	b.open("/business/overview/" + itoa(rid))
	b.do(chromedp.WaitVisible(chromedp.CSS("#approved-note")))
	b.shot("biz-overview-detail")
	b.logout()
	b.open("/verify")
	b.do(chromedp.SendKeys(chromedp.CSS("#v-number"), old.Number), chromedp.SendKeys(chromedp.CSS("#v-name"), old.Name),
		chromedp.Click(chromedp.CSS(`form.verify-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#verify-status")))
	if got := b.text("#verify-status"); !strings.Contains(got, "已补办") || !strings.Contains(got, biz.NewNumber) {
		t.Fatalf("verification of the old number: %q", got)
	}
	b.shot("biz-verify-superseded")
}

// The pages a person meets around the demo's businesses, for screenshots:
// the kind choice, a correction after a rejection and a 422 from the server.
func TestBrowserBusinessPages(t *testing.T) {
	w := fixture.Demo(t)
	b := newBrowser(t, w)
	bw := demoBizWorld(t, w)
	b.login("demo-unit", store.DemoPassword)
	b.open("/business/new?n=" + bw.free.Number)
	b.do(chromedp.WaitVisible(chromedp.CSS("#kind-choice")))
	b.shot("biz-kind-choice")
	b.do(chromedp.Click(chromedp.CSS("#choose-cancel")), chromedp.WaitVisible(chromedp.CSS("#biz-form")))
	b.shot("biz-cancel-form")
	b.open("/business/applied/" + itoa(bw.unitRejected.ID))
	b.do(chromedp.WaitVisible(chromedp.CSS("#reject-reason")))
	b.shot("biz-applied-rejected")
	b.do(chromedp.Click(chromedp.CSS("#resubmit-link")), chromedp.WaitVisible(chromedp.CSS("#biz-form")))
	b.shot("biz-resubmit-form")
	// The server's refusal: 姓名 and 身份证号 together (the page would lock
	// one; a stale form sends both).
	b.open("/business/new?kind=change&n=" + bw.free.Number)
	b.do(chromedp.WaitVisible(chromedp.CSS("#biz-form")))
	b.eval(`document.getElementById('new_name').value='王新华'; document.getElementById('new_id_number').value='340102199003150037'; document.getElementById('new_id_number').disabled=false; document.getElementById('biz-form').dataset.proofsMin='0'`)
	b.do(chromedp.Click(chromedp.CSS("#submit-biz")), chromedp.WaitVisible(chromedp.CSS("#form-error")))
	if got := b.text("#form-error"); !strings.Contains(got, "姓名和身份证号不能在同一次申请中变更") {
		t.Fatalf("server refusal: %q", got)
	}
	if got := b.evalString(`document.getElementById('new_name').value + '|' + document.getElementById('new_id_number').disabled`); got != "王新华|false" {
		t.Errorf("kept input %q", got)
	}
	b.shot("biz-form-422")
	b.open("/certificates/" + bw.free.Number)
	b.do(chromedp.WaitVisible(chromedp.CSS("#biz-card")))
	b.shot("biz-cert-detail-start")
	// Withdrawing asks first; the certificate is then free again.
	b.open("/business/applied/" + itoa(bw.unitPendingProv.ID))
	b.do(chromedp.WaitVisible(chromedp.CSS("#withdraw-btn")), chromedp.Click(chromedp.CSS("#withdraw-btn")))
	b.do(chromedp.WaitVisible(chromedp.CSS(`dialog.confirm[open]`)))
	b.shot("biz-withdraw-confirm")
	b.confirm()
	b.waitFor("the withdrawn state", `document.getElementById('biz-state') && document.getElementById('biz-state').textContent === '已撤回'`)
	if open, _ := w.Store.OpenBusinesses([]string{bw.unitPendingProv.Number}); len(open) != 0 {
		t.Errorf("the certificate still has an open business: %+v", open)
	}
	b.logout()
	b.login("demo-dept", store.DemoPassword)
	b.open("/reviews/business?kind=cancel&tab=done")
	b.do(chromedp.WaitVisible(chromedp.CSS("#review-biz-table")))
	b.shot("biz-review-done")
	b.open("/reviews/business/" + itoa(bw.unitPendingDept.ID))
	b.do(chromedp.WaitVisible(chromedp.CSS("#reject-form")))
	b.do(chromedp.Click(chromedp.CSS("#reject-btn")))
	// An empty reason: the browser's required check stops it before the dialog.
	b.do(chromedp.SendKeys(chromedp.CSS("#reject-reason-input"), "证明材料缺少单位盖章"), chromedp.Click(chromedp.CSS("#reject-btn")))
	b.confirm()
	b.do(chromedp.WaitVisible(chromedp.CSS("#review-biz-table")))
	if got, _ := w.Store.Business(w.Actor(t, "demo-dept"), bw.unitPendingDept.ID); got.State != store.BizRejected || got.RejectReason != "证明材料缺少单位盖章" {
		t.Errorf("after rejection: %s %q", got.State, got.RejectReason)
	}
}
