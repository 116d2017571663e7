package handlers

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"certreg/fixture"
	"certreg/store"
)

// statsWorld is the demo province with a known set of certificates on
// known days of the second quarter of 2026 (the demo's own certificates are
// younger): 4 of 砌筑工 五级 by demo-unit (合肥) on 2026-04-15, one of them
// later cancelled; 2 of 钢筋工 四级 by a 芜湖 unit on 2026-05-03; 3 of 砌筑工
// 五级 by demo-direct (省直属) on 2026-06-30 at 23:00 China time.
func statsWorld(t *testing.T) *env {
	t.Helper()
	return serve(t, statsFixture(t))
}

// statsFixture is the world of statsWorld, not yet served.
func statsFixture(t *testing.T) *fixture.World {
	t.Helper()
	w := fixture.Demo(t)
	const wuhuAdmin = "whpx-admin" // 芜湖市建设职业技能培训中心
	parentAdmin := map[string]string{"demo-unit": "demo-dept", wuhuAdmin: "wh-dept"}
	// Through the product: a batch created, submitted and approved (by the
	// dept for a unit, then the province) on the given day.
	seed := 40
	issue := func(username, occ, occName string, level, n int, at time.Time) []store.Certificate {
		seed++
		w.Clock.Set(at)
		cands := candidates(n, seed)
		for i := range cands {
			cands[i].OccupationCode, cands[i].OccupationName, cands[i].Level = occ, occName, level
		}
		a := w.Actor(t, username)
		b, err := w.Store.CreateBatch(a, store.NewBatch{Name: fmt.Sprintf("统计测试%d", seed), Candidates: cands})
		if err != nil {
			t.Fatalf("create batch for %s: %v", username, err)
		}
		if b, err = w.Store.SubmitBatch(a, b.ID); err != nil {
			t.Fatal(err)
		}
		if b.State == store.BatchPendingDept {
			if b, err = w.Store.ApproveBatch(w.Actor(t, parentAdmin[username]), b.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err = w.Store.ApproveBatch(w.Actor(t, "demo-province"), b.ID); err != nil {
			t.Fatal(err)
		}
		certs, err := w.Store.BatchCertificates(w.Org(t, "demo-province"), b.ID)
		if err != nil || len(certs) != n {
			t.Fatalf("batch certificates: %v %d", err, len(certs))
		}
		return certs
	}
	hf := issue("demo-unit", "012", "砌筑工", 5, 4, time.Date(2026, 4, 15, 2, 0, 0, 0, time.UTC))
	issue(wuhuAdmin, "011", "钢筋工", 4, 2, time.Date(2026, 5, 3, 2, 0, 0, 0, time.UTC))
	issue("demo-direct", "012", "砌筑工", 5, 3, time.Date(2026, 6, 30, 15, 0, 0, 0, time.UTC))
	w.Clock.Set(fixture.Start)
	if _, err := w.Store.CancelCertificate(w.Actor(t, "demo-province"), hf[0].Number, "统计测试"); err != nil {
		t.Fatal(err)
	}
	return w
}

// The second quarter of 2026.
const q2 = "from=2026-04-01&to=2026-06-30"

func TestStatsScenarios(t *testing.T) {
	e := statsWorld(t)
	get := http.MethodGet
	runScenarios(t, e, []scenario{
		{name: "province opens 统计分析", user: "demo-province", method: get, path: "/stats?" + q2, status: 200,
			want: []string{"统计分析", "各地市发证数", "合肥市", "芜湖市", "省直属", "统计口径", `id="stats-export"`, `href="/stats"`}},
		{name: "province menu has 统计分析", user: "demo-province", method: get, path: "/", status: 200,
			want: []string{`class="nav"`, `href="/stats"`}},
		{name: "province picks 合肥市", user: "demo-province", method: get, path: "/stats?region=3401&" + q2, status: 200,
			want:   []string{"合肥市 · 培训机构发证统计", "合肥建工职业技能培训学校", `<th class="num" id="org-total">4</th>`, "返回全部地市"},
			absent: []string{"芜湖市建设职业技能培训中心"}},
		{name: "province picks 省直属", user: "demo-province", method: get, path: "/stats?region=3400&" + q2, status: 200,
			want: []string{"安徽省建设干部学校", `<th class="num" id="org-total">3</th>`}},
		{name: "省直所 filter on 合肥市 is empty", user: "demo-province", method: get, path: "/stats?region=3401&type=direct&" + q2, status: 200,
			want: []string{"合肥市没有省直所颁发过证书"}},
		{name: "by trade", user: "demo-province", method: get, path: "/stats?view=trade&" + q2, status: 200,
			want: []string{"职业（工种）× 等级 · 发证数", "砌筑工", "钢筋工", `<th class="num" id="cross-total">9</th>`}},
		{name: "by trade, valid now", user: "demo-province", method: get, path: "/stats?view=trade&measure=valid&" + q2, status: 200,
			want: []string{"职业（工种）× 等级 · 当前有效", `<th class="num" id="cross-total">8</th>`}},
		{name: "by month", user: "demo-province", method: get, path: "/stats?view=month&" + q2, status: 200,
			want: []string{"每月发证数", "2026年04月", "2026年06月"}},
		{name: "htmx without a target gets the page without layout", user: "demo-province", method: get, path: "/stats?occupation=011&" + q2, htmx: true, status: 200,
			want: []string{"各地市发证数"}, absent: []string{"<html"}},
		{name: "empty range", user: "demo-province", method: get, path: "/stats?view=trade&from=2001-01-01&to=2001-12-31", status: 200,
			want: []string{"所选条件下没有证书"}},
		{name: "bad date", user: "demo-province", method: get, path: "/stats?from=2026-13-01", status: 422,
			want: []string{"日期格式应为"}, absent: []string{`id="stats-export"`}},
		{name: "reversed range", user: "demo-province", method: get, path: "/stats?from=2026-09-01&to=2026-08-01", status: 422,
			want: []string{"结束日期不能早于开始日期"}},
		{name: "unknown city", user: "demo-province", method: get, path: "/stats?region=9901", status: 422,
			want: []string{"所选地市不在本省"}},
		{name: "bad level", user: "demo-province", method: get, path: "/stats?level=9", status: 422, want: []string{"等级无效"}},

		{name: "dept sees its units", user: "demo-dept", method: get, path: "/stats?" + q2, status: 200,
			want:   []string{"各单位发证数", "合肥建工职业技能培训学校", `<th class="num" id="org-total">4</th>`},
			absent: []string{"芜湖", "安徽省建设干部学校", "省直属", `name="type"`}},
		{name: "dept menu has 统计分析", user: "demo-dept", method: get, path: "/", status: 200, want: []string{`href="/stats"`}},
		{name: "dept by trade counts its units only", user: "demo-dept", method: get, path: "/stats?view=trade&" + q2, status: 200,
			want: []string{`<th class="num" id="cross-total">4</th>`}, absent: []string{`<span class="mono muted">011</span>`}},
		{name: "dept cannot focus on another dept's unit", user: "demo-dept", method: get, path: "/stats?view=trade&org=" + itoa(statsOrg(t, e, "3402")), status: 404},

		{name: "province exports", user: "demo-province", method: get, path: "/stats/export?region=3401&" + q2, status: 200, want: []string{"PK"}},
		{name: "dept exports", user: "demo-dept", method: get, path: "/stats/export?view=trade&" + q2, status: 200, want: []string{"PK"}},
		{name: "dept export outside its scope", user: "demo-dept", method: get, path: "/stats/export?view=month&org=" + itoa(statsOrg(t, e, "3402")), status: 404},
		{name: "a focused trade view names the organisation", user: "demo-province", method: get, path: "/stats?view=trade&org=" + itoa(e.w.Org(t, "demo-unit").ID) + "&" + q2, status: 200,
			want: []string{"统计范围：合肥建工职业技能培训学校", "取消机构限定", `<th class="num" id="cross-total">4</th>`}},
		{name: "the organisation view ignores a focus", user: "demo-province", method: get, path: "/stats?org=" + itoa(e.w.Org(t, "demo-unit").ID) + "&" + q2, status: 200,
			want: []string{"统计范围：全省"}, absent: []string{"取消机构限定"}},
		{name: "unit is refused", user: "demo-unit", method: get, path: "/stats", status: 403},
		{name: "unit export is refused", user: "demo-unit", method: get, path: "/stats/export", status: 403},
		{name: "direct is refused", user: "demo-direct", method: get, path: "/stats", status: 403},
		{name: "unit menu lacks 统计分析", user: "demo-unit", method: get, path: "/", status: 200,
			want: []string{"首页", `href="/batches"`}, absent: []string{`href="/stats"`}},
		{name: "anonymous goes to login", method: get, path: "/stats", status: http.StatusSeeOther},
	})
}

// statsOrg is a unit of the region.
func statsOrg(t *testing.T, e *env, region string) uint64 {
	prov := e.w.Org(t, "demo-province")
	all, _, _ := e.w.Store.Orgs(prov, store.OrgFilter{Limit: 1000, Region: region, Type: store.Unit})
	if len(all) == 0 {
		t.Fatalf("no unit in %s", region)
	}
	return all[0].ID
}

// A filter, a tab or a bar aimed at #stats-result gets the result, the
// form's state fields out of band and a shareable URL to push.
func TestStatsHTMXPushesURL(t *testing.T) {
	e := statsWorld(t)
	c := e.login("demo-province")
	r := c.do(http.MethodGet, "/stats?region=3401&level=5&"+q2, nil, map[string]string{"HX-Request": "true", "HX-Target": "stats-result"})
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	push := r.header.Get("HX-Push-Url")
	u, err := url.Parse(push)
	if err != nil || u.Path != "/stats" || u.Query().Get("region") != "3401" || u.Query().Get("level") != "5" || u.Query().Get("from") != "2026-04-01" {
		t.Errorf("pushed %q", push)
	}
	for _, want := range []string{`id="stats-state" class="state" hx-swap-oob="true"`, `<option value="3401" selected>合肥市</option>`, "合肥建工职业技能培训学校"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("answer lacks %q", want)
		}
	}
	if strings.Contains(r.body, "<html") {
		t.Error("a whole page")
	}
	// The pushed URL opens the same view as a page.
	page := c.get(push)
	if page.status != 200 || !strings.Contains(page.body, "合肥市 · 培训机构发证统计") || !strings.Contains(page.body, "<html") {
		t.Errorf("pushed URL: %d", page.status)
	}
}

// statsBook downloads an export and opens it.
func statsBook(t *testing.T, c *client, path string) (*excelize.File, []byte) {
	t.Helper()
	r := c.get(path)
	if r.status != 200 {
		t.Fatalf("%s: %d\n%.500s", path, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") {
		t.Fatalf("content type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Fatalf("disposition %q", cd)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, []byte(r.body)
}

// zipPart reads one part of the workbook's package.
func zipPart(t *testing.T, b []byte, prefix string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, prefix) {
			rc, _ := f.Open()
			body, _ := io.ReadAll(rc)
			rc.Close()
			return string(body)
		}
	}
	t.Fatalf("no part %s", prefix)
	return ""
}

// The export of 合肥市's organisations in the third quarter: a title row
// naming the filters and the date, the figures as numbers with a total,
// the cities on their own sheet, and a native column chart on a chart sheet
// drawing the cities' 发证数.
func TestStatsExportWorkbook(t *testing.T) {
	e := statsWorld(t)
	c := e.login("demo-province")
	f, raw := statsBook(t, c, "/stats/export?region=3401&"+q2)
	if got := f.GetSheetList(); len(got) != 3 || got[0] != "培训机构统计" || got[1] != "各地市统计" || got[2] != "图表" {
		t.Fatalf("sheets %v", got)
	}
	title, _ := f.GetCellValue("培训机构统计", "A1")
	for _, want := range []string{"合肥市 · 培训机构发证统计", "发证日期 2026-04-01 至 2026-06-30", "职业（工种）：全部", "导出时间：2026-11-28"} {
		if !strings.Contains(title, want) {
			t.Errorf("title %q lacks %q", title, want)
		}
	}
	header, _ := f.GetRows("培训机构统计")
	if strings.Join(header[1], ",") != "培训机构,机构代码,发证数,当前有效,已注销,已补办" {
		t.Errorf("header %v", header[1])
	}
	unit := e.w.Org(t, "demo-unit")
	if name, _ := f.GetCellValue("培训机构统计", "A3"); name != unit.Name {
		t.Errorf("first row %q", name)
	}
	if code, _ := f.GetCellValue("培训机构统计", "B3"); code != unit.Code {
		t.Errorf("code %q", code)
	}
	// 4 issued, 3 valid, 1 cancelled, 0 reissued — stored as numbers.
	for cell, want := range map[string]string{"C3": "4", "D3": "3", "E3": "1", "F3": "0", "A4": "合计", "C4": "4"} {
		v, _ := f.GetCellValue("培训机构统计", cell)
		if v != want {
			t.Errorf("%s = %q, want %q", cell, v, want)
		}
		if cell[0] != 'A' {
			if typ, _ := f.GetCellType("培训机构统计", cell); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
				t.Errorf("%s is not a number (%v)", cell, typ)
			}
		}
	}
	sheet := zipPart(t, raw, "xl/worksheets/sheet1.xml")
	if !strings.Contains(sheet, `<c r="C3" s=`) || strings.Contains(sheet, `<c r="C3" t="s"`) {
		t.Errorf("C3 is not a numeric cell: %.400s", sheet[strings.Index(sheet, `r="C3"`)-10:])
	}
	// The cities: 合肥市 4, 芜湖市 2, 省直属 3 in the quarter.
	cities, _ := f.GetRows("各地市统计")
	found := map[string]string{}
	for _, r := range cities[2:] {
		if len(r) > 1 {
			found[r[0]] = r[1]
		}
	}
	if found["合肥市"] != "4" || found["芜湖市"] != "2" || found["省直属"] != "3" || found["合计"] != "9" {
		t.Errorf("cities %v", found)
	}
	// A chart sheet holding a real bar chart over the cities' column.
	chart := strings.ReplaceAll(zipPart(t, raw, "xl/charts/chart"), "&#39;", "'")
	for _, want := range []string{"<barChart>", `<barDir val="col">`, "'各地市统计'!$A$3:$A$19", "'各地市统计'!$B$3:$B$19", "各地市发证数"} {
		if !strings.Contains(chart, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if !strings.Contains(zipPart(t, raw, "xl/workbook.xml"), `name="图表"`) {
		t.Error("no chart sheet in the workbook")
	}
	zipPart(t, raw, "xl/chartsheets/sheet")
	zr, _ := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	for _, p := range zr.File {
		if strings.HasPrefix(p.Name, "xl/media/") {
			t.Errorf("the workbook holds a picture %s", p.Name)
		}
	}
}

// Every view exports what it shows; a dept exports its units only; bad
// filters answer 422 with the page.
func TestStatsExportViews(t *testing.T) {
	e := statsWorld(t)
	c := e.login("demo-province")
	f, _ := statsBook(t, c, "/stats/export?view=trade&"+q2)
	rows, _ := f.GetRows("职业等级统计")
	if len(rows) < 5 || rows[1][0] != "职业（工种）" || rows[1][2] != "五级/初级工" || rows[1][7] != "合计" {
		t.Fatalf("trade header %v", rows[1])
	}
	if rows[2][0] != "钢筋工" || rows[2][3] != "2" || rows[3][0] != "砌筑工" || rows[3][2] != "7" || rows[3][7] != "7" {
		t.Errorf("trade rows %v %v", rows[2], rows[3])
	}
	f, _ = statsBook(t, c, "/stats/export?view=month&"+q2)
	rows, _ = f.GetRows("月度统计")
	if len(rows) < 6 || rows[5][0] != "合计" || rows[2][0] != "2026-04" || rows[2][1] != "4" || rows[4][0] != "2026-06" || rows[4][1] != "3" || rows[5][1] != "9" {
		t.Errorf("month rows %v", rows)
	}
	d := e.login("demo-dept")
	f, _ = statsBook(t, d, "/stats/export?"+q2)
	rows, _ = f.GetRows("培训机构统计")
	for _, r := range rows {
		if strings.Contains(strings.Join(r, ","), "芜湖") || strings.Contains(strings.Join(r, ","), "干部学校") {
			t.Errorf("dept export holds %v", r)
		}
	}
	if last := rows[len(rows)-3]; last[0] != "合计" || last[2] != "4" {
		t.Errorf("dept total %v", last)
	}
	if r := c.get("/stats/export?from=bad"); r.status != 422 || !strings.Contains(r.body, "日期格式应为") {
		t.Errorf("bad export: %d", r.status)
	}
}
