package handlers

import (
	"crypto/subtle"
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

// securityHeaders sets SPEC section 14's headers on every answer.
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

func (s *Server) requestLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			status = fe.Code
		} else {
			status = 500
		}
	}
	if !strings.HasPrefix(c.Path(), "/assets/") {
		s.log.Info("request", "method", c.Method(), "path", c.Path(), "status", status,
			"ms", float64(time.Since(start).Microseconds())/1000)
	}
	return err
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
		if len(w.preCSRF) < 20 {
			w.preCSRF = auth.Token(24)
			s.setCookie(c, cookiePreCSRF, w.preCSRF, 0)
		}
	}
	return c.Next()
}

// csrfToken is the token the caller's forms must carry.
func (w *who) csrfToken() string {
	if w.token != "" {
		return w.sess.CSRF
	}
	return w.preCSRF
}

// csrf refuses a state-changing request without the caller's token, from the
// form field _csrf or the X-CSRF-Token header.
func (s *Server) csrf(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	w := whoOf(c)
	got := c.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue("_csrf")
	}
	want := w.csrfToken()
	if got == "" || want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		_ = s.st.Log(w.actor(c.IP()), store.ActAccessDenied, c.Method()+" "+c.Path(), "CSRF 令牌无效", false)
		return fiber.NewError(fiber.StatusForbidden, "页面已过期或请求来源无效，请刷新页面后重试。")
	}
	return c.Next()
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
		if len(a.types) > 0 && !containsType(a.types, w.org.Type) {
			return s.deny(c)
		}
		if len(a.caps) > 0 {
			ok := false
			for _, cp := range a.caps {
				if w.user.Can(w.org.Type, cp) {
					ok = true
					break
				}
			}
			if !ok {
				return s.deny(c)
			}
		}
		return c.Next()
	}
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
	w := whoOf(c)
	_ = s.st.Log(w.actor(c.IP()), store.ActAccessDenied, c.Method()+" "+c.Path(), "", false)
	return fiber.NewError(fiber.StatusForbidden, "您没有访问此页面的权限。")
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
