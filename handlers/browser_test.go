package handlers

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"certreg/fixture"
)

// browser is a headless Chromium driving the app served on a loopback port.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	w    *fixture.World
	env  *env // the app being served
}

func chromiumPath() string {
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// Ceilings of a browser test and of one of its steps: generous, because
// under -race on a busy 2-core machine one page can take seconds; they only
// stop a test that hangs, they assert no speed.
const (
	browserTest = 8 * time.Minute
	browserStep = 45 * time.Second
)

// newBrowser serves w and opens a browser on it. Browser tests are skipped in
// -short mode, and where no Chromium is installed outside CI.
func newBrowser(t *testing.T, w *fixture.World) *browser {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run must install it")
		}
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	e := serve(t, w)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	t.Cleanup(func() { _ = e.app.Shutdown() })

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, browserTest)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, base: "http://" + ln.Addr().String(), w: w, env: e}
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failure")
		b.t.Fatalf("browser: %v", err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.shot("failure")
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// open navigates to a page of the app and fails on the error page.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base + path))
	b.notErrorPage(path)
}

// shot saves a screenshot when SCREENSHOTS names a directory.
func (b *browser) shot(name string) {
	dir := os.Getenv("SCREENSHOTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return
	}
	_ = os.MkdirAll(dir, 0o755)
	_ = os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
}

// login types the password and then the demo code shown on the page.
func (b *browser) login(username, password string) {
	b.t.Helper()
	b.w.Clock.Advance(30 * time.Second)
	b.open("/login")
	b.do(
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#code")),
	)
	code := strings.TrimSpace(b.text("#demo-code-value"))
	b.do(
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(chromedp.CSS(`form[action="/login/code"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".top-user")),
	)
}

func TestBrowserDemoUnitLogsInAndSeesLog(t *testing.T) {
	b := newBrowser(t, fixture.Demo(t))
	b.open("/login")
	b.shot("login")
	b.login("demo-unit", "Demo#2026pass")
	if got := b.text(".top-org"); !strings.Contains(got, "合肥建工职业技能培训学校") {
		t.Fatalf("top bar: %q", got)
	}
	want, _ := b.w.Store.ValidCertificates(b.w.Org(t, "demo-unit").ID)
	if got := b.text("#valid-total"); got != fmt.Sprint(want) {
		t.Fatalf("valid total %q, want %d", got, want)
	}
	b.shot("home-unit")
	b.do(chromedp.Click(chromedp.CSS(`.nav a[href="/logs"]`)), chromedp.WaitVisible(chromedp.CSS("#log-table")))
	if got := b.text("#log-table"); !strings.Contains(got, "登录成功") || !strings.Contains(got, "demo-unit") {
		t.Fatalf("log table: %q", got)
	}
	// Filtering by action swaps the table in place (htmx) and keeps the URL.
	b.do(chromedp.SetValue(chromedp.CSS("#f-action"), "logout"))
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById('f-action').dispatchEvent(new Event('change', {bubbles:true}))`)); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.WaitVisible(chromedp.CSS("#log-table .empty")))
	b.shot("logs-unit")
}

func TestBrowserFirstStartAdminSetup(t *testing.T) {
	w := fixture.Empty(t)
	hash, _ := authHash("Initial#Pass1")
	if _, _, err := w.Store.Bootstrap("34", hash); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, w)
	b.open("/login")
	b.do(
		chromedp.SendKeys(chromedp.CSS("#username"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#password"), "Initial#Pass1"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#new_password")),
	)
	b.shot("setup-password")
	b.do(
		chromedp.SendKeys(chromedp.CSS("#old_password"), "Initial#Pass1"),
		chromedp.SendKeys(chromedp.CSS("#new_password"), "Strong#Pass22"),
		chromedp.SendKeys(chromedp.CSS("#confirm"), "Strong#Pass22"),
		chromedp.Click(chromedp.CSS(`form[action="/login/setup/password"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#totp-secret")),
	)
	b.shot("setup-totp")
	secret := strings.TrimSpace(b.text("#totp-secret"))
	b.do(
		chromedp.SendKeys(chromedp.CSS("#code"), totpCode(secret, w.Clock.Now())),
		chromedp.Click(chromedp.CSS(`form[action="/login/setup/totp"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
	)
	if codes := strings.Fields(b.text("#recovery-codes")); len(codes) != 10 {
		t.Fatalf("recovery codes: %v", codes)
	}
	b.shot("setup-recovery")
	b.do(chromedp.Click(chromedp.CSS(`a.btn.primary`)), chromedp.WaitVisible(chromedp.CSS("#valid-total")))
	if got := b.text(".top-org"); !strings.Contains(got, "安徽省住房和城乡建设厅") {
		t.Fatalf("top bar after set-up: %q", got)
	}
}
