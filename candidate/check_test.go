package candidate

import (
	"strings"
	"testing"
	"time"

	"certreg/idcard"
)

var testScope = Scope{Occupations: []Occupation{
	{Code: "001", Name: "砌筑工", Levels: []int{5, 4, 3}},
	{Code: "002", Name: "钢筋工", Levels: []int{5, 4}},
	{Code: "012", Name: "电工", Levels: []int{5, 4, 3, 2, 1}},
	{Code: "020", Name: "建筑起重机械安装拆卸工（塔式起重机）", Levels: []int{5}},
}}

// testID returns a distinct valid ID for each seq >= 0; an odd seq gives a man.
func testID(seq int) string {
	birth := time.Date(1985, 5, 5, 0, 0, 0, 0, time.UTC).AddDate(0, 0, seq/1000)
	return idcard.Make("340102", birth, seq%1000)
}

func TestCheckRawValid(t *testing.T) {
	in := Raw{
		Name: " 张三 ", IDNumber: " " + strings.ToLower(testID(2)) + "\u3000", WorkUnit: "合肥建工集团",
		Occupation: "012 电工", Level: "3", Phone: "139 1234 5678", Remark: "备注\n第二行",
	}
	c, errs := CheckRaw(in, testScope)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := Candidate{
		Name: "张三", IDNumber: testID(2), Gender: "女", WorkUnit: "合肥建工集团",
		OccupationCode: "012", OccupationName: "电工", Level: 3, Phone: "13912345678", Remark: "备注\n第二行",
	}
	if c != want {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
}

func TestCheckRawRules(t *testing.T) {
	base := Raw{Name: "李四", IDNumber: testID(1), Gender: "男", WorkUnit: "某公司", Occupation: "砌筑工", Level: "五级/初级工"}
	tests := []struct {
		name   string
		edit   func(r *Raw)
		column string
		msg    string
	}{
		{"name required", func(r *Raw) { r.Name = "  " }, ColName, "不能为空"},
		{"name too long", func(r *Raw) { r.Name = strings.Repeat("名", 31) }, ColName, "不能超过 30 个字"},
		{"name control char", func(r *Raw) { r.Name = "李\t四" }, ColName, "控制字符"},
		{"id required", func(r *Raw) { r.IDNumber = "" }, ColIDNumber, "不能为空"},
		{"id check digit", func(r *Raw) { r.IDNumber = flipCheck(testID(1)) }, ColIDNumber, "校验位错误"},
		{"id 15 digits", func(r *Raw) { r.IDNumber = "340102850505001" }, ColIDNumber, "15 位旧身份证号不受支持"},
		{"id bad date", func(r *Raw) { r.IDNumber = fixCheck("34010219850230001") }, ColIDNumber, "出生日期"},
		{"id as Excel number", func(r *Raw) { r.IDNumber = "3.40102198505051E+17" }, ColIDNumber, "文本"},
		{"id from a numeric cell", func(r *Raw) { r.IDFromNumber = true }, ColIDNumber, "被 Excel 存成了数字，后几位已丢失"},
		{"id from a numeric cell, plain digits", func(r *Raw) { r.IDNumber, r.IDFromNumber = "340104198805014000", true }, ColIDNumber, "被 Excel 存成了数字"},
		{"gender invalid", func(r *Raw) { r.Gender = "M" }, ColGender, "只能填写"},
		{"gender mismatch", func(r *Raw) { r.Gender = "女" }, ColGender, "与身份证号不符"},
		{"work unit required", func(r *Raw) { r.WorkUnit = "" }, ColWorkUnit, "不能为空"},
		{"work unit too long", func(r *Raw) { r.WorkUnit = strings.Repeat("单", 101) }, ColWorkUnit, "不能超过 100 个字"},
		{"occupation required", func(r *Raw) { r.Occupation = "" }, ColOccupation, "不能为空"},
		{"occupation out of scope", func(r *Raw) { r.Occupation = "焊工" }, ColOccupation, "不在本单位"},
		{"occupation code out of scope", func(r *Raw) { r.Occupation = "099" }, ColOccupation, "099"},
		{"occupation code name mismatch", func(r *Raw) { r.Occupation = "001 钢筋工" }, ColOccupation, "不一致"},
		{"occupation long code", func(r *Raw) { r.Occupation = "0012" }, ColOccupation, "3 位数字"},
		{"level required", func(r *Raw) { r.Level = "" }, ColLevel, "不能为空"},
		{"level unknown", func(r *Raw) { r.Level = "六级" }, ColLevel, "不是有效等级"},
		{"level not allowed", func(r *Raw) { r.Level = "二级/技师" }, ColLevel, "可登记：五级/初级工、四级/中级工、三级/高级工"},
		{"phone short", func(r *Raw) { r.Phone = "1391234567" }, ColPhone, "11 位"},
		{"phone landline", func(r *Raw) { r.Phone = "05511234567" }, ColPhone, "手机号码"},
		{"phone letters", func(r *Raw) { r.Phone = "1391234567a" }, ColPhone, "手机号码"},
		{"remark too long", func(r *Raw) { r.Remark = strings.Repeat("备", 201) }, ColRemark, "不能超过 200 个字"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			tc.edit(&in)
			_, errs := CheckRaw(in, testScope)
			if len(errs) != 1 {
				t.Fatalf("want 1 error, got %v", errs)
			}
			if errs[0].Column != tc.column || !strings.Contains(errs[0].Message, tc.msg) {
				t.Fatalf("got %+v, want column %s and %q", errs[0], tc.column, tc.msg)
			}
		})
	}
}

func TestCheckRawAccepts(t *testing.T) {
	base := Raw{Name: "李四", IDNumber: testID(1), WorkUnit: "某公司", Occupation: "砌筑工", Level: "5"}
	tests := []struct {
		name string
		edit func(r *Raw)
		code string
		lv   int
	}{
		{"occupation by name", func(r *Raw) {}, "001", 5},
		{"occupation by code", func(r *Raw) { r.Occupation = "002" }, "002", 5},
		{"occupation code lost zeros", func(r *Raw) { r.Occupation = "12" }, "012", 5},
		{"occupation code space name", func(r *Raw) { r.Occupation = "012 电工" }, "012", 5},
		{"occupation code glued name", func(r *Raw) { r.Occupation = "012电工" }, "012", 5},
		{"occupation code hyphen name", func(r *Raw) { r.Occupation = "012-电工" }, "012", 5},
		{"occupation full-width code", func(r *Raw) { r.Occupation = "０１２" }, "012", 5},
		{"occupation half-width parentheses", func(r *Raw) { r.Occupation = "建筑起重机械安装拆卸工(塔式起重机)" }, "020", 5},
		{"level grade", func(r *Raw) { r.Level = "四级" }, "001", 4},
		{"level short", func(r *Raw) { r.Level = "高级工" }, "001", 3},
		{"level short without 工", func(r *Raw) { r.Level = "中级" }, "001", 4},
		{"level full name", func(r *Raw) { r.Level = "三级/高级工" }, "001", 3},
		{"level full-width", func(r *Raw) { r.Level = "４" }, "001", 4},
		{"phone +86", func(r *Raw) { r.Phone = "+86 139-1234-5678" }, "001", 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			tc.edit(&in)
			c, errs := CheckRaw(in, testScope)
			if len(errs) != 0 {
				t.Fatalf("errors: %v", errs)
			}
			if c.OccupationCode != tc.code || c.Level != tc.lv || c.Gender != "男" {
				t.Fatalf("got %+v", c)
			}
			if in.Phone != "" && c.Phone != "13912345678" {
				t.Fatalf("phone %q", c.Phone)
			}
		})
	}
}

func TestCheckRawAllErrorsInColumnOrder(t *testing.T) {
	_, errs := CheckRaw(Raw{Gender: "x", Phone: "1", Remark: strings.Repeat("r", 201)}, testScope)
	var got []string
	for _, e := range errs {
		got = append(got, e.Column)
	}
	want := []string{ColName, ColIDNumber, ColGender, ColWorkUnit, ColOccupation, ColLevel, ColPhone, ColRemark}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("columns %v, want %v", got, want)
	}
}

func flipCheck(id string) string {
	if id[17] == '0' {
		return id[:17] + "1"
	}
	return id[:17] + "0"
}

// fixCheck appends the right check digit to 17 digits.
func fixCheck(body string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(body[i]-'0') * w[i]
	}
	return body + string("10X98765432"[sum%11])
}
