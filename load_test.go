package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A bounded load test on loopback against the real binary: 500 connections
// each declaring a 59 MB body (as a stranger would, to the public
// verification page and to an upload route) and then waiting. The server
// must stay under 300 MB of resident memory and keep answering /healthz in
// under 10 ms; then the connections send just enough for the handlers to
// run, and each gets its refusal.
func TestDeclaredBodiesDoNotReserveMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the binary")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	const (
		conns    = 500
		declared = 61865984 // 59 MB
		maxRSS   = 300 << 20
		maxPing  = 10 * time.Millisecond
	)
	dir := t.TempDir()
	bin := filepath.Join(dir, "certreg")
	// A plain build (not -race, whatever the tests run with): the figures
	// are those of the product. It reuses what go vet compiled.
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	srv := exec.Command(bin, "-demo", "-data", filepath.Join(dir, "data"), "-addr", addr)
	var logs bytes.Buffer
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = srv.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("server log:\n%s", tail(logs.String(), 3000))
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := ping(addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	base := rss(t, srv.Process.Pid)

	// The connections: four in five to /verify, one in five to an upload
	// route, each declaring 59 MB and sending nothing of it.
	held := make([]net.Conn, 0, conns)
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		held = append(held, c)
		head := "POST /verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
		if i%5 == 4 {
			head = "POST /batches/1/materials HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=xxxxxxxx\r\n"
		}
		if _, err := fmt.Fprintf(c, "%sContent-Length: %d\r\n\r\n", head, declared); err != nil {
			t.Fatal(err)
		}
	}
	// Let the server read every header and settle.
	var peak int64
	for range 10 {
		time.Sleep(100 * time.Millisecond)
		peak = max(peak, rss(t, srv.Process.Pid))
	}
	var pings []time.Duration
	for range 11 {
		d, err := ping(addr)
		if err != nil {
			t.Fatalf("healthz with %d connections held: %v", conns, err)
		}
		pings = append(pings, d)
	}
	slices.Sort(pings)
	median := pings[len(pings)/2]
	t.Logf("RSS: %d MB at start, %d MB with %d connections declaring %d MB each; /healthz median %v (max %v)",
		base>>20, peak>>20, conns, declared>>20, median, pings[len(pings)-1])
	if peak > maxRSS {
		t.Errorf("RSS %d MB with %d connections declaring %d bytes: over %d MB", peak>>20, conns, declared, maxRSS>>20)
	}
	if median > maxPing {
		t.Errorf("/healthz took %v (median of %d) with %d connections held", median, len(pings), conns)
	}

	// Each now sends a little more than the 8 KB the server reads ahead:
	// the handlers run and refuse without reading the rest.
	ahead := bytes.Repeat([]byte("a"), 8<<10+1)
	var wg sync.WaitGroup
	statuses := make([]int, conns)
	for i, c := range held {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write(ahead); err != nil {
				return
			}
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	wg.Wait()
	after := rss(t, srv.Process.Pid)
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	t.Logf("answers after %d more bytes each: %v; RSS %d MB", len(ahead), count, after>>20)
	if count[422]+count[403]+count[303] != conns {
		t.Errorf("answers %v, want 422 (verify) and 403 (upload without login) for all %d", count, conns)
	}
	if after > maxRSS {
		t.Errorf("RSS %d MB after the handlers ran", after>>20)
	}
}

// ping asks /healthz on a new connection and times the answer.
func ping(addr string) (time.Duration, error) {
	start := time.Now()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")); err != nil {
		return 0, err
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		return 0, fmt.Errorf("healthz: %d", res.StatusCode)
	}
	return time.Since(start), nil
}

// rss is the resident memory of a process, from /proc/<pid>/status.
func rss(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
