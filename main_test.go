package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"certreg/auth"
	"certreg/fixture"
	"certreg/store"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// captureStdout collects what fn's goroutines print to stdout until the
// returned function is called.
func captureStdout(t *testing.T) func() string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	return func() string {
		os.Stdout = saved
		w.Close()
		return <-done
	}
}

// server runs the binary's run() on a free port and waits for /healthz.
type server struct {
	t    *testing.T
	base string
	errc chan error
}

func start(t *testing.T, args ...string) *server {
	t.Helper()
	return startScheme(t, "http", args...)
}

// insecure trusts the self-signed certificate of the TLS test.
var insecure = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}

func startScheme(t *testing.T, scheme string, args ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	s := &server{t: t, base: scheme + "://" + addr, errc: make(chan error, 1)}
	go func() { s.errc <- run(append([]string{"-addr", addr}, args...)) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-s.errc:
			t.Fatalf("run ended before serving: %v", err)
		default:
		}
		if r, err := insecure.Get(s.base + "/healthz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not answer /healthz within 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM to the process, as systemd does, and waits for run to
// return.
func (s *server) stop() {
	s.t.Helper()
	// Our own subscription keeps the test process alive whatever happens.
	keep := make(chan os.Signal, 1)
	signal.Notify(keep, syscall.SIGTERM)
	defer signal.Stop(keep)
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case err := <-s.errc:
		if err != nil {
			s.t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		s.t.Fatal("SIGTERM did not stop the server within 15 s")
	}
	if r, err := insecure.Get(s.base + "/healthz"); err == nil {
		r.Body.Close()
		s.t.Fatal("still answering after SIGTERM")
	}
}

var csrfRe = regexp.MustCompile(`name="csrf-token" content="([^"]+)"`)

// browse is a cookie-keeping client that posts forms with the page's token.
type browse struct {
	t    *testing.T
	c    *http.Client
	base string
	csrf string
}

func newBrowse(t *testing.T, base string) *browse {
	jar, _ := cookiejar.New(nil)
	return &browse{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browse) get(path string) (int, string) {
	b.t.Helper()
	r, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	if m := csrfRe.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return r.StatusCode, string(body)
}

func (b *browse) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	form.Set("_csrf", b.csrf)
	r, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Body.Close()
	return r.StatusCode, r.Header.Get("Location")
}

// First start with -demo and -public-url: the demo province is seeded, a
// certificate's page carries a verification link on the public address, a
// second instance on the same directory refuses to start, and SIGTERM shuts
// the server down and releases the directory.
func TestDemoStartPublicURLAndSIGTERM(t *testing.T) {
	dir := t.TempDir()
	out := captureStdout(t)
	s := start(t, "-data", dir, "-demo", "-public-url", "https://zjt.example.gov.cn/")
	if printed := out(); !strings.Contains(printed, "已创建演示省份") {
		t.Errorf("first start printed %q", printed)
	}

	b := newBrowse(t, s.base)
	if code, body := b.get("/login"); code != 200 || !strings.Contains(body, "演示模式") {
		t.Fatalf("login page: %d", code)
	}
	if code, loc := b.post("/login", url.Values{"username": {"demo-unit"}, "password": {store.DemoPassword}}); code != http.StatusSeeOther || loc != "/login/code" {
		t.Fatalf("password step: %d %s", code, loc)
	}
	b.get("/login/code")
	if code, loc := b.post("/login/code", url.Values{"code": {auth.Code(store.DemoSecret, time.Now())}}); code != http.StatusSeeOther || loc != "/" {
		t.Fatalf("code step: %d %s", code, loc)
	}
	_, list := b.get("/certificates")
	m := regexp.MustCompile(`href="/certificates/(\d{14})"`).FindStringSubmatch(list)
	if m == nil {
		t.Fatalf("no certificate in the list:\n%.2000s", list)
	}
	if _, detail := b.get("/certificates/" + m[1]); !strings.Contains(detail, "https://zjt.example.gov.cn/verify?n="+m[1]+"&amp;t=") {
		t.Errorf("the verification link does not use -public-url:\n%.3000s", detail)
	}

	if err := run([]string{"-addr", freeAddr(t), "-data", dir}); err == nil || !strings.Contains(err.Error(), "正被另一个进程使用") {
		t.Errorf("second instance on the same directory: %v", err)
	}

	s.stop()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatalf("the directory is still locked after shutdown: %v", err)
	}
	if _, err := st.UserByName("demo-province"); err != nil {
		t.Errorf("demo data: %v", err)
	}
	st.Close()
}

// First start without -demo: the province and its admin with a random
// initial password printed once; a later start prints nothing new.
func TestFirstStartPrintsAdminPassword(t *testing.T) {
	dir := t.TempDir()
	out := captureStdout(t)
	s := start(t, "-data", dir, "-province", "32")
	printed := out()
	m := regexp.MustCompile(`初始密码：(\S+)`).FindStringSubmatch(printed)
	if m == nil || !strings.Contains(printed, "江苏省") || !strings.Contains(printed, "管理员用户名：admin") {
		t.Fatalf("first start printed %q", printed)
	}
	if err := auth.CheckPolicy(m[1], "admin"); err != nil {
		t.Errorf("initial password %q: %v", m[1], err)
	}
	b := newBrowse(t, s.base)
	b.get("/login")
	if code, loc := b.post("/login", url.Values{"username": {"admin"}, "password": {m[1]}}); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login/setup") {
		t.Errorf("admin with the printed password: %d %s", code, loc)
	}
	s.stop()

	out = captureStdout(t)
	s = start(t, "-data", dir, "-province", "32")
	if again := out(); strings.Contains(again, "初始密码") {
		t.Errorf("second start printed a password: %q", again)
	}
	s.stop()
}

// -restore unpacks a backup into an empty directory and exits; it refuses a
// directory that is not empty and a file that is not there.
func TestRestoreFlag(t *testing.T) {
	w := fixture.Demo(t)
	var buf bytes.Buffer
	if err := w.Store.WriteBackup(w.Actor(t, "demo-province"), &buf); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "certreg-backup.tar.gz")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "new")
	out := captureStdout(t)
	err := run([]string{"-restore", file, "-data", dir})
	printed := out()
	if err != nil || !strings.Contains(printed, "已将备份恢复到 "+dir) {
		t.Fatalf("restore: %v %q", err, printed)
	}
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := st.UserByName("demo-unit"); err != nil || u.Name != "张秀英" {
		t.Errorf("restored user: %v", err)
	}
	st.Close()
	if err := run([]string{"-restore", file, "-data", dir}); err == nil || !strings.Contains(err.Error(), "不是空的") {
		t.Errorf("restore over data: %v", err)
	}
	if err := run([]string{"-restore", filepath.Join(t.TempDir(), "missing.tar.gz"), "-data", t.TempDir()}); err == nil {
		t.Error("restore of a missing file succeeded")
	}
}

func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-tls-cert", "cert.pem"}, "-tls-cert 与 -tls-key 必须同时指定"},
		{[]string{"-tls-key", "key.pem"}, "-tls-cert 与 -tls-key 必须同时指定"},
		{[]string{"-province", "99"}, "未知的省份代码"},
		{[]string{"-no-such-flag"}, "no-such-flag"},
	} {
		if err := run(tc.args); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.msg)
		}
	}
}

// selfSigned writes a certificate and key for 127.0.0.1.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// With -tls-cert and -tls-key the server speaks HTTPS, sends HSTS and marks
// its cookies Secure.
func TestTLSFlags(t *testing.T) {
	cert, key := selfSigned(t)
	out := captureStdout(t)
	s := startScheme(t, "https", "-data", t.TempDir(), "-demo", "-tls-cert", cert, "-tls-key", key)
	out()
	r, err := insecure.Get(s.base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if !strings.Contains(r.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("no HSTS over TLS: %q", r.Header.Get("Strict-Transport-Security"))
	}
	for _, c := range r.Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s not Secure over TLS", c.Name)
		}
	}
	s.stop()
}

// main itself prints the error in Chinese and exits with status 1.
func TestMainExitsOnError(t *testing.T) {
	if os.Getenv("CERTREG_TEST_MAIN") == "1" {
		os.Args = []string{"certreg", "-province", "99"}
		main()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainExitsOnError$")
	cmd.Env = append(os.Environ(), "CERTREG_TEST_MAIN=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "错误: 未知的省份代码") {
		t.Fatalf("exit %v, output %q", err, out)
	}
}
