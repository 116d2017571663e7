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
	if utf8.RuneCountInString(id) == 18 {
		head, tail := runeOffset(id, 6), runeOffset(id, 14)
		return id[:head] + "********" + id[tail:]
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

// runeOffset is where the n-th rune of s starts (len(s) past its end).
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}
