package handlers

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"certreg/auth"
	"certreg/store"
)

const userPageSize = 20

type userListData struct {
	Rows   []store.UserRow
	Orgs   []store.Org
	Filter userQuery
	Pager  pager
}

type userQuery struct {
	Org, Q, Disabled string
}

// users lists the users of the caller's organisation and its subordinates.
func (s *Server) users(c *fiber.Ctx) error {
	w := whoOf(c)
	q := userQuery{Org: c.Query("org"), Q: c.Query("q"), Disabled: c.Query("disabled")}
	page := pageParam(c)
	rows, total, err := s.st.Users(w.org, store.UserFilter{OrgID: parseUint(q.Org), Q: q.Q, Disabled: q.Disabled,
		Offset: (page - 1) * userPageSize, Limit: userPageSize})
	if err != nil {
		return err
	}
	orgs, err := s.userOrgs(w)
	if err != nil {
		return err
	}
	d := userListData{Rows: rows, Orgs: orgs, Filter: q,
		Pager: newPager("/admin/users", url.Values{"org": {q.Org}, "q": {q.Q}, "disabled": {q.Disabled}}, page, userPageSize, total)}
	if isHTMX(c) && c.Get("HX-Target") == "user-table" {
		return s.fragment(c, fiber.StatusOK, tplUserRows, d)
	}
	return s.render(c, fiber.StatusOK, tplUsers, "用户与权限", d, nil)
}

// userOrgs is the caller's organisation and every one below it.
func (s *Server) userOrgs(w *who) ([]store.Org, error) {
	sub, _, err := s.st.Orgs(w.org, store.OrgFilter{All: true})
	return append([]store.Org{w.org}, sub...), err
}

type capChoice struct {
	Cap     store.Cap
	Label   string
	Checked bool
	Granted bool // the caller may change it
}

type userFormData struct {
	Form    map[string]string
	Orgs    []store.Org
	Caps    []capChoice
	Org     store.Org
	User    store.User
	IsSelf  bool
	Locked  bool
	CanAdm  bool
	OrgType store.OrgType
	Rev     uint64 // the form's revision and values (stale.go)
	Base    string
}

// userFields are the values of a user as the administrators' form shows them.
func userFields(u store.User) []field {
	admin := "否"
	if u.IsAdmin {
		admin = "是"
	}
	var labels []string
	for _, c := range u.Caps {
		labels = append(labels, store.CapLabel(c))
	}
	return []field{{"姓名", u.Name}, {"手机号码", u.Phone}, {"机构管理员", admin}, {"权限", strings.Join(labels, "、")}}
}

// capChoices lists the capabilities of an organisation type with what is
// checked and what the caller may change.
func capChoices(t store.OrgType, have []store.Cap, grantable []store.Cap) []capChoice {
	var out []capChoice
	for _, ci := range store.AllCaps {
		if !t.Allows(ci.Cap) {
			continue
		}
		cc := capChoice{Cap: ci.Cap, Label: ci.Label}
		for _, h := range have {
			cc.Checked = cc.Checked || h == ci.Cap
		}
		for _, g := range grantable {
			cc.Granted = cc.Granted || g == ci.Cap
		}
		out = append(out, cc)
	}
	return out
}

func capsFromForm(c *fiber.Ctx) []store.Cap {
	var caps []store.Cap
	for _, v := range formValues(c, "cap") {
		caps = append(caps, store.Cap(v))
	}
	return caps
}

func (s *Server) newUserPage(c *fiber.Ctx) error {
	w := whoOf(c)
	orgID := parseUint(c.Query("org"))
	if orgID == 0 {
		orgID = w.org.ID
	}
	return s.userForm(c, fiber.StatusOK, orgID, map[string]string{"org": itoa(orgID)}, nil, nil)
}

func (s *Server) userForm(c *fiber.Ctx, status int, orgID uint64, form map[string]string, caps []store.Cap, errs map[string]string) error {
	w := whoOf(c)
	org, err := s.st.OrgInScope(w.org, orgID)
	if err != nil {
		return err
	}
	grantable, err := s.st.Grantable(w.actor(c.IP()), org.ID)
	if err != nil {
		return err
	}
	orgs, err := s.userOrgs(w)
	if err != nil {
		return err
	}
	d := userFormData{Form: form, Orgs: orgs, Org: org, Caps: capChoices(org.Type, caps, grantable), OrgType: org.Type,
		CanAdm: w.user.IsAdmin || org.ID != w.org.ID}
	return s.render(c, status, tplUserNew, "新建用户", d, errs)
}

func (s *Server) createUser(c *fiber.Ctx) error {
	w := whoOf(c)
	f := formMap(c, "org", "username", "name", "phone", "is_admin")
	orgID := parseUint(f["org"])
	caps := capsFromForm(c)
	pw := auth.RandomPassword()
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	u, err := s.st.CreateUser(w.actor(c.IP()), store.NewUser{OrgID: orgID, Username: f["username"], Name: f["name"], Phone: f["phone"],
		IsAdmin: f["is_admin"] == "1", Caps: caps, PasswordHash: hash})
	if err != nil {
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.userForm(c, fiber.StatusUnprocessableEntity, orgID, f, caps, errs)
	}
	org, err := s.st.Org(u.OrgID)
	if err != nil {
		return err
	}
	return s.showCredential(c, credentialData{Heading: "用户已创建", Org: org, User: u, Password: pw,
		Back: "/admin/users/" + itoa(u.ID)})
}

func (s *Server) userDetail(c *fiber.Ctx) error {
	return s.renderUser(c, fiber.StatusOK, nil, nil, nil)
}

func (s *Server) renderUser(c *fiber.Ctx, status int, form map[string]string, caps []store.Cap, errs map[string]string) error {
	w := whoOf(c)
	id, err := idParam(c)
	if err != nil {
		return err
	}
	u, org, grantable, err := s.st.ManagedUser(w.actor(c.IP()), id)
	if err != nil {
		return err
	}
	if caps == nil {
		caps = u.Caps
	}
	if form == nil {
		form = map[string]string{"name": u.Name, "phone": u.Phone}
		if u.IsAdmin {
			form["is_admin"] = "1"
		}
	}
	d := userFormData{Form: form, Org: org, User: u, Caps: capChoices(org.Type, caps, grantable), IsSelf: u.ID == w.user.ID,
		CanAdm: w.user.IsAdmin && u.ID != w.user.ID, OrgType: org.Type, Locked: u.Locked(s.now())}
	d.Rev, d.Base = revBase(form, u.Rev, userFields(u))
	return s.render(c, status, tplUser, u.Name, d, errs)
}

func (s *Server) updateUser(c *fiber.Ctx) error {
	w := whoOf(c)
	id, err := idParam(c)
	if err != nil {
		return err
	}
	f := formMap(c, "name", "phone", "is_admin", "rev", "base")
	caps := capsFromForm(c)
	if _, err := s.st.UpdateUser(w.actor(c.IP()), id, store.UserEdit{Name: f["name"], Phone: f["phone"], IsAdmin: f["is_admin"] == "1", Caps: caps,
		Rev: parseUint(f["rev"])}); err != nil {
		if cur, _, _, cerr := s.st.ManagedUser(w.actor(c.IP()), id); cerr == nil {
			if _, ok := staleOf(c, err, userFields(cur)); ok {
				delete(f, "rev")
				return s.renderUser(c, fiber.StatusUnprocessableEntity, f, caps, nil)
			}
		}
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.renderUser(c, fiber.StatusUnprocessableEntity, f, caps, errs)
	}
	s.flash(c, "用户与权限已保存。")
	return s.redirect(c, "/admin/users/"+itoa(id))
}

// userAction runs one of the account actions (reset password, unbind, enable
// or disable) and redirects to the user page (a reset to the one-time page
// of the new password).
func (s *Server) userAction(c *fiber.Ctx) error {
	w := whoOf(c)
	id, err := idParam(c)
	if err != nil {
		return err
	}
	a := w.actor(c.IP())
	var msg string
	switch c.Params("action") {
	case "reset-password":
		pw := auth.RandomPassword()
		hash, err := auth.HashPassword(pw)
		if err != nil {
			return err
		}
		u, err := s.st.ResetPassword(a, id, hash)
		if err != nil {
			return s.userActionError(c, err)
		}
		org, err := s.st.Org(u.OrgID)
		if err != nil {
			return err
		}
		return s.showCredential(c, credentialData{Heading: "密码已重置", Org: org, User: u, Password: pw,
			Back: "/admin/users/" + itoa(u.ID)})
	case "unbind-totp":
		if _, err := s.st.UnbindTOTP(a, id); err != nil {
			return s.userActionError(c, err)
		}
		msg = "已解绑身份验证器，该用户下次登录时需重新绑定。"
	case "disable":
		if _, err := s.st.SetUserDisabled(a, id, true); err != nil {
			return s.userActionError(c, err)
		}
		msg = "用户已停用，其登录已全部退出。"
	case "enable":
		if _, err := s.st.SetUserDisabled(a, id, false); err != nil {
			return s.userActionError(c, err)
		}
		msg = "用户已启用。"
	default:
		return fiber.ErrNotFound
	}
	s.flash(c, msg)
	return s.redirect(c, "/admin/users/"+itoa(id))
}

func (s *Server) userActionError(c *fiber.Ctx, err error) error {
	errs, err := inputErrors(err)
	if err != nil {
		return err
	}
	return s.renderUser(c, fiber.StatusUnprocessableEntity, nil, nil, errs)
}
