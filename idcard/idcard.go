// Package idcard owns the rules for Chinese resident identity numbers
// (GB 11643-1999: 18 characters, birth date, ISO 7064 MOD 11-2 check digit)
// and the masking of personal data (ID numbers and phone numbers) for lists,
// exports and public pages.
package idcard

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors returned (wrapped) by Validate; use errors.Is to test for them.
// Their own messages are generic; the wrapping error carries the detail.
var (
	ErrLength     = errors.New("身份证号应为 18 位")
	ErrLegacy15   = errors.New("15 位旧身份证号不受支持，请填写 18 位身份证号")
	ErrChars      = errors.New("身份证号只能由数字组成，最后一位可以是 X")
	ErrBirthDate  = errors.New("身份证号中的出生日期无效")
	ErrCheckDigit = errors.New("身份证号校验位错误")
)

// cst is China Standard Time. China has had no daylight saving time since
// 1991, so a fixed zone is exact and needs no zone database.
var cst = time.FixedZone("CST", 8*3600)

// now is replaced in tests.
var now = time.Now

// validationError carries a detailed Chinese message and unwraps to one of
// the sentinels.
type validationError struct {
	kind error
	msg  string
}

func (e *validationError) Error() string { return e.msg }
func (e *validationError) Unwrap() error { return e.kind }

func fail(kind error, format string, args ...any) error {
	return &validationError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Normalize turns what a person typed or pasted into the canonical form:
// full-width digits and Ｘ/ｘ become ASCII, every kind of whitespace (and the
// invisible zero-width characters that come with copy and paste) is removed,
// and a lower-case x becomes X. It is idempotent.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			b.WriteByte(byte('0' + (r - '０')))
		case r == 'x' || r == 'Ｘ' || r == 'ｘ':
			b.WriteByte('X')
		case unicode.IsSpace(r), r == '\u200b', r == '\u200c', r == '\u200d', r == '\u2060', r == '\ufeff':
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Validate checks a normalised ID number (see Normalize) and returns nil or an
// error with a Chinese message that wraps ErrLength, ErrLegacy15, ErrChars,
// ErrBirthDate or ErrCheckDigit.
func Validate(id string) error {
	n := utf8.RuneCountInString(id)
	if n == 15 && allDigits(id) {
		return ErrLegacy15
	}
	if n != 18 {
		if n == 0 {
			return fail(ErrLength, "身份证号为空")
		}
		return fail(ErrLength, "身份证号应为 18 位，实际为 %d 位", n)
	}
	// n == 18 runes; the checks below need 18 ASCII bytes.
	if len(id) != 18 || !allDigits(id[:17]) || !(isDigit(id[17]) || id[17] == 'X') {
		return fail(ErrChars, "身份证号只能由数字组成，最后一位可以是 X")
	}
	birth, ok := parseBirth(id)
	if !ok {
		return fail(ErrBirthDate, "身份证号中的出生日期 %s 不是有效日期", id[6:14])
	}
	if birth.Year() < 1900 {
		return fail(ErrBirthDate, "身份证号中的出生日期 %s 早于 1900 年", id[6:14])
	}
	y, m, d := now().In(cst).Date()
	if birth.After(time.Date(y, m, d, 0, 0, 0, 0, cst)) {
		return fail(ErrBirthDate, "身份证号中的出生日期 %s 晚于今天", id[6:14])
	}
	if want := checkDigit(id[:17]); id[17] != want {
		return fail(ErrCheckDigit, "校验位错误：最后一位应为 %c，请核对身份证号", want)
	}
	return nil
}

// Gender returns "男" when the 17th digit is odd, "女" when it is even, and ""
// when the number is too short or that character is not a digit.
func Gender(id string) string {
	id = Normalize(id)
	if len(id) < 17 || !isDigit(id[16]) {
		return ""
	}
	if (id[16]-'0')%2 == 1 {
		return "男"
	}
	return "女"
}

// BirthDate returns the birth date (midnight, China Standard Time) encoded in
// an 18-character number, and false when the number is not 18 characters or
// the date is not a real calendar date. It does not check the check digit.
func BirthDate(id string) (time.Time, bool) {
	id = Normalize(id)
	if len(id) != 18 {
		return time.Time{}, false
	}
	return parseBirth(id)
}

// Make builds a valid ID number from a 6-digit region code, a birth date and a
// 3-digit sequence (0..999, taken modulo 1000); an odd sequence gives a man,
// an even one a woman. It is meant for tests and fixtures and panics when
// region6 is not 6 digits.
func Make(region6 string, birth time.Time, seq3 int) string {
	if len(region6) != 6 || !allDigits(region6) {
		panic("idcard.Make: region must be 6 digits, got " + region6)
	}
	seq3 %= 1000
	if seq3 < 0 {
		seq3 += 1000
	}
	body := fmt.Sprintf("%s%04d%02d%02d%03d", region6, birth.Year(), int(birth.Month()), birth.Day(), seq3)
	return body + string(checkDigit(body))
}

// weights are the ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 for positions 0..16.
var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// checkDigit computes the check character for 17 ASCII digits.
func checkDigit(body string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(body[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11]
}

// parseBirth reads YYYYMMDD at positions 6..13 and checks it is a real date.
func parseBirth(id string) (time.Time, bool) {
	s := id[6:14]
	if !allDigits(s) {
		return time.Time{}, false
	}
	y := atoi(s[0:4])
	m := atoi(s[4:6])
	d := atoi(s[6:8])
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, cst)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
