package handlers

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// Certificate signing keys and the operation log's hash chain in 系统设置
// (docs/integrity.md): the province's administrator sees the key in use,
// where its key-encryption key comes from, every key ever published, the
// head of the log and its daily anchors, and rotates the key.

// integrityView is what the system tab shows of signing and the chain.
type integrityView struct {
	Signing   store.SigningStatus
	Keys      []store.SigningKey
	KEKSource string
	Head      store.ChainHead
	Anchors   []store.ChainAnchor
}

func (s *Server) integrityView() (*integrityView, error) {
	v := &integrityView{KEKSource: s.st.KEKSource()}
	var err error
	if v.Signing, err = s.st.SigningStatus(); err != nil {
		return nil, err
	}
	if v.Keys, err = s.st.PublicKeys(); err != nil {
		return nil, err
	}
	if v.Head, err = s.st.ChainHead(); err != nil {
		return nil, err
	}
	if v.Anchors, err = s.st.ChainAnchors(7); err != nil {
		return nil, err
	}
	return v, nil
}

// rotateSigningKey replaces the signing key in use (province administrator,
// with a reason); the old one stays published.
func (s *Server) rotateSigningKey(c *fiber.Ctx) error {
	w := whoOf(c)
	if !w.user.IsAdmin {
		return s.deny(c)
	}
	k, err := s.st.RotateSigningKey(w.actor(c.IP()), c.FormValue("reason"))
	if errors.Is(err, store.ErrForbidden) {
		return s.deny(c)
	}
	var ve *store.ValidationError
	if errors.As(err, &ve) {
		st, err := s.st.Settings()
		if err != nil {
			return err
		}
		// The tab's other form shows the saved settings.
		form := map[string]string{"password_max_age_days": strconv.Itoa(st.PasswordMaxAgeDays), "log_retention_months": strconv.Itoa(st.LogRetentionMonths),
			"public_url": st.PublicURL, "rotate_reason": c.FormValue("reason")}
		return s.renderSettings(c, fiber.StatusUnprocessableEntity, "system", form,
			map[string]string{"rotate_reason": ve.Message, "": "证书签名密钥未轮换：" + ve.Message})
	}
	if err != nil {
		return err
	}
	s.flash(c, "证书签名密钥已轮换，新密钥 "+k.ID+" 即日起用于打印的证书；旧密钥继续公布，已打印的证书仍可核验。")
	return s.redirect(c, "/settings?tab=system#signing")
}
