package store_test

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"certreg/candidate"
	"certreg/fixture"
	"certreg/idcard"
	"certreg/store"
)

// approvalCandidates are n valid 砌筑工 五级 candidates unique to seed.
func approvalCandidates(seed, n int) []candidate.Candidate {
	out := make([]candidate.Candidate, n)
	for i := range out {
		id := idcard.Make("340103", time.Date(1955, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), seed%1000)
		out[i] = candidate.Candidate{Row: i + 2, Name: "审核测试", IDNumber: id, Gender: idcard.Gender(id), WorkUnit: "测试单位",
			OccupationCode: "012", OccupationName: "砌筑工", Level: 5}
	}
	return out
}

// atProvince creates a unit batch and brings it to 省厅审核中.
func atProvince(t testing.TB, w *fixture.World, name string, seed, n int) store.Batch {
	t.Helper()
	unit, dept := w.Actor(t, "demo-unit"), w.Actor(t, "demo-dept")
	b, err := w.Store.CreateBatch(unit, store.NewBatch{Name: name, Candidates: approvalCandidates(seed, n)})
	if err == nil {
		_, err = w.Store.SubmitBatch(unit, b.ID)
	}
	if err == nil {
		b, err = w.Store.ApproveBatch(dept, b.ID)
	}
	if err != nil {
		t.Fatalf("batch %s: %v", name, err)
	}
	return b
}

func TestProvinceApprovalIssuesCertificates(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Org(t, "demo-province")
	before, _ := w.Store.ValidCertificates(prov.ID)
	sgBefore, _ := w.Store.Segment("2634010125")
	b := atProvince(t, w, "发证测试", 901, 6)
	b, err := w.Store.ApproveBatch(w.Actor(t, "demo-province"), b.ID)
	if err != nil || b.State != store.BatchApproved {
		t.Fatalf("approve: %v %s", err, b.State)
	}
	certs, err := w.Store.BatchCertificates(w.Org(t, "demo-unit"), b.ID)
	if err != nil || len(certs) != 6 {
		t.Fatalf("%d certificates (%v)", len(certs), err)
	}
	for i, c := range certs {
		if want := fmt.Sprintf("2634010125%04d", sgBefore.Current+1+i); c.Number != want || c.BatchID != b.ID || c.History[0].Kind != "注册" {
			t.Errorf("certificate %d: %s %+v", i, c.Number, c.History)
		}
	}
	if n, _ := w.Store.ValidCertificates(prov.ID); n != before+6 {
		t.Fatalf("valid counter %d, want %d", n, before+6)
	}
	// The same people cannot be imported again for the same occupation and level.
	_, err = w.Store.CreateBatch(w.Actor(t, "demo-unit"), store.NewBatch{Name: "重复", Candidates: approvalCandidates(901, 1)})
	var ie *store.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("holder of a valid certificate imported again: %v", err)
	}
}

// A failure in the middle of issuance leaves the batch at the province and
// writes nothing; the serial does not move.
func TestApprovalIsAllOrNothing(t *testing.T) {
	w := fixture.Demo(t)
	b := atProvince(t, w, "原子性测试", 902, 10)
	sgBefore, _ := w.Store.Segment("2634010125")
	certsBefore := w.Store.CountCerts()
	store.SetIssueFailAfter(5)
	_, err := w.Store.ApproveBatch(w.Actor(t, "demo-province"), b.ID)
	store.SetIssueFailAfter(0)
	if err == nil {
		t.Fatal("injected failure did not fail the approval")
	}
	got, _ := w.Store.Batch(w.Actor(t, "demo-province"), b.ID)
	if got.State != store.BatchPendingProvince {
		t.Fatalf("state %s after a failed approval", got.State)
	}
	if w.Store.CountCerts() != certsBefore {
		t.Fatal("certificates written by a failed approval")
	}
	if sg, _ := w.Store.Segment("2634010125"); sg.Current != sgBefore.Current {
		t.Fatalf("serial moved %d -> %d", sgBefore.Current, sg.Current)
	}
	if _, err := w.Store.ApproveBatch(w.Actor(t, "demo-province"), b.ID); err != nil {
		t.Fatalf("approval after the failure: %v", err)
	}
}

func TestApprovalFailsCleanlyWhenTheSegmentIsExhausted(t *testing.T) {
	w := fixture.Demo(t)
	b := atProvince(t, w, "号段不足测试", 903, 5)
	if err := w.Store.PutSegmentForTest(store.Segment{Code: "2634010125", Year: 2026, Region: "3401", Occupation: "012", Level: 5,
		Start: 1, End: 9999, Current: 9996, Issued: 9996}); err != nil {
		t.Fatal(err)
	}
	_, err := w.Store.ApproveBatch(w.Actor(t, "demo-province"), b.ID)
	verr(t, err, "号码不足")
	got, _ := w.Store.Batch(w.Actor(t, "demo-province"), b.ID)
	if got.State != store.BatchPendingProvince {
		t.Fatalf("state %s", got.State)
	}
}

// Two reviewers approve the same batch at once: one wins, the other is
// told the batch moved.
func TestTwoReviewersOneWins(t *testing.T) {
	w := fixture.Demo(t)
	b := atProvince(t, w, "并发审核测试", 904, 3)
	prov, reviewer := w.Actor(t, "demo-province"), w.Actor(t, "ah-reviewer")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, a := range []store.Actor{prov, reviewer} {
		wg.Add(1)
		go func(i int, a store.Actor) {
			defer wg.Done()
			_, errs[i] = w.Store.ApproveBatch(a, b.ID)
		}(i, a)
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("loser's error %v is not a state conflict", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d approvals succeeded", won)
	}
	certs, _ := w.Store.BatchCertificates(w.Org(t, "demo-province"), b.ID)
	if len(certs) != 3 {
		t.Fatalf("%d certificates", len(certs))
	}
}

// Eight goroutines approve batches of the same segment: no duplicate number,
// no gap.
func TestConcurrentApprovalsSameSegment(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	sgBefore, _ := w.Store.Segment("2634010125")
	var batches []store.Batch
	for g := 0; g < 8; g++ {
		batches = append(batches, atProvince(t, w, fmt.Sprintf("并发%d", g), 910+g, 25))
	}
	var wg sync.WaitGroup
	for _, b := range batches {
		wg.Add(1)
		go func(b store.Batch) {
			defer wg.Done()
			if _, err := w.Store.ApproveBatch(prov, b.ID); err != nil {
				t.Error(err)
			}
		}(b)
	}
	wg.Wait()
	var numbers []string
	for _, b := range batches {
		certs, err := w.Store.BatchCertificates(w.Org(t, "demo-province"), b.ID)
		if err != nil || len(certs) != 25 {
			t.Fatalf("batch %d: %d certificates (%v)", b.ID, len(certs), err)
		}
		for i, c := range certs {
			if i > 0 && c.Number != fmt.Sprintf("%s%04d", c.Number[:10], mustSerial(certs[i-1].Number)+1) {
				t.Fatalf("batch %d not consecutive: %s after %s", b.ID, c.Number, certs[i-1].Number)
			}
			numbers = append(numbers, c.Number)
		}
	}
	sort.Strings(numbers)
	for i, n := range numbers {
		if want := fmt.Sprintf("2634010125%04d", sgBefore.Current+1+i); n != want {
			t.Fatalf("number %d is %s, want %s", i, n, want)
		}
	}
}

func mustSerial(n string) int {
	var s int
	fmt.Sscanf(n[10:], "%d", &s)
	return s
}

// BenchmarkApprove1000 measures the province's approval of a batch of 1,000
// candidates: numbers, certificates, indexes and counters, and the
// certificates' content hashes in the log's chain, in one transaction
// (target: at most 50 ms; the chain adds at most 5 %, compared with
// BenchmarkApprove1000NoChain).
func BenchmarkApprove1000(b *testing.B) { benchApprove1000(b, true) }

// BenchmarkApprove1000NoChain is BenchmarkApprove1000 without the hash
// chain (docs/integrity.md), to measure what it costs.
func BenchmarkApprove1000NoChain(b *testing.B) { benchApprove1000(b, false) }

func benchApprove1000(b *testing.B, chain bool) {
	defer store.SetChainOffForTest(!chain)()
	w := fixture.Demo(b)
	prov := w.Actor(b, "demo-province")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w.Clock.Advance(366 * 24 * time.Hour) // a new year: a fresh segment of 9,999 numbers
		batch := atProvince(b, w, fmt.Sprintf("基准%d", i), 100+i, 1000)
		b.StartTimer()
		if _, err := w.Store.ApproveBatch(prov, batch.ID); err != nil {
			b.Fatal(err)
		}
	}
}
