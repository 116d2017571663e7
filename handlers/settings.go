package handlers

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"certreg/auth"
	"certreg/data"
	"certreg/store"
)

type settingsData struct {
	Tab    string
	User   store.User
	Org    store.Org
	Parent *store.Org
	System store.Settings
	// PublicURLFlag is the -public-url the server was started with, which
	// overrides the setting.
	PublicURLFlag string
	LogArchive    string
	// The organisation form's revision and values (stale.go).
	OrgRev      uint64
	OrgBase     string
	IsAdmin     bool
	Province    bool
	Form        map[string]string
	ScopeRows   []scopeRow
	Levels      []data.Level
	RecoveryLow bool // few recovery codes left
	// The last backup and the last scheduled one (系统设置).
	LastBackup, LastScheduled store.BackupStatus
	BackupKeepDefault         int
	// The system tab's certificate signing and operation-log chain
	// (signing.go).
	Integrity *integrityView
}

func (s *Server) settings(c *fiber.Ctx) error {
	return s.renderSettings(c, fiber.StatusOK, c.Query("tab", "profile"), nil, nil)
}

func (s *Server) renderSettings(c *fiber.Ctx, status int, tab string, form map[string]string, errs map[string]string) error {
	w := whoOf(c)
	switch tab {
	case "profile", "password", "totp", "org", "system", "scope":
	default:
		tab = "profile"
	}
	st, err := s.st.Settings()
	if err != nil {
		return err
	}
	d := settingsData{Tab: tab, User: w.user, Org: w.org, System: st, IsAdmin: w.user.IsAdmin,
		Province: w.org.Type == store.Province, Form: form, PublicURLFlag: s.certs.publicURL, LogArchive: s.st.LogArchiveDir(),
		RecoveryLow: len(w.user.RecoveryHashes) < store.LowRecoveryCodes}
	d.OrgRev, d.OrgBase = revBase(form, w.org.Rev, orgFields(w.org))
	if w.org.ParentID != 0 {
		if p, err := s.st.Org(w.org.ParentID); err == nil {
			d.Parent = &p
		}
	}
	if tab == "system" && !d.Province {
		d.Tab = "profile"
	}
	if d.Tab == "system" {
		if d.LastBackup, d.LastScheduled, err = s.st.LastBackup(); err != nil {
			return err
		}
		d.BackupKeepDefault = store.DefaultBackupKeep
		if d.Integrity, err = s.integrityView(); err != nil {
			return err
		}
	}
	if d.Tab == "scope" {
		if d.Province {
			d.Tab = "profile"
		} else {
			occs, err := s.st.Occupations()
			if err != nil {
				return err
			}
			d.ScopeRows = scopeRows(occs, w.org.Scope, w.org.Scope)
			d.Levels = data.Levels()
		}
	}
	return s.render(c, status, tplSettings, "设置", d, errs)
}

func (s *Server) saveProfile(c *fiber.Ctx) error {
	w := whoOf(c)
	in := store.ProfileInput{Name: c.FormValue("name"), Phone: c.FormValue("phone")}
	if _, err := s.st.UpdateProfile(w.actor(c.IP()), in); err != nil {
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.renderSettings(c, fiber.StatusUnprocessableEntity, "profile", map[string]string{"name": in.Name, "phone": in.Phone}, errs)
	}
	s.flash(c, "个人资料已保存。")
	return s.redirect(c, "/settings?tab=profile")
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	w := whoOf(c)
	hash, errs, err := passwordChange(w.user, c.FormValue("old_password"), c.FormValue("new_password"), c.FormValue("confirm"))
	if err != nil {
		return err
	}
	if errs != nil {
		return s.renderSettings(c, fiber.StatusUnprocessableEntity, "password", nil, errs)
	}
	// Other sessions of the user end; this one continues under a new id.
	if err := s.st.SetPassword(w.actor(c.IP()), w.user.ID, hash, store.SessionKey(w.token)); err != nil {
		return err
	}
	if err := s.startSession(c, w.user, store.StageFull, ""); err != nil {
		return err
	}
	s.flash(c, "密码已修改，您在其他设备上的登录已退出。")
	return s.redirect(c, "/settings?tab=password")
}

type rebindData struct {
	Enrolment auth.Enrolment
}

// rebindPage shows a new secret to bind; it is kept in the session until the
// user proves both the current and the new authenticator.
func (s *Server) rebindPage(c *fiber.Ctx) error {
	return s.renderRebind(c, fiber.StatusOK, nil)
}

func (s *Server) renderRebind(c *fiber.Ctx, status int, errs map[string]string) error {
	w := whoOf(c)
	if w.sess.PendingSecret == "" {
		en, err := auth.NewEnrolment(issuer, w.user.Username)
		if err != nil {
			return err
		}
		w.sess.PendingSecret = en.Secret
		if err := s.st.PutSession(w.token, w.sess); err != nil {
			return err
		}
	}
	en, err := auth.EnrolmentFor(issuer, w.user.Username, w.sess.PendingSecret)
	if err != nil {
		return err
	}
	return s.render(c, status, tplRebind, "重新绑定身份验证器", rebindData{Enrolment: en}, errs)
}

func (s *Server) rebindTOTP(c *fiber.Ctx) error {
	w := whoOf(c)
	now := s.now()
	errs := map[string]string{}
	curStep, ok := auth.MatchStep(w.user.TOTPSecret, c.FormValue("current_code"), now)
	if !ok {
		errs["current_code"] = "当前身份验证器的验证码不正确。"
	}
	newStep, ok2 := auth.MatchStep(w.sess.PendingSecret, c.FormValue("new_code"), now)
	if !ok2 {
		errs["new_code"] = "新身份验证器的验证码不正确。"
	}
	if len(errs) > 0 {
		return s.renderRebind(c, fiber.StatusUnprocessableEntity, errs)
	}
	if err := s.st.UseTOTPStep(w.user.ID, curStep); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return s.renderRebind(c, fiber.StatusUnprocessableEntity, map[string]string{"current_code": msgReplay})
		}
		return err
	}
	codes, hashes := auth.RecoveryCodes(10)
	if err := s.st.EnrolTOTP(w.actor(c.IP()), w.user.ID, w.sess.PendingSecret, newStep, hashes, store.SessionKey(w.token)); err != nil {
		return err
	}
	w.sess.PendingSecret = ""
	if err := s.startSession(c, w.user, store.StageFull, ""); err != nil {
		return err
	}
	return s.showRecoveryCodes(c, recoveryData{Codes: codes, Next: "/settings?tab=totp"})
}

func (s *Server) saveOrg(c *fiber.Ctx) error {
	w := whoOf(c)
	if !w.user.IsAdmin {
		return s.deny(c)
	}
	in := store.OrgUpdate{Contact: c.FormValue("contact"), Phone: c.FormValue("phone"), Address: c.FormValue("address"), Rev: formRev(c)}
	form := map[string]string{"contact": in.Contact, "phone": in.Phone, "address": in.Address, "rev": c.FormValue("rev"), "base": c.FormValue("base")}
	if _, err := s.st.UpdateOrgContact(w.actor(c.IP()), in); err != nil {
		if cur, cerr := s.st.Org(w.org.ID); cerr == nil {
			if _, ok := staleOf(c, err, orgFields(cur)); ok {
				delete(form, "rev")
				return s.renderSettings(c, fiber.StatusUnprocessableEntity, "org", form, nil)
			}
		}
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.renderSettings(c, fiber.StatusUnprocessableEntity, "org", form, errs)
	}
	s.flash(c, "机构资料已保存。")
	return s.redirect(c, "/settings?tab=org")
}

func (s *Server) saveSystem(c *fiber.Ctx) error {
	w := whoOf(c)
	if !w.user.IsAdmin {
		return s.deny(c)
	}
	form := map[string]string{"password_max_age_days": c.FormValue("password_max_age_days"),
		"log_retention_months": c.FormValue("log_retention_months", "0"), "public_url": c.FormValue("public_url")}
	errs := map[string]string{}
	days, err := strconv.Atoi(strings.TrimSpace(form["password_max_age_days"]))
	if err != nil {
		errs["password_max_age_days"] = "请输入整数天数（0 表示不限）。"
	}
	months, err := strconv.Atoi(strings.TrimSpace(form["log_retention_months"]))
	if err != nil {
		errs["log_retention_months"] = "请输入整数月数（0 表示永久保留）。"
	}
	if len(errs) > 0 {
		return s.renderSettings(c, fiber.StatusUnprocessableEntity, "system", form, errs)
	}
	if err := s.st.SaveSettings(w.actor(c.IP()), store.Settings{PasswordMaxAgeDays: days, LogRetentionMonths: months,
		PublicURL: form["public_url"]}); err != nil {
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.renderSettings(c, fiber.StatusUnprocessableEntity, "system", form, errs)
	}
	s.flash(c, "系统设置已保存。")
	return s.redirect(c, "/settings?tab=system")
}
