package handlers

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"certreg/data"
	"certreg/store"
)

type occupationsData struct {
	Occupations []store.Occupation
	Levels      []data.Level
	Form        map[string]string
	FormLevels  map[int]bool
	Edit        string // code being edited
	Rev         uint64 // the edit form's revision and values (stale.go)
	Base        string
}

// occupationFields are the values of an occupation as its form shows them.
func occupationFields(o store.Occupation) []field {
	var names []string
	for _, l := range o.Levels {
		names = append(names, data.LevelName(l))
	}
	return []field{{"名称", o.Name}, {"等级", strings.Join(names, "、")}}
}

func (s *Server) occupations(c *fiber.Ctx) error {
	return s.renderOccupations(c, fiber.StatusOK, c.Query("edit"), nil, nil, nil)
}

func (s *Server) renderOccupations(c *fiber.Ctx, status int, edit string, form map[string]string, levels []int, errs map[string]string) error {
	occs, err := s.st.Occupations()
	if err != nil {
		return err
	}
	d := occupationsData{Occupations: occs, Levels: data.Levels(), Form: form, FormLevels: map[int]bool{}, Edit: edit}
	if edit != "" {
		o, err := s.st.Occupation(edit)
		if err != nil {
			return err
		}
		if form == nil {
			d.Form = map[string]string{"code": o.Code, "name": o.Name}
			levels = o.Levels
		}
		d.Rev, d.Base = revBase(form, o.Rev, occupationFields(o))
	}
	if d.Form == nil {
		d.Form = map[string]string{}
		levels = []int{5, 4, 3, 2, 1}
	}
	for _, l := range levels {
		d.FormLevels[l] = true
	}
	return s.render(c, status, tplOccupations, "职业（工种）目录", d, errs)
}

func levelsFromForm(c *fiber.Ctx) []int {
	var out []int
	for _, v := range formValues(c, "level") {
		if l, err := strconv.Atoi(v); err == nil {
			out = append(out, l)
		}
	}
	return out
}

func (s *Server) createOccupation(c *fiber.Ctx) error {
	w := whoOf(c)
	f := formMap(c, "code", "name")
	levels := levelsFromForm(c)
	if _, err := s.st.CreateOccupation(w.actor(c.IP()), store.Occupation{Code: f["code"], Name: f["name"], Levels: levels}); err != nil {
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.renderOccupations(c, fiber.StatusUnprocessableEntity, "", f, levels, errs)
	}
	s.flash(c, "已新增职业（工种）"+f["code"]+" "+f["name"]+"。")
	return s.redirect(c, "/admin/occupations")
}

func (s *Server) updateOccupation(c *fiber.Ctx) error {
	w := whoOf(c)
	code := c.Params("code")
	f := formMap(c, "name", "rev", "base")
	f["code"] = code
	levels := levelsFromForm(c)
	if _, err := s.st.UpdateOccupation(w.actor(c.IP()), store.Occupation{Code: code, Name: f["name"], Levels: levels, Rev: parseUint(f["rev"])}); err != nil {
		if cur, cerr := s.st.Occupation(code); cerr == nil {
			if _, ok := staleOf(c, err, occupationFields(cur)); ok {
				delete(f, "rev")
				return s.renderOccupations(c, fiber.StatusUnprocessableEntity, code, f, levels, nil)
			}
		}
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.renderOccupations(c, fiber.StatusUnprocessableEntity, code, f, levels, errs)
	}
	s.flash(c, "已保存职业（工种）"+code+"。")
	return s.redirect(c, "/admin/occupations")
}

func (s *Server) deleteOccupation(c *fiber.Ctx) error {
	w := whoOf(c)
	code := c.Params("code")
	if err := s.st.DeleteOccupation(w.actor(c.IP()), code); err != nil {
		if msg, ok := userMessage(err); ok {
			return s.renderOccupations(c, fiber.StatusUnprocessableEntity, "", nil, nil, map[string]string{"": msg})
		}
		return err
	}
	s.flash(c, "已删除职业（工种）"+code+"。")
	return s.redirect(c, "/admin/occupations")
}
