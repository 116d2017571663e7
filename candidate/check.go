package candidate

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"certreg/data"
	"certreg/idcard"
)

// Checker applies the rules of CheckRaw with the lookups of one scope built
// once, for checking many rows.
type Checker struct {
	scope  Scope
	byCode map[string]*Occupation
	byName map[string]*Occupation
}

// NewChecker prepares the checks of a scope.
func NewChecker(scope Scope) *Checker {
	c := &Checker{
		scope:  scope,
		byCode: make(map[string]*Occupation, len(scope.Occupations)),
		byName: make(map[string]*Occupation, len(scope.Occupations)),
	}
	for i := range scope.Occupations {
		o := &scope.Occupations[i]
		c.byCode[o.Code] = o
		c.byName[Fold(o.Name)] = o
	}
	return c
}

// CheckRaw applies the candidate rules (see the package documentation) to
// one candidate as typed. The returned candidate has Row 0 and is
// meaningful only when there are no errors; errors come in column order.
func CheckRaw(in Raw, scope Scope) (Candidate, []FieldError) {
	return NewChecker(scope).Check(in)
}

// Check is CheckRaw with the checker's scope.
func (k *Checker) Check(in Raw) (Candidate, []FieldError) {
	var c Candidate
	var errs []FieldError
	add := func(col, format string, args ...any) {
		errs = append(errs, FieldError{Column: col, Message: fmt.Sprintf(format, args...)})
	}

	// 姓名
	if name, msg := CheckName(in.Name); msg != "" {
		add(ColName, "%s", msg)
	} else {
		c.Name = name
	}

	// 身份证号
	rawID := Clean(in.IDNumber)
	idOK := false
	switch {
	case rawID == "":
		add(ColIDNumber, "不能为空")
	case in.IDFromNumber || looksLikeExcelNumber(rawID):
		add(ColIDNumber, "被 Excel 存成了数字，后几位已丢失；请把该列设为“文本”格式后重新输入")
	default:
		c.IDNumber = idcard.Normalize(rawID)
		if err := idcard.Validate(c.IDNumber); err != nil {
			add(ColIDNumber, "%s", err.Error())
		} else {
			idOK = true
		}
	}

	// 性别
	c.Gender = Clean(in.Gender)
	switch {
	case c.Gender == "":
		if idOK {
			c.Gender = idcard.Gender(c.IDNumber)
		}
	case c.Gender != "男" && c.Gender != "女":
		add(ColGender, "只能填写“男”或“女”（也可以不填，由身份证号确定）")
	case idOK && c.Gender != idcard.Gender(c.IDNumber):
		add(ColGender, "与身份证号不符（身份证号对应“%s”）", idcard.Gender(c.IDNumber))
	}

	// 工作单位
	c.WorkUnit = Clean(in.WorkUnit)
	switch {
	case c.WorkUnit == "":
		add(ColWorkUnit, "不能为空")
	case utf8.RuneCountInString(c.WorkUnit) > MaxWorkUnitLen:
		add(ColWorkUnit, "不能超过 %d 个字（现有 %d 个字）", MaxWorkUnitLen, utf8.RuneCountInString(c.WorkUnit))
	case hasControl(c.WorkUnit, false):
		add(ColWorkUnit, "不能包含换行、制表符等控制字符")
	}

	// 职业（工种）
	var occ *Occupation
	if s := Clean(in.Occupation); s == "" {
		add(ColOccupation, "不能为空")
	} else if o, msg := k.occupation(s); msg != "" {
		add(ColOccupation, "%s", msg)
	} else {
		occ = o
		c.OccupationCode, c.OccupationName = o.Code, o.Name
	}

	// 等级
	if s := Clean(in.Level); s == "" {
		add(ColLevel, "不能为空")
	} else if lv, ok := data.ParseLevel(Fold(s)); !ok {
		add(ColLevel, "「%s」不是有效等级，应为 %s 之一（也可填写等级代码 5～1）", s, strings.Join(LevelNames(nil), "、"))
	} else if occ != nil && !contains(occ.Levels, lv) {
		if len(occ.Levels) == 0 {
			add(ColLevel, "本单位不能登记「%s」的任何等级", occ.Name)
		} else {
			add(ColLevel, "本单位的「%s」不能登记「%s」，可登记：%s", occ.Name, data.LevelName(lv), strings.Join(LevelNames(occ.Levels), "、"))
		}
	} else {
		c.Level = lv
	}

	// 手机号码
	if s := Clean(in.Phone); s != "" {
		if p, ok := mobile(s); ok {
			c.Phone = p
		} else {
			add(ColPhone, "「%s」不是有效的手机号码，应为以 1 开头的 11 位数字", s)
		}
	}

	// 备注
	c.Remark = Clean(in.Remark)
	switch {
	case utf8.RuneCountInString(c.Remark) > MaxRemarkLen:
		add(ColRemark, "不能超过 %d 个字（现有 %d 个字）", MaxRemarkLen, utf8.RuneCountInString(c.Remark))
	case hasControl(c.Remark, true):
		add(ColRemark, "不能包含制表符等控制字符")
	}
	return c, errs
}

// occupation finds an occupation given as a name, a code ("012", or "12"
// when Excel dropped the leading zero) or "code name" ("012 砌筑工",
// "012-砌筑工", "012砌筑工"). It returns a Chinese message when it cannot.
func (k *Checker) occupation(s string) (*Occupation, string) {
	key := Fold(s)
	if o, ok := k.byName[key]; ok {
		return o, ""
	}
	// All digits: a code, padded when Excel stored it as a number.
	if isDigits(key) {
		if len(key) <= 3 {
			code := strings.Repeat("0", 3-len(key)) + key
			if o, ok := k.byCode[code]; ok {
				return o, ""
			}
			return nil, fmt.Sprintf("代码「%s」不在本单位可登记的职业（工种）范围内", code)
		}
		return nil, fmt.Sprintf("「%s」不是有效的职业（工种）代码，代码为 3 位数字", s)
	}
	// "code name".
	if len(key) > 3 && isDigits(key[:3]) {
		code := key[:3]
		name := strings.TrimLeft(key[3:], "-_.、:：·,，")
		o, ok := k.byCode[code]
		switch {
		case !ok:
			return nil, fmt.Sprintf("代码「%s」不在本单位可登记的职业（工种）范围内", code)
		case name != "" && name != Fold(o.Name):
			return nil, fmt.Sprintf("代码「%s」对应「%s」，与填写的名称「%s」不一致", code, o.Name, name)
		}
		return o, ""
	}
	return nil, fmt.Sprintf("「%s」不在本单位可登记的职业（工种）范围内", s)
}

// mobile accepts an 11-digit mainland mobile, allowing spaces, hyphens,
// full-width digits and a +86 / 0086 / 86 prefix, and returns the 11 digits.
func mobile(s string) (string, bool) {
	p := strings.ReplaceAll(Fold(s), "-", "")
	for _, prefix := range []string{"+86", "0086", "86"} {
		if len(p) == len(prefix)+11 && strings.HasPrefix(p, prefix) {
			p = p[len(prefix):]
			break
		}
	}
	if len(p) != 11 || !isDigits(p) || p[0] != '1' || p[1] < '3' {
		return "", false
	}
	return p, true
}

// looksLikeExcelNumber reports an ID that Excel turned into a number in
// scientific notation, e.g. "3.42102199001012E+17".
func looksLikeExcelNumber(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i <= 0 || !strings.Contains(s[:i], ".") || !isDigits(strings.Replace(s[:i], ".", "", 1)) {
		return false
	}
	return isDigits(strings.TrimPrefix(s[i+1:], "+"))
}

// hasControl reports control characters; newlines are allowed when
// allowNewline is set (Alt+Enter inside an Excel cell).
func hasControl(s string, allowNewline bool) bool {
	for _, r := range s {
		if unicode.IsControl(r) && !(allowNewline && (r == '\n' || r == '\r')) {
			return true
		}
	}
	return false
}

// LevelNames returns the display names of the given level codes in the
// order of data.Levels (五级 first); nil means all levels.
func LevelNames(codes []int) []string {
	var names []string
	for _, l := range data.Levels() {
		if codes == nil || contains(codes, l.Code) {
			names = append(names, l.Name)
		}
	}
	return names
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
