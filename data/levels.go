// Package data owns the reference data embedded in the binary: the GB/T 2260
// prefecture-level divisions, the construction-trade occupation catalogue and
// the five skill levels.
package data

import "strings"

// Level is one of the five national skill levels. Code 5 is the lowest.
type Level struct {
	Code  int    // 5..1
	Name  string // e.g. 五级/初级工
	Short string // e.g. 初级工
	Grade string // e.g. 五级
}

var levels = []Level{
	{5, "五级/初级工", "初级工", "五级"},
	{4, "四级/中级工", "中级工", "四级"},
	{3, "三级/高级工", "高级工", "三级"},
	{2, "二级/技师", "技师", "二级"},
	{1, "一级/高级技师", "高级技师", "一级"},
}

// Levels returns the five levels from 五级 (5) to 一级 (1).
func Levels() []Level { return append([]Level(nil), levels...) }

// LevelName returns the display name of a level code, or "" if unknown.
func LevelName(code int) string {
	for _, l := range levels {
		if l.Code == code {
			return l.Name
		}
	}
	return ""
}

// ParseLevel accepts a level as a code ("5"), a full name ("五级/初级工"),
// a grade ("五级") or a short name ("初级工", "初级"), with surrounding spaces.
func ParseLevel(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	for _, l := range levels {
		short := strings.TrimSuffix(l.Short, "工")
		if s == string(rune('0'+l.Code)) || s == l.Name || s == l.Grade || s == l.Short || s == short {
			return l.Code, true
		}
	}
	return 0, false
}
