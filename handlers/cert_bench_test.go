package handlers

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"certreg/auth"
	"certreg/fixture"
	"certreg/idcard"
	"certreg/store"
)

func benchCerts() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_CERTS")); err == nil && n > 0 {
		return n
	}
	return 2_000_000
}

// benchSession logs a user in by writing a full session directly.
func benchSession(b *testing.B, w *fixture.World, username string) string {
	b.Helper()
	u := w.User(b, username)
	tok := auth.Token(24)
	now := w.Clock.Now()
	if err := w.Store.PutSession(tok, store.Session{UserID: u.ID, OrgID: u.OrgID, Stage: store.StageFull, CSRF: auth.Token(24), Created: now, LastSeen: now}); err != nil {
		b.Fatal(err)
	}
	return tok
}

func benchGet(b *testing.B, app *fiber.App, token, path string, htmx bool) []byte {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(&http.Cookie{Name: cookieSession, Value: token})
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Target", "cert-table")
	}
	res, err := app.Test(req, -1)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		b.Fatalf("%s: %d\n%.500s", path, res.StatusCode, body)
	}
	return body
}

// BenchmarkCertListHTTP2M measures one 20-row page of /certificates through
// the whole application (session, authorisation, query, template) on two
// million certificates, as the htmx table answer a filter gets and as the
// full page (target ≤ 10 ms).
func BenchmarkCertListHTTP2M(b *testing.B) {
	w := fixture.Big(b, benchCerts())
	app, err := New(Config{Store: w.Store, Now: w.Clock.Now, Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	sample, err := w.Store.Certificates(w.Actor(b, "demo-unit"), store.CertQuery{Number: "24"})
	if err != nil || len(sample.Certs) == 0 {
		b.Fatalf("no sample: %v", err)
	}
	c := sample.Certs[len(sample.Certs)/2]
	queries := fixture.LibraryFilters(c)
	for _, scope := range []string{"demo-unit", "demo-dept", "demo-province"} {
		tok := benchSession(b, w, scope)
		for _, q := range queries {
			if q.Name == "org" && scope == "demo-unit" {
				continue
			}
			b.Run(scope[5:]+"/"+q.Name, func(b *testing.B) {
				cpu0 := processCPU()
				for b.Loop() {
					benchGet(b, app, tok, "/certificates?"+q.Q, true)
				}
				b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			})
		}
		b.Run(scope[5:]+"/full-page", func(b *testing.B) {
			var body []byte
			cpu0 := processCPU()
			for b.Loop() {
				body = benchGet(b, app, tok, "/certificates", false)
			}
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			b.ReportMetric(float64(len(body)), "bytes")
		})
	}
}

// BenchmarkFullPageOverTable2M compares the library's full page with its
// htmx table, request by request in turn, by the processor time of the
// thread that answers (the handler alone: no network, no test client, and
// other work on the machine does not count), and reports the page's cost
// over the table's (target ≤ 1.3).
func BenchmarkFullPageOverTable2M(b *testing.B) {
	w := fixture.Big(b, benchCerts())
	app, err := New(Config{Store: w.Store, Now: w.Clock.Now, Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	h := app.Handler()
	sample, err := w.Store.Certificates(w.Actor(b, "demo-unit"), store.CertQuery{Number: "24"})
	if err != nil || len(sample.Certs) == 0 {
		b.Fatalf("no sample: %v", err)
	}
	c := sample.Certs[len(sample.Certs)/2]
	for _, scope := range []string{"demo-dept", "demo-province"} {
		tok := benchSession(b, w, scope)
		for _, q := range []struct{ name, path string }{{"all-by-date", "/certificates"}, {"all-by-number", "/certificates?sort=number"},
			{"number-exact", "/certificates?number=" + c.Number}, {"level-1", "/certificates?level=1"}} {
			b.Run(scope[5:]+"/"+q.name, func(b *testing.B) {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				var spent [2]time.Duration
				// As the server does, each kind of request reuses its
				// context, reset (a fresh one would count growing a new
				// answer buffer, which the server takes from a pool).
				var ctxs [2]fasthttp.RequestCtx
				for b.Loop() {
					for k, htmx := range []bool{true, false} {
						ctx := &ctxs[k]
						ctx.Request.Reset()
						ctx.Response.Reset()
						ctx.Request.SetRequestURI(q.path)
						ctx.Request.Header.SetCookie(cookieSession, tok)
						if htmx {
							ctx.Request.Header.Set("HX-Request", "true")
							ctx.Request.Header.Set("HX-Target", "cert-table")
						}
						t0 := threadCPU()
						h(ctx)
						spent[k] += threadCPU() - t0
						if ctx.Response.StatusCode() != 200 {
							b.Fatalf("%s: %d", q.path, ctx.Response.StatusCode())
						}
					}
				}
				b.ReportMetric(float64(spent[0].Microseconds())/float64(b.N), "table-µs/op")
				b.ReportMetric(float64(spent[1].Microseconds())/float64(b.N), "page-µs/op")
				b.ReportMetric(float64(spent[1])/float64(spent[0]), "page/table")
			})
		}
	}
}

// threadCPU is the processor time of the calling thread (Linux
// RUSAGE_THREAD).
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPrint500HTTP prints 500 certificates with varied names as one
// PDF through POST /certificates/print (load, sign, render, record, send)
// and reports the file size. Signing the QR codes adds at most 5 %,
// compared with BenchmarkPrint500HTTPUnsigned (docs/integrity.md).
func BenchmarkPrint500HTTP(b *testing.B) { benchPrint500HTTP(b, true) }

// BenchmarkPrint500HTTPUnsigned is BenchmarkPrint500HTTP with QR codes
// holding the online lookup alone, to measure what signing costs.
func BenchmarkPrint500HTTPUnsigned(b *testing.B) { benchPrint500HTTP(b, false) }

func benchPrint500HTTP(b *testing.B, signed bool) {
	unsignedQR = !signed
	defer func() { unsignedQR = false }()
	w := fixture.Demo(b)
	unit := w.Org(b, "demo-unit")
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	given := []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉鹏飞宇浩然子轩梓涵一诺欣怡俊杰晨曦喆堃昇淼鑫森焱垚犇骉琰玥珺璟瑀")
	numbers := make([]string, 500)
	err := w.Store.BulkLoadCertificates(500, func(i int) store.Certificate {
		name := []rune{surnames[i%len(surnames)], given[(i*7)%len(given)]}
		if i%3 != 0 {
			name = append(name, given[(i*13+5)%len(given)])
		}
		id := idcard.Make("340102", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i*11), i%1000)
		n := fmt.Sprintf("2534010145%04d", i+1)
		numbers[i] = n
		return store.Certificate{Number: n, Name: string(name), Gender: idcard.Gender(id), IDNumber: id, WorkUnit: "合肥市城建第三工程有限公司",
			Occupation: "014", OccupationName: "模板工", Level: 5, OrgID: unit.ID, OrgName: unit.Name, OrgPath: unit.Path, Region: "3401",
			IssueDate: store.IssueDay(time.Date(2025, 6, 1+i%28, 0, 0, 0, 0, time.UTC)), Status: store.CertValid, Version: 1}
	})
	if err != nil {
		b.Fatal(err)
	}
	app, err := New(Config{Store: w.Store, Now: w.Clock.Now, Logger: discardLogger(), PublicURL: "https://zjt.example.gov.cn"})
	if err != nil {
		b.Fatal(err)
	}
	tok := benchSession(b, w, "demo-unit")
	sess, _ := w.Store.GetSession(tok)
	form := url.Values{"n": numbers, "format": {builtinFull}, "_csrf": {sess.CSRF}}
	var size int
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/certificates/print", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: cookieSession, Value: tok})
		res, err := app.Test(req, -1)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/pdf" {
			b.Fatalf("print: %d %.300s", res.StatusCode, body)
		}
		size = len(body)
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}

// processCPU is the processor time this process has used (benchmarks on a
// shared machine report it beside the wall time).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPagesHTTP2M measures the home page and the operation log through
// the whole application on two million certificates, for a user of each
// level (every page a clerk reaches stays under 2 ms of processor time).
func BenchmarkPagesHTTP2M(b *testing.B) {
	w := fixture.Big(b, benchCerts())
	app, err := New(Config{Store: w.Store, Now: w.Clock.Now, Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	for _, scope := range []string{"demo-unit", "demo-dept", "demo-province"} {
		tok := benchSession(b, w, scope)
		for _, p := range []struct{ name, path string }{{"home", "/"}, {"logs", "/logs"}} {
			b.Run(scope[5:]+"/"+p.name, func(b *testing.B) {
				var body []byte
				b.ReportAllocs()
				cpu0 := processCPU()
				for b.Loop() {
					body = benchGet(b, app, tok, p.path, false)
				}
				b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
				b.ReportMetric(float64(len(body)), "bytes")
			})
		}
	}
}
