package sheets

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOfficeOpensAndPrints opens the generated workbooks in LibreOffice
// (headless) the way a clerk would print them and checks what comes out:
// the template prints its columns on one page wide (one page per visible
// sheet), every wrapped 错误说明 prints in full, formula-like text prints as
// written (not evaluated, no apostrophe) and export dates print as dates.
//
// LibreOffice is large and CI does not install it: the test is optional and
// skips without soffice (and poppler's pdftotext/pdfinfo); the same
// properties are checked on the files themselves by the excelize-level
// tests.
func TestOfficeOpensAndPrints(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("LibreOffice (soffice) not installed: optional check")
	}
	for _, tool := range []string{"pdftotext", "pdfinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: optional check", tool)
		}
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	var tpl bytes.Buffer
	if err := Template(&tpl, formulaLike[4]+" 合肥市建设职业技能鉴定站", testScope); err != nil {
		t.Fatal(err)
	}
	src := badWorkbook(t, 60)
	res, err := importBytes(src)
	if err != nil {
		t.Fatal(err)
	}
	long := formulaLike[0] + strings.Repeat("这一行的说明很长", 15) + "说明到此结束"
	errs := append([]RowError{{Row: 3, Message: long}}, res.Errors...)
	var ann bytes.Buffer
	if err := Annotate(src, errs, &ann); err != nil {
		t.Fatal(err)
	}
	var exp bytes.Buffer
	if err := Export(&exp, Table{Sheet: "证书", Columns: []Column{{"证书编号", Text}, {"姓名", Text}, {"发证日期", Date}, {"打印次数", Number}},
		Rows: [][]any{{"00340101250001", formulaLike[1], time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), 3}}}); err != nil {
		t.Fatal(err)
	}
	files := []string{write("template.xlsx", tpl.Bytes()), write("annotated.xlsx", ann.Bytes()), write("export.xlsx", exp.Bytes())}

	run := func(format string, files ...string) {
		t.Helper()
		args := append([]string{"-env:UserInstallation=file://" + filepath.Join(dir, "profile"), "--headless", "--convert-to", format, "--outdir", dir}, files...)
		cmd := exec.Command(soffice, args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("soffice %v: %v\n%s", args, err, out)
		}
	}
	run("pdf", files...)
	run("csv:Text - txt - csv (StarCalc):44,34,76", files[2])

	text := func(name string, layout bool, pageRange ...string) string {
		args := append(pageRange, filepath.Join(dir, name), "-")
		if layout {
			args = append([]string{"-layout"}, args...)
		}
		out, err := exec.Command("pdftotext", args...).Output()
		if err != nil {
			t.Fatalf("pdftotext %s: %v", name, err)
		}
		return string(out)
	}
	pages := func(name string) string {
		out, err := exec.Command("pdfinfo", filepath.Join(dir, name)).Output()
		if err != nil {
			t.Fatalf("pdfinfo %s: %v", name, err)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "Pages:") {
				return strings.TrimSpace(strings.TrimPrefix(l, "Pages:"))
			}
		}
		return ""
	}
	squeeze := func(s string) string { return strings.Join(strings.Fields(s), "") }

	// The template: 合格人员 on one page wide, 填写说明 on one page.
	if got := pages("template.pdf"); got != "2" {
		t.Errorf("template prints on %s pages, want 2 (one per visible sheet)", got)
	}
	tplText := text("template.pdf", true)
	header := ""
	for _, l := range strings.Split(tplText, "\n") {
		if strings.Contains(l, "身份证号") {
			header = l
			break
		}
	}
	for _, c := range columns {
		if !strings.Contains(header, c) {
			t.Errorf("template header line lacks %s: %q", c, header)
		}
	}
	if !strings.Contains(squeeze(tplText), squeeze(formulaLike[4])+"合肥市建设职业技能鉴定站") || strings.Contains(tplText, "'=") {
		t.Errorf("organisation name not printed as written")
	}
	// The annotated copy: the header repeats on every page, the long
	// summary prints in full.
	if got := pages("annotated.pdf"); got == "1" || got == "" {
		t.Errorf("annotated copy of 60 rows prints on %q pages", got)
	}
	if last := text("annotated.pdf", false, "-f", pages("annotated.pdf")); !strings.Contains(last, "手机号码") || !strings.Contains(last, ColOccupation) {
		t.Errorf("the header does not repeat on the last page:\n%.300s", last)
	}
	annText := squeeze(text("annotated.pdf", false))
	if !strings.Contains(annText, squeeze(long)) {
		t.Errorf("the long 错误说明 is cut (printed text has %d characters)", len([]rune(annText)))
	}
	// The export: text as written, the date as a date.
	expText := squeeze(text("export.pdf", false))
	for _, want := range []string{"00340101250001", formulaLike[1], "2026年5月1日"} {
		if !strings.Contains(expText, want) {
			t.Errorf("export lacks %q: %s", want, expText)
		}
	}
	csv, err := os.ReadFile(filepath.Join(dir, "export.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(csv), "00340101250001,"+formulaLike[1]+",") {
		t.Errorf("export as LibreOffice reads it: %s", csv)
	}
}
