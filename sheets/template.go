package sheets

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"certreg/candidate"
	"certreg/data"
	"certreg/idcard"
)

// ExampleRemark marks the example row of the template.
const ExampleRemark = "示例行，导入前请删除"

// templateRows is how far down the drop-downs and text formats reach.
const templateRows = MaxRows + 1

// exampleRow returns the example row the template shows for a scope. The
// import skips a row equal to it, so it must be a function of the scope only.
func exampleRow(scope candidate.Scope) ([numCols]string, bool) {
	for _, o := range scope.Occupations {
		for _, l := range data.Levels() {
			if slices.Contains(o.Levels, l.Code) {
				return [numCols]string{
					"张三",
					exampleID,
					"男",
					"某某建筑工程有限公司",
					o.Name,
					l.Name,
					"13800138000",
					ExampleRemark,
				}, true
			}
		}
	}
	return [numCols]string{}, false
}

// exampleID is a well-formed but made-up number (a man born 1990-01-01).
var exampleID = idcard.Make("110101", time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), 1)

var columnHelp = [numCols]string{
	"必填。合格人员姓名，不超过 30 个字：汉字；少数民族或外国人姓名的间隔号用“·”；外籍人员可填外文姓名（拉丁字母，各部分之间空一格）。",
	"必填。18 位居民身份证号，最后一位可以是 X。本列已设为文本格式，请勿改成数字格式，否则后几位会丢失。",
	"选填。只能填“男”或“女”，须与身份证号一致；不填时由身份证号确定。",
	"必填。合格人员所在工作单位全称，不超过 100 个字。",
	"必填。从下拉列表选择本单位可登记的职业（工种）；也可填写 3 位代码，如“012”或“012 砌筑工”。",
	"必填。从下拉列表选择等级，须为该职业（工种）本单位可登记的等级；也可填写等级代码 5～1。",
	"选填。11 位手机号码。本列已设为文本格式。",
	"选填。不超过 200 个字。",
}

var columnWidths = [numCols]float64{12, 22, 8, 32, 26, 16, 15, 30}

// Template writes the candidate template of an organisation as .xlsx: sheet
// 合格人员 with the header, an example row, text formats, header comments and
// drop-downs limited to the scope; sheet 填写说明 with instructions; and the
// hidden sheet 职业列表 behind the occupation drop-down.
func Template(w io.Writer, orgName string, scope candidate.Scope) error {
	example, ok := exampleRow(scope)
	if !ok {
		return errors.New("本单位没有可登记的职业（工种）和等级，无法生成模板")
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := buildTemplate(f, orgName, scope, example); err != nil {
		return fmt.Errorf("build template: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	return nil
}

func buildTemplate(f *excelize.File, orgName string, scope candidate.Scope, example [numCols]string) error {
	const sh = SheetCandidates
	b := newBook(f)
	if err := f.SetDefaultFont(FontName); err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", sh); err != nil {
		return err
	}
	text, err := b.style(excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return err
	}
	border := []excelize.Border{
		{Type: "left", Color: "A6A6A6", Style: 1}, {Type: "right", Color: "A6A6A6", Style: 1},
		{Type: "top", Color: "A6A6A6", Style: 1}, {Type: "bottom", Color: "A6A6A6", Style: 1},
	}
	headerStyle := func(color string) (int, error) {
		return b.style(excelize.Style{
			NumFmt:    49,
			Font:      &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
			Border:    border,
		})
	}
	reqStyle, err := headerStyle("FCE4D6") // required: orange
	if err != nil {
		return err
	}
	optStyle, err := headerStyle("E2EFDA") // optional: green
	if err != nil {
		return err
	}
	exampleStyle, err := b.style(excelize.Style{
		NumFmt: 49,
		Font:   &excelize.Font{Italic: true, Color: "808080"},
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}},
	})
	if err != nil {
		return err
	}

	// Text format for every data column: IDs and phones keep their digits,
	// and Excel does not turn anything else into a date or a number.
	if err := f.SetColStyle(sh, "A:H", text); err != nil {
		return err
	}
	for i := 0; i < numCols; i++ {
		col := colLetter(i)
		if err := f.SetColWidth(sh, col, col, columnWidths[i]); err != nil {
			return err
		}
		cell := cellName(i, 1)
		st := optStyle
		if candidate.Required(i) {
			st = reqStyle
		}
		if err := b.text(sh, cell, columns[i], st); err != nil {
			return err
		}
		if err := f.AddComment(sh, excelize.Comment{
			Cell: cell, Author: author, Width: 260, Height: 90,
			Paragraph: []excelize.RichTextRun{{Text: columnHelp[i], Font: &excelize.Font{Family: FontName, Size: 9}}},
		}); err != nil {
			return err
		}
		if err := b.text(sh, cellName(i, 2), example[i], exampleStyle); err != nil {
			return err
		}
	}
	if err := f.SetRowHeight(sh, 1, 22); err != nil {
		return err
	}
	if err := f.SetPanes(sh, &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return err
	}

	if _, err := f.NewSheet(SheetInstructions); err != nil {
		return err
	}
	if _, err := f.NewSheet(SheetOccupations); err != nil {
		return err
	}

	// Hidden occupation list.
	listHead, err := b.style(excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	if err := b.textRow(SheetOccupations, "A1", []string{"职业（工种）", "代码", "可登记等级"}, listHead); err != nil {
		return err
	}
	for i, o := range scope.Occupations {
		row := []string{o.Name, o.Code, strings.Join(candidate.LevelNames(o.Levels), "、")}
		if err := b.textRow(SheetOccupations, cellName(0, i+2), row, text); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(SheetOccupations, "A", "A", 30); err != nil {
		return err
	}
	if err := f.SetColWidth(SheetOccupations, "C", "C", 50); err != nil {
		return err
	}

	// Drop-downs.
	dataRange := func(col int) string {
		return fmt.Sprintf("%s2:%s%d", colLetter(col), colLetter(col), templateRows)
	}
	occ := excelize.NewDataValidation(true)
	occ.Sqref = dataRange(iOccupation)
	occ.SetSqrefDropList(fmt.Sprintf("%s!$A$2:$A$%d", quoteSheet(SheetOccupations), len(scope.Occupations)+1))
	occ.SetError(excelize.DataValidationErrorStyleStop, "职业（工种）不可用", "请从下拉列表选择本单位可登记的职业（工种）。")
	lv := excelize.NewDataValidation(true)
	lv.Sqref = dataRange(iLevel)
	if err := lv.SetDropList(candidate.LevelNames(scopeLevels(scope))); err != nil {
		return err
	}
	lv.SetError(excelize.DataValidationErrorStyleStop, "等级不可用", "请从下拉列表选择本单位可登记的等级。")
	gender := excelize.NewDataValidation(true)
	gender.Sqref = dataRange(iGender)
	if err := gender.SetDropList([]string{"男", "女"}); err != nil {
		return err
	}
	gender.SetError(excelize.DataValidationErrorStyleStop, "性别", "只能填写“男”或“女”，也可以不填。")
	for _, dv := range []*excelize.DataValidation{occ, lv, gender} {
		if err := f.AddDataValidation(sh, dv); err != nil {
			return err
		}
	}

	if err := writeInstructions(b, orgName, scope); err != nil {
		return err
	}
	for _, s := range []struct {
		name   string
		header int
	}{{sh, 1}, {SheetInstructions, 0}, {SheetOccupations, 1}} {
		if err := printSetup(f, s.name, 1, s.header); err != nil {
			return err
		}
	}
	if err := f.SetSheetVisible(SheetOccupations, false); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return nil
}

// scopeLevels returns the level codes used anywhere in the scope.
func scopeLevels(scope candidate.Scope) []int {
	var codes []int
	for _, o := range scope.Occupations {
		for _, l := range o.Levels {
			if !slices.Contains(codes, l) {
				codes = append(codes, l)
			}
		}
	}
	return codes
}

// instructionWidths are the columns of 填写说明: the instructions span all
// three, the scope table below uses one each.
var instructionWidths = [3]float64{12, 30, 60}

const titleSize = 14

func writeInstructions(b *book, orgName string, scope candidate.Scope) error {
	const sh = SheetInstructions
	f := b.f
	title := "合格人员名单导入模板 填写说明"
	if orgName = candidate.Clean(orgName); orgName != "" {
		title = orgName + " " + title
	}
	lines := []string{
		"1. 在“合格人员”工作表中，第 1 行是表头，从第 2 行起每行填写一名合格人员；表头的列名请不要修改。",
		"2. 第 2 行是示例行（灰色斜体），导入前请删除；原样保留的示例行会被忽略。",
		"3. 橙色表头为必填列：姓名、身份证号、工作单位、职业（工种）、等级；绿色表头为选填列：性别、手机号码、备注。",
		"4. 姓名只能填写汉字；少数民族或外国人姓名的间隔号用“·”（如“阿卜杜·热合曼”）；外籍人员可填写外文姓名，只用拉丁字母，各部分之间空一格。",
		"5. 身份证号须为 18 位，最后一位可以是 X；全角数字、空格和小写 x 会自动规范。15 位旧身份证号不受支持。身份证号一列已设为文本格式，请勿改为数字格式：存成数字的身份证号后几位已丢失，系统会拒绝导入。",
		"6. 性别可以不填，系统按身份证号确定；填写时须与身份证号一致。",
		"7. 职业（工种）和等级请从下拉列表选择，只能选择本单位可登记的范围（见下表）；也可填写职业代码和等级代码（5 为五级/初级工，1 为一级/高级技师）。",
		"8. 同一文件中，同一身份证号不能重复登记同一职业（工种）的同一等级；已持有有效证书或正在其他批次审核中的，也不能再次登记。",
		fmt.Sprintf("9. 每个文件最多 %d 行数据，文件不超过 %d MB，须为 .xlsx 格式（旧版 .xls 请另存为 .xlsx）。", MaxRows, MaxFileSize>>20),
		"10. 导入出错时，页面会按行列出原因，并可下载标出错误单元格的文件，修改后重新上传（“错误说明”列会被忽略）。",
	}
	for i, w := range instructionWidths {
		col := colLetter(i)
		if err := f.SetColWidth(sh, col, col, w); err != nil {
			return err
		}
	}
	full := instructionWidths[0] + instructionWidths[1] + instructionWidths[2]

	titleStyle, err := b.style(excelize.Style{
		Font:      &excelize.Font{Bold: true, Size: titleSize},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"},
	})
	if err != nil {
		return err
	}
	wrap, err := b.style(excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	// spanned writes one text across A:C, wrapped, in a row as tall as it.
	spanned := func(row int, s string, style int, size float64) error {
		cell := cellName(0, row)
		if err := b.text(sh, cell, s, style); err != nil {
			return err
		}
		if err := f.MergeCell(sh, cell, cellName(2, row)); err != nil {
			return err
		}
		return f.SetRowHeight(sh, row, rowHeight(wrappedLines(s, full*fontSize/size), size))
	}
	if err := spanned(1, title, titleStyle, titleSize); err != nil {
		return err
	}
	r := 3
	for _, l := range lines {
		if err := spanned(r, l, wrap, fontSize); err != nil {
			return err
		}
		r++
	}
	r++
	if err := spanned(r, "本单位可登记的职业（工种）和等级：", wrap, fontSize); err != nil {
		return err
	}

	head, err := b.style(excelize.Style{
		Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
	})
	if err != nil {
		return err
	}
	r++
	if err := b.textRow(sh, cellName(0, r), []string{"代码", "职业（工种）", "可登记等级"}, head); err != nil {
		return err
	}
	for _, o := range scope.Occupations {
		r++
		row := []string{o.Code, o.Name, strings.Join(candidate.LevelNames(o.Levels), "、")}
		if err := b.textRow(sh, cellName(0, r), row, wrap); err != nil {
			return err
		}
		lines := 1
		for i, v := range row {
			lines = max(lines, wrappedLines(v, instructionWidths[i]))
		}
		if err := f.SetRowHeight(sh, r, rowHeight(lines, fontSize)); err != nil {
			return err
		}
	}
	return nil
}
