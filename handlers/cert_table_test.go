package handlers

import (
	"net/url"
	"strings"
	"testing"

	"certreg/certlayout"
	"certreg/store"
)

// The library's table is written in Go (cert_table.go): texts that users
// typed — a print format's name, an issuing organisation's name, the
// query — come out escaped in the full page and in the htmx table alike,
// and the table keeps what the page's scripts and forms rely on.
func TestCertTableEscapesUserTexts(t *testing.T) {
	e := newEnv(t)
	unit := e.w.Org(t, "demo-unit")
	f := certlayout.DefaultFormat(certlayout.ModeOverlay)
	f.Name = `<b>预印&"纸`
	if _, err := e.w.Store.SavePrintFormat(e.w.Actor(t, "demo-unit"), 0, 0, f); err != nil {
		t.Fatal(err)
	}
	if _, err := e.w.Store.UpdateOrg(e.w.Actor(t, "demo-province"), unit.ID, store.OrgEdit{Name: `<i>培训&学校`, Region: unit.Region,
		Contact: unit.Contact, Phone: unit.Phone, Address: unit.Address, Rev: unit.Rev}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, path   string
		want, absent []string
	}{
		{"demo-unit", "/certificates?name=%3Cscript%3E", []string{`&lt;b&gt;预印&amp;&#34;纸</option>`, `name="q" value="name=%3Cscript%3E"`,
			`href="/certificates/export?name=%3Cscript%3E"`, `id="print-selected"`, `data-check-all="n"`},
			[]string{"<b>预印", "<script>"}},
		{"demo-province", "/certificates?org=" + itoa(unit.ID), []string{`<td class="cert-org">&lt;i&gt;培训&amp;学校`, `<th>发证机构</th>`},
			[]string{"<i>培训", `id="print-selected"`}},
	} {
		c := e.login(tc.user)
		for _, r := range []resp{c.get(tc.path), c.do("GET", tc.path, nil, map[string]string{"HX-Request": "true", "HX-Target": "cert-table"})} {
			if r.status != 200 {
				t.Fatalf("%s %s: %d", tc.user, tc.path, r.status)
			}
			table := r.body[strings.Index(r.body, `<div id="cert-table">`):]
			for _, s := range tc.want {
				if !strings.Contains(table, s) {
					t.Errorf("%s %s: no %s in\n%.3000s", tc.user, tc.path, s, table)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(table, s) {
					t.Errorf("%s %s: %s", tc.user, tc.path, s)
				}
			}
		}
	}
}

// A message left for the next page (after 标为已打印, for one) shows on the
// library, around the same table: the page then goes through the layout
// template instead of the kept one.
func TestCertPageShowsAFlash(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-unit")
	plain := c.get("/certificates")
	c.jar[cookieFlash] = url.QueryEscape("已标为已打印：2 本")
	r := c.get("/certificates")
	if r.status != 200 || !strings.Contains(r.body, `data-message="已标为已打印：2 本"`) {
		t.Fatalf("%d, no flash:\n%.2000s", r.status, r.body)
	}
	table := func(body string) string {
		i := strings.Index(body, `<div id="cert-table">`)
		j := strings.LastIndex(body, `<div class="cert-pager"`)
		if i < 0 || j < i {
			t.Fatalf("no table in\n%.2000s", body)
		}
		return body[i:j]
	}
	if table(r.body) != table(plain.body) || !strings.Contains(r.body, `id="cert-filters"`) {
		t.Errorf("the page with a flash differs from the page without")
	}
	if again := c.get("/certificates"); strings.Contains(again.body, "data-message") {
		t.Errorf("the flash shows twice")
	}
}
