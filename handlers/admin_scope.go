package handlers

import (
	"github.com/gofiber/fiber/v2"

	"certreg/data"
	"certreg/store"
)

// scopeRow is one occupation of the scope grid: for each of the five levels,
// whether the parent allows it (the box exists) and whether it is checked.
type scopeRow struct {
	Code, Name string
	Cells      [5]scopeCell // level 5 .. 1
	Any        bool
}

type scopeCell struct {
	Level   int
	Allowed bool
	Checked bool
}

// scopeRows lays the catalogue out as a grid: rows for occupations the
// parent allows, cells for its levels.
func scopeRows(occs []store.Occupation, allowed, checked store.Scope) []scopeRow {
	var rows []scopeRow
	for _, o := range occs {
		r := scopeRow{Code: o.Code, Name: o.Name}
		for i := range r.Cells {
			l := 5 - i
			r.Cells[i] = scopeCell{Level: l, Allowed: allowed.Has(o.Code, l), Checked: checked.Has(o.Code, l)}
			r.Any = r.Any || r.Cells[i].Allowed
		}
		if r.Any {
			rows = append(rows, r)
		}
	}
	return rows
}

type scopeData struct {
	Org    store.Org
	Parent store.Org
	Rows   []scopeRow
	Levels []data.Level
	Size   int
}

func (s *Server) scopePage(c *fiber.Ctx) error { return s.renderScope(c, fiber.StatusOK, nil, nil) }

func (s *Server) renderScope(c *fiber.Ctx, status int, checked store.Scope, errs map[string]string) error {
	o, parent, err := s.managedOrgAndParent(c)
	if err != nil {
		return err
	}
	allowed, err := s.st.EffectiveScope(parent)
	if err != nil {
		return err
	}
	occs, err := s.st.Occupations()
	if err != nil {
		return err
	}
	if checked == nil {
		checked = o.Scope
	}
	return s.render(c, status, tplScope, "职业（工种）范围", scopeData{Org: o, Parent: parent, Rows: scopeRows(occs, allowed, checked),
		Levels: data.Levels(), Size: o.Scope.Size()}, errs)
}

func (s *Server) saveScope(c *fiber.Ctx) error {
	w := whoOf(c)
	o, err := s.managedOrg(c)
	if err != nil {
		return err
	}
	sc := store.ParseScope(formValues(c, "pair"))
	if _, err := s.st.SetScope(w.actor(c.IP()), o.ID, sc); err != nil {
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.renderScope(c, fiber.StatusUnprocessableEntity, sc, errs)
	}
	s.flash(c, "职业（工种）范围已保存，共 "+itoa(uint64(sc.Size()))+" 项。")
	return s.redirect(c, "/admin/orgs/"+itoa(o.ID))
}

// formValues returns every value of a repeated form field.
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) == name {
			out = append(out, string(v))
		}
	})
	if mf, err := c.MultipartForm(); err == nil && mf != nil {
		out = append(out, mf.Value[name]...)
	}
	return out
}

// removeOwnScope is 设置 → 职业（工种）范围: an organisation's admin removes
// pairs from its own scope.
func (s *Server) removeOwnScope(c *fiber.Ctx) error {
	w := whoOf(c)
	if w.org.Type == store.Province || !w.user.IsAdmin {
		return s.deny(c)
	}
	sc := store.ParseScope(formValues(c, "pair"))
	if _, err := s.st.RemoveOwnScope(w.actor(c.IP()), sc); err != nil {
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.renderSettings(c, fiber.StatusUnprocessableEntity, "scope", nil, errs)
	}
	s.flash(c, "已从本机构的职业（工种）范围中移除 "+itoa(uint64(sc.Size()))+" 项。")
	return s.redirect(c, "/settings?tab=scope")
}
