package handlers

import (
	"github.com/gofiber/fiber/v2"

	"certreg/auth"
	"certreg/store"
)

const issuer = "合格证登记系统"

// setupData drives the forced first-login steps: a password change (initial,
// reset or expired password) and then binding an authenticator.
type setupData struct {
	Step      string // "password" or "totp"
	Expired   bool
	Username  string
	Enrolment auth.Enrolment
}

func (s *Server) setupPage(c *fiber.Ctx) error {
	return s.renderSetup(c, fiber.StatusOK, nil)
}

func (s *Server) renderSetup(c *fiber.Ctx, status int, errs map[string]string) error {
	w := whoOf(c)
	user, err := s.st.User(w.sess.UserID)
	if err != nil {
		return err
	}
	d := setupData{Username: user.Username}
	switch {
	case s.mustChangePassword(user):
		d.Step = "password"
		d.Expired = !user.MustChange
	case !user.Enrolled():
		d.Step = "totp"
		if w.sess.PendingSecret == "" {
			en, err := auth.NewEnrolment(issuer, user.Username)
			if err != nil {
				return err
			}
			w.sess.PendingSecret = en.Secret
			if err := s.st.PutSession(w.token, w.sess); err != nil {
				return err
			}
		}
		if d.Enrolment, err = auth.EnrolmentFor(issuer, user.Username, w.sess.PendingSecret); err != nil {
			return err
		}
	default:
		// Nothing left to set up: the login is complete.
		if err := s.completeLogin(c, user); err != nil {
			return err
		}
		return s.redirect(c, s.afterLogin(c))
	}
	return s.render(c, status, tplSetup, "首次登录设置", d, errs)
}

func (s *Server) completeLogin(c *fiber.Ctx, user store.User) error {
	if err := s.startSession(c, user, store.StageFull, ""); err != nil {
		return err
	}
	_, err := s.st.LoginSucceeded(store.Actor{UserID: user.ID, Username: user.Username, OrgID: user.OrgID, IP: c.IP()}, user.ID)
	return err
}

// passwordChange validates the three fields of a password change and returns
// field errors in Chinese, or the new hash.
func passwordChange(user store.User, old, nw, confirm string) (string, map[string]string, error) {
	errs := map[string]string{}
	if !auth.CheckPassword(user.PasswordHash, old) {
		errs["old_password"] = "原密码不正确。"
	}
	if err := auth.CheckPolicy(nw, user.Username); err != nil {
		errs["new_password"] = err.Error()
	} else if nw == old {
		errs["new_password"] = "新密码不能与原密码相同。"
	}
	if nw != confirm {
		errs["confirm"] = "两次输入的新密码不一致。"
	}
	if len(errs) > 0 {
		return "", errs, nil
	}
	hash, err := auth.HashPassword(nw)
	return hash, nil, err
}

func (s *Server) setupPassword(c *fiber.Ctx) error {
	w := whoOf(c)
	user, err := s.st.User(w.sess.UserID)
	if err != nil {
		return err
	}
	if !s.mustChangePassword(user) {
		return s.redirect(c, "/login/setup")
	}
	hash, errs, err := passwordChange(user, c.FormValue("old_password"), c.FormValue("new_password"), c.FormValue("confirm"))
	if err != nil {
		return err
	}
	if errs != nil {
		return s.renderSetup(c, fiber.StatusUnprocessableEntity, errs)
	}
	if err := s.st.SetPassword(store.Actor{UserID: user.ID, Username: user.Username, OrgID: user.OrgID, IP: c.IP()},
		user.ID, hash, store.SessionKey(w.token)); err != nil {
		return err
	}
	s.flash(c, "密码已修改。")
	return s.redirect(c, "/login/setup")
}

func (s *Server) setupTOTP(c *fiber.Ctx) error {
	w := whoOf(c)
	user, err := s.st.User(w.sess.UserID)
	if err != nil {
		return err
	}
	if user.Enrolled() || w.sess.PendingSecret == "" || s.mustChangePassword(user) {
		return s.redirect(c, "/login/setup")
	}
	step, ok := auth.MatchStep(w.sess.PendingSecret, c.FormValue("code"), s.now())
	if !ok {
		return s.renderSetup(c, fiber.StatusUnprocessableEntity, map[string]string{"code": "验证码不正确，请核对手机时间后输入身份验证器上当前显示的 6 位数字。"})
	}
	codes, hashes := auth.RecoveryCodes(10)
	actor := store.Actor{UserID: user.ID, Username: user.Username, OrgID: user.OrgID, IP: c.IP()}
	if err := s.st.EnrolTOTP(actor, user.ID, w.sess.PendingSecret, step, hashes, store.SessionKey(w.token)); err != nil {
		return err
	}
	user.TOTPSecret = w.sess.PendingSecret
	if err := s.completeLogin(c, user); err != nil {
		return err
	}
	return s.showRecoveryCodes(c, recoveryData{Codes: codes, Next: s.afterLogin(c)})
}
