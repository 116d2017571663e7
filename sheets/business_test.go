package sheets

import (
	"bytes"
	"strings"
	"testing"
)

func TestExportBusinesses(t *testing.T) {
	rows := []BusinessRow{
		{Kind: "变更", Number: "26340101250001", Holder: "王晓明 342102********0029", Org: "合肥建工职业技能培训学校 01201001",
			State: "审核不通过", Reason: "=HYPERLINK(\"x\")", Applied: "2026-03-01 09:00:00"},
		{Kind: "注册", Number: "批次 P000003 春季砌筑工班（12 人）", Org: "安徽省建设干部学校 1500001", State: "审核通过",
			Applied: "2026-02-01 10:00:00", Reviewed: "2026-02-03 11:00:00"},
	}
	var buf bytes.Buffer
	if err := ExportBusinesses(&buf, "业务总览 · 业务类型：全部 · 导出于 2026-03-02 08:00", rows); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	f := openBytes(t, raw)
	const sh = "业务总览"
	if got := f.GetSheetList(); len(got) != 1 || got[0] != sh {
		t.Fatalf("sheets %v", got)
	}
	got, err := f.GetRows(sh)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"业务总览 · 业务类型：全部 · 导出于 2026-03-02 08:00"},
		{"业务类型", "证书编号", "姓名/身份证号", "申请机构", "审核状态", "审核不通过原因", "发起业务时间", "审核时间"},
		{"变更", "26340101250001", "王晓明 342102********0029", "合肥建工职业技能培训学校 01201001", "审核不通过", "=HYPERLINK(\"x\")", "2026-03-01 09:00:00"},
		{"注册", "批次 P000003 春季砌筑工班（12 人）", "", "安徽省建设干部学校 1500001", "审核通过", "", "2026-02-01 10:00:00", "2026-02-03 11:00:00"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows: %q", len(got), got)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i+1, got[i], want[i])
		}
	}
	if !quotePrefixed(t, f, sh, "F3") {
		t.Error("a formula-like reason is not quote-prefixed")
	}
	assertInert(t, raw)
}
