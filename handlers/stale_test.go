package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"certreg/store"
)

var (
	revField  = regexp.MustCompile(`name="rev" value="(\d+)"`)
	baseField = regexp.MustCompile(`name="base" value="([^"]*)"`)
)

// formState reads the revision and base an edit page's form carries.
func formState(t *testing.T, body string) (string, string) {
	t.Helper()
	r, b := revField.FindStringSubmatch(body), baseField.FindStringSubmatch(body)
	if r == nil || b == nil {
		t.Fatalf("the edit form carries no rev/base\n%.1500s", body)
	}
	return r[1], b[1]
}

// staleCase is one edit form: where it is, what the user submits, what
// someone else saves meanwhile (through the store, as another session
// would), and what the notice must show.
type staleCase struct {
	name      string
	user      string
	page      string // GET: the edit form
	post      string
	form      url.Values
	meanwhile func(t *testing.T, e *env)
	want      []string // in the 422 answer: the notice, the field changed, the user's input
	htmx      bool
}

// Two clerks editing the same record: the second save is refused with what
// changed meanwhile, the input is kept, and saving again goes through.
func TestStaleEditsAreRefused(t *testing.T) {
	e := newEnv(t)
	draft := e.w.Store
	unitActor := e.w.Actor(t, "demo-unit")
	batches, _, err := draft.Batches(unitActor, store.BatchFilter{Tab: store.TabDraft, Limit: 1})
	if err != nil || len(batches) == 0 {
		t.Fatalf("no draft batch: %v", err)
	}
	b := batches[0]
	cands, err := draft.BatchCandidates(unitActor, b.ID, 0, 1)
	if err != nil || len(cands) == 0 {
		t.Fatal("no candidate")
	}
	cand := cands[0]
	unitOrg := e.w.Org(t, "demo-unit")
	clerk := e.w.User(t, "hfjg-clerk")
	formats, _, err := draft.PrintFormats(unitActor)
	if err != nil {
		t.Fatal(err)
	}
	var pf store.PrintFormat
	for _, f := range formats {
		if f.ID != 0 {
			pf = f
			break
		}
	}
	if pf.ID == 0 {
		t.Fatal("demo-unit has no saved print format")
	}
	cases := []staleCase{
		{name: "candidate", user: "demo-unit", page: fmt.Sprintf("/batches/%d/candidates/%d/edit", b.ID, cand.ID), htmx: true,
			post: fmt.Sprintf("/batches/%d/candidates/%d", b.ID, cand.ID),
			form: url.Values{"name": {"改名甲"}, "id_number": {cand.IDNumber}, "gender": {cand.Gender}, "work_unit": {"我填的单位"},
				"occupation": {cand.OccupationCode}, "level": {fmt.Sprint(cand.Level)}},
			meanwhile: func(t *testing.T, e *env) {
				raw := cand.Raw()
				raw.WorkUnit = "别人改的单位"
				if _, err := e.w.Store.UpdateCandidate(unitActor, b.ID, cand.ID, 0, raw); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"已被其他人修改", "工作单位", "别人改的单位", "我填的单位"}},
		{name: "organisation by its superior", user: "demo-dept", page: fmt.Sprintf("/admin/orgs/%d", unitOrg.ID), post: fmt.Sprintf("/admin/orgs/%d", unitOrg.ID),
			form: url.Values{"name": {unitOrg.Name}, "region": {unitOrg.Region}, "contact": {"我填的联系人"}, "phone": {unitOrg.Phone}, "address": {unitOrg.Address}},
			meanwhile: func(t *testing.T, e *env) {
				if _, err := e.w.Store.UpdateOrgContact(unitActor, store.OrgUpdate{Contact: unitOrg.Contact, Phone: "0551-99990000", Address: unitOrg.Address}); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"已被其他人修改", "联系电话", "0551-99990000", "我填的联系人"}},
		{name: "own organisation in settings", user: "demo-unit", page: "/settings?tab=org", post: "/settings/org",
			form: url.Values{"contact": {"我填的联系人"}, "phone": {""}, "address": {"我填的地址"}},
			meanwhile: func(t *testing.T, e *env) {
				o := e.w.Org(t, "demo-unit")
				if _, err := e.w.Store.UpdateOrg(e.w.Actor(t, "demo-dept"), o.ID, store.OrgEdit{Name: o.Name, Region: o.Region, Contact: "上级改的联系人", Phone: o.Phone, Address: o.Address}); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"已被其他人修改", "联系人", "上级改的联系人", "我填的地址"}},
		{name: "user", user: "demo-unit", page: fmt.Sprintf("/admin/users/%d", clerk.ID), post: fmt.Sprintf("/admin/users/%d", clerk.ID),
			form: url.Values{"name": {"我填的姓名"}, "phone": {clerk.Phone}, "caps": {"batch.manage", "cert.view"}},
			meanwhile: func(t *testing.T, e *env) {
				u := e.w.User(t, "hfjg-clerk")
				if _, err := e.w.Store.UpdateUser(e.w.Actor(t, "demo-dept"), u.ID, store.UserEdit{Name: u.Name, Phone: "13700000000", Caps: u.Caps}); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"已被其他人修改", "手机号码", "13700000000", "我填的姓名"}},
		{name: "occupation", user: "demo-province", page: "/admin/occupations?edit=901", post: "/admin/occupations/901",
			form: url.Values{"name": {"我填的工种"}, "level": {"5", "4"}},
			meanwhile: func(t *testing.T, e *env) {
				if _, err := e.w.Store.UpdateOccupation(e.w.Actor(t, "demo-province"), store.Occupation{Code: "901", Name: "别人改的工种", Levels: []int{5}}); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"已被其他人修改", "名称", "别人改的工种", "我填的工种"}},
		{name: "print format", user: "demo-unit", page: fmt.Sprintf("/certificates/formats/%d", pf.ID), post: fmt.Sprintf("/certificates/formats/%d", pf.ID),
			meanwhile: func(t *testing.T, e *env) {
				f := pf.Format
				f.OffsetX = 2.5
				if _, err := e.w.Store.SavePrintFormat(unitActor, pf.ID, 0, f); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"已被其他人修改", "整体偏移", "2.5, "}},
	}
	if _, err := e.w.Store.CreateOccupation(e.w.Actor(t, "demo-province"), store.Occupation{Code: "901", Name: "钢结构安装工", Levels: []int{5, 4}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.login(tc.user)
			var page resp
			if tc.htmx {
				page = c.htmx(tc.page)
			} else {
				page = c.get(tc.page)
			}
			if page.status != 200 {
				t.Fatalf("GET %s: %d", tc.page, page.status)
			}
			rev, base := formState(t, page.body)
			form := tc.form
			if form == nil {
				form = pageForm(page.body)
			}
			form.Set("rev", rev)
			form.Set("base", base)
			tc.meanwhile(t, e)
			r := c.post(tc.post, cloneValues(form))
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("stale save: status %d, want 422\n%.1500s", r.status, r.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("stale answer lacks %q\n%.3000s", w, r.body)
				}
			}
			// The answer's form carries the current revision: saving again
			// is deliberate and goes through.
			rev2, base2 := formState(t, r.body)
			if rev2 == rev {
				t.Fatalf("the refused form still carries revision %s", rev)
			}
			form.Set("rev", rev2)
			form.Set("base", base2)
			if r := c.post(tc.post, cloneValues(form)); r.status != http.StatusSeeOther && r.status != http.StatusOK {
				t.Fatalf("second save: status %d\n%.1500s", r.status, r.body)
			}
		})
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
