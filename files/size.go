package files

import (
	"strconv"
	"strings"
)

// SizeLabel is a number of bytes for people: "900 B", "512 KB", "1.2 MB",
// "2 MB", "1.5 GB" (units of 1,024; one decimal from MB up, without a
// trailing ".0"). Every size the application shows or writes in a message
// goes through it, so one file never reads "2 MB" on one page and
// "2097152 字节" on another.
func SizeLabel(n int64) string {
	const kb, mb, gb = 1 << 10, 1 << 20, 1 << 30
	switch {
	case n < 0:
		return "-" + SizeLabel(-n)
	case n < kb:
		return strconv.FormatInt(n, 10) + " B"
	case n < mb-kb/2: // rounds to at most 1023 KB
		return strconv.FormatInt((n+kb/2)/kb, 10) + " KB"
	case n < gb-mb/20-1: // rounds to at most 1023.9 MB
		return decimal(float64(n)/mb) + " MB"
	}
	return decimal(float64(n)/gb) + " GB"
}

// decimal prints v with one decimal, dropping a trailing ".0".
func decimal(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}
