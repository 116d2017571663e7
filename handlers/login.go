package handlers

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"certreg/auth"
	"certreg/store"
)

const (
	msgBadLogin    = "用户名或密码错误。"
	msgTooFast     = "尝试过于频繁，请一分钟后再试。"
	msgBadCode     = "验证码错误，请输入身份验证器上当前显示的 6 位数字。"
	msgReplay      = "该验证码已使用过，请等待身份验证器显示下一个验证码。"
	msgOrgOffline  = "您所在的机构已下线，无法登录。如有疑问请联系上级主管部门。"
	msgUserOff     = "该账户已停用，无法登录。请联系本机构管理员。"
	msgSessionGone = "登录已超时，请重新登录。"
)

func lockedMsg(until time.Time) string {
	return fmt.Sprintf("账户已锁定：连续 %d 次登录失败，请于 %s 后再试。", store.MaxFailures, until.In(cst).Format("15:04"))
}

type loginForm struct {
	Username string
	Next     string
	Code     string // demo mode: the current demo code
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	w := whoOf(c)
	if w.loggedIn() {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return s.renderLogin(c, fiber.StatusOK, loginForm{Next: safeNext(c.Query("next"))}, nil)
}

func (s *Server) renderLogin(c *fiber.Ctx, status int, f loginForm, errs map[string]string) error {
	if s.demo {
		f.Code = auth.Code(store.DemoSecret, s.now())
	}
	return s.render(c, status, tplLogin, "登录", f, errs)
}

// demoCode answers the current code of the demo accounts (demo mode only).
func (s *Server) demoCode(c *fiber.Ctx) error {
	if !s.demo {
		return fiber.ErrNotFound
	}
	return s.fragment(c, fiber.StatusOK, tplDemoCode, loginForm{Code: auth.Code(store.DemoSecret, s.now())})
}

// safeNext keeps only a path on this site, so the login cannot redirect
// elsewhere. The value is parsed, not pattern-matched: browsers drop tabs and
// newlines and read backslashes as slashes, so anything but printable ASCII
// path characters is refused, and the result is rebuilt from the parsed path
// and query alone.
func safeNext(next string) string {
	if next == "" || len(next) > 2000 || next[0] != '/' {
		return ""
	}
	for i := 0; i < len(next); i++ {
		if ch := next[i]; ch <= 0x20 || ch >= 0x7f || ch == '\\' {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(u.Path, "/login") {
		return ""
	}
	out := (&url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}).String()
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
		return ""
	}
	return out
}

func (s *Server) loginSubmit(c *fiber.Ctx) error {
	f := loginForm{Username: strings.TrimSpace(c.FormValue("username")), Next: safeNext(c.FormValue("next"))}
	password := c.FormValue("password")
	ip := c.IP()
	if !s.limiter.Allow(ip) {
		s.denials.record(s.now(), store.ActLoginFailure, store.Actor{IP: ip, Username: clip(f.Username, 32)}, clip(f.Username, 32), "请求过于频繁")
		return s.renderLogin(c, fiber.StatusTooManyRequests, f, map[string]string{"": msgTooFast})
	}
	if f.Username == "" || password == "" {
		return s.renderLogin(c, fiber.StatusUnprocessableEntity, f, map[string]string{"": "请输入用户名和密码。"})
	}
	now := s.now()
	user, err := s.st.UserByName(f.Username)
	if errors.Is(err, store.ErrNotFound) {
		// Same work, same answer, same lockout as a real account.
		auth.BurnTime(password)
		until, locked := s.failMem.fail(strings.ToLower(f.Username), now)
		_ = s.st.Log(store.Actor{IP: ip, Username: clip(f.Username, 32)}, store.ActLoginFailure, clip(f.Username, 32), "用户名或密码错误", false)
		if locked {
			return s.renderLogin(c, fiber.StatusUnprocessableEntity, f, map[string]string{"": lockedMsg(until)})
		}
		return s.renderLogin(c, fiber.StatusUnprocessableEntity, f, map[string]string{"": msgBadLogin})
	} else if err != nil {
		return err
	}
	actor := store.Actor{UserID: user.ID, Username: user.Username, OrgID: user.OrgID, IP: ip}
	if user.Locked(now) {
		auth.BurnTime(password)
		_ = s.st.Log(actor, store.ActLoginFailure, user.Username, "账户锁定中", false)
		return s.renderLogin(c, fiber.StatusUnprocessableEntity, f, map[string]string{"": lockedMsg(user.LockedUntil)})
	}
	if !auth.CheckPassword(user.PasswordHash, password) {
		u, locked, err := s.st.LoginFailed(actor, user.ID, "密码错误")
		if err != nil {
			return err
		}
		if locked {
			return s.renderLogin(c, fiber.StatusUnprocessableEntity, f, map[string]string{"": lockedMsg(u.LockedUntil)})
		}
		return s.renderLogin(c, fiber.StatusUnprocessableEntity, f, map[string]string{"": msgBadLogin})
	}
	org, err := s.st.Org(user.OrgID)
	if err != nil {
		return err
	}
	if msg := blockedMsg(user, org); msg != "" {
		_ = s.st.Log(actor, store.ActLoginFailure, user.Username, msg, false)
		return s.renderLogin(c, fiber.StatusUnprocessableEntity, f, map[string]string{"": msg})
	}
	stage := store.StageMFA
	if !user.Enrolled() {
		stage = store.StageSetup // first login: password change and enrolment come first
	}
	if err := s.startSession(c, user, stage, f.Next); err != nil {
		return err
	}
	if stage == store.StageMFA {
		return s.redirect(c, "/login/code")
	}
	return s.redirect(c, "/login/setup")
}

func blockedMsg(u store.User, o store.Org) string {
	switch {
	case o.Offline():
		return msgOrgOffline
	case u.Disabled:
		return msgUserOff
	}
	return ""
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// startSession ends the caller's current session, if any, and starts a new
// one under a new token: a session id never survives a change of privilege.
func (s *Server) startSession(c *fiber.Ctx, u store.User, stage store.Stage, next string) error {
	w := whoOf(c)
	if w.token != "" {
		_ = s.st.DeleteSession(w.token)
	}
	now := s.now()
	created := now
	if w.token != "" && w.sess.UserID == u.ID {
		created = w.sess.Created // the absolute limit counts from the password step
	}
	tok := auth.Token(32)
	sess := store.Session{UserID: u.ID, OrgID: u.OrgID, Stage: stage, CSRF: auth.Token(24), Created: created, LastSeen: now, IP: c.IP()}
	if err := s.st.PutSession(tok, sess); err != nil {
		return err
	}
	s.setCookie(c, cookieSession, tok, 0)
	if next != "" {
		s.setCookie(c, "next", url.QueryEscape(next), 10*time.Minute)
	}
	w.token, w.sess, w.user = tok, sess, u
	return nil
}

// afterLogin is where a completed login goes: the page asked for, or home.
func (s *Server) afterLogin(c *fiber.Ctx) string {
	next, _ := url.QueryUnescape(c.Cookies("next"))
	s.clearCookie(c, "next")
	if n := safeNext(next); n != "" {
		return n
	}
	return "/"
}

func (s *Server) codePage(c *fiber.Ctx) error {
	return s.renderCode(c, fiber.StatusOK, nil)
}

func (s *Server) renderCode(c *fiber.Ctx, status int, errs map[string]string) error {
	var f loginForm
	if s.demo {
		f.Code = auth.Code(store.DemoSecret, s.now())
	}
	return s.render(c, status, tplCode, "身份验证", f, errs)
}

func (s *Server) codeSubmit(c *fiber.Ctx) error {
	w := whoOf(c)
	ip := c.IP()
	if !s.limiter.Allow(ip) {
		return s.renderCode(c, fiber.StatusTooManyRequests, map[string]string{"": msgTooFast})
	}
	code := strings.TrimSpace(c.FormValue("code"))
	user, err := s.st.User(w.sess.UserID)
	if err != nil {
		return err
	}
	actor := store.Actor{UserID: user.ID, Username: user.Username, OrgID: user.OrgID, IP: ip}
	now := s.now()
	if user.Locked(now) {
		_ = s.st.DeleteSession(w.token)
		s.clearCookie(c, cookieSession)
		return s.renderLogin(c, fiber.StatusUnprocessableEntity, loginForm{Username: user.Username}, map[string]string{"": lockedMsg(user.LockedUntil)})
	}
	ok, msg := false, msgBadCode
	if isDigits(code) && len(code) == 6 {
		if step, match := auth.MatchStep(user.TOTPSecret, code, now); match {
			switch err := s.st.UseTOTPStep(user.ID, step); {
			case err == nil:
				ok = true
			case errors.Is(err, store.ErrConflict):
				msg = msgReplay
			default:
				return err
			}
		}
	} else if code != "" {
		_, err := s.st.UseRecoveryCode(actor, user.ID, auth.HashRecovery(code))
		switch {
		case err == nil:
			ok = true
		case errors.Is(err, store.ErrNotFound):
			msg = "验证码或恢复码无效。"
		default:
			return err
		}
	}
	if !ok {
		u, locked, err := s.st.LoginFailed(actor, user.ID, "验证码错误")
		if err != nil {
			return err
		}
		if locked {
			_ = s.st.DeleteSession(w.token)
			s.clearCookie(c, cookieSession)
			return s.renderLogin(c, fiber.StatusUnprocessableEntity, loginForm{Username: user.Username}, map[string]string{"": lockedMsg(u.LockedUntil)})
		}
		return s.renderCode(c, fiber.StatusUnprocessableEntity, map[string]string{"code": msg})
	}
	stage := store.StageFull
	if s.mustChangePassword(user) {
		stage = store.StageSetup
	}
	if err := s.startSession(c, user, stage, ""); err != nil {
		return err
	}
	if stage == store.StageSetup {
		return s.redirect(c, "/login/setup")
	}
	if _, err := s.st.LoginSucceeded(actor, user.ID); err != nil {
		return err
	}
	return s.redirect(c, s.afterLogin(c))
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// mustChangePassword: an initial or reset password, or one older than the
// province's maximum age.
func (s *Server) mustChangePassword(u store.User) bool {
	if u.MustChange {
		return true
	}
	st, err := s.st.Settings()
	if err != nil || st.PasswordMaxAgeDays == 0 {
		return false
	}
	return s.now().Sub(u.PasswordChanged) > time.Duration(st.PasswordMaxAgeDays)*24*time.Hour
}

func (s *Server) logout(c *fiber.Ctx) error {
	w := whoOf(c)
	if w.token != "" {
		_ = s.st.Log(w.actor(c.IP()), store.ActLogout, w.user.Username, "", true)
		_ = s.st.DeleteSession(w.token)
	}
	s.clearCookie(c, cookieSession)
	s.flash(c, "您已安全退出。")
	return s.redirect(c, "/login")
}

// unknownFailures gives unknown usernames the same lockout as real ones, so
// that the answers do not tell which accounts exist.
type unknownFailures struct {
	mu sync.Mutex
	m  map[string]*failState
}

type failState struct {
	count int
	until time.Time
	last  time.Time
}

func newUnknownFailures() *unknownFailures { return &unknownFailures{m: map[string]*failState{}} }

func (u *unknownFailures) fail(name string, now time.Time) (time.Time, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.m) > 50000 {
		for k, v := range u.m {
			if now.Sub(v.last) > time.Hour {
				delete(u.m, k)
			}
		}
	}
	f := u.m[name]
	if f == nil {
		f = &failState{}
		u.m[name] = f
	}
	f.last = now
	if now.Before(f.until) {
		return f.until, true
	}
	f.count++
	if f.count >= store.MaxFailures {
		f.count = 0
		f.until = now.Add(store.LockDuration)
		return f.until, true
	}
	return time.Time{}, false
}
