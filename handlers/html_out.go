package handlers

import (
	"html"
	"html/template"
	"strconv"
	"strings"
)

// Markup repeated per row, bar or link — the library's pager, the home
// page's lists, the operation log's rows, the charts, the tables of
// 统计分析 — is written in Go rather than by html/template, where each
// action costs a reflective lookup and an escaper call (about 2 µs) and a
// page repeats hundreds. htmlOut is the one writer for it: constant
// markup goes through raw, every other text and attribute value through
// text, which escapes it.

// htmlOut collects markup.
type htmlOut struct{ strings.Builder }

// raw writes markup as it is (constant strings only).
func (w *htmlOut) raw(s string) { w.WriteString(s) }

// text writes s escaped, for element text and attribute values alike.
func (w *htmlOut) text(s string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '>', '&', '\'', '"': // what html.EscapeString replaces
			w.WriteString(html.EscapeString(s))
			return
		}
	}
	w.WriteString(s)
}

func (w *htmlOut) int(n int64) {
	var b [20]byte
	w.Write(strconv.AppendInt(b[:0], n, 10))
}

// attr writes ` name="value"`, the value escaped.
func (w *htmlOut) attr(name, value string) {
	w.raw(" ")
	w.raw(name)
	w.raw(`="`)
	w.text(value)
	w.raw(`"`)
}

func (w *htmlOut) intAttr(name string, n int) {
	w.raw(" ")
	w.raw(name)
	w.raw(`="`)
	w.int(int64(n))
	w.raw(`"`)
}

// html is what was written, for a template.
func (w *htmlOut) html() template.HTML { return template.HTML(w.String()) }
