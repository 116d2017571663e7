package handlers

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"certreg/auth"
	"certreg/fixture"
	"certreg/store"
)

// env is a demo world served by an in-process app.
type env struct {
	t   testing.TB
	w   *fixture.World
	app *fiber.App
	srv *Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return serve(t, fixture.Demo(t))
}

func serve(t testing.TB, w *fixture.World) *env {
	t.Helper()
	srv, app, err := newServer(Config{Store: w.Store, Demo: true, Now: w.Clock.Now, Logger: discardLogger(), LoginLimit: 1000, ProxyHeader: "X-Forwarded-For",
		PublicURL: testPublicURL})
	if err != nil {
		t.Fatalf("new app: %v", err)
	}
	return &env{t: t, w: w, app: app, srv: srv}
}

// testPublicURL is the public address of the test servers.
const testPublicURL = "https://zjt.example.gov.cn"

// client is a browser: it keeps cookies and the page's CSRF token.
type client struct {
	e    *env
	jar  map[string]string
	csrf string
	ip   string
}

type resp struct {
	status int
	body   string
	header http.Header
}

func (e *env) client() *client { return &client{e: e, jar: map[string]string{}, ip: "10.0.0.1"} }

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

func (c *client) do(method, path string, form url.Values, hdr map[string]string) resp {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Forwarded-For", c.ip)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for k, v := range c.jar {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := c.e.app.Test(req, -1)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.jar, ck.Name)
		} else {
			c.jar[ck.Name] = ck.Value
		}
	}
	if m := csrfMeta.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return resp{status: res.StatusCode, body: string(b), header: res.Header}
}

func (c *client) get(path string) resp { return c.do(http.MethodGet, path, nil, nil) }

func (c *client) htmx(path string) resp {
	return c.do(http.MethodGet, path, nil, map[string]string{"HX-Request": "true"})
}

// post sends a form with the page's CSRF token (fetching a page first if the
// client has none yet).
func (c *client) post(path string, form url.Values) resp {
	c.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" {
		if c.csrf == "" {
			c.get("/login")
		}
		form.Set("_csrf", c.csrf)
	}
	return c.do(http.MethodPost, path, form, nil)
}

func (c *client) code(username string) string {
	u := c.e.w.User(c.e.t, username)
	return auth.Code(u.TOTPSecret, c.e.w.Clock.Now())
}

// login goes through password and TOTP; the clock moves to a fresh TOTP step
// first so repeated logins do not replay a code.
func (e *env) login(username string) *client {
	e.t.Helper()
	e.w.Clock.Advance(auth.Period * time.Second)
	c := e.client()
	r := c.post("/login", url.Values{"username": {username}, "password": {store.DemoPassword}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login/code" {
		e.t.Fatalf("login %s: status %d location %q\n%s", username, r.status, r.header.Get("Location"), r.body)
	}
	c.get("/login/code")
	r = c.post("/login/code", url.Values{"code": {c.code(username)}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		e.t.Fatalf("code %s: status %d location %q\n%s", username, r.status, r.header.Get("Location"), r.body)
	}
	c.get("/")
	return c
}
