package handlers

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"certreg/fixture"
)

// listenLocal serves an app on 127.0.0.1 and returns its base URL.
func listenLocal(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(time.Second) })
	return "http://" + ln.Addr().String()
}

func fetch(t *testing.T, url string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// /metrics answers this machine in the Prometheus text format: requests by
// route pattern and status, latency histograms, requests in flight, the
// database's size and read transactions, the last backup. Through the
// reverse proxy (its header set) it is refused; with the token it answers
// anyone.
func TestMetrics(t *testing.T) {
	w := fixture.Demo(t)
	_, app, err := newServer(Config{Store: w.Store, Now: w.Clock.Now, Logger: discardLogger(), ProxyHeader: "X-Real-IP", MetricsToken: "s3cret-token"})
	if err != nil {
		t.Fatal(err)
	}
	base := listenLocal(t, app)
	fetch(t, base+"/login", nil)
	fetch(t, base+"/certificates/26340101250001", nil) // redirected to login: counted under its pattern
	fetch(t, base+"/no/such/page", nil)
	if _, err := w.Store.BuildBackup(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	code, body := fetch(t, base+"/metrics", nil)
	if code != http.StatusOK {
		t.Fatalf("loopback /metrics: %d %s", code, body)
	}
	for _, want := range []string{
		"# TYPE certreg_http_requests_total counter",
		`certreg_http_requests_total{route="/login",method="GET",status="200"} 1`,
		`certreg_http_requests_total{route="/certificates/:number",method="GET",status="303"} 1`,
		`certreg_http_requests_total{route="other",method="GET",status="404"} 1`,
		"# TYPE certreg_http_request_duration_seconds histogram",
		`certreg_http_request_duration_seconds_bucket{route="/login",method="GET",le="+Inf"} 1`,
		`certreg_http_request_duration_seconds_count{route="/login",method="GET"} 1`,
		"certreg_http_requests_in_flight 1", // this request
		"certreg_db_size_bytes ",
		"certreg_db_open_read_transactions ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "/no/such/page") || strings.Contains(body, "26340101250001") {
		t.Error("raw paths in the metrics")
	}
	if strings.Contains(body, "certreg_backup_last") {
		t.Error("a backup that was only built is reported as made")
	}
	// Each metric has one HELP and one TYPE line.
	seen := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "# TYPE ") {
			name := strings.Fields(line)[2]
			if seen[name] {
				t.Errorf("metric %s typed twice", name)
			}
			seen[name] = true
		}
	}

	code, _ = fetch(t, base+"/metrics", map[string]string{"X-Real-IP": "203.0.113.9"})
	if code != http.StatusForbidden {
		t.Errorf("through the proxy without the token: %d", code)
	}
	code, _ = fetch(t, base+"/metrics", map[string]string{"X-Real-IP": "203.0.113.9", "Authorization": "Bearer wrong"})
	if code != http.StatusForbidden {
		t.Errorf("wrong token: %d", code)
	}
	code, body = fetch(t, base+"/metrics", map[string]string{"X-Real-IP": "203.0.113.9", "Authorization": "Bearer s3cret-token"})
	if code != http.StatusOK || !strings.Contains(body, "certreg_db_size_bytes") {
		t.Errorf("with the token: %d", code)
	}
}

// The last backup's time and result are in /metrics once one was made.
func TestMetricsShowTheLastBackup(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-province")
	if r := c.get("/settings/backup"); r.status != 200 {
		t.Fatalf("backup: %d", r.status)
	}
	e.srv.metricsToken = "t"
	r := c.do(http.MethodGet, "/metrics", nil, map[string]string{"Authorization": "Bearer t"})
	want := fmt.Sprintf(`certreg_backup_last_timestamp_seconds{kind="any"} %d`, e.w.Clock.Now().Unix())
	if r.status != 200 || !strings.Contains(r.body, want) || !strings.Contains(r.body, `certreg_backup_last_success{kind="any"} 1`) {
		t.Errorf("backup metrics:\n%s", r.body)
	}
}

// A full disk or unwritable storage is said plainly on the page (507) and
// in the log, without internal text.
func TestStorageFailuresAreNamed(t *testing.T) {
	// The logger is the server's from the start: the housekeeping goroutine
	// logs too (e.g. the day's anchor of the operation log).
	logged := &lockedText{}
	w := fixture.Demo(t)
	srv, _, err := newServer(Config{Store: w.Store, Now: w.Clock.Now, Logger: slogTo(logged), PublicURL: testPublicURL})
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{ErrorHandler: srv.errorHandler})
	for _, tc := range []struct {
		errno syscall.Errno
		words string
	}{
		{syscall.ENOSPC, "磁盘空间已满"},
		{syscall.EACCES, "不可写（权限不足）"},
		{syscall.EROFS, "只读"},
	} {
		path := fmt.Sprintf("/errno-%d", int(tc.errno))
		errno := tc.errno
		app.Get(path, func(c *fiber.Ctx) error {
			return fmt.Errorf("save batch: write file: %w", &os.PathError{Op: "write", Path: "/data/files/x", Err: errno})
		})
		req, _ := http.NewRequest(http.MethodGet, path, nil)
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusInsufficientStorage || !strings.Contains(string(b), tc.words) || strings.Contains(string(b), "/data/files") {
			t.Errorf("%v: %d\n%s", errno, res.StatusCode, b)
		}
		if !strings.Contains(logged.String(), tc.words) || !strings.Contains(logged.String(), "/data/files/x") {
			t.Errorf("%v not logged plainly: %s", errno, logged.String())
		}
	}
}

// lockedText is a log destination written by several goroutines.
type lockedText struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedText) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedText) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
