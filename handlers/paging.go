package handlers

import (
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// pager is the paging bar under a table: page numbers over a known total.
type pager struct {
	Page, Pages, Total, Size int
	PrevURL, NextURL         string
	Links                    []pageLink
}

type pageLink struct {
	N       int
	URL     string
	Current bool
	Gap     bool
}

// pageParam reads ?page= (1-based, bounded).
func pageParam(c *fiber.Ctx) int {
	p, err := strconv.Atoi(c.Query("page", "1"))
	if err != nil || p < 1 || p > 100000 {
		return 1
	}
	return p
}

// newPager builds the paging links of base?query&page=N.
func newPager(base string, q url.Values, page, size, total int) pager {
	pages := (total + size - 1) / size
	if pages < 1 {
		pages = 1
	}
	if page > pages {
		page = pages
	}
	link := func(n int) string {
		v := url.Values{}
		for k, vals := range q {
			if k != "page" && len(vals) > 0 && vals[0] != "" {
				v[k] = vals
			}
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return base
		}
		return base + "?" + v.Encode()
	}
	p := pager{Page: page, Pages: pages, Total: total, Size: size}
	if page > 1 {
		p.PrevURL = link(page - 1)
	}
	if page < pages {
		p.NextURL = link(page + 1)
	}
	// The first and last page and two on either side of this one (a list
	// of a hundred thousand pages costs no more than one of ten).
	last := 0
	for _, n := range []int{1, page - 2, page - 1, page, page + 1, page + 2, pages} {
		if n <= last || n < 1 || n > pages {
			continue
		}
		if last != 0 && n != last+1 {
			p.Links = append(p.Links, pageLink{Gap: true})
		}
		p.Links = append(p.Links, pageLink{N: n, URL: link(n), Current: n == page})
		last = n
	}
	return p
}

// idParam reads a numeric :id route parameter; anything else is not found.
func idParam(c *fiber.Ctx) (uint64, error) {
	id, err := strconv.ParseUint(c.Params("id"), 10, 64)
	if err != nil || id == 0 {
		return 0, fiber.ErrNotFound
	}
	return id, nil
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func parseUint(s string) uint64 {
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}

// dateRange reads the first and last day of a from/to filter (2006-01-02,
// China time, both days included; empty: open). A bad day is an error of its
// field ("from" or "to") in errs, as is a start after the end.
func dateRange(from, to string, errs map[string]string) (time.Time, time.Time) {
	var out [2]time.Time
	for i, d := range []struct{ in, key, what string }{{from, "from", "开始日期"}, {to, "to", "结束日期"}} {
		if d.in == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.in, cst)
		if err != nil {
			errs[d.key] = d.what + "格式应为 2026-01-31"
			continue
		}
		out[i] = t
	}
	if !out[0].IsZero() && !out[1].IsZero() && out[0].After(out[1]) {
		errs["to"] = "结束日期不能早于开始日期"
	}
	return out[0], out[1]
}

// pagerHTML is the paging bar of views/partials/pager.html: written here
// rather than in the template, where its links' URLs (each through three
// escapers) cost a good part of a table's answer.
func pagerHTML(p pager) template.HTML {
	var w htmlOut
	w.Grow(400 + 60*len(p.Links))
	w.raw("\n<div class=\"pager\">\n  <span>共 " + strconv.Itoa(p.Total) + " 条")
	if p.Pages > 1 {
		w.raw("，第 " + strconv.Itoa(p.Page) + "/" + strconv.Itoa(p.Pages) + " 页")
	}
	w.raw("</span>\n  ")
	if p.Pages > 1 {
		w.raw("\n  <span class=\"pages\">\n    ")
		writePageButton(&w, p.PrevURL, "上一页")
		w.raw("\n    ")
		for _, l := range p.Links {
			switch {
			case l.Gap:
				w.raw(`<span class="muted">…</span>`)
			case l.Current:
				w.raw(`<span class="btn small primary">` + strconv.Itoa(l.N) + `</span>`)
			default:
				w.raw(`<a class="btn small" href="` + urlAttr(l.URL) + `">` + strconv.Itoa(l.N) + `</a>`)
			}
		}
		w.raw("\n    ")
		writePageButton(&w, p.NextURL, "下一页")
		w.raw("\n  </span>\n  ")
	}
	w.raw("\n</div>")
	return w.html()
}

// writePageButton writes 上一页 or 下一页 (label): a link to url, or a
// disabled button when there is none.
func writePageButton(w *htmlOut, url, label string) {
	if url != "" {
		w.raw(`<a class="btn small" href="` + urlAttr(url) + `">` + label + `</a>`)
	} else {
		w.raw(`<span class="btn small disabled">` + label + `</span>`)
	}
}

// urlAttr is a link within this site (a path, with a query made by
// url.Values) as html/template writes it into a quoted attribute: a byte a
// URL may not hold percent-encoded (a valid escape kept as it is), then
// & and + as character references.
func urlAttr(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~!#$*,/:;=?@[]", c) >= 0:
			b.WriteByte(c)
		case c == '&':
			b.WriteString("&amp;")
		case c == '+':
			b.WriteString("&#43;")
		case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02x", c)
		}
	}
	return b.String()
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
