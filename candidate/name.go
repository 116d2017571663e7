package candidate

import (
	"fmt"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MiddleDot joins the parts of a minority or transliterated foreign name.
const MiddleDot = '·' // U+00B7

// printable is the optional check that a character can be printed on a
// certificate; nil accepts every character.
var printable atomic.Pointer[func(rune) bool]

// SetPrintable installs the check that a name character can be printed on a
// certificate (the PDF layer knows its fonts; this package must not depend
// on it). Names with a character it refuses are refused by CheckName, with
// the character and its code point in the message. nil removes the check.
// Call it once at start, before requests are served.
func SetPrintable(f func(r rune) bool) {
	if f == nil {
		printable.Store(nil)
		return
	}
	printable.Store(&f)
}

// CheckName applies the name rule (see the package documentation) and
// returns the name as it is stored, or a Chinese message without the column
// name.
func CheckName(s string) (string, string) {
	s = Clean(s)
	if s == "" {
		return "", "不能为空"
	}
	if hasControl(s, false) {
		return "", "不能包含换行、制表符等控制字符"
	}
	s = norm.NFC.String(s)

	var (
		rs             = make([]rune, 0, len(s))
		firstHan       rune
		firstLatin     rune
		hasHan, hasLat bool
	)
	for _, r := range s {
		if isZeroWidth(r) {
			continue
		}
		switch {
		case isMiddleDot(r):
			r = MiddleDot
		case unicode.IsSpace(r):
			r = ' '
		case r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ':
			r -= 'Ａ' - 'A'
		}
		switch {
		case r == MiddleDot, r == ' ':
		case isIdeograph(r):
			if !hasHan {
				hasHan, firstHan = true, r
			}
		case isLatinLetter(r):
			if !hasLat {
				hasLat, firstLatin = true, r
			}
		default:
			return "", refusedChar(r)
		}
		rs = append(rs, r)
	}

	var name string
	switch {
	case hasHan && hasLat:
		odd := firstLatin
		if indexRune(rs, firstLatin) < indexRune(rs, firstHan) {
			odd = firstHan
		}
		return "", fmt.Sprintf("不能同时包含汉字和拉丁字母（「%c」）：中文姓名只用汉字，外籍人员的外文姓名只用拉丁字母", odd)
	case hasHan:
		// Spaces go; every middle dot sits between two ideographs.
		out := rs[:0]
		for _, r := range rs {
			if r != ' ' {
				out = append(out, r)
			}
		}
		for i, r := range out {
			if r == MiddleDot && (i == 0 || i == len(out)-1 || out[i-1] == MiddleDot || out[i+1] == MiddleDot) {
				return "", "间隔号“·”只能出现在两个汉字之间，且不能连用"
			}
		}
		name = string(out)
	case hasLat:
		if indexRune(rs, MiddleDot) >= 0 {
			return "", "外文姓名中不能有间隔号“·”：各部分之间用一个空格分隔"
		}
		name = strings.Join(strings.Fields(string(rs)), " ")
	default:
		return "", "必须包含汉字（外籍人员可用拉丁字母）"
	}

	if n := utf8.RuneCountInString(name); n > MaxNameLen {
		return "", fmt.Sprintf("不能超过 %d 个字（现有 %d 个字）", MaxNameLen, n)
	}
	if p := printable.Load(); p != nil {
		for _, r := range name {
			if r != ' ' && !(*p)(r) {
				return "", fmt.Sprintf("「%c」（U+%04X）无法打印：证书字体中没有这个字，请核对是否录入了正确的字", r, r)
			}
		}
	}
	return name, ""
}

// refusedChar is the message for a character no name may hold.
func refusedChar(r rune) string {
	const rule = "姓名只能由汉字和间隔号“·”组成，外籍人员可用拉丁字母和空格"
	switch r {
	case '.', '．', '。', '-', '－', '‐', '‑', '–', '—', '_', '＿':
		return fmt.Sprintf("不能包含「%c」（U+%04X）：少数民族和外国人姓名中的间隔号请用“·”，外文姓名的各部分之间用空格", r, r)
	case '\'', '’', '‘', '＇':
		return fmt.Sprintf("不能包含「%c」（U+%04X）：外文姓名中的撇号请改为空格（与护照机读区一致）", r, r)
	}
	if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
		return fmt.Sprintf("不能包含数字「%c」：%s", r, rule)
	}
	return fmt.Sprintf("不能包含「%c」（U+%04X）：%s", r, r, rule)
}

// isMiddleDot reports the characters stored as the middle dot U+00B7: the
// dot itself and the centred dots people type for it.
func isMiddleDot(r rune) bool {
	switch r {
	case MiddleDot,
		'\u0387', // GREEK ANO TELEIA (NFC already maps it)
		'\u2022', // BULLET, from word processors
		'\u2027', // HYPHENATION POINT, Traditional Chinese input methods
		'\u2219', // BULLET OPERATOR
		'\u22c5', // DOT OPERATOR
		'\u2e31', // WORD SEPARATOR MIDDLE DOT
		'\u30fb', // KATAKANA MIDDLE DOT, Japanese input methods
		'\uff65': // HALFWIDTH KATAKANA MIDDLE DOT
		return true
	}
	return false
}

// ideographs are the ranges of Chinese characters a name may use: CJK
// Unified Ideographs and its extensions A to J (whole blocks, so that a
// character added to a block later is not refused), and 〇. The unified
// ideographs of the compatibility block are listed apart.
var ideographs = [][2]rune{
	{0x3007, 0x3007},   // 〇 IDEOGRAPHIC NUMBER ZERO
	{0x3400, 0x4DBF},   // Extension A
	{0x4E00, 0x9FFF},   // CJK Unified Ideographs
	{0x20000, 0x2A6DF}, // Extension B
	{0x2A700, 0x2B73F}, // Extension C
	{0x2B740, 0x2B81F}, // Extension D
	{0x2B820, 0x2CEAF}, // Extension E
	{0x2CEB0, 0x2EBEF}, // Extension F
	{0x2EBF0, 0x2EE5F}, // Extension I
	{0x30000, 0x3134F}, // Extension G
	{0x31350, 0x323AF}, // Extension H
	{0x323B0, 0x3347F}, // Extension J
}

// compatUnified are the twelve ideographs of the CJK Compatibility
// Ideographs block that are unified ideographs, not duplicates (NFC keeps
// them).
var compatUnified = map[rune]bool{
	0xFA0E: true, 0xFA0F: true, 0xFA11: true, 0xFA13: true, 0xFA14: true, 0xFA1F: true,
	0xFA21: true, 0xFA23: true, 0xFA24: true, 0xFA27: true, 0xFA28: true, 0xFA29: true,
}

func isIdeograph(r rune) bool {
	if compatUnified[r] {
		return true
	}
	for _, rg := range ideographs {
		if r < rg[0] {
			return false
		}
		if r <= rg[1] {
			return true
		}
	}
	return false
}

// isLatinLetter reports the letters of a foreign holder's name: ASCII and
// the letters of Latin-1 Supplement and Latin Extended-A and -B.
func isLatinLetter(r rune) bool {
	if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' {
		return true
	}
	return r >= 0xC0 && r <= 0x24F && r != 0xD7 && r != 0xF7 && unicode.IsLetter(r)
}

func indexRune(rs []rune, r rune) int {
	for i, x := range rs {
		if x == r {
			return i
		}
	}
	return -1
}

// SearchKey is the form in which names are compared when people search or
// verify: as stored by CheckName (NFC, every middle-dot variant as U+00B7),
// and without any spaces, so a name typed with spaces between its
// characters still matches.
func SearchKey(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), isZeroWidth(r):
		case isMiddleDot(r), r == '．', r == '.':
			b.WriteRune(MiddleDot)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// SearchNumber is the form in which certificate numbers (and other digit
// strings people type) are compared: full-width digits as ASCII, without
// spaces, dashes or invisible characters.
func SearchNumber(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			b.WriteByte(byte('0' + (r - '０')))
		case unicode.IsSpace(r), isZeroWidth(r), r == '-', r == '－', r == '—':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
