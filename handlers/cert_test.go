package handlers

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"certreg/idcard"
	"certreg/store"
)

// certsOf returns the certificates of a demo user's organisation, by number.
func (e *env) certsOf(username string) []store.Certificate {
	e.t.Helper()
	page, err := e.w.Store.Certificates(e.w.Actor(e.t, username), store.CertQuery{Sort: store.SortNumber, Asc: true, Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	own := e.w.Org(e.t, username).ID
	var out []store.Certificate
	for _, c := range page.Certs {
		if c.OrgID == own {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		e.t.Fatalf("%s has no demo certificates", username)
	}
	return out
}

func validCert(t *testing.T, certs []store.Certificate) store.Certificate {
	t.Helper()
	for _, c := range certs {
		if c.Status == store.CertValid {
			return c
		}
	}
	t.Fatal("no valid certificate")
	return store.Certificate{}
}

// Who sees, prints and changes which certificates: no cross-unit access, a
// dept sees only its units', the province all, and only the issuing unit
// prints.
func TestCertScenarios(t *testing.T) {
	e := newEnv(t)
	unitCerts, directCerts := e.certsOf("demo-unit"), e.certsOf("demo-direct")
	u, d := validCert(t, unitCerts), validCert(t, directCerts)
	var cancelled store.Certificate
	for _, c := range unitCerts {
		if c.Status == store.CertCancelled {
			cancelled = c
		}
	}
	if cancelled.Number == "" {
		t.Fatal("the demo has no cancelled certificate")
	}
	get, post := http.MethodGet, http.MethodPost
	uDetail, dDetail := "/certificates/"+u.Number, "/certificates/"+d.Number
	runScenarios(t, e, []scenario{
		// The list: each scope, IDs masked.
		{name: "unit lists its own", user: "demo-unit", method: get, path: "/certificates?size=100", status: 200,
			want:   []string{"证书查询", u.Number, idcard.Mask(u.IDNumber), "打印所选", "导出 Excel", `name="n"`},
			absent: []string{d.Number, u.IDNumber, "发证机构</th>"}},
		{name: "unit list as table fragment", user: "demo-unit", method: get, path: "/certificates?name=" + url.QueryEscape(u.Name), htmx: true, status: 200,
			want: []string{u.Number, "cert-table"}, absent: []string{"<html", "<nav"}},
		{name: "another unit of the same dept sees none of them", user: "hfcj-admin", method: get, path: "/certificates", status: 200,
			want: []string{"没有证书"}, absent: []string{u.Number, d.Number}},
		{name: "another unit cannot filter by the unit", user: "hfcj-admin", method: get, path: "/certificates?org=" + itoa(e.w.Org(t, "demo-unit").ID), status: 404,
			absent: []string{u.Number}},
		{name: "direct sees only its own", user: "demo-direct", method: get, path: "/certificates?size=100", status: 200,
			want: []string{d.Number}, absent: []string{u.Number}},
		{name: "dept sees its units'", user: "demo-dept", method: get, path: "/certificates?size=100", status: 200,
			want: []string{u.Number, "发证机构", "合肥建工职业技能培训学校"}, absent: []string{d.Number, "打印所选"}},
		{name: "another dept sees none", user: "wh-dept", method: get, path: "/certificates", status: 200,
			want: []string{"证书查询", "cert-table"}, absent: []string{u.Number, d.Number}},
		{name: "province sees all (证书库)", user: "demo-province", method: get, path: "/certificates?size=100", status: 200,
			want: []string{"证书库", u.Number, d.Number}},
		{name: "province filters by the unit", user: "demo-province", method: get, path: "/certificates?size=100&org=" + itoa(e.w.Org(t, "demo-unit").ID), status: 200,
			want: []string{u.Number}, absent: []string{d.Number}},
		{name: "filter by status", user: "demo-province", method: get, path: "/certificates?status=cancelled", status: 200,
			want: []string{cancelled.Number, "已注销"}, absent: []string{u.Number}},
		{name: "bad filter is 422", user: "demo-province", method: get, path: "/certificates?number=26ab", status: 422,
			want: []string{"证书编号应为"}},
		{name: "bad date is 422", user: "demo-province", method: get, path: "/certificates?from=2026-13-45", status: 422,
			want: []string{"日期格式"}},
		{name: "dept reviewer lists its units'", user: "hf-reviewer", method: get, path: "/certificates?size=100", status: 200, want: []string{u.Number}},
		{name: "anonymous is sent to login", method: get, path: "/certificates", status: http.StatusSeeOther},

		// The detail: full ID in scope, 404 outside.
		{name: "unit opens its own", user: "demo-unit", method: get, path: uDetail, status: 200,
			want: []string{u.Number, u.IDNumber, u.Name, "证书历史", "注册", "打印本证书"}, absent: []string{"注销证书"}},
		{name: "other unit gets 404", user: "hfcj-admin", method: get, path: uDetail, status: 404},
		{name: "direct gets 404 for the unit's", user: "demo-direct", method: get, path: uDetail, status: 404},
		{name: "unit gets 404 for the direct's", user: "demo-unit", method: get, path: dDetail, status: 404},
		{name: "dept opens its unit's", user: "demo-dept", method: get, path: uDetail, status: 200,
			want: []string{u.IDNumber}, absent: []string{"打印本证书", "注销证书"}},
		{name: "other dept gets 404", user: "wh-dept", method: get, path: uDetail, status: 404},
		{name: "province opens any, with 注销", user: "demo-province", method: get, path: dDetail, status: 200,
			want: []string{d.IDNumber, "注销证书", "注销原因"}},
		{name: "province sees 激活 on a cancelled one", user: "demo-province", method: get, path: "/certificates/" + cancelled.Number, status: 200,
			want: []string{"激活证书", "省厅直接注销"}},
		{name: "malformed number is 404", user: "demo-province", method: get, path: "/certificates/12345", status: 404},
		{name: "unknown number is 404", user: "demo-province", method: get, path: "/certificates/99999999999999", status: 404},

		// Printing and the print status: only the issuing unit.
		{name: "other unit cannot print the unit's", user: "hfcj-admin", method: post, path: "/certificates/print",
			form: url.Values{"n": {u.Number}, "format": {builtinFull}}, status: 404},
		{name: "direct cannot print the unit's", user: "demo-direct", method: post, path: "/certificates/print",
			form: url.Values{"n": {u.Number}}, status: 404},
		{name: "dept cannot print", user: "demo-dept", method: post, path: "/certificates/print",
			form: url.Values{"n": {u.Number}}, status: 403},
		{name: "province cannot print", user: "demo-province", method: post, path: "/certificates/print",
			form: url.Values{"n": {u.Number}}, status: 403},
		{name: "unit cannot print a cancelled one", user: "demo-unit", method: post, path: "/certificates/print",
			form: url.Values{"n": {cancelled.Number}, "from": {cancelled.Number}}, status: 422, want: []string{"已注销状态，不能打印"}},
		{name: "print without selection", user: "demo-unit", method: post, path: "/certificates/print",
			form: url.Values{"q": {"status=valid"}}, status: 422, want: []string{"请先勾选"}},
		{name: "other unit cannot mark the unit's printed", user: "hfcj-admin", method: post, path: "/certificates/printed",
			form: url.Values{"n": {u.Number}, "printed": {"1"}}, status: 404},
		{name: "dept cannot mark printed", user: "demo-dept", method: post, path: "/certificates/printed",
			form: url.Values{"n": {u.Number}, "printed": {"1"}}, status: 403},
		{name: "unit marks its own printed", user: "demo-unit", method: post, path: "/certificates/printed",
			form: url.Values{"n": {u.Number}, "printed": {"1"}, "from": {u.Number}}, status: http.StatusSeeOther, location: uDetail},
		{name: "marking again says so", user: "demo-unit", method: post, path: "/certificates/printed",
			form: url.Values{"n": {u.Number}, "printed": {"1"}, "q": {"printed=yes"}}, status: 422, want: []string{"已经是已打印状态"}},
		{name: "clerk with cert.print prints", user: "hfjg-clerk", method: post, path: "/certificates/print",
			form: url.Values{"n": {u.Number}}, status: 200,
			want: []string{"%PDF-"}, header: map[string]string{"Content-Type": "application/pdf", "Content-Disposition": u.Number + ".pdf"}},

		// Status: the province only, with a reason.
		{name: "unit cannot cancel", user: "demo-unit", method: post, path: uDetail + "/status",
			form: url.Values{"action": {"cancel"}, "reason": {"x"}}, status: 403},
		{name: "dept cannot cancel", user: "demo-dept", method: post, path: uDetail + "/status",
			form: url.Values{"action": {"cancel"}, "reason": {"x"}}, status: 403},
		{name: "reviewer without cert.status cannot cancel", user: "ah-reviewer", method: post, path: uDetail + "/status",
			form: url.Values{"action": {"cancel"}, "reason": {"x"}}, status: 403},
		{name: "cancel needs a reason", user: "demo-province", method: post, path: uDetail + "/status",
			form: url.Values{"action": {"cancel"}, "reason": {"  "}}, status: 422, want: []string{"请填写注销原因"}},
		{name: "activating a valid one is refused", user: "demo-province", method: post, path: uDetail + "/status",
			form: url.Values{"action": {"activate"}, "reason": {"误操作"}}, status: 422, want: []string{"只有已注销的证书可以激活"}},
		{name: "province cancels", user: "demo-province", method: post, path: uDetail + "/status",
			form: url.Values{"action": {"cancel"}, "reason": {"持证人申请注销"}}, status: http.StatusSeeOther, location: uDetail},
		{name: "history shows it", user: "demo-province", method: get, path: uDetail, status: 200,
			want: []string{"持证人申请注销", "激活证书"}},
		{name: "log shows it", user: "demo-province", method: get, path: "/logs?action=cert.cancel", status: 200,
			want: []string{"注销证书", u.Number}},

		// Formats: units and 省直所 only.
		{name: "unit lists its formats", user: "demo-unit", method: get, path: "/certificates/formats", status: 200,
			want: []string{"合肥建工 A4 完整证书", "默认", "预印证书套打"}},
		{name: "direct has none yet", user: "demo-direct", method: get, path: "/certificates/formats", status: 200,
			want: []string{"还没有自己的打印格式"}},
		{name: "dept has no formats", user: "demo-dept", method: get, path: "/certificates/formats", status: 403},
		{name: "province has no formats", user: "demo-province", method: get, path: "/certificates/formats", status: 403},
		{name: "unit export", user: "demo-unit", method: get, path: "/certificates/export", status: 200,
			want: []string{"PK\x03\x04"}, header: map[string]string{"Content-Type": "spreadsheetml", "Content-Disposition": ".xlsx"}},
		{name: "public verification form", method: get, path: "/verify", status: 200, want: []string{"证书编号", "持证人姓名"}},
	})
}

// pdfTool runs a poppler tool on a PDF, failing when it is not installed
// in CI and skipping elsewhere.
func pdfTool(t *testing.T, pdf []byte, name string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (apt-get install poppler-utils)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	f := filepath.Join(t.TempDir(), "out.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	args = append(args, f)
	if name == "pdftotext" {
		args = append(args, "-")
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return string(out)
}

var pagesRe = regexp.MustCompile(`Pages:\s+(\d+)`)

func pdfPages(t *testing.T, pdf []byte) int {
	t.Helper()
	m := pagesRe.FindStringSubmatch(pdfTool(t, pdf, "pdfinfo"))
	if m == nil {
		t.Fatal("pdfinfo: no page count")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// Two selected certificates print as one PDF of two pages with the
// embedded Chinese font and every field, and the print is recorded.
func TestCertPrintPDF(t *testing.T) {
	e := newEnv(t)
	certs := e.certsOf("demo-unit")
	var pick []store.Certificate
	for _, c := range certs {
		if c.Status == store.CertValid && !c.Printed && len(pick) < 2 {
			pick = append(pick, c)
		}
	}
	c := e.login("demo-unit")
	r := c.post("/certificates/print", url.Values{"n": {pick[0].Number, pick[1].Number}, "format": {builtinFull}, "q": {""}})
	if r.status != 200 || r.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("print: %d %s\n%.500s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".pdf") {
		t.Errorf("Content-Disposition %q", cd)
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
	pdf := []byte(r.body)
	if n := pdfPages(t, pdf); n != 2 {
		t.Errorf("%d pages, want 2", n)
	}
	if fonts := pdfTool(t, pdf, "pdffonts"); !strings.Contains(fonts, "LXGWWenKai") || !strings.Contains(fonts, "yes yes") {
		t.Errorf("font not embedded as a subset:\n%s", fonts)
	}
	text := strings.Join(strings.Fields(pdfTool(t, pdf, "pdftotext", "-layout")), "")
	for _, p := range pick {
		for _, want := range []string{p.Number, p.Name, p.IDNumber, p.OccupationName, p.LevelName(), "合肥建工职业技能培训学校"} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF lacks %q", want)
			}
		}
	}
	if !strings.Contains(text, "职业培训合格证") {
		t.Error("full design lacks its title")
	}
	// Recorded: printed, count, history, log.
	for _, p := range pick {
		got, err := e.w.Store.Certificate(e.w.Org(t, "demo-unit"), p.Number)
		if err != nil {
			t.Fatal(err)
		}
		last := got.History[len(got.History)-1]
		if !got.Printed || got.PrintCount != 1 || got.LastPrintedBy != "demo-unit" || last.Kind != "打印" || !strings.Contains(last.Detail, "格式：内置完整证书（A4 横向）") {
			t.Errorf("print not recorded: %+v", got)
		}
	}
	if r := c.get("/logs?action=cert.print"); !strings.Contains(r.body, pick[0].Number+" 等 2 本证书") {
		t.Error("print not in the operation log")
	}
	// The overlay format prints only the values.
	r = c.post("/certificates/print", url.Values{"n": {pick[0].Number}, "format": {builtinOverlay}})
	text = strings.Join(strings.Fields(pdfTool(t, []byte(r.body), "pdftotext")), "")
	if strings.Contains(text, "职业培训合格证") || !strings.Contains(text, pick[0].Name) {
		t.Errorf("overlay text: %q", text)
	}
	// A stored format of another unit is not found.
	r = c.post("/certificates/print", url.Values{"n": {pick[0].Number}, "format": {"999"}})
	if r.status != 404 {
		t.Errorf("unknown format: %d", r.status)
	}
}

// The QR link's token verifies its own number only; a forged token, a
// token of another number and a wrong name all get the one "not found".
func TestVerification(t *testing.T) {
	e := newEnv(t)
	certs := e.certsOf("demo-unit")
	cert, other := validCert(t, certs), certs[len(certs)-1]
	key, err := e.w.Store.SecretKey("verify")
	if err != nil {
		t.Fatal(err)
	}
	tok := verifyToken(key, cert.Number)
	if len(tok) != 16 || !validToken(key, cert.Number, tok) || validToken(key, other.Number, tok) || validToken(key, cert.Number, "AAAAAAAAAAAAAAAA") {
		t.Fatal("token checks")
	}
	c := e.client()
	r := c.get("/verify?" + url.Values{"n": {cert.Number}, "t": {tok}}.Encode())
	if r.status != 200 || !strings.Contains(r.body, "有效") || !strings.Contains(r.body, idcard.Mask(cert.IDNumber)) ||
		strings.Contains(r.body, cert.IDNumber) || !strings.Contains(r.body, cert.Name) || !strings.Contains(r.body, cert.OrgName) {
		t.Fatalf("QR lookup: %d\n%s", r.status, r.body)
	}
	r = c.post("/verify", url.Values{"number": {cert.Number}, "name": {" " + cert.Name + " "}})
	if r.status != 200 || !strings.Contains(r.body, `id="verify-status"`) {
		t.Fatalf("name lookup: %d", r.status)
	}
	// Every miss is the same answer, byte for byte.
	misses := []resp{
		c.get("/verify?" + url.Values{"n": {cert.Number}, "t": {"forgedforgedforg"}}.Encode()),
		c.get("/verify?" + url.Values{"n": {cert.Number}, "t": {verifyToken(key, other.Number)}}.Encode()),
		c.get("/verify?" + url.Values{"n": {"26340199990001"}, "t": {verifyToken(key, "26340199990001")}}.Encode()),
		c.post("/verify", url.Values{"number": {cert.Number}, "name": {"王小二"}}),
		c.post("/verify", url.Values{"number": {"26340199990001"}, "name": {cert.Name}}),
		c.post("/verify", url.Values{"number": {"abc"}, "name": {cert.Name}}),
	}
	for i, m := range misses {
		if m.status != misses[0].status || m.body != misses[0].body {
			t.Errorf("miss %d differs: %d vs %d", i, m.status, misses[0].status)
		}
	}
	if misses[0].status != 200 || !strings.Contains(misses[0].body, "未查询到") || strings.Contains(misses[0].body, cert.Name) {
		t.Errorf("miss answer: %d", misses[0].status)
	}
	// A cancelled certificate says so; the demo's is one.
	for _, ct := range certs {
		if ct.Status == store.CertCancelled {
			r := c.get("/verify?" + url.Values{"n": {ct.Number}, "t": {verifyToken(key, ct.Number)}}.Encode())
			if !strings.Contains(r.body, "已注销") {
				t.Errorf("cancelled certificate: %s", r.body)
			}
		}
	}
	// The 21st lookup in a minute from one address is refused.
	limited := e.client()
	limited.ip = "10.9.9.9"
	var last resp
	for i := 0; i < 21; i++ {
		last = limited.get("/verify?n=26340199990001&t=x")
	}
	if last.status != http.StatusTooManyRequests || !strings.Contains(last.body, "查询过于频繁") {
		t.Errorf("rate limit: %d", last.status)
	}
	e.w.Clock.Advance(61 * time.Second)
	if r := limited.get("/verify?n=26340199990001&t=x"); r.status != 200 {
		t.Errorf("after a minute: %d", r.status)
	}
}

// The export masks IDs, keeps formula-like values inert text and dates as
// dates.
func TestCertExport(t *testing.T) {
	e := newEnv(t)
	unit := e.w.Org(t, "demo-unit")
	tricky := store.Certificate{Number: "20340101450001", Name: "@张三", Gender: "男", IDNumber: idcard.Make("340102", time.Date(1980, 1, 2, 0, 0, 0, 0, time.UTC), 11),
		WorkUnit: "=HYPERLINK(\"http://x\")", Occupation: "014", OccupationName: "模板工", Level: 5, OrgID: unit.ID, OrgName: unit.Name, OrgPath: unit.Path,
		Region: "3401", IssueDate: store.IssueDay(time.Date(2020, 5, 1, 0, 0, 0, 0, time.UTC)), Status: store.CertValid, Version: 1}
	if err := e.w.Store.BulkLoadCertificates(1, func(int) store.Certificate { return tricky }); err != nil {
		t.Fatal(err)
	}
	c := e.login("demo-unit")
	r := c.get("/certificates/export?number=2034")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("export: %d %s", r.status, r.header.Get("Content-Disposition"))
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows %v %v", rows, err)
	}
	row := strings.Join(rows[1], "|")
	for _, want := range []string{"20340101450001|@张三|男|" + idcard.Mask(tricky.IDNumber) + "|=HYPERLINK(\"http://x\")|", "|2020年5月1日|"} {
		if !strings.Contains(row, want) {
			t.Errorf("export row lacks %q: %s", want, row)
		}
	}
	// Formula-like values stay text, without an apostrophe in the data.
	sh := f.GetSheetName(0)
	for _, cell := range []string{"B2", "E2"} {
		if typ, _ := f.GetCellType(sh, cell); typ != excelize.CellTypeInlineString {
			t.Errorf("%s is not text: %v", cell, typ)
		}
		if formula, _ := f.GetCellFormula(sh, cell); formula != "" {
			t.Errorf("%s holds a formula %q", cell, formula)
		}
	}
	if v, _ := f.GetCellValue(sh, "M2", excelize.Options{RawCellValue: true}); v != "1" {
		t.Errorf("版本 %q, want the number 1", v)
	}
	if strings.Contains(row, tricky.IDNumber) {
		t.Error("full ID in the export")
	}
	// The whole list exports too, with a log line.
	if r := c.get("/certificates/export"); r.status != 200 {
		t.Errorf("full export: %d", r.status)
	}
	if r := c.get("/logs?action=cert.export"); !strings.Contains(r.body, "导出证书") {
		t.Error("export not logged")
	}
}

// Print formats through the pages: invalid input is 422 with every problem,
// then create, preview (framable PDF), copy, default, calibration, delete.
func TestPrintFormatPages(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-direct")
	r := c.get("/certificates/formats/new?mode=overlay")
	if r.status != 200 || !strings.Contains(r.body, `name="f_name_x"`) || !strings.Contains(r.body, `value="overlay" checked`) {
		t.Fatalf("new form: %d", r.status)
	}
	form := pageForm(r.body)
	form.Set("name", "")
	form.Set("f_name_size", "99")
	form.Set("offset_x", "abc")
	r = c.post("/certificates/formats", form)
	if r.status != 422 || !strings.Contains(r.body, "请填写格式名称") || !strings.Contains(r.body, "字号须在") || !strings.Contains(r.body, "水平偏移应为数字") {
		t.Fatalf("invalid format: %d\n%.3000s", r.status, r.body)
	}
	form.Set("name", "干部学校预印纸")
	form.Set("f_name_size", "16")
	form.Set("offset_x", "2.5")
	r = c.post("/certificates/formats", form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%.2000s", r.status, r.body)
	}
	loc := r.header.Get("Location")
	id := strings.TrimPrefix(loc, "/certificates/formats/")
	r = c.get("/certificates/formats")
	if !strings.Contains(r.body, "干部学校预印纸") || !strings.Contains(r.body, "默认") {
		t.Fatalf("list after create: %s", r.body)
	}
	// The same name again is refused.
	r = c.post("/certificates/formats", form)
	if r.status != 422 || !strings.Contains(r.body, "已有同名的打印格式") {
		t.Errorf("duplicate name: %d", r.status)
	}
	// Preview: a PDF the form's page may frame.
	r = c.get("/certificates/formats/preview?" + form.Encode())
	if r.status != 200 || r.header.Get("Content-Type") != "application/pdf" || r.header.Get("X-Frame-Options") != "SAMEORIGIN" ||
		!strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors 'self'") || strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("preview: %d %v", r.status, r.header)
	}
	if !strings.HasPrefix(r.header.Get("Content-Disposition"), "inline;") || pdfPages(t, []byte(r.body)) != 1 {
		t.Error("preview is not one inline page")
	}
	if text := pdfTool(t, []byte(r.body), "pdftotext"); !strings.Contains(text, "王喆") {
		t.Errorf("preview text %q", text)
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("f_name_x", "400")
	r = c.get("/certificates/formats/preview?" + bad.Encode())
	if r.status != 200 || !strings.Contains(r.body, "超出纸面") || r.header.Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Errorf("preview of a bad format: %d %s", r.status, r.body)
	}
	r = c.get("/certificates/formats/preview?kind=calibration&" + form.Encode())
	if pdfPages(t, []byte(r.body)) != 1 {
		t.Error("calibration page")
	}
	r = c.get("/certificates/formats/" + id + "/calibration")
	if r.status != 200 || r.header.Get("Content-Type") != "application/pdf" {
		t.Errorf("saved calibration: %d", r.status)
	}
	// Copy, make the copy the default, delete the original.
	r = c.post("/certificates/formats/"+id+"/copy", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("copy: %d", r.status)
	}
	copyID := strings.TrimPrefix(r.header.Get("Location"), "/certificates/formats/")
	if r := c.post("/certificates/formats/"+copyID+"/default", nil); r.status != http.StatusSeeOther {
		t.Fatalf("default: %d", r.status)
	}
	if r := c.post("/certificates/formats/"+id+"/delete", nil); r.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.status)
	}
	r = c.get("/certificates/formats")
	if !strings.Contains(r.body, "干部学校预印纸（副本）") || strings.Count(r.body, `href="/certificates/formats/`+id+`"`) != 0 {
		t.Errorf("after copy/delete: %s", r.body)
	}
	// The copy is offered for printing and selected by default.
	r = c.get("/certificates")
	if !regexp.MustCompile(`<option value="` + copyID + `" selected>干部学校预印纸（副本）`).MatchString(r.body) {
		t.Error("default format not preselected")
	}
	// Another organisation's format does not exist for the caller.
	other := e.login("demo-unit")
	for _, p := range []string{"/certificates/formats/" + copyID, "/certificates/formats/" + copyID + "/calibration"} {
		if r := other.get(p); r.status != 404 {
			t.Errorf("%s by another unit: %d", p, r.status)
		}
	}
	if r := other.post("/certificates/formats/"+copyID+"/delete", nil); r.status != 404 {
		t.Errorf("delete by another unit: %d", r.status)
	}
}

var inputRe = regexp.MustCompile(`<input[^>]*name="([^"]+)"[^>]*>`)
var valueRe = regexp.MustCompile(`value="([^"]*)"`)

// pageForm reads the inputs of a page's form as a browser would submit
// them (checked boxes and radios only).
func pageForm(body string) url.Values {
	v := url.Values{}
	for _, m := range inputRe.FindAllStringSubmatch(body, -1) {
		tag, name := m[0], m[1]
		if name == "_csrf" {
			continue
		}
		if (strings.Contains(tag, `type="checkbox"`) || strings.Contains(tag, `type="radio"`)) && !strings.Contains(tag, " checked") {
			continue
		}
		val := ""
		if vm := valueRe.FindStringSubmatch(tag); vm != nil {
			val = vm[1]
		}
		v.Add(name, val)
	}
	if m := regexp.MustCompile(`<option value="([^"]*)" selected>`).FindStringSubmatch(body[strings.Index(body, `name="paper"`):]); m != nil {
		v.Set("paper", m[1])
	}
	return v
}
