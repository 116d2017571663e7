// Command load is make load: it starts the server binary on a copy of the
// benchmark world (two million certificates unless -n says otherwise,
// built once and cached by the fixture package), runs wrk against a
// hello-world route of the same binary and against the pages people use —
// the certificate list (every single filter and a deep page, as the htmx
// table and as the full page), a certificate's detail, the home page, the
// operation log and the public verification through a QR link — and prints
// each page's requests per second as a share of the hello-world's, measured
// next to each other, with the server's CPU time per request and its
// garbage collections per second; then, per filter, what its full page
// costs over its table, from rounds that ask the two in turn.
//
//	go run ./scripts/load [-n 2000000] [-bin bin/certreg] [-d 5s] [-only list] [-pairs 5]
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"certreg/auth"
	"certreg/fixture"
	"certreg/handlers"
	"certreg/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

type target struct {
	name, path string
	user       string // session of this demo user ("" none)
	htmx       string // HX-Target of an htmx request
	randomIP   bool   // a random client address per request (X-Real-IP)
	refused    bool   // answered 422 with a message, as it should be
}

func run() error {
	n := flag.Int("n", 2_000_000, "certificates in the benchmark world")
	bin := flag.String("bin", "bin/certreg", "server binary")
	dur := flag.Duration("d", 5*time.Second, "wrk run per page")
	conns := flag.Int("c", 64, "wrk connections")
	only := flag.String("only", "", "run only the pages whose name contains this")
	pairs := flag.Int("pairs", 5, "rounds of a filter's table and full page asked in turn, for their cost ratio")
	pairDur := flag.Duration("pair-d", 2*time.Second, "wrk run per page in those rounds")
	keep := flag.Bool("keep", false, "keep the copy of the world")
	flag.Parse()
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed (Debian: apt-get install wrk)")
	}
	if _, err := os.Stat(*bin); err != nil {
		return fmt.Errorf("server binary %s: %w (run make build)", *bin, err)
	}
	start := time.Now()
	src, err := fixture.BigDir(*n, func(f string, a ...any) { fmt.Printf(f+"\n", a...) })
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "certreg-load-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	if err := fixture.CopyBig(src, dir); err != nil {
		return err
	}
	fmt.Printf("world of %d certificates copied to %s in %s\n", *n, dir, time.Since(start).Round(time.Second))
	w, err := prepare(dir)
	if err != nil {
		return err
	}

	port, err := freePort()
	if err != nil {
		return err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	logPath := filepath.Join(dir, "server.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	srv := exec.Command(*bin, "-data", dir, "-addr", fmt.Sprintf("127.0.0.1:%d", port), "-proxy-header", "X-Real-IP")
	srv.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { _ = srv.Process.Signal(syscall.SIGTERM); _, _ = srv.Process.Wait() }()
	if err := waitHealthy(base + "/healthz"); err != nil {
		return err
	}
	fmt.Printf("server pid %d on %s, wrk -t2 -c%d -d%s per page\n\n", srv.Process.Pid, base, *conns, *dur)

	c := w.sample
	month := fixture.MonthAround(c)
	list := fixture.LibraryFilters(c)
	list = append(list, []fixture.Query{
		{Name: "deep-page-cursor", Q: "page=50000&after=" + url.QueryEscape(w.cursor)},
		{Name: "combo-id-occ-level", Q: "id=34&occupation=001&level=1"},
		{Name: "combo-occ-level-printed", Q: "occupation=" + c.Occupation + "&level=" + strconv.Itoa(c.Level) + "&printed=no"},
		{Name: "combo-surname-cancelled", Q: "name=" + url.QueryEscape(string([]rune(c.Name)[:1])) + "&status=cancelled"},
		{Name: "combo-month-level-5", Q: month + "&level=5"},
	}...)
	targets := []target{
		{name: "home", path: "/", user: "demo-province"},
		{name: "detail", path: "/certificates/" + c.Number, user: "demo-province"},
		{name: "verify-qr", path: "/verify?n=" + c.Number + "&t=" + w.token, randomIP: true},
		{name: "logs", path: "/logs", user: "demo-province"},
	}
	// Each filter's table, then its full page right after (the summary
	// compares the two: run next to each other, they see the same machine).
	for i, q := range list {
		targets = append(targets, target{name: "list-table/" + q.Name, path: "/certificates?" + q.Q, user: "demo-province", htmx: "cert-table"})
		switch {
		case i == 0:
			targets = append(targets, target{name: "list-full-page", path: "/certificates", user: "demo-province"})
		case !strings.HasPrefix(q.Name, "combo"):
			targets = append(targets, target{name: "list-full-page/" + q.Name, path: "/certificates?" + q.Q, user: "demo-province"})
		}
	}
	targets = append(targets, target{name: "list-table/deep-page-by-number", path: "/certificates?page=50000", user: "demo-province", htmx: "cert-table", refused: true},
		target{name: "list-table/unit/all-by-date", path: "/certificates", user: "demo-unit", htmx: "cert-table"},
		target{name: "list-table/dept/all-by-date", path: "/certificates", user: "demo-dept", htmx: "cert-table"})

	lua := filepath.Join(dir, "randomip.lua")
	if err := os.WriteFile(lua, []byte(randomIPLua), 0o600); err != nil {
		return err
	}
	hello := target{name: "hello", path: "/_hello"}
	fmt.Printf("%-34s %10s %9s %11s %8s %7s\n", "page", "req/s", "of hello", "CPU µs/req", "GC/s", "GC CPU")
	type share struct{ pct, cpu float64 }
	results := map[string]share{}
	for _, t := range targets {
		if *only != "" && !strings.Contains(t.name, *only) {
			continue
		}
		h1, err := bench(base, hello, w, *dur, *conns, srv.Process.Pid, logPath, lua)
		if err != nil {
			return err
		}
		r, err := bench(base, t, w, *dur, *conns, srv.Process.Pid, logPath, lua)
		if err != nil {
			return err
		}
		h2, err := bench(base, hello, w, *dur, *conns, srv.Process.Pid, logPath, lua)
		if err != nil {
			return err
		}
		ref := (h1.rps + h2.rps) / 2
		fmt.Printf("%-34s %10.0f %8.2f%% %11.0f %8.1f %6.1f%%   (hello %.0f req/s, %.0f µs)\n", t.name, r.rps, 100*r.rps/ref, r.cpuPerReq, r.gcPerSec, r.gcCPU,
			ref, (h1.cpuPerReq+h2.cpuPerReq)/2)
		if r.errors > 0 && !t.refused {
			fmt.Printf("%-34s %d answers were not 2xx or 3xx\n", "", r.errors)
		}
		results[t.name] = share{100 * r.rps / ref, r.cpuPerReq}
	}
	// The full page's cost over its table's: the two asked in turn, round
	// after round, so that a slower machine for a while (a virtual
	// machine's neighbours) weighs on both; the median of the rounds.
	fmt.Printf("\n%-26s %14s %14s %22s\n", "filter (province)", "table of hello", "full of hello", "full/table CPU")
	for _, q := range list {
		tb, okT := results["list-table/"+q.Name]
		full, okF := results["list-full-page/"+q.Name]
		fullTarget := target{name: "list-full-page/" + q.Name, path: "/certificates?" + q.Q, user: "demo-province"}
		if q.Name == "all-by-date" {
			full, okF = results["list-full-page"]
			fullTarget.path = "/certificates"
		}
		if !okT || !okF {
			continue
		}
		var ratios []float64
		for range *pairs {
			t, err := bench(base, target{path: "/certificates?" + q.Q, user: "demo-province", htmx: "cert-table"}, w, *pairDur, *conns, srv.Process.Pid, logPath, lua)
			if err != nil {
				return err
			}
			f, err := bench(base, fullTarget, w, *pairDur, *conns, srv.Process.Pid, logPath, lua)
			if err != nil {
				return err
			}
			ratios = append(ratios, f.cpuPerReq/t.cpuPerReq)
		}
		if len(ratios) == 0 {
			ratios = []float64{full.cpu / tb.cpu}
		}
		slices.Sort(ratios)
		fmt.Printf("%-26s %13.2f%% %13.2f%% %8.2f (%.2f–%.2f)\n", q.Name, tb.pct, full.pct, ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1])
	}
	// The server's peak resident memory: its heap, and the pages of the
	// memory-mapped database it touched.
	if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", srv.Process.Pid)); err == nil {
		if m := reHWM.FindSubmatch(st); m != nil {
			kb, _ := strconv.Atoi(string(m[1]))
			fmt.Printf("\nserver peak resident memory: %d MB\n", kb>>10)
		}
	}
	return nil
}

var reHWM = regexp.MustCompile(`VmHWM:\s+([0-9]+) kB`)

// world is what the requests need from the copy: sessions of demo users,
// a sample certificate and its QR token.
type world struct {
	tokens map[string]string
	sample store.Certificate
	token  string
	cursor string // the sample's row in the province's list by date
}

func prepare(dir string) (*world, error) {
	st, err := store.Open(dir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	w := &world{tokens: map[string]string{}}
	for _, name := range []string{"demo-province", "demo-dept", "demo-unit"} {
		u, err := st.UserByName(name)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", name, err)
		}
		tok := auth.Token(24)
		now := time.Now()
		if err := st.PutSession(tok, store.Session{UserID: u.ID, OrgID: u.OrgID, Stage: store.StageFull, CSRF: auth.Token(24), Created: now, LastSeen: now}); err != nil {
			return nil, err
		}
		w.tokens[name] = tok
	}
	unit, err := st.UserByName("demo-unit")
	if err != nil {
		return nil, err
	}
	page, err := st.Certificates(store.Actor{UserID: unit.ID, Username: unit.Username, OrgID: unit.OrgID}, store.CertQuery{Number: "24"})
	if err != nil || len(page.Certs) == 0 {
		return nil, fmt.Errorf("no sample certificate: %v", err)
	}
	w.sample = page.Certs[len(page.Certs)/2]
	// A cursor in the middle of the province's list by date: the row of
	// the sample.
	prov, err := st.UserByName("demo-province")
	if err != nil {
		return nil, err
	}
	at, err := st.Certificates(store.Actor{UserID: prov.ID, Username: prov.Username, OrgID: prov.OrgID}, store.CertQuery{Number: w.sample.Number})
	if err != nil || at.Next == "" {
		return nil, fmt.Errorf("no cursor at the sample certificate: %v", err)
	}
	w.cursor = at.Next
	key, err := st.SecretKey("verify")
	if err != nil {
		return nil, err
	}
	w.token = handlers.VerifyToken(key, w.sample.Number)
	return w, nil
}

type result struct {
	rps, cpuPerReq, gcPerSec, gcCPU float64
	errors                          int
}

var (
	reRPS      = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reRequests = regexp.MustCompile(`([0-9]+) requests in ([0-9.]+)(m?s)`)
	reNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: ([0-9]+)`)
	reGC       = regexp.MustCompile(`(?m)^gc [0-9]+ @[0-9.]+s ([0-9]+)%`)
)

// bench runs wrk once and reads the server's CPU time and GC trace around it.
func bench(base string, t target, w *world, d time.Duration, conns, pid int, logPath, lua string) (result, error) {
	var r result
	args := []string{"-t2", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", int(d.Seconds()))}
	if t.user != "" {
		args = append(args, "-H", "Cookie: sid="+w.tokens[t.user])
	}
	if t.htmx != "" {
		args = append(args, "-H", "HX-Request: true", "-H", "HX-Target: "+t.htmx)
	}
	if t.randomIP {
		args = append(args, "-s", lua)
	}
	args = append(args, base+t.path)
	if err := os.Truncate(logPath, 0); err != nil {
		return r, err
	}
	cpu0, err := cpuTicks(pid)
	if err != nil {
		return r, err
	}
	out, err := exec.Command("wrk", args...).CombinedOutput()
	if err != nil {
		return r, fmt.Errorf("wrk %s: %v\n%s", t.path, err, out)
	}
	cpu1, err := cpuTicks(pid)
	if err != nil {
		return r, err
	}
	m := reRPS.FindSubmatch(out)
	rq := reRequests.FindSubmatch(out)
	if m == nil || rq == nil {
		return r, fmt.Errorf("wrk %s: no figures in\n%s", t.path, out)
	}
	r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	reqs, _ := strconv.ParseFloat(string(rq[1]), 64)
	if e := reNon2xx.FindSubmatch(out); e != nil {
		r.errors, _ = strconv.Atoi(string(e[1]))
	}
	if reqs > 0 {
		r.cpuPerReq = float64(cpu1-cpu0) / clockTicks * 1e6 / reqs
	}
	logs, err := os.ReadFile(logPath)
	if err != nil {
		return r, err
	}
	gcs := reGC.FindAllSubmatch(logs, -1)
	r.gcPerSec = float64(len(gcs)) / d.Seconds()
	if len(gcs) > 0 {
		r.gcCPU, _ = strconv.ParseFloat(string(gcs[len(gcs)-1][1]), 64)
	}
	return r, nil
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on Linux).
const clockTicks = 100

// cpuTicks is a process's user and system time so far.
func cpuTicks(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: the fields follow its closing ')'.
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, raw)
	}
	u, _ := strconv.ParseInt(fields[11], 10, 64)
	s, _ := strconv.ParseInt(fields[12], 10, 64)
	return u + s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitHealthy(u string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if res, err := http.Get(u); err == nil {
			sc := bufio.NewScanner(res.Body)
			sc.Scan()
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("the server did not answer /healthz within two minutes")
}

// randomIPLua gives every request its own client address, as many clients
// behind a proxy would: the verification limit (a few a minute per
// address) then lets them through.
const randomIPLua = `
math.randomseed(os.time())
request = function()
  local ip = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format(nil, nil, {["X-Real-IP"] = ip})
end
`
