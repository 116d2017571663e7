package handlers

import (
	"crypto/subtle"
	"fmt"
	"net"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// Monitoring: GET /metrics answers in the Prometheus text format (version
// 0.0.4) what a province's monitoring scrapes: requests by route and
// status, their latency, requests in flight, the database's size and open
// read transactions, and the last backup's time and result. Routes are the
// route table's patterns (/batches/:id), never raw paths, so the number of
// series stays bounded. It is served to loopback addresses, or to anyone
// presenting the token set with -metrics-token (Authorization: Bearer …);
// behind a reverse proxy on the same machine, a request carrying the proxy
// header does not count as loopback.

// latencyBuckets are the histogram's upper bounds in seconds.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type routeKey struct{ method, route string }

type routeStats struct {
	status  map[int]uint64
	buckets []uint64 // cumulative counts are computed when written
	count   uint64
	sum     float64
}

// metrics collects request figures.
type metrics struct {
	mu       sync.Mutex
	routes   map[routeKey]*routeStats
	inflight *atomic.Int64
	started  time.Time
}

func newMetrics(inflight *atomic.Int64, now time.Time) *metrics {
	if inflight == nil {
		inflight = &atomic.Int64{}
	}
	return &metrics{routes: map[routeKey]*routeStats{}, inflight: inflight, started: now}
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := routeKey{method, route}
	rs := m.routes[k]
	if rs == nil {
		rs = &routeStats{status: map[int]uint64{}, buckets: make([]uint64, len(latencyBuckets))}
		m.routes[k] = rs
	}
	rs.status[status]++
	sec := d.Seconds()
	for i, le := range latencyBuckets {
		if sec <= le {
			rs.buckets[i]++
			break
		}
	}
	rs.count++
	rs.sum += sec
}

// measure is the first middleware: it counts the request in flight while
// it is handled and observes it by route once answered. It also turns a
// memory fault of this goroutine (a damaged database page) into a panic
// the recoverer answers, rather than the end of the process.
func (s *Server) measure(c *fiber.Ctx) error {
	debug.SetPanicOnFault(true)
	s.metrics.inflight.Add(1)
	start := time.Now()
	err := c.Next()
	s.metrics.inflight.Add(-1)
	// The pattern of the route that answered; the catch-all of unknown paths
	// (a "/" prefix route) and anything unmatched count as "other".
	route := "other"
	if r := c.Route(); r != nil && r.Path != "" && (r.Path != "/" || c.Path() == "/") {
		route = r.Path
	}
	status := c.Response().StatusCode()
	if err != nil {
		status = fiber.StatusInternalServerError
		if fe, ok := err.(*fiber.Error); ok {
			status = fe.Code
		}
	}
	s.metrics.observe(c.Method(), route, status, time.Since(start))
	return err
}

// metricsAllowed says whether a request may read /metrics.
func (s *Server) metricsAllowed(c *fiber.Ctx) bool {
	if s.metricsToken != "" {
		auth := c.Get(fiber.HeaderAuthorization)
		if tok, ok := strings.CutPrefix(auth, "Bearer "); ok && subtle.ConstantTimeCompare([]byte(tok), []byte(s.metricsToken)) == 1 {
			return true
		}
	}
	if s.proxyHeader != "" && c.Get(s.proxyHeader) != "" {
		return false // came through the proxy: not this machine's own client
	}
	ip := c.Context().RemoteIP()
	return ip != nil && ip.IsLoopback() || isLoopbackAddr(c.Context().RemoteAddr())
}

func isLoopbackAddr(a net.Addr) bool {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.IsLoopback()
	}
	return false
}

// metricsPage is GET /metrics.
func (s *Server) metricsPage(c *fiber.Ctx) error {
	if !s.metricsAllowed(c) {
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(fiber.StatusForbidden).SendString("禁止访问：/metrics 只对本机或持有监控令牌（-metrics-token）的请求开放。\n")
	}
	var b strings.Builder
	m := s.metrics
	m.mu.Lock()
	keys := make([]routeKey, 0, len(m.routes))
	for k := range m.routes {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b routeKey) int {
		if a.route != b.route {
			return strings.Compare(a.route, b.route)
		}
		return strings.Compare(a.method, b.method)
	})
	b.WriteString("# HELP certreg_http_requests_total HTTP requests answered, by route pattern, method and status.\n# TYPE certreg_http_requests_total counter\n")
	for _, k := range keys {
		rs := m.routes[k]
		codes := make([]int, 0, len(rs.status))
		for code := range rs.status {
			codes = append(codes, code)
		}
		slices.Sort(codes)
		for _, code := range codes {
			fmt.Fprintf(&b, "certreg_http_requests_total{route=%s,method=%s,status=\"%d\"} %d\n", quote(k.route), quote(k.method), code, rs.status[code])
		}
	}
	b.WriteString("# HELP certreg_http_request_duration_seconds Time to answer a request, by route pattern and method.\n# TYPE certreg_http_request_duration_seconds histogram\n")
	for _, k := range keys {
		rs := m.routes[k]
		cum := uint64(0)
		for i, le := range latencyBuckets {
			cum += rs.buckets[i]
			fmt.Fprintf(&b, "certreg_http_request_duration_seconds_bucket{route=%s,method=%s,le=\"%s\"} %d\n", quote(k.route), quote(k.method), strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(&b, "certreg_http_request_duration_seconds_bucket{route=%s,method=%s,le=\"+Inf\"} %d\n", quote(k.route), quote(k.method), rs.count)
		fmt.Fprintf(&b, "certreg_http_request_duration_seconds_sum{route=%s,method=%s} %s\n", quote(k.route), quote(k.method), strconv.FormatFloat(rs.sum, 'f', -1, 64))
		fmt.Fprintf(&b, "certreg_http_request_duration_seconds_count{route=%s,method=%s} %d\n", quote(k.route), quote(k.method), rs.count)
	}
	m.mu.Unlock()
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name, strconv.FormatFloat(v, 'f', -1, 64))
	}
	counter := func(name, help string, v float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n%s %s\n", name, help, name, name, strconv.FormatFloat(v, 'f', -1, 64))
	}
	gauge("certreg_http_requests_in_flight", "Requests being handled now.", float64(m.inflight.Load()))
	ds := s.st.DBStats()
	gauge("certreg_db_size_bytes", "Bytes of the database in use (its high-water mark).", float64(ds.Size))
	gauge("certreg_db_file_size_bytes", "Bytes of the database file.", float64(ds.FileSize))
	gauge("certreg_db_open_read_transactions", "Read transactions open now.", float64(ds.OpenReadTx))
	counter("certreg_db_read_transactions_total", "Read transactions started since the server started.", float64(ds.ReadTxTotal))
	gauge("certreg_db_free_pages", "Free pages in the database file.", float64(ds.FreePages))
	if last, scheduled, err := s.st.LastBackup(); err == nil {
		type kindStatus struct {
			kind string
			st   store.BackupStatus
		}
		var seen []kindStatus
		for _, ks := range []kindStatus{{"any", last}, {store.BackupScheduled, scheduled}} {
			if !ks.st.Time.IsZero() {
				seen = append(seen, ks)
			}
		}
		series := func(name, typ, help string, value func(store.BackupStatus) string) {
			if len(seen) == 0 {
				return
			}
			fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
			for _, ks := range seen {
				fmt.Fprintf(&b, "%s{kind=%s} %s\n", name, quote(ks.kind), value(ks.st))
			}
		}
		series("certreg_backup_last_timestamp_seconds", "gauge", "When the last backup (kind any, or scheduled) was made or attempted.",
			func(st store.BackupStatus) string { return strconv.FormatInt(st.Time.Unix(), 10) })
		series("certreg_backup_last_success", "gauge", "Whether that backup succeeded (1) or failed (0).",
			func(st store.BackupStatus) string {
				if st.OK {
					return "1"
				}
				return "0"
			})
		series("certreg_backup_last_size_bytes", "gauge", "Size of that backup in bytes (0 when it failed).",
			func(st store.BackupStatus) string { return strconv.FormatInt(st.Size, 10) })
	}
	gauge("certreg_start_time_seconds", "When the server started.", float64(m.started.Unix()))
	c.Set(fiber.HeaderContentType, "text/plain; version=0.0.4; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString(b.String())
}

// quote is a label value in the exposition format.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
