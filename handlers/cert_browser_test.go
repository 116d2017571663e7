package handlers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"certreg/fixture"
	"certreg/store"
)

// waitFor polls a JavaScript condition for up to 10 s, through page loads.
func (b *browser) waitFor(what, js string) {
	b.t.Helper()
	deadline := time.Now().Add(browserStep)
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		var ok bool
		ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+js+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.shot("failure")
	b.t.Fatalf("waiting for %s: %v", what, err)
}

// clickUntil clicks the element sel until the element ready is on the page:
// a table the filters keep replacing (a late answer to an earlier keystroke
// under load) may swap the link out under a single click.
func (b *browser) clickUntil(sel, ready string) {
	b.t.Helper()
	b.waitFor(ready+" after clicking "+sel, `(() => { if (document.querySelector(`+jsonString(ready)+`)) return true; `+
		`const el = document.querySelector(`+jsonString(sel)+`); if (el) el.click(); return false; })()`)
}

func (b *browser) eval(js string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js+";true")); err != nil {
		b.t.Fatalf("eval %s: %v", js, err)
	}
}

// demo-unit filters its certificates as it types, selects two and prints
// them as one PDF (downloaded, two pages, recorded as printed), marks two
// others printed by hand; demo-province cancels one of the printed ones
// with a reason, and its public verification page then says 已注销, also on
// a phone-sized screen.
func TestBrowserCertificatesPrintCancelVerify(t *testing.T) {
	w := fixture.Demo(t)
	b := newBrowser(t, w)
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatalf("download behaviour: %v", err)
	}
	b.login("demo-unit", store.DemoPassword)
	b.do(chromedp.Click(chromedp.CSS(`.nav a[href="/certificates"]`)), chromedp.WaitVisible(chromedp.CSS("#cert-table")))
	b.shot("certs-list-unit")

	// Two unprinted certificates of one occupation; the filter runs as the
	// name is typed (htmx, no page load).
	page, err := w.Store.Certificates(w.Actor(t, "demo-unit"), store.CertQuery{Printed: "no", Status: store.CertValid, Occupation: "014", Limit: 100})
	if err != nil || len(page.Certs) < 4 {
		t.Fatalf("demo certificates: %d %v", len(page.Certs), err)
	}
	target := page.Certs[0]
	surname := string([]rune(target.Name)[:1])
	b.eval(`window.__sameDocument = true`)
	b.do(chromedp.SetValue(chromedp.CSS("#f-occupation"), "014"))
	b.eval(`document.getElementById('f-occupation').dispatchEvent(new Event('change', {bubbles: true}))`)
	b.waitFor("the occupation filter", `location.search.includes('occupation=014')`)
	b.do(chromedp.SendKeys(chromedp.CSS("#f-name"), surname))
	b.waitFor("the name filter", `location.search.includes('name=') && !!document.querySelector('#cert-table a[href="/certificates/`+target.Number+`"]') &&
		Array.from(document.querySelectorAll('#cert-table tbody tr')).every(function (r) { return r.textContent.includes(`+jsonString(surname)+`) })`)
	b.waitFor("no page load", `window.__sameDocument === true`)
	got := b.text("#cert-table tbody")
	for _, line := range strings.Split(got, "\n") {
		if strings.Contains(line, "2634") && !strings.Contains(line, surname) {
			t.Errorf("row without %s after filtering: %q", surname, line)
		}
	}
	b.shot("certs-list-filtered")

	// Select two, print them as one PDF.
	b.eval(`document.getElementById('f-name').value=''; document.getElementById('f-printed').value='no'; document.getElementById('f-printed').dispatchEvent(new Event('change', {bubbles: true}))`)
	b.waitFor("the print filter", `location.search.includes('printed=no') && !location.search.includes('name=')`)
	rows := b.checkedNumbers(2)
	b.shot("certs-selected")
	b.do(chromedp.Click(chromedp.CSS("#print-selected")))
	var pdf string
	deadline := time.Now().Add(15 * time.Second)
	for pdf == "" && time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(downloads, "*.pdf"))
		if len(files) > 0 {
			pdf = files[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	if pdf == "" {
		t.Fatal("no PDF downloaded")
	}
	body, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if n := pdfPages(t, body); n != 2 {
		t.Errorf("downloaded PDF has %d pages", n)
	}
	for _, n := range rows {
		c, err := w.Store.Certificate(w.Org(t, "demo-unit"), n)
		if err != nil || !c.Printed || c.PrintCount != 1 {
			t.Errorf("print of %s not recorded: %+v %v", n, c.PrintCount, err)
		}
	}
	// The table refreshes itself: the printed ones leave the 未打印 list.
	b.waitFor("the refresh after printing", `!document.querySelector('#cert-table input[value="`+rows[0]+`"]')`)

	// Mark two more printed by hand.
	more := b.checkedNumbers(2)
	b.do(chromedp.Click(chromedp.CSS("#mark-printed")))
	b.waitFor("the flash", `!!document.querySelector('.toast') && document.querySelector('.toast').textContent.includes('已将 2 本证书设置为已打印')`)
	for _, n := range more {
		if c, _ := w.Store.Certificate(w.Org(t, "demo-unit"), n); !c.Printed || c.PrintCount != 0 {
			t.Errorf("%s not marked printed: %+v", n, c)
		}
	}
	b.open("/certificates/" + rows[0])
	b.do(chromedp.WaitVisible(chromedp.CSS("#cert-history")))
	if got := b.text("#print-status"); !strings.Contains(got, "已打印") || !strings.Contains(got, "共打印 1 次") {
		t.Errorf("detail print status %q", got)
	}
	b.shot("cert-detail-unit")
	b.open("/certificates/formats")
	b.shot("formats-list")
	b.logout()

	// The province cancels one of them with a reason.
	b.login("demo-province", store.DemoPassword)
	b.open("/certificates/" + rows[0])
	b.do(chromedp.WaitVisible(chromedp.CSS("#cancel-form")), chromedp.SendKeys(chromedp.CSS("#reason"), "持证人申请注销（测试）"))
	b.shot("cert-detail-province")
	b.do(chromedp.Click(chromedp.CSS(`#cancel-form button[type=submit]`)))
	b.confirm()
	b.do(chromedp.WaitVisible(chromedp.CSS("#activate-form")))
	if got := b.text(".page-head h1"); !strings.Contains(got, "已注销") {
		t.Errorf("heading after cancel %q", got)
	}
	if got := b.text("#cert-history"); !strings.Contains(got, "持证人申请注销（测试）") {
		t.Errorf("history lacks the reason: %q", got)
	}
	b.shot("cert-detail-cancelled")
	b.eval(`document.getElementById('cert-history').scrollIntoView()`)
	b.shot("cert-detail-history")
	// The link names the public address; the test server stands in for it.
	verify := strings.Replace(strings.TrimSpace(b.text("#verify-url")), testPublicURL, b.base, 1)
	b.logout()

	// Anyone, on a phone: the QR link says 已注销.
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(verify), chromedp.WaitVisible(chromedp.CSS("#verify-status")))
	if got := b.text("#verify-status"); !strings.Contains(got, "已注销") {
		t.Fatalf("verification says %q", got)
	}
	b.shot("verify-phone-cancelled")
	width, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil || width > 390 {
		t.Errorf("the page scrolls sideways on a phone: %d px wide (%v)", width, err)
	}
	b.open("/verify")
	b.shot("verify-phone-form")
}

// checkedNumbers ticks the first n unticked rows and returns their numbers.
func (b *browser) checkedNumbers(n int) []string {
	b.t.Helper()
	nums, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#cert-table input[name="n"]:not(:checked)')).slice(0, `+itoa(uint64(n))+`).map(function (c) { c.click(); return c.value; })`))
	if err != nil || len(nums) != n {
		b.shot("failure")
		b.t.Fatalf("ticking %d rows: %v %v", n, nums, err)
	}
	b.waitFor("the selection count", `document.getElementById('cert-selected').textContent.includes('已选 `+itoa(uint64(n))+` 本')`)
	return nums
}

// The print-format page shows its live preview PDF in Chromium beside the
// form, and editing the form changes the preview.
func TestBrowserPrintFormatPreview(t *testing.T) {
	b := newBrowser(t, fixture.Demo(t))
	b.login("demo-unit", store.DemoPassword)
	b.open("/certificates/formats")
	b.do(chromedp.Click(chromedp.CSS(`#format-table a[href^="/certificates/formats/"]`)), chromedp.WaitVisible(chromedp.CSS("#fmt-preview")))
	b.waitFor("the preview to load", `(function(){var f=document.getElementById('fmt-preview');try{return f.contentDocument===null||f.contentDocument.readyState==='complete'}catch(e){return true}})()`)
	time.Sleep(1500 * time.Millisecond)
	b.shot("format-edit")
	b.eval(`document.getElementById('save-format').scrollIntoView({block: 'end'})`)
	b.shot("format-edit-bottom")
	b.eval(`window.scrollTo(0, 0)`)
	before, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById('fmt-preview').getAttribute('src')`))
	if err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.SetValue(chromedp.CSS(`input[name="f_name_size"]`), "20"))
	b.eval(`document.querySelector('input[name="f_name_size"]').dispatchEvent(new Event('input', {bubbles: true}))`)
	b.waitFor("the preview to follow the form", `document.getElementById('fmt-preview').getAttribute('src') !== `+jsonString(before)+` && document.getElementById('fmt-preview').getAttribute('src').includes('f_name_size=20')`)
	// An impossible position shows the problem instead of a PDF.
	b.do(chromedp.SetValue(chromedp.CSS(`input[name="f_name_x"]`), "400"))
	b.eval(`document.querySelector('input[name="f_name_x"]').dispatchEvent(new Event('input', {bubbles: true}))`)
	time.Sleep(1500 * time.Millisecond)
	txt, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(function(){try{return document.getElementById('fmt-preview').contentDocument.body.innerText}catch(e){return 'blocked: '+e}})()`))
	if err != nil || !strings.Contains(txt, "超出纸面") {
		t.Errorf("preview of a bad format: %q %v", txt, err)
	}
	b.shot("format-edit-problem")
	b.open("/certificates/formats/new?mode=overlay")
	time.Sleep(1500 * time.Millisecond)
	b.shot("format-new-overlay")
}

// demo-province picks an organisation in the 发证机构 box: typing part of a
// unit's name lists it (the typing itself reloads nothing), clicking it
// filters the table to its certificates; emptying the box and leaving it
// brings every certificate back; the keyboard chooses too (↓ and Enter), and
// Escape closes the list.
func TestBrowserCertOrgPicker(t *testing.T) {
	w := fixture.Demo(t)
	b := newBrowser(t, w)
	unit, direct := w.Org(t, "demo-unit"), w.Org(t, "demo-direct")
	ofOrg := func(o store.Org) []store.Certificate {
		page, err := w.Store.Certificates(w.Actor(t, "demo-province"), store.CertQuery{OrgID: o.ID, Limit: 100})
		if err != nil || len(page.Certs) == 0 {
			t.Fatalf("certificates of %s: %d %v", o.Name, len(page.Certs), err)
		}
		return page.Certs
	}
	unitCert, directCert := ofOrg(unit)[0], ofOrg(direct)[0]
	rowOf := func(c store.Certificate) string {
		return `!!document.querySelector('#cert-table a[href="/certificates/` + c.Number + `"]')`
	}
	onlyOf := func(o store.Org) string {
		return `Array.from(document.querySelectorAll('#cert-table tbody tr')).every(function (r) { return r.textContent.includes(` + jsonString(o.Name) + `) })`
	}
	listOpen := `!document.getElementById('f-org-list').hidden && document.getElementById('f-org-q').getAttribute('aria-expanded') === 'true'`
	// More organisations than one answer lists.
	dept := w.Org(t, "demo-dept")
	for i := 1; i <= 25; i++ {
		if _, _, err := w.Store.CreateOrg(w.Actor(t, "demo-province"), store.OrgInput{Name: fmt.Sprintf("合肥市第%d建设职业培训学校", i), Type: store.Unit,
			ParentID: dept.ID, Region: dept.Region}, store.NewOrgAdmin{Username: fmt.Sprintf("picker-%d", i), Name: "某", PasswordHash: "h"}); err != nil {
			t.Fatal(err)
		}
	}

	b.login("demo-province", store.DemoPassword)
	b.open("/certificates?size=100")
	b.do(chromedp.WaitVisible(chromedp.CSS("#f-org-q")))
	b.waitFor("both organisations' certificates", rowOf(unitCert)+" && "+rowOf(directCert))
	b.eval(`window.__sameDocument = true; window.__tableLoads = 0; document.body.addEventListener('htmx:beforeRequest', function (e) { if (e.detail.requestConfig.path === '/certificates') window.__tableLoads++; })`)

	// Focus opens the list; typing narrows it to the unit.
	b.do(chromedp.Click(chromedp.CSS("#f-org-q")))
	b.waitFor("the list on focus", listOpen+` && document.querySelectorAll('#f-org-list [data-org-id]').length === 21 && document.querySelector('#f-org-list .org-note').textContent.includes('还有')`)
	b.shot("certs-org-picker-focus")
	b.do(chromedp.SendKeys(chromedp.CSS("#f-org-q"), "建工"))
	choice := `#f-org-list [data-org-id="` + itoa(unit.ID) + `"]`
	b.waitFor("the unit in the list", listOpen+` && !!document.querySelector(`+jsonString(choice)+`) && document.querySelectorAll('#f-org-list [data-org-id]').length === 2`)
	b.shot("certs-org-picker-open")
	time.Sleep(400 * time.Millisecond)
	b.waitFor("no table reload while typing", `window.__tableLoads === 0`)

	b.do(chromedp.Click(chromedp.CSS(choice)))
	b.waitFor("the table of the unit", `location.search.includes('org=`+itoa(unit.ID)+`') && `+rowOf(unitCert)+` && !`+rowOf(directCert)+` && `+onlyOf(unit))
	b.waitFor("the box shows the unit, the list closed", `document.getElementById('f-org-q').value === `+jsonString(unit.Name)+
		` && document.getElementById('f-org').value === '`+itoa(unit.ID)+`' && document.getElementById('f-org-list').hidden`)
	b.shot("certs-org-picked")

	// Emptying the box and leaving it clears the filter, with one reload.
	b.eval(`window.__tableLoads = 0`)
	b.do(chromedp.Click(chromedp.CSS(".page-head h1")), chromedp.Click(chromedp.CSS("#f-org-q")), chromedp.KeyEvent(kb.Backspace))
	b.waitFor("the box emptied", `document.getElementById('f-org-q').value === ''`)
	b.do(chromedp.Click(chromedp.CSS(".page-head h1")))
	b.waitFor("every certificate again", `!location.search.includes('org=') && `+rowOf(unitCert)+" && "+rowOf(directCert))
	time.Sleep(400 * time.Millisecond)
	b.waitFor("one reload", `window.__tableLoads === 1 && document.getElementById('f-org').value === '' && document.getElementById('f-org-list').hidden`)

	// The keyboard: the first match is active, ↓ moves, Enter chooses
	// without submitting the form; Escape closes the list.
	b.do(chromedp.SendKeys(chromedp.CSS("#f-org-q"), "安徽省"))
	b.waitFor("the province's own institutions", listOpen+` && document.querySelectorAll('#f-org-list [data-org-id]:not([data-org-id=""])').length >= 2`+
		` && document.querySelector('#f-org-list .active') && document.querySelector('#f-org-list .active').textContent.includes('安徽省')`)
	b.do(chromedp.KeyEvent(kb.Escape))
	b.waitFor("Escape closes the list", `document.getElementById('f-org-list').hidden && document.getElementById('f-org-q').getAttribute('aria-expanded') === 'false'`)
	b.do(chromedp.KeyEvent(kb.ArrowDown))
	b.waitFor("↓ opens it again", listOpen+` && document.querySelector('#f-org-list .active')`)
	b.eval(`window.__tableLoads = 0`)
	target := `document.querySelector('#f-org-list [data-org-id="` + itoa(direct.ID) + `"]')`
	for range 5 {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](target+` && `+target+`.classList.contains('active')`))
		if err != nil || ok {
			break
		}
		b.do(chromedp.KeyEvent(kb.ArrowDown))
	}
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitFor("the table of the 省直所", `location.search.includes('org=`+itoa(direct.ID)+`') && `+rowOf(directCert)+` && !`+rowOf(unitCert)+` && `+onlyOf(direct))
	time.Sleep(400 * time.Millisecond)
	b.waitFor("one reload, no page load", `window.__tableLoads === 1 && window.__sameDocument === true && document.getElementById('f-org-q').value === `+jsonString(direct.Name))
}
