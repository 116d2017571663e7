package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"certreg/auth"
	"certreg/store"
)

const (
	cookieSession = "sid"
	cookiePreCSRF = "csrf_pre"
	cookieFlash   = "flash"
)

// who is what the session middleware learns about the caller.
type who struct {
	token   string
	sess    store.Session
	user    store.User
	org     store.Org
	preCSRF string // for callers without a session
}

func (w *who) loggedIn() bool { return w != nil && w.token != "" && w.sess.Stage == store.StageFull }

func (w *who) actor(ip string) store.Actor {
	if w == nil || w.token == "" {
		return store.Actor{IP: ip}
	}
	return store.Actor{UserID: w.user.ID, Username: w.user.Username, OrgID: w.org.ID, IP: ip}
}

func (w *who) can(c store.Cap) bool { return w.loggedIn() && w.user.Can(w.org.Type, c) }

func whoOf(c *fiber.Ctx) *who {
	w, _ := c.Locals("who").(*who)
	if w == nil {
		w = &who{}
	}
	return w
}

func (s *Server) recoverer(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic", "path", c.Path(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fiber.ErrInternalServerError
		}
	}()
	return c.Next()
}

// securityHeaders sets the headers of docs/security.md on every answer.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "+
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if s.tls {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	return c.Next()
}

// requestLog writes one line per request with the status that was sent: an
// error is turned into its page here, so the line sees the page's status
// (a store's ErrNotFound is a 404, not a 500).
func (s *Server) requestLog(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		if herr := s.errorHandler(c, err); herr != nil {
			return herr
		}
	}
	if !strings.HasPrefix(c.Path(), "/assets/") {
		s.log.Info("request", "method", c.Method(), "path", c.Path(), "status", c.Response().StatusCode(),
			"ms", float64(time.Since(start).Microseconds())/1000)
	}
	return nil
}

// loadSession reads the session cookie and finds the user and organisation.
// A session of a disabled user or an offline organisation is ended at once.
func (s *Server) loadSession(c *fiber.Ctx) error {
	w := &who{}
	c.Locals("who", w)
	if tok := c.Cookies(cookieSession); tok != "" {
		sess, err := s.st.GetSession(tok)
		if err == nil {
			user, uerr := s.st.User(sess.UserID)
			org, oerr := s.st.Org(sess.OrgID)
			if uerr == nil && oerr == nil && !user.Disabled && !org.Offline() && user.OrgID == org.ID {
				w.token, w.sess, w.user, w.org = tok, sess, user, org
			} else {
				_ = s.st.DeleteSession(tok)
				s.clearCookie(c, cookieSession)
			}
		} else if errors.Is(err, store.ErrNotFound) {
			s.clearCookie(c, cookieSession)
		} else {
			return err
		}
	}
	if w.token == "" {
		w.preCSRF = c.Cookies(cookiePreCSRF)
		if !s.validPreToken(w.preCSRF) {
			w.preCSRF = s.newPreToken()
			s.setCookie(c, cookiePreCSRF, w.preCSRF, 0)
		}
	}
	return c.Next()
}

// Before login the CSRF token lives in a cookie (there is no session yet).
// It is a random nonce with the server's HMAC of it, so a client cannot make
// up a cookie and form field pair of its own: only a token this server issued
// passes.
func (s *Server) newPreToken() string {
	n := auth.Token(18)
	return n + "." + s.preTokenMAC(n)
}

func (s *Server) preTokenMAC(nonce string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte("pre-login csrf|" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:22]
}

func (s *Server) validPreToken(tok string) bool {
	nonce, mac, ok := strings.Cut(tok, ".")
	return ok && len(nonce) >= 18 && len(tok) < 100 && hmac.Equal([]byte(mac), []byte(s.preTokenMAC(nonce)))
}

// csrfToken is the token the caller's forms must carry.
func (w *who) csrfToken() string {
	if w.token != "" {
		return w.sess.CSRF
	}
	return w.preCSRF
}

// csrf refuses a state-changing request that comes from another site, or
// that lacks the caller's token in the X-CSRF-Token header or the form field
// _csrf of the request body (never the query string, which ends up in logs
// and Referer headers).
func (s *Server) csrf(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if s.crossSite(c) {
		s.denied(c, "跨站请求")
		return fiber.NewError(fiber.StatusForbidden, "请求来源无效：请在本系统的页面上操作。")
	}
	w := whoOf(c)
	got := c.Get("X-CSRF-Token")
	if got == "" && !isStreamedUpload(c) { // an upload's token is read by uploadGate
		got = bodyField(c, "_csrf")
	}
	want := w.csrfToken()
	if got == "" || want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		s.denied(c, "CSRF 令牌无效")
		return fiber.NewError(fiber.StatusForbidden, "页面已过期或请求来源无效，请刷新页面后重试。")
	}
	return c.Next()
}

// bodyField reads a field of a url-encoded or multipart request body, and
// nothing else (c.FormValue would also take the query string).
func bodyField(c *fiber.Ctx, name string) string {
	ct := strings.ToLower(string(c.Request().Header.ContentType()))
	switch {
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		return string(c.Request().PostArgs().Peek(name))
	case strings.HasPrefix(ct, fiber.MIMEMultipartForm):
		if f, err := c.MultipartForm(); err == nil && len(f.Value[name]) > 0 {
			return f.Value[name][0]
		}
	}
	return ""
}

// crossSite reports a request a browser sent on behalf of another site:
// Sec-Fetch-Site (sent by every current browser) says so, or the Origin is
// not this server's. Requests without either header (scripts, old
// browsers) still need the token.
func (s *Server) crossSite(c *fiber.Ctx) bool {
	switch c.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return true
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return true // "null" and the like
	}
	if strings.EqualFold(u.Host, string(c.Request().Host())) {
		return false
	}
	if s.proxyHeader != "" && strings.EqualFold(u.Host, c.Get(fiber.HeaderXForwardedHost)) {
		return false
	}
	if base, err := s.publicURL(); err == nil && base != "" {
		if p, err := url.Parse(base); err == nil && strings.EqualFold(p.Host, u.Host) {
			return false
		}
	}
	return true
}

// guard enforces a route's access rule.
func (s *Server) guard(r route) fiber.Handler {
	a := r.access
	return func(c *fiber.Ctx) error {
		if a.public {
			return c.Next()
		}
		w := whoOf(c)
		want := a.stage
		if want == "" {
			want = store.StageFull
		}
		if w.token == "" {
			return s.toLogin(c)
		}
		if w.sess.Stage != want {
			// Send the caller to the step it is at.
			switch w.sess.Stage {
			case store.StageMFA:
				return s.redirect(c, "/login/code")
			case store.StageSetup:
				return s.redirect(c, "/login/setup")
			default:
				return s.redirect(c, "/")
			}
		}
		if !a.permits(w) {
			return s.deny(c)
		}
		return c.Next()
	}
}

// permits reports whether a's organisation types and capabilities let w in
// (the login stage is the guard's).
func (a access) permits(w *who) bool {
	if len(a.types) > 0 && !containsType(a.types, w.org.Type) {
		return false
	}
	if len(a.caps) == 0 {
		return true
	}
	for _, cp := range a.caps {
		if w.user.Can(w.org.Type, cp) {
			return true
		}
	}
	return false
}

// mayOpen reports whether the route table has a page at path (a GET route)
// that w may open: the menu, the home page's quick links and links between
// pages ask it, so they never offer what the route would refuse.
func (s *Server) mayOpen(w *who, path string) bool {
	a, ok := s.pages[path]
	return ok && (a.public || w.loggedIn() && a.permits(w))
}

func containsType(ts []store.OrgType, t store.OrgType) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

func (s *Server) deny(c *fiber.Ctx) error {
	s.denied(c, "")
	return fiber.NewError(fiber.StatusForbidden, "您没有访问此页面的权限。")
}

// denied records a refused request in the operation log, at a bounded cost
// (see denials).
func (s *Server) denied(c *fiber.Ctx, detail string) {
	s.denials.record(s.now(), store.ActAccessDenied, whoOf(c).actor(c.IP()), c.Method()+" "+c.Path(), detail)
}

func (s *Server) toLogin(c *fiber.Ctx) error {
	if c.Method() == fiber.MethodGet && !isHTMX(c) {
		next := c.OriginalURL()
		if next != "/" {
			return c.Redirect("/login?next="+url.QueryEscape(next), fiber.StatusSeeOther)
		}
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	return s.redirect(c, "/login")
}

// redirect sends the browser elsewhere, with HX-Redirect for htmx requests.
func (s *Server) redirect(c *fiber.Ctx, to string) error {
	if isHTMX(c) {
		c.Set("HX-Redirect", to)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

func (s *Server) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	ck := &fiber.Cookie{Name: name, Value: value, Path: "/", HTTPOnly: true, Secure: s.tls, SameSite: fiber.CookieSameSiteLaxMode}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge.Seconds())
	}
	c.Cookie(ck)
}

func (s *Server) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", HTTPOnly: true, Secure: s.tls,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: -1, Expires: time.Unix(1, 0)})
}

// flash stores a one-time message shown as a toast on the next page.
func (s *Server) flash(c *fiber.Ctx, msg string) {
	s.setCookie(c, cookieFlash, url.QueryEscape(msg), time.Minute)
}

func (s *Server) takeFlash(c *fiber.Ctx) string {
	v := c.Cookies(cookieFlash)
	if v == "" {
		return ""
	}
	s.clearCookie(c, cookieFlash)
	msg, err := url.QueryUnescape(v)
	if err != nil || len(msg) > 300 {
		return ""
	}
	return msg
}
