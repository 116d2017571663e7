package store_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"certreg/candidate"
	"certreg/fixture"
	"certreg/idcard"
	"certreg/store"
)

// mixedCandidates are n valid 砌筑工 五级 candidates as a real class has
// them: varied names and ID numbers of people born anywhere in the city
// over forty years (so their index keys fall all over the indexes, unlike
// approvalCandidates' run of consecutive ID numbers).
// mixedSeen holds every ID number mixedCandidates gave in this process:
// an approval of a person who already holds the certificate is refused.
var mixedSeen = map[string]bool{}

func mixedCandidates(seed uint64, n int) []candidate.Candidate {
	r := rand.New(rand.NewPCG(seed, 7))
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏")
	given := []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉文辉鹏飞宇浩然子轩梓涵一诺欣怡俊晨曦鑫森琳")
	districts := []string{"340102", "340103", "340104", "340111", "340121", "340122", "340123", "340124", "340181"}
	out := make([]candidate.Candidate, n)
	seen := mixedSeen
	for i := range out {
		var id string
		for id == "" || seen[id] {
			// Born from 1966: the benchmark world's people are born before.
			birth := time.Date(1966, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(35*365))
			id = idcard.Make(districts[r.IntN(len(districts))], birth, r.IntN(1000))
		}
		seen[id] = true
		name := []rune{surnames[r.IntN(len(surnames))], given[r.IntN(len(given))]}
		if r.IntN(3) != 0 {
			name = append(name, given[r.IntN(len(given))])
		}
		out[i] = candidate.Candidate{Row: i + 2, Name: string(name), IDNumber: id, Gender: idcard.Gender(id), WorkUnit: "合肥建工集团股份有限公司",
			OccupationCode: "012", OccupationName: "砌筑工", Level: 5}
	}
	return out
}

// bytesWritten is what this process has passed to write system calls so
// far (the database's pages and its meta page).
func bytesWritten(b *testing.B) int64 {
	raw, err := os.ReadFile("/proc/self/io")
	if err != nil {
		b.Skip("no /proc/self/io: bytes written not measured")
	}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("wchar: ")); ok {
			n, _ := strconv.ParseInt(string(v), 10, 64)
			return n
		}
	}
	b.Skip("no wchar in /proc/self/io")
	return 0
}

// BenchmarkApprove1000At2M is the province's approval of 1,000 candidates
// with varied names and ID numbers on a copy of the two-million-certificate
// store: time and bytes written per approval (targets ≤ 50 ms, ≤ 4 MB).
func BenchmarkApprove1000At2M(b *testing.B) {
	w := fixture.BigCopy(b, benchCerts())
	seq := 0
	for _, kind := range []string{"class", "mixed"} {
		b.Run(kind, func(b *testing.B) { benchApprove(b, w, kind, &seq) })
	}
}

func benchApprove(b *testing.B, w *fixture.World, kind string, seq *int) {
	prov := w.Actor(b, "demo-province")
	unit, dept := w.Actor(b, "demo-unit"), w.Actor(b, "demo-dept")
	var written int64
	var cpu time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w.Clock.Advance(366 * 24 * time.Hour) // a new year: a fresh segment
		*seq++
		cands := approvalCandidates(100+*seq, 1000)
		if kind == "mixed" {
			cands = mixedCandidates(uint64(*seq), 1000)
		}
		batch, err := w.Store.CreateBatch(unit, store.NewBatch{Name: fmt.Sprintf("基准%d", *seq), Candidates: cands})
		if err == nil {
			_, err = w.Store.SubmitBatch(unit, batch.ID)
		}
		if err == nil {
			_, err = w.Store.ApproveBatch(dept, batch.ID)
		}
		if err != nil {
			b.Fatal(err)
		}
		before, cpu0 := bytesWritten(b), cpuTime()
		b.StartTimer()
		if _, err := w.Store.ApproveBatch(prov, batch.ID); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		written += bytesWritten(b) - before
		cpu += cpuTime() - cpu0
		b.StartTimer()
	}
	b.ReportMetric(float64(written)/float64(b.N)/(1<<20), "MB-written/op")
	b.ReportMetric(cpu.Seconds()*1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkMergeRecent10000At2M is the nightly merge of the library's
// recent index level on a copy of the two-million-certificate store: a
// day's 10,000 certificates (ten approvals of 1,000 people with random
// names and ID numbers) moved into the main name and ID ranges; time and
// bytes written per merge.
func BenchmarkMergeRecent10000At2M(b *testing.B) {
	w := fixture.BigCopy(b, benchCerts())
	unit := w.Org(b, "demo-unit")
	var written int64
	var cpu time.Duration
	moved := 0
	// One valid certificate per person and trade: no person twice, and none
	// the world already holds.
	seen := map[string]bool{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w.Clock.Advance(366 * 24 * time.Hour) // a new year: fresh segments
		// Ten segments of 1,000: 砌筑工 and 钢筋工, levels 1–5.
		for j := 0; j < 10; j++ {
			hs := make([]store.Holder, 0, 1000)
			for _, c := range mixedCandidates(uint64(1000+10*i+j), 1100) {
				occ, level := []string{"012", "011"}[j%2], 1+j/2
				if seen[c.IDNumber] || len(hs) == 1000 || w.Store.HolderForTest(c.IDNumber, occ, level) != "" {
					continue
				}
				seen[c.IDNumber] = true
				hs = append(hs, store.Holder{Name: c.Name, Gender: c.Gender, IDNumber: c.IDNumber, WorkUnit: c.WorkUnit,
					Occupation: occ, Level: level})
			}
			if _, err := w.Store.IssueForTest(store.IssueRequest{OrgID: unit.ID, Holders: hs, Username: "demo-province"}); err != nil {
				b.Fatal(err)
			}
		}
		before, cpu0 := bytesWritten(b), cpuTime()
		b.StartTimer()
		n, err := w.Store.MergeRecentIndex(w.Clock.Now())
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		written += bytesWritten(b) - before
		cpu += cpuTime() - cpu0
		moved += n
		b.StartTimer()
	}
	if moved < 10000*b.N {
		b.Fatalf("%d certificates merged, want at least %d", moved, 10000*b.N)
	}
	b.ReportMetric(float64(written)/float64(b.N)/(1<<20), "MB-written/op")
	b.ReportMetric(cpu.Seconds()*1000/float64(b.N), "cpu-ms/op")
}
