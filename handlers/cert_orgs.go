package handlers

import (
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// The library's 发证机构 filter is a search box over the organisations the
// caller may filter by (docs/certificates.md). The page carries only the
// selected organisation's ID and name; the choices come from
// /certificates/orgs as the clerk types, at most orgPickerLimit of them, so
// neither the page nor an answer grows with the number of organisations.
// The list is matched in memory (cert_options.go keeps it per viewer), never
// read from the database per keystroke.

// orgPickerLimit is how many organisations one answer lists.
const orgPickerLimit = 20

// orgPickerMaxQuery is how many characters of the typed text count.
const orgPickerMaxQuery = 30

// orgPickerQuery is the typed text, trimmed, cut to orgPickerMaxQuery
// characters and lower-cased for matching.
func orgPickerQuery(q string) string {
	q = strings.TrimSpace(q)
	if utf8.RuneCountInString(q) > orgPickerMaxQuery {
		q = string([]rune(q)[:orgPickerMaxQuery])
	}
	return strings.ToLower(q)
}

// matchOrgs returns the first limit organisations of choices whose name
// contains q or whose code starts with it (q lower-cased; "" matches all),
// and how many more match.
func matchOrgs(choices []orgChoice, q string, limit int) ([]orgChoice, int) {
	var found []orgChoice
	more := 0
	for i := range choices {
		o := &choices[i]
		if q != "" && !strings.Contains(o.name, q) && !strings.HasPrefix(o.code, q) {
			continue
		}
		if len(found) < limit {
			found = append(found, *o)
		} else {
			more++
		}
	}
	return found, more
}

// showsOrgFilter reports whether the library offers org a filter by
// organisation: the province and depts have organisations below them.
func showsOrgFilter(org store.Org) bool {
	return org.Type == store.Province || org.Type == store.Dept
}

// selectedOrgName is the name of the organisation the filter holds, if it
// is one the caller may filter by ("" otherwise: the store refuses the
// filter with a message).
func (s *Server) selectedOrgName(viewer store.Org, value string) (string, error) {
	id := parseUint(value)
	if id == 0 {
		return "", nil
	}
	choices, err := s.orgChoices(viewer)
	if err != nil {
		return "", err
	}
	for i := range choices {
		if choices[i].ID == id {
			return choices[i].Name, nil
		}
	}
	return "", nil
}

// certOrgs answers the picker's choices for q: 全部机构 first, then the
// matching organisations in the order of the list, then a line saying how
// many more match (or that none does). org is the selected organisation,
// marked. A unit or 省直所 has no organisation filter: 404.
func (s *Server) certOrgs(c *fiber.Ctx) error {
	w := whoOf(c)
	if !showsOrgFilter(w.org) {
		return fiber.ErrNotFound
	}
	choices, err := s.orgChoices(w.org)
	if err != nil {
		return err
	}
	found, more := matchOrgs(choices, orgPickerQuery(c.Query("q")), orgPickerLimit)
	selected := parseUint(c.Query("org"))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.sendHTML(c, fiber.StatusOK, func(out *htmlOut) { writeOrgChoices(out, found, more, selected) })
}

// writeOrgChoices writes the picker's list items: 全部机构, found, and a
// line for the rest.
func writeOrgChoices(out *htmlOut, found []orgChoice, more int, selected uint64) {
	option := func(n int, id uint64, name, label, code string) {
		out.raw(`<li role="option" class="org-choice" id="f-org-opt-`)
		out.int(int64(n))
		out.raw(`" data-org-id="`)
		if id != 0 {
			out.int(int64(id))
		}
		out.raw(`"`)
		out.attr("data-org-name", name)
		if id == selected {
			out.raw(` aria-selected="true"`)
		} else {
			out.raw(` aria-selected="false"`)
		}
		out.raw(`><span class="org-name">`)
		out.text(label)
		out.raw(`</span>`)
		if code != "" {
			out.raw(`<span class="org-code">`)
			out.text(code)
			out.raw(`</span>`)
		}
		out.raw("</li>")
	}
	option(0, 0, "", "全部机构", "")
	for i, o := range found {
		option(i+1, o.ID, o.Name, o.label(), o.Code)
	}
	switch {
	case len(found) == 0:
		out.raw(`<li role="option" class="org-note" aria-disabled="true">没有匹配的机构</li>`)
	case more > 0:
		out.raw(`<li role="option" class="org-note" aria-disabled="true">还有 `)
		out.int(int64(more))
		out.raw(` 个，请输入更多文字</li>`)
	}
}
