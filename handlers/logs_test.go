package handlers

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"certreg/store"
)

// logRows asks for the log table fragment the filter form swaps in.
func (c *client) logRows(query string) resp {
	c.e.t.Helper()
	return c.do(http.MethodGet, "/logs"+query, nil, map[string]string{"HX-Request": "true", "HX-Target": "log-table"})
}

// The operation log of an organisation: its own users' records only,
// filtered by user, action and dates, 20 a page, newest first.
func TestLogFiltersAndPaging(t *testing.T) {
	e := newEnv(t)
	e.login("hfjg-clerk") // a user of demo-unit's organisation
	e.login("hfcj-admin") // another unit of the same dept
	for i := 0; i < 22; i++ {
		e.login("demo-unit")
	}
	c := e.login("demo-unit")
	clerk := itoa(e.w.User(t, "hfjg-clerk").ID)

	r := c.get("/logs")
	if r.status != 200 || !strings.Contains(r.body, "操作日志") || !strings.Contains(r.body, `id="f-user"`) {
		t.Fatalf("log page: %d", r.status)
	}
	r = c.logRows("")
	if strings.Contains(r.body, "<html") || strings.Count(r.body, "<tr>") != 20+1 { // 20 rows and the header
		t.Fatalf("first page: %d rows\n%.2000s", strings.Count(r.body, "<tr>")-1, r.body)
	}
	if !strings.Contains(r.body, "第 1 页") || !strings.Contains(r.body, `href="/logs?page=2"`) || strings.Contains(r.body, "hfcj-admin") {
		t.Fatalf("first page pager or scope:\n%.3000s", r.body)
	}
	r = c.logRows("?page=2")
	if !strings.Contains(r.body, "第 2 页") || !strings.Contains(r.body, `href="/logs?page=1"`) {
		t.Fatalf("second page:\n%.3000s", r.body)
	}
	if r := c.logRows("?page=0"); !strings.Contains(r.body, "第 1 页") {
		t.Error("page 0 is not page 1")
	}

	// By user: only the clerk's login.
	r = c.logRows("?user=" + clerk)
	if !strings.Contains(r.body, "hfjg-clerk") || strings.Contains(r.body, "<td>demo-unit</td>") {
		t.Fatalf("user filter:\n%.3000s", r.body)
	}
	// By action.
	r = c.logRows("?action=login.success")
	if !strings.Contains(r.body, "登录成功") || strings.Contains(r.body, "登录失败") {
		t.Fatalf("action filter:\n%.3000s", r.body)
	}
	if !strings.Contains(r.body, "action=login.success&amp;page=2") {
		t.Errorf("the pager drops the action filter:\n%.3000s", r.body)
	}
	// By dates (China time): the world's day has records, and so have the
	// months the demo was made in; later days and days before the demo's
	// first start (half a year earlier) none.
	for q, some := range map[string]bool{
		"?from=2026-11-28&to=2026-11-28": true,
		"?from=2026-11-29":               false,
		"?to=2026-11-27":                 true,
		"?to=2026-05-01":                 false,
		"?from=bad&to=worse":             true,
	} {
		r := c.logRows(q)
		if empty := strings.Contains(r.body, "没有符合条件的日志记录"); empty == some {
			t.Errorf("%s: empty=%v", q, empty)
		}
	}
	// Anyone without log.view is refused.
	if r := e.login("hfjg-clerk").get("/logs"); r.status != http.StatusForbidden {
		t.Errorf("clerk without log.view: %d", r.status)
	}
}

// The log page's drop-downs mark the user and action asked for; the rows
// show every field escaped, a dash for an empty one.
func TestLogPageOptionsAndRows(t *testing.T) {
	e := newEnv(t)
	e.login("hfjg-clerk")
	c := e.login("demo-unit")
	clerk := e.w.User(t, "hfjg-clerk")
	r := c.get("/logs?user=" + itoa(clerk.ID) + "&action=login.success")
	for _, want := range []string{
		`<option value="` + itoa(clerk.ID) + `" selected>刘洋（hfjg-clerk）</option>`,
		`<option value="login.success" selected>登录成功</option>`,
		`<option value="login.failure">登录失败</option>`,
		`<td>hfjg-clerk</td>`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the log page lacks %s", want)
		}
	}
	if n := strings.Count(r.body, " selected>"); n != 2 {
		t.Errorf("%d options selected, want 2", n)
	}

	rows := string(logRows([]store.LogEntry{{Time: time.Date(2026, 3, 1, 16, 30, 0, 0, time.UTC), Username: `<b>甲</b>`, Action: store.ActLoginFailure,
		Target: `a"b`, Detail: "&"}}))
	want := "\n      <tr>\n        <td class=\"nowrap\">2026-03-02 00:30:00</td>\n        <td>&lt;b&gt;甲&lt;/b&gt;</td>\n" +
		"        <td class=\"mono small\">—</td>\n        <td>登录失败</td>\n        <td>a&#34;b</td>\n" +
		"        <td><span class=\"tag err\">失败</span></td>\n        <td class=\"muted\">&amp;</td>\n      </tr>\n    "
	if rows != want {
		t.Errorf("rows:\n%q\nwant\n%q", rows, want)
	}
}
