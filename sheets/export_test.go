package sheets

import (
	"bytes"
	"strings"
	"testing"
)

func TestNeutralize(t *testing.T) {
	tests := map[string]string{
		"=1+1":               "'=1+1",
		"+86":                "'+86",
		"-2":                 "'-2",
		"@SUM(A1)":           "'@SUM(A1)",
		"\t=cmd":             "'\t=cmd",
		"\r=cmd":             "'\r=cmd",
		"张三":                 "张三",
		"342102********0029": "342102********0029",
		"":                   "",
		"a=b":                "a=b",
	}
	for in, want := range tests {
		if got := Neutralize(in); got != want {
			t.Errorf("Neutralize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExport(t *testing.T) {
	header := []string{"姓名", "身份证号", "手机号码", "备注"}
	rows := [][]string{
		{"张三", "342102********0029", "138****5678", "=HYPERLINK(\"http://x\",\"点我\")"},
		{"+李四", "-1", "@x", "\tTAB"},
		{"王五", "110101********001X", "", "控制\x01字符"},
		{"短行"},
	}
	var buf bytes.Buffer
	if err := Export(&buf, "证书/列表", header, rows); err != nil {
		t.Fatal(err)
	}
	f := openBytes(t, buf.Bytes())
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "证书_列表" {
		t.Fatalf("sheets %q", got)
	}
	got, err := f.GetRows("证书_列表")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		header,
		{"张三", "342102********0029", "138****5678", "'=HYPERLINK(\"http://x\",\"点我\")"},
		{"'+李四", "'-1", "'@x", "'\tTAB"},
		{"王五", "110101********001X", "", "控制字符"},
		{"短行"},
	}
	if len(got) != len(want) {
		t.Fatalf("rows %q", got)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i+1, got[i], want[i])
		}
	}
	for r := 1; r <= len(want); r++ {
		for c := 0; c < len(header); c++ {
			if f, _ := f.GetCellFormula("证书_列表", cellName(c, r)); f != "" {
				t.Errorf("%s has formula %q", cellName(c, r), f)
			}
		}
	}
	id, _ := f.GetCellStyle("证书_列表", "A1")
	st, _ := f.GetStyle(id)
	if st.Font == nil || !st.Font.Bold {
		t.Error("header not bold")
	}
	if w, _ := f.GetColWidth("证书_列表", "B"); w < 18 || w > 60 {
		t.Errorf("column B width %v", w)
	}
}

func TestExportEmptyAndLarge(t *testing.T) {
	var buf bytes.Buffer
	if err := Export(&buf, "", nil, nil); err != nil {
		t.Fatal(err)
	}
	rows := make([][]string, 20000)
	for i := range rows {
		rows[i] = []string{"张三", "342102********0029", strings.Repeat("x", 40000)[:i%50]}
	}
	buf.Reset()
	if err := Export(&buf, "名单", []string{"姓名", "身份证号", "备注"}, rows); err != nil {
		t.Fatal(err)
	}
	long := [][]string{{strings.Repeat("长", 40000)}}
	if err := Export(&bytes.Buffer{}, "长", []string{"x"}, long); err != nil {
		t.Fatal(err)
	}
}
