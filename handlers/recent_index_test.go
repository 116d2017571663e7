package handlers

import (
	"fmt"
	"testing"
	"time"

	"certreg/fixture"
	"certreg/store"
)

// The server keeps the library's recent index level small: at start-up it
// merges the certificates issued before today; a daytime tick below the
// bound merges nothing; the first tick between 01:00 and 05:00 China time
// merges those issued before that day; at any time all of them once they
// exceed the bound; and the watermark never goes back, whatever the clock.
func TestHousekeepingMergesTheRecentIndex(t *testing.T) {
	e := newEnv(t)
	st := e.w.Store
	watermark := func() store.RecentIndex {
		t.Helper()
		r, err := st.RecentIndex()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	day := func(t time.Time) time.Time { return store.IssueDay(t) }
	// Start-up: the housekeeping's first step, with the clock at
	// fixture.Start (2026-11-28 10:00 China time).
	for deadline := time.Now().Add(10 * time.Second); !watermark().After.Equal(day(fixture.Start).AddDate(0, 0, -1)); {
		if time.Now().After(deadline) {
			t.Fatalf("no merge at start-up: %+v", watermark())
		}
		time.Sleep(10 * time.Millisecond)
	}
	seed := 90
	issueNow := func(n int) []store.Certificate {
		t.Helper()
		seed++
		unit, dept := e.w.Actor(t, "demo-unit"), e.w.Actor(t, "demo-dept")
		b, err := st.CreateBatch(unit, store.NewBatch{Name: fmt.Sprintf("近期索引%d", seed), Candidates: candidates(n, seed)})
		if err == nil {
			b, err = st.SubmitBatch(unit, b.ID)
		}
		if err == nil {
			b, err = st.ApproveBatch(dept, b.ID)
		}
		if err == nil {
			_, err = st.ApproveBatch(e.w.Actor(t, "demo-province"), b.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
		certs, err := st.BatchCertificates(e.w.Org(t, "demo-province"), b.ID)
		if err != nil || len(certs) != n {
			t.Fatalf("batch certificates: %d (%v)", len(certs), err)
		}
		return certs
	}
	first := issueNow(3)
	before := watermark()
	if before.Certs < 3 {
		t.Fatalf("recent level after issuing 3 today: %+v", before)
	}
	at := func(d, h int) time.Time { return time.Date(2026, 11, 28+d, h, 0, 0, 0, cst) }
	for _, now := range []time.Time{at(0, 12), at(0, 23), at(1, 0)} {
		e.w.Clock.Set(now)
		e.srv.mergeRecentIndex(now, false)
		if got := watermark(); got != before {
			t.Fatalf("%s: merged outside the night below the bound: %+v, was %+v", now, got, before)
		}
	}
	e.w.Clock.Set(at(1, 2))
	e.srv.mergeRecentIndex(at(1, 2), false)
	if got := watermark(); !got.After.Equal(day(at(0, 0))) || got.Certs != 0 {
		t.Fatalf("night merge: %+v, want everything up to %s", got, day(at(0, 0)))
	}
	page, err := st.Certificates(e.w.Actor(t, "demo-unit"), store.CertQuery{IDNumber: first[0].IDNumber})
	if err != nil || len(page.Certs) != 1 || page.Certs[0].Number != first[0].Number {
		t.Fatalf("a merged certificate by ID: %+v (%v)", page.Certs, err)
	}
	// Past the bound, in the afternoon: everything, today's too.
	e.w.Clock.Set(at(1, 14))
	issueNow(3)
	defer func(b int) { recentIndexBound = b }(recentIndexBound)
	recentIndexBound = 2
	e.srv.mergeRecentIndex(at(1, 14), false)
	if got := watermark(); !got.After.Equal(day(at(1, 0))) || got.Certs != 0 {
		t.Fatalf("merge past the bound: %+v, want everything up to %s", got, day(at(1, 0)))
	}
	// A start-up with the clock set back leaves the watermark.
	e.w.Clock.Set(fixture.Start)
	e.srv.mergeRecentIndex(fixture.Start, true)
	if got := watermark(); !got.After.Equal(day(at(1, 0))) {
		t.Fatalf("the watermark went back to %s", got.After)
	}
}
