package handlers

import (
	"html"
	"html/template"
	"strings"

	"certreg/store"
)

type menuItem struct {
	Label  string
	Path   string
	Icon   string
	Active bool
}

type menuGroup struct {
	Label string
	Items []menuItem
}

// menuDef is the whole menu of the product. An entry shows only when its page
// is in the route table and the route's access rule lets the user open it:
// who sees an entry is decided by the route table alone.
type menuDef struct {
	label, path, icon string
	labelFor          map[store.OrgType]string
}

var menuGroups = []struct {
	label string
	items []menuDef
}{
	{"", []menuDef{{label: "首页", path: "/", icon: "home"}}},
	{"批次管理", []menuDef{
		{label: "我的批次", path: "/batches", icon: "batch"},
		{label: "批次审核", path: "/reviews/batches", icon: "review"},
	}},
	{"证书管理", []menuDef{
		{label: "证书查询", path: "/certificates", icon: "cert",
			labelFor: map[store.OrgType]string{store.Province: "证书库"}},
		{label: "号段维护", path: "/segments", icon: "segment"},
	}},
	{"证书业务", []menuDef{
		{label: "申请业务", path: "/business", icon: "business"},
		{label: "已申请业务", path: "/business/applied", icon: "batch"},
		{label: "业务打印", path: "/business/print", icon: "printer"},
		{label: "业务审核", path: "/reviews/business", icon: "review"},
		{label: "业务总览", path: "/business/overview", icon: "overview"},
	}},
	{"统计", []menuDef{
		{label: "统计分析", path: "/stats", icon: "stats"},
	}},
	{"系统管理", []menuDef{
		{label: "机构管理", path: "/admin/orgs", icon: "org"},
		{label: "用户与权限", path: "/admin/users", icon: "user"},
		{label: "职业（工种）目录", path: "/admin/occupations", icon: "catalog"},
		{label: "操作日志", path: "/logs", icon: "log"},
		{label: "设置", path: "/settings", icon: "settings"},
	}},
}

// menu builds the left menu for the caller, marking the entry of current:
// the one with the longest path that is current or a parent of it, so
// /business/applied/7 marks 已申请业务 and not 申请业务 (/business).
func (s *Server) menu(w *who, current string) []menuGroup {
	var out []menuGroup
	best := s.menuActive(w, current)
	for _, g := range menuGroups {
		mg := menuGroup{Label: g.label}
		for _, d := range g.items {
			if !s.mayOpen(w, d.path) {
				continue
			}
			label := d.label
			if l, ok := d.labelFor[w.org.Type]; ok {
				label = l
			}
			mg.Items = append(mg.Items, menuItem{Label: label, Path: d.path, Icon: d.icon})
		}
		if len(mg.Items) > 0 {
			out = append(out, mg)
		}
	}
	for _, g := range out {
		for i := range g.Items {
			g.Items[i].Active = g.Items[i].Path == best
		}
	}
	return out
}

// menuMatches reports whether the menu entry at path covers the page at
// current: the same page or one below it.
func menuMatches(path, current string) bool {
	return current == path || (path != "/" && strings.HasPrefix(current, path+"/"))
}

// navHTML is the main menu as the layout shows it: written here rather than
// in the template, where its few dozen fields cost more than the rest of
// the layout (every page pays it).
func navHTML(groups []menuGroup) template.HTML {
	var b strings.Builder
	for _, g := range groups {
		b.WriteString("\n        ")
		if g.Label != "" {
			b.WriteString(`<div class="nav-group">` + html.EscapeString(g.Label) + "</div>")
		}
		b.WriteString("\n        ")
		for _, it := range g.Items {
			b.WriteString(`<a href="` + html.EscapeString(it.Path) + `"`)
			if it.Active {
				b.WriteString(` class="active" aria-current="page"`)
			}
			b.WriteString(`><svg class="icon"><use href="/assets/icons.svg#` + html.EscapeString(it.Icon) + `"/></svg>` + html.EscapeString(it.Label) + "</a>")
		}
	}
	return template.HTML(b.String())
}
