package store_test

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"certreg/candidate"
	"certreg/demo"
	"certreg/fixture"
	"certreg/idcard"
	"certreg/store"
)

// crashCandidates are n valid candidates unique to (run, k).
func crashCandidates(run, k, n int) []candidate.Candidate {
	out := make([]candidate.Candidate, n)
	for i := range out {
		// A birth day per (k, i) and a sequence range per run keep every
		// number unique across runs.
		id := idcard.Make("340104", time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, k*n+i), run*50+i%50)
		out[i] = candidate.Candidate{Row: i + 2, Name: "崩溃测试", IDNumber: id, Gender: idcard.Gender(id), WorkUnit: "测试单位",
			OccupationCode: "012", OccupationName: "砌筑工", Level: 5 - k%5} // five segments, so 12 runs never exhaust one
	}
	return out
}

const crashBatchSize = 20

// TestCrashChild is the child of TestCrashDuringApprovals: it approves
// batches in a loop and prints one ACK line after each province approval
// has returned (committed and synced), until it is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("CERTREG_CRASH_DIR")
	if dir == "" {
		t.Skip("only run as the child of TestCrashDuringApprovals")
	}
	run, _ := strconv.Atoi(os.Getenv("CERTREG_CRASH_RUN"))
	st, err := store.Open(dir)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	actor := func(name string) store.Actor {
		u, err := st.UserByName(name)
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(2)
		}
		return store.Actor{UserID: u.ID, Username: u.Username, OrgID: u.OrgID}
	}
	unit, dept, prov := actor("demo-unit"), actor("demo-dept"), actor("demo-province")
	out := bufio.NewWriter(os.Stdout)
	for k := 0; ; k++ {
		b, err := st.CreateBatch(unit, store.NewBatch{Name: fmt.Sprintf("崩溃测试-%d-%d", run, k), Candidates: crashCandidates(run, k, crashBatchSize)})
		if err == nil {
			_, err = st.SubmitBatch(unit, b.ID)
		}
		if err == nil {
			_, err = st.ApproveBatch(dept, b.ID)
		}
		if err == nil {
			_, err = st.ApproveBatch(prov, b.ID)
		}
		if err != nil {
			fmt.Fprintln(out, "ERR", err)
			out.Flush()
			os.Exit(2)
		}
		fmt.Fprintf(out, "ACK %d\n", b.ID)
		out.Flush()
	}
}

// A process approving batches is killed with SIGKILL at random moments;
// after each reopen the database is consistent: every acknowledged approval
// is there with all its certificates, and the numbers have no duplicate and
// no gap.
func TestCrashDuringApprovals(t *testing.T) {
	if testing.Short() {
		t.Skip("crash loop skipped in -short mode")
	}
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Build(st, fixture.DemoHash()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	acked := map[uint64]bool{}
	const runs = 12
	for run := 0; run < runs; run++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CERTREG_CRASH_DIR="+dir, "CERTREG_CRASH_RUN="+strconv.Itoa(run))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		deadline := time.After(time.Duration(150+rng.Intn(600)) * time.Millisecond)
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				if strings.HasPrefix(l, "ERR") {
					t.Fatalf("child: %s", l)
				}
				if id, err := strconv.ParseUint(strings.TrimPrefix(l, "ACK "), 10, 64); err == nil && strings.HasPrefix(l, "ACK ") {
					acked[id] = true
				}
			case <-deadline:
				_ = cmd.Process.Signal(syscall.SIGKILL)
				break read
			}
		}
		for range lines { // drain what was printed before the kill
		}
		_ = cmd.Wait()
		checkConsistent(t, dir, acked, run)
	}
	if len(acked) < runs {
		t.Fatalf("only %d approvals acknowledged in %d runs", len(acked), runs)
	}
	t.Logf("%d runs, %d acknowledged approvals", runs, len(acked))
}

func checkConsistent(t *testing.T, dir string, acked map[uint64]bool, run int) {
	t.Helper()
	// A process killed at any moment leaves a database the full check
	// passes (indexes, counters and segments included).
	if r, err := store.CheckDir(dir, store.CheckOptions{Full: true}); err != nil || !r.OK() {
		var b strings.Builder
		if r != nil {
			r.Write(&b)
		}
		t.Fatalf("run %d: check after the kill: %v\n%s", run, err, b.String())
	}
	st, err := store.Open(dir)
	if err != nil {
		t.Fatalf("run %d: reopen: %v", run, err)
	}
	defer st.Close()
	prov, err := st.ProvinceOrg()
	if err != nil {
		t.Fatal(err)
	}
	u, _ := st.UserByName("demo-province")
	a := store.Actor{UserID: u.ID, Username: u.Username, OrgID: u.OrgID}
	for id := range acked {
		b, err := st.Batch(a, id)
		if err != nil || b.State != store.BatchApproved {
			t.Fatalf("run %d: acknowledged batch %d: %v state %s", run, id, err, b.State)
		}
		certs, err := st.BatchCertificates(prov, id)
		if err != nil || len(certs) != crashBatchSize {
			t.Fatalf("run %d: batch %d has %d certificates (%v)", run, id, len(certs), err)
		}
	}
	nums := st.CertNumbers()
	sort.Strings(nums)
	bySeg := map[string][]int{}
	for _, n := range nums {
		serial, _ := strconv.Atoi(n[10:])
		bySeg[n[:10]] = append(bySeg[n[:10]], serial)
	}
	for code, serials := range bySeg {
		sg, err := st.Segment(code)
		if err != nil {
			t.Fatalf("run %d: segment %s: %v", run, code, err)
		}
		if len(serials) != sg.Current {
			t.Fatalf("run %d: segment %s has %d certificates, current %d", run, code, len(serials), sg.Current)
		}
		for i, s := range serials {
			if s != i+1 {
				t.Fatalf("run %d: segment %s: serial %d at position %d (duplicate or gap)", run, code, s, i+1)
			}
		}
	}
	valid := 0
	for _, num := range nums {
		c, err := st.Certificate(prov, num)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status == store.CertValid {
			valid++
		}
	}
	if n, _ := st.ValidCertificates(prov.ID); int(n) != valid {
		t.Fatalf("run %d: valid counter %d, %d valid certificates", run, n, valid)
	}
}
