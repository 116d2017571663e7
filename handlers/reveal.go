package handlers

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// A secret shown once after a successful POST (an initial password, new
// recovery codes) follows post/redirect/get: the POST keeps it for the
// caller's session and redirects, the GET that follows shows it and forgets
// it, so reloading the page never posts again nor shows it twice. Kept in
// memory only, for a few minutes, and never written to disk or the log.

// revealTTL is how long a secret waits for its page.
const revealTTL = 10 * time.Minute

// Kinds of secret.
const (
	revealCredential = "credential" // credentialData
	revealRecovery   = "recovery"   // recoveryData
)

type revealStore struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[[32]byte]revealed
}

type revealed struct {
	data    any
	expires time.Time
}

func newRevealStore(now func() time.Time) *revealStore {
	return &revealStore{now: now, m: map[[32]byte]revealed{}}
}

func revealKey(token, kind string) [32]byte { return sha256.Sum256([]byte(kind + "\x00" + token)) }

// put keeps data for the session token, replacing an earlier one of the
// same kind.
func (r *revealStore) put(token, kind string, data any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for k, v := range r.m {
		if now.After(v.expires) {
			delete(r.m, k)
		}
	}
	r.m[revealKey(token, kind)] = revealed{data: data, expires: now.Add(revealTTL)}
}

// take returns and forgets the session's secret of that kind.
func (r *revealStore) take(token, kind string) (any, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := revealKey(token, kind)
	v, ok := r.m[k]
	delete(r.m, k)
	if !ok || r.now().After(v.expires) {
		return nil, false
	}
	return v.data, true
}

// showCredential keeps an initial password for its one-time page and
// redirects there.
func (s *Server) showCredential(c *fiber.Ctx, d credentialData) error {
	s.reveals.put(whoOf(c).token, revealCredential, d)
	return s.redirect(c, "/admin/credential")
}

// credential is the one-time page of an initial password.
func (s *Server) credential(c *fiber.Ctx) error {
	return s.oneTimePage(c, revealCredential, "初始密码只显示一次，已经显示过或已过期；如未记下，请为该用户重置密码。", "/admin/users",
		func(v any) error {
			d, _ := v.(credentialData)
			return s.render(c, fiber.StatusOK, tplCredential, d.Heading, d, nil)
		})
}

// oneTimePage shows what was kept for a one-time page, never cached; when it
// was shown already or has expired, the user is sent back with the message.
func (s *Server) oneTimePage(c *fiber.Ctx, kind, gone, back string, show func(v any) error) error {
	v, ok := s.reveals.take(whoOf(c).token, kind)
	if !ok {
		s.flash(c, gone)
		return s.redirect(c, back)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return show(v)
}

// recoveryData is the one-time page of new recovery codes.
type recoveryData struct {
	Codes   []string
	Next    string
	Renewed bool // made in 设置, not at enrolment
}

// showRecoveryCodes keeps new recovery codes for their one-time page and
// redirects there.
func (s *Server) showRecoveryCodes(c *fiber.Ctx, d recoveryData) error {
	s.reveals.put(whoOf(c).token, revealRecovery, d)
	return s.redirect(c, "/settings/recovery-codes")
}

// recoveryCodes is the one-time page of new recovery codes.
func (s *Server) recoveryCodes(c *fiber.Ctx) error {
	return s.oneTimePage(c, revealRecovery, "恢复码只显示一次，已经显示过或已过期；如未记下，请重新生成。", "/settings?tab=totp",
		func(v any) error {
			d, _ := v.(recoveryData)
			return s.render(c, fiber.StatusOK, tplRecoveryCodes, "保存恢复码", d, nil)
		})
}
