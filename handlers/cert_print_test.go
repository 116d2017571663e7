package handlers

import (
	"net/http"
	"net/url"
	"testing"

	"certreg/store"
)

// Printing every result of the list's query (all=1), and the refusals that
// come back to the list with 422: a bad query, no result, too many selected.
func TestPrintAllOfQuery(t *testing.T) {
	e := newEnv(t)
	certs := e.certsOf("demo-unit")
	ct := validCert(t, certs)
	var n500 []string
	for i := 0; i < 501; i++ {
		n500 = append(n500, ct.Number)
	}
	byName := url.Values{"name": {ct.Name}}.Encode()
	get, post := http.MethodGet, http.MethodPost
	runScenarios(t, e, []scenario{
		{name: "all of a query", user: "demo-unit", method: post, path: "/certificates/print",
			form: url.Values{"all": {"1"}, "q": {byName}, "format": {builtinOverlay}}, status: 200,
			want: []string{"%PDF-"}, header: map[string]string{"Content-Type": "application/pdf"}},
		{name: "a query with an error", user: "demo-unit", method: post, path: "/certificates/print",
			form: url.Values{"all": {"1"}, "q": {"number=26ab"}}, status: 422, want: []string{"请修正查询条件", "证书编号应为"}},
		{name: "a query without result", user: "demo-unit", method: post, path: "/certificates/print",
			form: url.Values{"all": {"1"}, "q": {"name=" + url.QueryEscape("查无此人")}}, status: 422,
			want: []string{"当前查询没有可打印的有效证书", `value="查无此人"`}},
		{name: "more than 500 ticked", user: "demo-unit", method: post, path: "/certificates/print",
			form: url.Values{"n": n500}, status: 422, want: []string{"一次最多处理 500 本证书（已选 501 本）"}},
		{name: "nothing ticked on the detail page", user: "demo-unit", method: post, path: "/certificates/print",
			form: url.Values{"from": {ct.Number}}, status: 422, want: []string{"请先勾选", ct.Number}},
		{name: "all of a query marked not printed", user: "demo-unit", method: post, path: "/certificates/printed",
			form: url.Values{"all": {"1"}, "q": {byName}, "printed": {"0"}}, status: http.StatusSeeOther, location: "/certificates?" + byName},
		{name: "the list says so", user: "demo-unit", method: get, path: "/certificates?" + byName, status: 200,
			want: []string{"设置为未打印。", "未打印"}},
		{name: "from the unfiltered list", user: "demo-unit", method: post, path: "/certificates/printed",
			form: url.Values{"n": {ct.Number}, "printed": {"1"}}, status: http.StatusSeeOther, location: "/certificates"},
	})
	got, err := e.w.Store.Certificate(e.w.Org(t, "demo-unit"), ct.Number)
	if err != nil || !got.Printed {
		t.Fatalf("print status: %v %v", got.Printed, err)
	}
	// The print of every result recorded every certificate of the query.
	page, err := e.w.Store.Certificates(e.w.Actor(t, "demo-unit"), store.CertQuery{Name: ct.Name, Status: store.CertValid, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range page.Certs {
		printed := false
		for _, h := range c.History {
			printed = printed || h.Kind == "打印"
		}
		if c.PrintCount < 1 || !printed {
			t.Errorf("%s: print count %d, in history %v", c.Number, c.PrintCount, printed)
		}
	}
}
