package sheets

import (
	"strings"

	"certreg/candidate"
)

// The header of a candidate list need not be row 1, nor in the template's
// order: units' own lists often have a title row (merged across the table)
// above the header, extra columns such as 序号, and their own order. The
// header is the row among the first headerSearchRows with the most
// candidate column names; columns are found by name (with a few common
// synonyms) and any other column is ignored. Only a missing required
// column refuses the file.

// headerSearchRows is how many rows from the top may hold the header.
const headerSearchRows = 10

// layout is where the candidate columns are in a sheet.
type layout struct {
	header int          // 1-based row of the header
	col    [numCols]int // 0-based column of each candidate column, -1 when absent
	errCol int          // 0-based column of 错误说明, -1 when absent
	width  int          // number of columns up to the last non-empty header cell
}

// columns maps the candidate columns present to their 0-based column.
func (l layout) columns() map[string]int {
	m := make(map[string]int, numCols)
	for i, c := range l.col {
		if c >= 0 {
			m[columns[i]] = c
		}
	}
	return m
}

// headerNames maps the header key of each accepted column name to the
// candidate column; the template's names come first.
var headerNames = func() map[string]int {
	m := map[string]int{}
	for i, c := range columns {
		m[headerKey(c)] = i
	}
	for name, i := range map[string]int{
		"身份证号码": iID, "公民身份号码": iID, "身份证": iID, "证件号码": iID, "身份证件号码": iID,
		"所在单位": iWorkUnit, "工作单位名称": iWorkUnit,
		"职业": iOccupation, "工种": iOccupation, "职业工种": iOccupation, "职业/工种": iOccupation, "职业（工种）名称": iOccupation,
		"技能等级": iLevel, "职业等级": iLevel, "级别": iLevel, "培训等级": iLevel,
		"手机": iPhone, "手机号": iPhone, "联系电话": iPhone, "电话": iPhone, "电话号码": iPhone, "联系方式": iPhone,
	} {
		m[headerKey(name)] = i
	}
	return m
}()

// headerKey tolerates a required-field asterisk, a (必填)/(选填) note,
// spaces and half-width parentheses.
func headerKey(s string) string {
	k := candidate.Fold(strings.Trim(candidate.Clean(s), "*＊"))
	for _, note := range []string{"（必填）", "（选填）", "（可选）", "（可不填）"} {
		k = strings.TrimSuffix(k, note)
	}
	return strings.Trim(k, "*＊")
}

// findHeader finds the header among the first rows of a sheet.
func findHeader(sheet string, rows [][]string) (layout, *FileError) {
	best, bestN := -1, 0
	for r, cells := range rows {
		seen := map[int]bool{}
		for _, c := range cells {
			if i, ok := headerNames[headerKey(c)]; ok {
				seen[i] = true
			}
		}
		if len(seen) > bestN {
			best, bestN = r, len(seen)
		}
	}
	all := strings.Join(columns[:], "、")
	if best < 0 {
		if len(rows) == 0 {
			return layout{}, fileErr(FileHeader, nil, "工作表「%s」是空的：第 1 行应为表头（%s），表头下方每行填写一名合格人员", sheet, all)
		}
		return layout{}, fileErr(FileHeader, nil, "没有找到表头：前 %d 行中没有「%s」「%s」等列名。请使用下载的模板，或把表头改为模板的列名（%s）",
			headerSearchRows, candidate.ColName, candidate.ColIDNumber, all)
	}
	l := layout{header: best + 1, errCol: -1}
	for i := range l.col {
		l.col[i] = -1
	}
	for c, cell := range rows[best] {
		if candidate.Clean(cell) != "" {
			l.width = c + 1
		}
		if candidate.Clean(cell) == ColErrors {
			l.errCol = c
			continue
		}
		i, ok := headerNames[headerKey(cell)]
		if !ok {
			continue
		}
		if prev := l.col[i]; prev >= 0 {
			return layout{}, fileErr(FileHeader, nil, "表头（第 %d 行）中「%s」出现了两次（%s 列和 %s 列），请删除或改名其中一列",
				l.header, columns[i], candidate.ColumnLetters(prev), candidate.ColumnLetters(c))
		}
		l.col[i] = c
	}
	var missing []string
	for i, c := range l.col {
		if c < 0 && candidate.Required(i) {
			missing = append(missing, "「"+columns[i]+"」")
		}
	}
	if len(missing) > 0 {
		return layout{}, fileErr(FileHeader, nil, "表头（第 %d 行）缺少必填列%s。请使用下载的模板，或补上这些列（列名须与模板一致：%s）",
			l.header, strings.Join(missing, "、"), all)
	}
	return l, nil
}
