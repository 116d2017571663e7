package handlers

import (
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
// exists in the route table and the user may open it.
type menuDef struct {
	label, path, icon string
	caps              []store.Cap
	types             []store.OrgType
	labelFor          map[store.OrgType]string
}

var menuGroups = []struct {
	label string
	items []menuDef
}{
	{"", []menuDef{{label: "首页", path: "/", icon: "home"}}},
	{"批次管理", []menuDef{
		{label: "我的批次", path: "/batches", icon: "batch", caps: []store.Cap{store.CapBatchManage}},
		{label: "批次审核", path: "/reviews/batches", icon: "review", caps: []store.Cap{store.CapBatchReview}},
	}},
	{"证书管理", []menuDef{
		{label: "证书查询", path: "/certificates", icon: "cert", caps: []store.Cap{store.CapCertView},
			labelFor: map[store.OrgType]string{store.Province: "证书库"}},
		{label: "号段维护", path: "/segments", icon: "segment", caps: []store.Cap{store.CapSegmentManage}},
	}},
	{"证书业务", []menuDef{
		{label: "申请业务", path: "/business", icon: "business", caps: []store.Cap{store.CapBusinessApply}},
		{label: "已申请业务", path: "/business/applied", icon: "batch", caps: []store.Cap{store.CapBusinessApply}},
		{label: "业务打印", path: "/business/print", icon: "printer", caps: []store.Cap{store.CapCertPrint}, types: []store.OrgType{store.Unit, store.Direct}},
		{label: "业务审核", path: "/reviews/business", icon: "review", caps: []store.Cap{store.CapBusinessReview}},
		{label: "业务总览", path: "/business/overview", icon: "overview", caps: []store.Cap{store.CapBusinessOverview}},
	}},
	{"统计", []menuDef{
		{label: "统计分析", path: "/stats", icon: "stats", caps: []store.Cap{store.CapStatsView}},
	}},
	{"系统管理", []menuDef{
		{label: "机构管理", path: "/admin/orgs", icon: "org", caps: []store.Cap{store.CapOrgManage}},
		{label: "用户与权限", path: "/admin/users", icon: "user", caps: []store.Cap{store.CapUserManage}},
		{label: "职业（工种）目录", path: "/admin/occupations", icon: "catalog", caps: []store.Cap{store.CapCatalogManage}},
		{label: "操作日志", path: "/logs", icon: "log", caps: []store.Cap{store.CapLogView}},
		{label: "设置", path: "/settings", icon: "settings"},
	}},
}

// menu builds the left menu for the caller, marking the entry of current:
// the one with the longest path that is current or a parent of it, so
// /business/applied/7 marks 已申请业务 and not 申请业务 (/business).
func (s *Server) menu(w *who, current string) []menuGroup {
	var out []menuGroup
	best := ""
	for _, g := range menuGroups {
		mg := menuGroup{Label: g.label}
		for _, d := range g.items {
			if !s.paths[d.path] || !allowedMenu(w, d) {
				continue
			}
			label := d.label
			if l, ok := d.labelFor[w.org.Type]; ok {
				label = l
			}
			if menuMatches(d.path, current) && len(d.path) > len(best) {
				best = d.path
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

func allowedMenu(w *who, d menuDef) bool {
	if len(d.types) > 0 && !containsType(d.types, w.org.Type) {
		return false
	}
	if len(d.caps) == 0 {
		return true
	}
	for _, c := range d.caps {
		if w.can(c) {
			return true
		}
	}
	return false
}
