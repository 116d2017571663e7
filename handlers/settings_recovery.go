package handlers

import (
	"github.com/gofiber/fiber/v2"

	"certreg/auth"
)

// renewRecoveryCodes makes 10 new recovery codes for the caller, who proves
// the password; the codes are shown once on the page the POST redirects to.
func (s *Server) renewRecoveryCodes(c *fiber.Ctx) error {
	w := whoOf(c)
	if !auth.CheckPassword(w.user.PasswordHash, c.FormValue("password")) {
		return s.renderSettings(c, fiber.StatusUnprocessableEntity, "totp", nil,
			map[string]string{"recovery_password": "密码不正确。", "": "请输入正确的登录密码后再生成。"})
	}
	codes, hashes := auth.RecoveryCodes(10)
	if err := s.st.RenewRecoveryCodes(w.actor(c.IP()), hashes); err != nil {
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.renderSettings(c, fiber.StatusUnprocessableEntity, "totp", nil, errs)
	}
	return s.showRecoveryCodes(c, recoveryData{Codes: codes, Next: "/settings?tab=totp", Renewed: true})
}
