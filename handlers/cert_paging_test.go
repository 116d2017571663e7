package handlers

import (
	"html"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"certreg/store"
)

var (
	rowNumber = regexp.MustCompile(`name="n" value="([0-9]{14})"|<td class="mono nowrap"><a href="/certificates/([0-9]{14})">`)
	nextLink  = regexp.MustCompile(`<a class="btn small" href="([^"]*)">下一页</a>`)
	prevLink  = regexp.MustCompile(`<a class="btn small" href="([^"]*)">上一页</a>`)
)

func pageRows(body string) []string {
	var out []string
	for _, m := range rowNumber.FindAllStringSubmatch(body, -1) {
		if m[2] != "" {
			out = append(out, m[2])
		}
	}
	return out
}

// 下一页 and 上一页 carry the store's cursors: following 下一页 from the
// first page lists every certificate of the scope once, in the list's order,
// with its row numbers; 上一页 from the third page gives the second; a
// cursor that is not one is a bad query (422).
func TestCertListPagesWithCursors(t *testing.T) {
	e := newEnv(t)
	all, err := e.w.Store.Certificates(e.w.Actor(t, "demo-province"), store.CertQuery{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range all.Certs {
		want = append(want, c.Number)
	}
	if len(want) < 45 {
		t.Fatalf("the demo has %d certificates", len(want))
	}
	c := e.login("demo-province")
	var got []string
	var pages []string // each page's URL
	path := "/certificates"
	for n := 1; path != "" && n < 50; n++ {
		r := c.do(http.MethodGet, path, nil, map[string]string{"HX-Request": "true", "HX-Target": "cert-table"})
		if r.status != 200 {
			t.Fatalf("page %d (%s): %d %s", n, path, r.status, r.body)
		}
		rows := pageRows(r.body)
		from := len(got) + 1
		if len(rows) > 0 && !strings.Contains(r.body, "第 "+itoa(uint64(from))+"–"+itoa(uint64(from+len(rows)-1))+" 本") {
			t.Errorf("page %d does not say rows %d–%d", n, from, from+len(rows)-1)
		}
		got = append(got, rows...)
		pages = append(pages, path)
		path = ""
		if m := nextLink.FindStringSubmatch(r.body); m != nil {
			path = html.UnescapeString(m[1])
			if n > 1 && !strings.Contains(path, "after=") {
				t.Errorf("下一页 of page %d has no cursor: %s", n, path)
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("下一页 from the first page listed %d certificates, want %d\n got %v\nwant %v", len(got), len(want), got, want)
	}
	// 上一页 from the third page is the second.
	third := c.do(http.MethodGet, pages[2], nil, map[string]string{"HX-Request": "true", "HX-Target": "cert-table"})
	m := prevLink.FindStringSubmatch(third.body)
	if m == nil || !strings.Contains(m[1], "before=") {
		t.Fatalf("上一页 of the third page: %v", m)
	}
	second := c.do(http.MethodGet, html.UnescapeString(m[1]), nil, map[string]string{"HX-Request": "true", "HX-Target": "cert-table"})
	if rows := pageRows(second.body); !reflect.DeepEqual(rows, want[20:40]) {
		t.Errorf("上一页 of the third page: %v, want %v", rows, want[20:40])
	}
	// A cursor that is not one is a bad query.
	if r := c.get("/certificates?page=2&after=zz"); r.status != 422 || !strings.Contains(r.body, "请修正查询条件") {
		t.Errorf("bad cursor: %d", r.status)
	}
}
