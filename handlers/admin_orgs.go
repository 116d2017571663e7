package handlers

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"certreg/auth"
	"certreg/data"
	"certreg/store"
)

const orgPageSize = 20

type orgListData struct {
	View    string
	Orgs    []store.Org
	Tree    store.OrgNode
	Filter  orgQuery
	Pager   pager
	Cities  []data.City
	Types   []store.OrgType
	Parents map[uint64]string
	CanAdd  bool
}

type orgQuery struct {
	Q, Type, Region, Status string
}

// orgs lists the caller's subordinate organisations with filters, or shows
// them as a tree.
func (s *Server) orgs(c *fiber.Ctx) error {
	w := whoOf(c)
	q := orgQuery{Q: c.Query("q"), Type: c.Query("type"), Region: c.Query("region"), Status: c.Query("status")}
	d := orgListData{View: c.Query("view", "list"), Filter: q, Cities: s.cities(), Parents: map[uint64]string{}, CanAdd: true}
	if w.org.Type == store.Province {
		d.Types = []store.OrgType{store.Dept, store.Unit, store.Direct}
	}
	if d.View == "tree" {
		tree, err := s.st.OrgTree(w.org)
		if err != nil {
			return err
		}
		d.Tree = tree
		return s.render(c, fiber.StatusOK, tplOrgs, "机构管理", d, nil)
	}
	d.View = "list"
	page := pageParam(c)
	list, total, err := s.st.Orgs(w.org, store.OrgFilter{Q: q.Q, Type: store.OrgType(q.Type), Region: q.Region,
		Status: store.OrgStatus(q.Status), Offset: (page - 1) * orgPageSize, Limit: orgPageSize})
	if err != nil {
		return err
	}
	d.Orgs = list
	for _, o := range list {
		if _, ok := d.Parents[o.ParentID]; !ok {
			if p, err := s.st.Org(o.ParentID); err == nil {
				d.Parents[o.ParentID] = p.Name
			}
		}
	}
	d.Pager = newPager("/admin/orgs", url.Values{"q": {q.Q}, "type": {q.Type}, "region": {q.Region}, "status": {q.Status}}, page, orgPageSize, total)
	if isHTMX(c) && c.Get("HX-Target") == "org-table" {
		return s.fragment(c, fiber.StatusOK, tplOrgRows, d)
	}
	return s.render(c, fiber.StatusOK, tplOrgs, "机构管理", d, nil)
}

// cities of the province, for region choices.
func (s *Server) cities() []data.City {
	p, err := s.st.ProvinceOrg()
	if err != nil {
		return nil
	}
	return data.Cities(p.Region[:2])
}

// regionChoices are the cities the caller may place a unit in: every city
// for the province, its own (and the unit's present one) for a 主管部门.
func (s *Server) regionChoices(w *who, current string) []data.City {
	all := s.cities()
	if w.org.Type != store.Dept {
		return all
	}
	var out []data.City
	for _, c := range all {
		if c.Code == w.org.Region || c.Code == current {
			out = append(out, c)
		}
	}
	return out
}

type orgFormData struct {
	Form     map[string]string
	Types    []store.OrgType
	Depts    []store.Org
	Cities   []data.City
	Province store.Org
}

func (s *Server) orgForm(c *fiber.Ctx, status int, form map[string]string, errs map[string]string) error {
	w := whoOf(c)
	depts, err := s.st.DeptsOf(w.org)
	if err != nil {
		return err
	}
	prov, err := s.st.ProvinceOrg()
	if err != nil {
		return err
	}
	d := orgFormData{Form: form, Depts: depts, Cities: s.regionChoices(w, ""), Province: prov}
	if w.org.Type == store.Province {
		d.Types = []store.OrgType{store.Dept, store.Unit, store.Direct}
	} else {
		d.Types = []store.OrgType{store.Unit}
	}
	if d.Form == nil {
		d.Form = map[string]string{"type": string(d.Types[0])}
		if w.org.Type == store.Dept {
			d.Form["region"] = w.org.Region
		}
	}
	return s.render(c, status, tplOrgNew, "新建机构", d, errs)
}

func (s *Server) newOrgPage(c *fiber.Ctx) error { return s.orgForm(c, fiber.StatusOK, nil, nil) }

func formMap(c *fiber.Ctx, names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = strings.TrimSpace(c.FormValue(n))
	}
	return m
}

// credentialData is shown once after an account gets an initial password.
type credentialData struct {
	Heading  string
	Org      store.Org
	User     store.User
	Password string
	Back     string
}

func (s *Server) createOrg(c *fiber.Ctx) error {
	w := whoOf(c)
	f := formMap(c, "type", "name", "parent", "region", "contact", "phone", "address", "admin_username", "admin_name", "admin_phone")
	in := store.OrgInput{Name: f["name"], Type: store.OrgType(f["type"]), Region: f["region"], Contact: f["contact"], Phone: f["phone"], Address: f["address"]}
	if in.Type == store.Direct {
		if p, err := s.st.ProvinceOrg(); err == nil {
			in.Region = p.Region
		}
	}
	if in.Type == store.Unit {
		in.ParentID = parseUint(f["parent"])
		if w.org.Type == store.Dept {
			in.ParentID = w.org.ID
		}
	}
	pw := auth.RandomPassword()
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	org, admin, err := s.st.CreateOrg(w.actor(c.IP()), in, store.NewOrgAdmin{Username: f["admin_username"], Name: f["admin_name"], Phone: f["admin_phone"], PasswordHash: hash})
	if err != nil {
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.orgForm(c, fiber.StatusUnprocessableEntity, f, errs)
	}
	return s.showCredential(c, credentialData{Heading: "机构已创建", Org: org, User: admin, Password: pw,
		Back: "/admin/orgs/" + itoa(org.ID) + "/scope"})
}

type orgDetailData struct {
	Org       store.Org
	Parent    store.Org
	Users     []store.User
	Children  []store.Org
	Scope     []scopeRow
	ScopeSize int
	Cities    []data.City
	Form      map[string]string
	CanUsers  bool
	// Queued: batches waiting for this dept's review (said when taking it
	// offline); OnlineUnits: its units still online.
	Queued      uint64
	OnlineUnits int
	Rev         uint64 // the profile form's revision and values (stale.go)
	Base        string
}

// orgDetail shows one subordinate organisation: profile, users, scope and
// the actions on it.
func (s *Server) orgDetail(c *fiber.Ctx) error {
	return s.renderOrgDetail(c, fiber.StatusOK, nil, nil)
}

func (s *Server) managedOrg(c *fiber.Ctx) (store.Org, error) {
	id, err := idParam(c)
	if err != nil {
		return store.Org{}, err
	}
	w := whoOf(c)
	o, err := s.st.OrgInScope(w.org, id)
	if err != nil {
		return store.Org{}, err
	}
	if o.ID == w.org.ID {
		return store.Org{}, fiber.ErrNotFound // one's own organisation is edited in 设置
	}
	return o, nil
}

// managedOrgAndParent is managedOrg with the organisation above it.
func (s *Server) managedOrgAndParent(c *fiber.Ctx) (o, parent store.Org, err error) {
	if o, err = s.managedOrg(c); err != nil {
		return o, parent, err
	}
	parent, err = s.st.Org(o.ParentID)
	return o, parent, err
}

func (s *Server) renderOrgDetail(c *fiber.Ctx, status int, form map[string]string, errs map[string]string) error {
	w := whoOf(c)
	o, parent, err := s.managedOrgAndParent(c)
	if err != nil {
		return err
	}
	users, err := s.st.OrgUsers(o.ID)
	if err != nil {
		return err
	}
	kids, err := s.st.Children(o.ID)
	if err != nil {
		return err
	}
	occs, err := s.st.Occupations()
	if err != nil {
		return err
	}
	d := orgDetailData{Org: o, Parent: parent, Users: users, Children: kids, Scope: scopeRows(occs, o.Scope, o.Scope),
		ScopeSize: o.Scope.Size(), Cities: s.regionChoices(w, o.Region), Form: form, CanUsers: w.can(store.CapUserManage)}
	d.Rev, d.Base = revBase(form, o.Rev, orgFields(o))
	if o.Type == store.Dept {
		if d.Queued, err = s.st.QueuedBatches(o.ID); err != nil {
			return err
		}
		for _, k := range kids {
			if !k.Offline() {
				d.OnlineUnits++
			}
		}
	}
	return s.render(c, status, tplOrg, o.Name, d, errs)
}

func (s *Server) updateOrg(c *fiber.Ctx) error {
	w := whoOf(c)
	o, err := s.managedOrg(c)
	if err != nil {
		return err
	}
	f := formMap(c, "name", "region", "contact", "phone", "address", "rev", "base")
	if o.Type == store.Direct {
		f["region"] = o.Region
	}
	if _, err := s.st.UpdateOrg(w.actor(c.IP()), o.ID, store.OrgEdit{Name: f["name"], Region: f["region"], Contact: f["contact"], Phone: f["phone"],
		Address: f["address"], Rev: parseUint(f["rev"])}); err != nil {
		if cur, cerr := s.st.Org(o.ID); cerr == nil {
			if _, ok := staleOf(c, err, orgFields(cur)); ok {
				delete(f, "rev")
				return s.renderOrgDetail(c, fiber.StatusUnprocessableEntity, f, nil)
			}
		}
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.renderOrgDetail(c, fiber.StatusUnprocessableEntity, f, errs)
	}
	s.flash(c, "机构资料已保存。")
	return s.redirect(c, "/admin/orgs/"+itoa(o.ID))
}

func (s *Server) setOrgStatus(c *fiber.Ctx) error {
	w := whoOf(c)
	o, err := s.managedOrg(c)
	if err != nil {
		return err
	}
	status := store.OrgStatus(c.FormValue("status"))
	withUnits := status == store.OrgOffline && o.Type == store.Dept && c.FormValue("with_units") == "1"
	var units []store.Org
	var err2 error
	if withUnits {
		_, units, err2 = s.st.TakeDeptOfflineWithUnits(w.actor(c.IP()), o.ID)
	} else {
		_, err2 = s.st.SetOrgStatus(w.actor(c.IP()), o.ID, status)
	}
	if err2 != nil {
		errs, err := inputErrors(err2)
		if err != nil {
			return err
		}
		return s.renderOrgDetail(c, fiber.StatusUnprocessableEntity, nil, errs)
	}
	switch {
	case withUnits:
		s.flash(c, fmt.Sprintf("%s 及其 %d 个下属单位已下线，其用户已退出且无法登录。", o.Name, len(units)))
	case status == store.OrgOffline && o.Type == store.Dept:
		s.flash(c, o.Name+" 已下线，其用户已退出且无法登录；其下属单位仍在使用，提交的批次将等待本部门审核。")
	case status == store.OrgOffline:
		s.flash(c, o.Name+" 已下线，其用户已退出且无法登录。")
	default:
		s.flash(c, o.Name+" 已启用。")
	}
	return s.redirect(c, "/admin/orgs/"+itoa(o.ID))
}

func (s *Server) deleteOrg(c *fiber.Ctx) error {
	w := whoOf(c)
	o, err := s.managedOrg(c)
	if err != nil {
		return err
	}
	if err := s.st.DeleteOrg(w.actor(c.IP()), o.ID); err != nil {
		if msg, ok := userMessage(err); ok {
			return s.renderOrgDetail(c, fiber.StatusUnprocessableEntity, nil, map[string]string{"": msg})
		}
		return err
	}
	s.flash(c, o.Name+" 已删除。")
	return s.redirect(c, "/admin/orgs")
}
