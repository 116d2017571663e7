package idcard

import (
	"strings"
	"unicode/utf8"
)

// Mask hides the middle of an ID number for lists, exports and public pages:
// an 18-character number keeps its first 6 and last 4 characters around 8
// asterisks ("342102********0029"). Any other input reveals less: at most a
// quarter of its characters at each end, and nothing when it is shorter than
// 4 characters. Masking works on runes, so it never splits a character.
func Mask(id string) string {
	id = strings.TrimSpace(id)
	if len(id) == 18 && ascii(id) { // every stored number: no runes to count
		return id[:6] + "********" + id[14:]
	}
	if utf8.RuneCountInString(id) == 18 {
		r := []rune(id)
		return string(r[:6]) + "********" + string(r[14:])
	}
	return maskMiddle(id, 6, 4)
}

// MaskPhone hides the middle of a phone number: an 11-digit mobile keeps its
// first 3 and last 4 digits ("138****5678"); anything else reveals at most a
// quarter of its characters at each end.
func MaskPhone(p string) string {
	p = strings.TrimSpace(p)
	if len(p) == 11 && allDigits(p) {
		return p[:3] + "****" + p[7:]
	}
	return maskMiddle(p, 3, 4)
}

// maskMiddle keeps at most maxHead leading and maxTail trailing runes, and
// never more than a quarter of the runes at either end.
func maskMiddle(s string, maxHead, maxTail int) string {
	r := []rune(s)
	n := len(r)
	if n == 0 {
		return ""
	}
	head := min(maxHead, n/4)
	tail := min(maxTail, n/4)
	return string(r[:head]) + strings.Repeat("*", n-head-tail) + string(r[n-tail:])
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
