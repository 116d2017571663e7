package handlers

import (
	"net/http"
	"net/url"
	"testing"
)

// Editing an occupation of the catalogue: the name and levels change; a
// level still in some organisation's scope cannot be dropped; names stay
// unique; the code never changes.
func TestUpdateOccupation(t *testing.T) {
	e := newEnv(t)
	get, post := http.MethodGet, http.MethodPost
	runScenarios(t, e, []scenario{
		{name: "edit form", user: "demo-province", method: get, path: "/admin/occupations?edit=012", status: 200,
			want: []string{`action="/admin/occupations/012"`, `value="砌筑工"`, "保存修改"}},
		{name: "edit form of an unknown code", user: "demo-province", method: get, path: "/admin/occupations?edit=999", status: 404},
		{name: "add 950", user: "demo-province", method: post, path: "/admin/occupations",
			form: url.Values{"code": {"950"}, "name": {"智能建造施工员"}, "level": {"5", "4"}}, status: http.StatusSeeOther, location: "/admin/occupations"},
		{name: "rename 950 and add a level", user: "demo-province", method: post, path: "/admin/occupations/950",
			form: url.Values{"name": {"智能建造工"}, "level": {"5", "4", "3"}}, status: http.StatusSeeOther, location: "/admin/occupations"},
		{name: "the list shows it", user: "demo-province", method: get, path: "/admin/occupations", status: 200,
			want: []string{"已保存职业（工种）950", "智能建造工"}, absent: []string{"智能建造施工员"}},
		{name: "the edit form shows the new levels", user: "demo-province", method: get, path: "/admin/occupations?edit=950", status: 200,
			want: []string{`value="智能建造工"`, `value="3" checked`}},
		{name: "empty name keeps the levels", user: "demo-province", method: post, path: "/admin/occupations/950",
			form: url.Values{"name": {" "}, "level": {"5"}}, status: 422, want: []string{`action="/admin/occupations/950"`}},
		{name: "a name taken by another occupation", user: "demo-province", method: post, path: "/admin/occupations/950",
			form: url.Values{"name": {"钢筋工"}, "level": {"5"}}, status: 422, want: []string{"钢筋工", `action="/admin/occupations/950"`}},
		{name: "a level in use cannot go", user: "demo-province", method: post, path: "/admin/occupations/012",
			form: url.Values{"name": {"砌筑工"}, "level": {"4", "3", "2", "1"}}, status: 422,
			want: []string{"五级/初级工", "职业（工种）范围中，不能取消", `value="砌筑工"`}},
		{name: "unknown code", user: "demo-province", method: post, path: "/admin/occupations/999",
			form: url.Values{"name": {"无此职业"}, "level": {"5"}}, status: 404},
		{name: "a dept cannot edit the catalogue", user: "demo-dept", method: post, path: "/admin/occupations/950",
			form: url.Values{"name": {"改名"}, "level": {"5"}}, status: 403},
		{name: "the reviewer without catalog.manage neither", user: "ah-reviewer", method: post, path: "/admin/occupations/950",
			form: url.Values{"name": {"改名"}, "level": {"5"}}, status: 403},
	})
}
