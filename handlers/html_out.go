package handlers

import (
	"html"
	"html/template"
	"slices"
	"strconv"
	"sync"
	"unsafe"
)

// Markup repeated per row, bar or link — the library's table and pager,
// the home page's lists, the operation log's rows, the charts, the tables
// of 统计分析 — is written in Go rather than by html/template, where each
// action costs a reflective lookup and an escaper call (about 2 µs) and a
// page repeats hundreds. htmlOut is the one writer for it: constant
// markup goes through raw, every other text and attribute value through
// text, which escapes it.

// htmlOut collects markup.
type htmlOut struct{ b []byte }

// raw writes markup as it is (constant strings only).
func (w *htmlOut) raw(s string) { w.b = append(w.b, s...) }

// text writes s escaped, for element text and attribute values alike.
func (w *htmlOut) text(s string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '>', '&', '\'', '"': // what html.EscapeString replaces
			w.b = append(w.b, html.EscapeString(s)...)
			return
		}
	}
	w.b = append(w.b, s...)
}

func (w *htmlOut) int(n int64) { w.b = strconv.AppendInt(w.b, n, 10) }

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

// Write and WriteString make htmlOut an io.Writer (html/template can
// execute into it); they write as raw does.
func (w *htmlOut) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *htmlOut) WriteString(s string) (int, error) {
	w.b = append(w.b, s...)
	return len(s), nil
}

// Grow makes room for n more bytes.
func (w *htmlOut) Grow(n int) { w.b = slices.Grow(w.b, n) }

// String is what was written. Like strings.Builder's, it shares the
// writer's memory (later writes append past it): a borrowed writer's
// String must not be used after the writer is given back.
func (w *htmlOut) String() string { return unsafe.String(unsafe.SliceData(w.b), len(w.b)) }

// html is what was written, for a template (as String).
func (w *htmlOut) html() template.HTML { return template.HTML(w.String()) }

// htmlBufs keeps writers for whole answers (a page is 20–60 KB): a
// request borrows one, the answer copies it into the response, and the
// request gives it back.
var htmlBufs = sync.Pool{New: func() any { return &htmlOut{b: make([]byte, 0, 32<<10)} }}

func borrowHTML() *htmlOut { return htmlBufs.Get().(*htmlOut) }

func giveBackHTML(w *htmlOut) {
	if cap(w.b) <= 1<<20 {
		w.b = w.b[:0]
		htmlBufs.Put(w)
	}
}
