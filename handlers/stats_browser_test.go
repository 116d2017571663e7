package handlers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"certreg/store"
)

// demo-province opens 统计分析 from the menu, filters the second quarter by
// its date range, picks 合肥市 by clicking its bar (htmx: the table appears,
// the URL and the city select follow, no page load) and exports the view;
// the downloaded workbook holds 合肥市's organisations with their figures.
// At 1366×768 the dark menu runs the whole height of the page.
func TestBrowserStatsFilterPickCityExport(t *testing.T) {
	w := statsFixture(t)
	b := newBrowser(t, w)
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatalf("download behaviour: %v", err)
	}
	b.login("demo-province", store.DemoPassword)
	b.do(chromedp.Click(chromedp.CSS(`.nav a[href="/stats"]`)), chromedp.WaitVisible(chromedp.CSS("#stats-chart")))
	b.shot("stats-province")

	// The dark menu column is as tall as the page, and stays in view at
	// the bottom of it.
	b.waitFor("a page taller than the window", `document.documentElement.scrollHeight > window.innerHeight`)
	b.waitFor("the menu column runs the page height",
		`document.querySelector('.side').getBoundingClientRect().height >= document.documentElement.scrollHeight - 1`)
	b.eval(`window.scrollTo(0, document.documentElement.scrollHeight)`)
	b.waitFor("the menu in view at the bottom", `(function () {
		var e = document.elementFromPoint(100, window.innerHeight - 40);
		var a = document.querySelector('.nav a[href="/stats"]').getBoundingClientRect();
		return e && e.closest('.side') && a.top >= 0 && a.bottom <= window.innerHeight; })()`)
	b.shot("stats-province-bottom")
	b.eval(`window.scrollTo(0, 0)`)

	// The second quarter: both dates, then the form reacts (htmx).
	b.eval(`window.__sameDocument = true`)
	b.do(chromedp.SetValue(chromedp.CSS("#s-from"), "2026-04-01"), chromedp.SetValue(chromedp.CSS("#s-to"), "2026-06-30"))
	b.eval(`document.getElementById('s-to').dispatchEvent(new Event('change', {bubbles: true}))`)
	b.waitFor("the quarter's figures", `location.search.includes('from=2026-04-01') && location.search.includes('to=2026-06-30') &&
		document.querySelector('#stats-chart').textContent.includes('共 9 张')`)
	if got := b.text("#city-table tfoot"); !strings.Contains(got, "9") {
		t.Errorf("quarter total: %q", got)
	}

	// 合肥市 by its bar.
	b.do(chromedp.Click(chromedp.CSS(`#stats-chart g.bar-link[data-label="合肥市"]`)))
	b.waitFor("合肥市's organisations", `!!document.querySelector('#org-table') && document.querySelector('#org-table').textContent.includes('合肥建工职业技能培训学校')`)
	b.waitFor("the URL and the select follow", `location.search.includes('region=3401') && document.getElementById('s-region').value === '3401'`)
	b.waitFor("no page load", `window.__sameDocument === true`)
	if got := b.text("#org-total"); got != "4" {
		t.Errorf("合肥市 issued %q, want 4", got)
	}
	b.shot("stats-hefei")

	// Export what is shown.
	b.do(chromedp.Click(chromedp.CSS("#stats-export")))
	var file string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && file == ""; time.Sleep(100 * time.Millisecond) {
		if files, _ := filepath.Glob(filepath.Join(downloads, "*.xlsx")); len(files) > 0 {
			file = files[0]
		}
	}
	if file == "" {
		t.Fatal("no workbook downloaded")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	title, _ := f.GetCellValue("培训机构统计", "A1")
	if !strings.Contains(title, "合肥市") || !strings.Contains(title, "2026-04-01 至 2026-06-30") {
		t.Errorf("title %q", title)
	}
	if v, _ := f.GetCellValue("培训机构统计", "C3"); v != "4" {
		t.Errorf("issued %q, want 4", v)
	}
	if list := f.GetSheetList(); len(list) != 3 || list[2] != "图表" {
		t.Errorf("sheets %v", list)
	}

	// The other views of the same filters, and the dept's.
	b.do(chromedp.Click(chromedp.CSS(`.stats-tabs a[href*="view=trade"]`)))
	b.waitFor("the cross table", `!!document.querySelector('#cross-table') && location.search.includes('view=trade')`)
	b.shot("stats-trade")
	b.do(chromedp.Click(chromedp.CSS(`.stats-tabs a[href*="view=month"]`)))
	b.waitFor("the trend", `!!document.querySelector('#month-table')`)
	b.shot("stats-month")

	// The dept sees its units; the unit's home lists its latest batches.
	b.logout()
	b.login("demo-dept", store.DemoPassword)
	b.do(chromedp.Click(chromedp.CSS(`#stats-link`)), chromedp.WaitVisible(chromedp.CSS("#org-table")))
	if got := b.text("#org-table"); !strings.Contains(got, "合肥建工职业技能培训学校") || strings.Contains(got, "芜湖") {
		t.Errorf("dept table: %q", got)
	}
	b.shot("stats-dept")
	b.logout()
	b.login("demo-unit", store.DemoPassword)
	if got := b.text("#recent-batches"); !strings.Contains(got, "待提交") || !strings.Contains(got, "主管部门审核中") {
		t.Errorf("unit's latest batches: %q", got)
	}
	b.shot("home-unit-batches")
}
