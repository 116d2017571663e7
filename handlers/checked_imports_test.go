package handlers

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"certreg/candidate"
	"certreg/fixture"
	"certreg/store"
)

// The confirmation saves the candidates step 1 checked without reading the
// workbook again, yet every rule still holds at that moment: a person who
// entered another batch under review meanwhile is refused with the row's
// error and nothing is saved; the checked workbook is kept only for its
// uploader and for a while.
func TestWizardConfirmationRechecksKeptCandidates(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-unit")
	wb := candidateWorkbook(t, testPerson(21), testPerson(22))
	r := c.multipart("/batches/new", url.Values{"name": {"复核批次"}}, []upload{{"file", "名单.xlsx", wb}}, nil)
	m := regexp.MustCompile(`name="ref" value="([0-9a-f]{64})"`).FindStringSubmatch(r.body)
	if r.status != 200 || m == nil {
		t.Fatalf("step 1: %d", r.status)
	}
	ref := m[1]
	if _, ok := e.srv.imports.get(e.w.User(t, "demo-unit").ID, ref); !ok {
		t.Fatal("the checked workbook is not kept")
	}
	if _, ok := e.srv.imports.get(e.w.User(t, "hfjg-clerk").ID, ref); ok {
		t.Fatal("the checked workbook is kept for another user")
	}
	// testPerson(22) enters another batch, submitted for review.
	p := testPerson(22)
	other, err := e.w.Store.CreateBatch(e.w.Actor(t, "demo-unit"), store.NewBatch{Name: "先提交的批次", Candidates: []candidate.Candidate{{
		Row: 2, Name: p[0], IDNumber: p[1], Gender: p[2], WorkUnit: p[3], OccupationCode: "012", OccupationName: "砌筑工", Level: 5}}})
	if err == nil {
		_, err = e.w.Store.SubmitBatch(e.w.Actor(t, "demo-unit"), other.ID)
	}
	if err != nil {
		t.Fatal(err)
	}
	before := batchCounts(t, e.w, "demo-unit")
	r = c.multipart("/batches", url.Values{"name": {"复核批次"}, "ref": {ref}, "file_name": {"名单.xlsx"}}, nil, nil)
	if r.status != 422 || !strings.Contains(r.body, "先提交的批次") || !strings.Contains(r.body, "第 3 行") {
		t.Fatalf("confirmation after the change: %d\n%.3000s", r.status, r.body)
	}
	if now := batchCounts(t, e.w, "demo-unit"); fmt.Sprint(now) != fmt.Sprint(before) {
		t.Errorf("a batch was saved: %v → %v", before, now)
	}

	// Expired: read again from the staged workbook.
	ci := newCheckedImports(e.w.Clock.Now)
	ci.put(1, "x", []candidate.Candidate{{Name: "甲"}})
	e.w.Clock.Advance(checkedImportTTL + time.Minute)
	if _, ok := ci.get(1, "x"); ok {
		t.Error("an expired workbook is still kept")
	}
	for i := 0; i < checkedImportsKept+5; i++ {
		ci.put(uint64(i), "y", nil)
	}
	if len(ci.entries) != checkedImportsKept {
		t.Errorf("%d workbooks kept, at most %d", len(ci.entries), checkedImportsKept)
	}
}

// BenchmarkImportWizard5000HTTP is the batch wizard with a 5,000-row
// workbook through HTTP: step 1 (upload, every rule, staging) and the
// confirmation that saves the batch; compare BenchmarkImport5000 of the
// store (target ≤ 1.3×).
func BenchmarkImportWizard5000HTTP(b *testing.B) {
	e := serve(b, fixture.Demo(b))
	c := e.login("demo-unit")
	rows := make([][]string, 5000)
	for i := range rows {
		rows[i] = testPerson(i)
	}
	wb := candidateWorkbook(b, rows...)
	refOf := regexp.MustCompile(`name="ref" value="([0-9a-f]{64})"`)
	i := 0
	for b.Loop() {
		i++
		name := fmt.Sprintf("基准批次%d", i)
		r := c.multipart("/batches/new", url.Values{"name": {name}}, []upload{{"file", "名单.xlsx", wb}}, nil)
		m := refOf.FindStringSubmatch(r.body)
		if r.status != 200 || m == nil {
			b.Fatalf("step 1: %d\n%.2000s", r.status, r.body)
		}
		r = c.multipart("/batches", url.Values{"name": {name}, "ref": {m[1]}, "file_name": {"名单.xlsx"}}, nil, nil)
		if r.status != 303 {
			b.Fatalf("confirmation: %d\n%.2000s", r.status, r.body)
		}
	}
}
