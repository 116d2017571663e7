package demo_test

import (
	"strings"
	"testing"
	"time"

	"certreg/auth"
	"certreg/demo"
	"certreg/fixture"
	"certreg/store"
)

// allCerts pages through the certificates an actor sees.
func allCerts(t *testing.T, w *fixture.World, username string, q store.CertQuery) []store.Certificate {
	t.Helper()
	var out []store.Certificate
	for q.Offset = 0; ; q.Offset += 50 {
		q.Limit = 50
		page, err := w.Store.Certificates(w.Actor(t, username), q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Certs...)
		if !page.More {
			return out
		}
	}
}

// The demo world's counters equal a recount of the records through the
// public lists: batch tabs, review queues and lists, valid certificates and
// business queues, for every organisation that has them.
func TestDemoCountersMatchTheRecords(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Org(t, "demo-province")
	orgs, _, err := w.Store.Orgs(prov, store.OrgFilter{All: true})
	if err != nil {
		t.Fatal(err)
	}
	orgs = append(orgs, prov)
	admins := map[uint64]store.Actor{}
	users, _, err := w.Store.Users(prov, store.UserFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range users {
		if r.User.IsAdmin {
			admins[r.Org.ID] = w.Actor(t, r.User.Username)
		}
	}
	pendingDept := map[uint64]int{} // reviewer => batches waiting for it
	pendingProvince := 0
	for _, o := range orgs {
		a, ok := admins[o.ID]
		if !ok {
			t.Fatalf("%s has no administrator", o.Name)
		}
		if o.Type == store.Unit || o.Type == store.Direct {
			counts, err := w.Store.BatchCounts(a)
			if err != nil {
				t.Fatal(err)
			}
			for _, tab := range store.BatchTabs {
				list, total, err := w.Store.Batches(a, store.BatchFilter{Tab: tab.Tab, Limit: 200})
				if err != nil || uint64(total) != counts[tab.Tab] || len(list) != total {
					t.Errorf("%s tab %s: counter %d, list %d of %d (%v)", o.Name, tab.Label, counts[tab.Tab], len(list), total, err)
				}
				for _, b := range list {
					switch b.State {
					case store.BatchPendingDept:
						pendingDept[o.ParentID]++
					case store.BatchPendingProvince:
						pendingProvince++
					}
				}
			}
		}
	}
	for _, o := range orgs {
		a := admins[o.ID]
		if o.Type == store.Dept || o.Type == store.Province {
			want := pendingDept[o.ID]
			if o.Type == store.Province {
				want = pendingProvince
			}
			queue, n, err := w.Store.ReviewQueue(a, 0, 200)
			if err != nil || int(n) != want || len(queue) != want {
				t.Errorf("%s review queue: counter %d, list %d, batches waiting %d (%v)", o.Name, n, len(queue), want, err)
			}
			pending, done, err := w.Store.ReviewCounts(a)
			if err != nil {
				t.Fatal(err)
			}
			for tab, count := range map[store.ReviewTab]uint64{store.ReviewPending: pending, store.ReviewDone: done} {
				rows, total, err := w.Store.ReviewBatches(a, store.ReviewFilter{Tab: tab, Limit: 200})
				if err != nil || uint64(total) != count || len(rows) != total {
					t.Errorf("%s review tab %s: counter %d, list %d of %d (%v)", o.Name, tab, count, len(rows), total, err)
				}
			}
			queues, err := w.Store.BizQueueCounts(o.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, kind := range store.BizKinds {
				page, err := w.Store.ReviewBusinesses(a, kind, store.ReviewPending, store.BizFilter{Limit: 200})
				if err != nil || len(page.Items) != int(queues[kind]) || page.HasMore {
					t.Errorf("%s business queue %s: counter %d, list %d (%v)", o.Name, kind, queues[kind], len(page.Items), err)
				}
			}
		}
		valid, err := w.Store.ValidCertificates(o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(allCerts(t, w, a.Username, store.CertQuery{Status: store.CertValid})); uint64(n) != valid {
			t.Errorf("%s valid certificates: counter %d, library %d", o.Name, valid, n)
		}
	}
}

// The demo holds what the README promises, made by the operations: batches
// in every state (the approved ones include the five and two that issued the
// certificates of the last months), the review queues, the certificates of
// the two training organisations with one cancelled and five printed, and
// businesses in every state.
func TestDemoWorld(t *testing.T) {
	w := fixture.Demo(t)
	for user, want := range map[string]map[store.BatchTab]uint64{
		"demo-unit":   {store.TabDraft: 2, store.TabReview: 2, store.TabApproved: 1 + 5, store.TabRejected: 1},
		"demo-direct": {store.TabDraft: 1, store.TabReview: 1, store.TabApproved: 1 + 2, store.TabRejected: 1},
	} {
		got, err := w.Store.BatchCounts(w.Actor(t, user))
		if err != nil {
			t.Fatal(err)
		}
		for _, tab := range store.BatchTabs {
			if got[tab.Tab] != want[tab.Tab] {
				t.Errorf("%s tab %s: %d batches, want %d", user, tab.Label, got[tab.Tab], want[tab.Tab])
			}
		}
	}
	// Waiting: the unit's 砌筑工 batch at its dept; the unit's 电工 and the
	// 省直所's 装饰装修工 batches at the province.
	for user, want := range map[string]uint64{"demo-dept": 1, "demo-province": 2, "wh-dept": 0} {
		if _, n, err := w.Store.ReviewQueue(w.Actor(t, user), 0, 20); err != nil || n != want {
			t.Errorf("%s queue %d (%v), want %d", user, n, err, want)
		}
	}
	// Certificates: the unit 9+8+8+8+7 from its certificate batches and 18
	// from its 混凝土工 batch, one cancelled by the province; the 省直所 8+7
	// and 7. A reissue supersedes one and issues one.
	for user, want := range map[string]uint64{"demo-unit": 57, "demo-direct": 22, "demo-dept": 57, "demo-province": 79, "wh-dept": 0} {
		if n, err := w.Store.ValidCertificates(w.Org(t, user).ID); err != nil || n != want {
			t.Errorf("%s: %d valid certificates (%v), want %d", user, n, err, want)
		}
	}
	if n := len(allCerts(t, w, "demo-province", store.CertQuery{Status: store.CertCancelled})); n != 1 {
		t.Errorf("%d cancelled certificates, want 1", n)
	}
	printed := allCerts(t, w, "demo-unit", store.CertQuery{Printed: "yes"})
	if len(printed) != 5 {
		t.Errorf("%d printed certificates, want 5", len(printed))
	}
	for _, c := range printed {
		if c.PrintCount != 1 || c.LastPrintedBy != "demo-unit" || !c.LastPrinted.Equal(c.IssueDate.Add(7*24*time.Hour+10*time.Hour)) {
			t.Errorf("printed %s: %d times by %s at %s (issued %s)", c.Number, c.PrintCount, c.LastPrintedBy, c.LastPrinted, c.IssueDate)
		}
	}
	formats, def, err := w.Store.PrintFormats(w.Actor(t, "demo-unit"))
	if err != nil || len(formats) != 2 || formats[0].ID != def || formats[0].Format.Name != "合肥建工 A4 完整证书" {
		t.Errorf("print formats %+v default %d (%v)", formats, def, err)
	}
	states := map[store.BizState]uint64{}
	for _, user := range []string{"demo-unit", "demo-direct"} {
		got, err := w.Store.BizStateCounts(w.Org(t, user).ID)
		if err != nil {
			t.Fatal(err)
		}
		for st, n := range got {
			states[st] += n
		}
	}
	for st, want := range map[store.BizState]uint64{store.BizPendingDept: 1, store.BizPendingProvince: 2, store.BizApproved: 3,
		store.BizRejected: 2, store.BizWithdrawn: 1} {
		if states[st] != want {
			t.Errorf("businesses %s: %d, want %d (%v)", st, states[st], want, states)
		}
	}
}

// Every demo user can log in with the demo password and authenticator at
// once: no forced change, the authenticator bound.
func TestDemoUsersAreReady(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Org(t, "demo-province")
	users, total, err := w.Store.Users(prov, store.UserFilter{Limit: 1000})
	if err != nil || total != 16 {
		t.Fatalf("%d users (%v), want 16", total, err)
	}
	for _, r := range users {
		u := r.User
		if u.MustChange || u.TOTPSecret != store.DemoSecret || !u.Enrolled() || !auth.CheckPassword(u.PasswordHash, store.DemoPassword) {
			t.Errorf("%s is not ready to log in: %+v", u.Username, u)
		}
		if age := fixture.Start.Sub(u.PasswordChanged); age < 0 || age > 24*time.Hour {
			t.Errorf("%s changed the password %s before the present", u.Username, age)
		}
	}
}

// The world was made over half a year: the first start and the set-up of
// the organisations long ago, certificates issued on many different days of
// five months, nothing at or after the present.
func TestDemoHappenedOverMonths(t *testing.T) {
	w := fixture.Demo(t)
	certs := allCerts(t, w, "demo-province", store.CertQuery{})
	days, months := map[string]bool{}, map[string]bool{}
	for _, c := range certs {
		if !c.IssueDate.Before(fixture.Start) {
			t.Errorf("%s issued %s, not before the present", c.Number, c.IssueDate)
		}
		days[c.IssueDate.Format("2006-01-02")] = true
		months[c.IssueDate.Format("2006-01")] = true
	}
	if len(days) < 9 || len(months) != 5 {
		t.Errorf("certificates issued on %d days in %d months: %v", len(days), len(months), months)
	}
	prov := w.Org(t, "demo-province")
	if o := prov; o.Created.After(fixture.Start.AddDate(0, 0, -180)) {
		t.Errorf("the province was created %s, not half a year before the present", o.Created)
	}
	entries, more, err := w.Store.Logs(store.LogFilter{OrgID: prov.ID, Limit: 1})
	if err != nil || len(entries) != 1 || !more || !entries[0].Time.Before(fixture.Start) {
		t.Errorf("newest province log entry %+v (%v)", entries, err)
	}
}

// Build refuses a store that is not empty, and leaves the store's clock as
// it found it.
func TestBuildNeedsAnEmptyStore(t *testing.T) {
	w := fixture.Demo(t)
	if err := demo.Build(w.Store, fixture.DemoHash()); err == nil {
		t.Fatal("built the demo over the demo")
	}
	e := fixture.Empty(t)
	if _, _, err := e.Store.Bootstrap("34", fixture.DemoHash()); err != nil {
		t.Fatal(err)
	}
	if err := demo.Build(e.Store, fixture.DemoHash()); err == nil {
		t.Fatal("built the demo over a province")
	}
}

// Two builds with the same present make the same world, and Build gives the
// store its clock back.
func TestBuildIsDeterministic(t *testing.T) {
	w := fixture.Demo(t)
	e := fixture.Empty(t)
	if err := demo.Build(e.Store, fixture.DemoHash()); err != nil {
		t.Fatal(err)
	}
	if now := e.Store.Now(); !now.Equal(fixture.Start) {
		t.Fatalf("the store's clock is %s after the build, want %s", now, fixture.Start)
	}
	a := allCerts(t, w, "demo-province", store.CertQuery{Sort: store.SortNumber, Asc: true})
	b := allCerts(t, e, "demo-province", store.CertQuery{Sort: store.SortNumber, Asc: true})
	if len(a) != len(b) {
		t.Fatalf("%d and %d certificates", len(a), len(b))
	}
	for i := range a {
		if a[i].Number != b[i].Number || a[i].Name != b[i].Name || a[i].IDNumber != b[i].IDNumber || !a[i].IssueDate.Equal(b[i].IssueDate) {
			t.Errorf("certificate %d: %s %s %s and %s %s %s", i, a[i].Number, a[i].Name, a[i].IDNumber, b[i].Number, b[i].Name, b[i].IDNumber)
		}
	}
}

// BenchmarkBuild is one demo world made from scratch (fixture.Demo copies
// one made per test process).
func BenchmarkBuild(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if err := fixture.BuildDemo(b.TempDir()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFixtureDemo is what a test pays for its demo world.
func BenchmarkFixtureDemo(b *testing.B) {
	fixture.Demo(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fixture.Demo(b)
	}
}

// The demo world passes the full consistency check of `certreg check`: every
// index, counter, statistics figure and stored file agrees with the records,
// because the world was made by the operations that maintain them.
func TestDemoPassesTheFullCheck(t *testing.T) {
	w := fixture.Demo(t)
	if err := w.Store.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := store.CheckDir(w.Dir, store.CheckOptions{Full: true})
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if !r.OK() {
		var b strings.Builder
		r.Write(&b)
		t.Fatalf("the demo world has %d faults:\n%s", r.Faults(), b.String())
	}
}
