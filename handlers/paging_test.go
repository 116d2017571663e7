package handlers

import (
	"html/template"
	"net/url"
	"strings"
	"testing"
)

// pagerTemplate is the paging bar as views/partials/pager.html wrote it
// before pagerHTML: the Go version must give the same bytes.
const pagerTemplate = `{{/* c */}}
<div class="pager">
  <span>共 {{.Total}} 条{{if gt .Pages 1}}，第 {{.Page}}/{{.Pages}} 页{{end}}</span>
  {{if gt .Pages 1}}
  <span class="pages">
    {{if .PrevURL}}<a class="btn small" href="{{.PrevURL}}">上一页</a>{{else}}<span class="btn small disabled">上一页</span>{{end}}
    {{range .Links}}{{if .Gap}}<span class="muted">…</span>{{else if .Current}}<span class="btn small primary">{{.N}}</span>{{else}}<a class="btn small" href="{{.URL}}">{{.N}}</a>{{end}}{{end}}
    {{if .NextURL}}<a class="btn small" href="{{.NextURL}}">下一页</a>{{else}}<span class="btn small disabled">下一页</span>{{end}}
  </span>
  {{end}}
</div>`

// The paging bar written in Go is byte for byte the template's, for one
// page, many pages, and queries holding spaces, Chinese, quotes, markup and
// stray percent signs.
func TestPagerHTMLSameAsTemplate(t *testing.T) {
	tpl := template.Must(template.New("p").Parse(pagerTemplate))
	odd := url.Values{"name": {`张 三+"<b>'&`}, "q": {"a%zz%4"}}
	cases := []pager{
		newPager("/batches", nil, 1, 20, 0),
		newPager("/batches", nil, 1, 20, 15),
		newPager("/batches", url.Values{"tab": {"draft"}}, 3, 20, 1000),
		newPager("/certificates", odd, 50000, 20, 2_000_000),
		{Page: 2, Pages: 3, Total: 60, PrevURL: "/x?a=%e5%bc%a0&b=<'\">", NextURL: "/x?c=%%20 d\x01é", Links: []pageLink{{N: 1, URL: "/x?p=1&q=+"}, {N: 2, Current: true}, {Gap: true}}},
	}
	for i, p := range cases {
		var want strings.Builder
		if err := tpl.Execute(&want, p); err != nil {
			t.Fatal(err)
		}
		if got := string(pagerHTML(p)); got != want.String() {
			t.Errorf("pager %d:\n%s", i, firstDiff(got, want.String()))
		}
	}
}
