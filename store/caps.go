package store

// OrgType is the kind of an organisation.
type OrgType string

const (
	Province OrgType = "province" // 省厅
	Dept     OrgType = "dept"     // 主管部门
	Unit     OrgType = "unit"     // 单位
	Direct   OrgType = "direct"   // 省直所
)

// Label is the Chinese name of the type.
func (t OrgType) Label() string {
	switch t {
	case Province:
		return "省厅"
	case Dept:
		return "主管部门"
	case Unit:
		return "单位"
	case Direct:
		return "省直所"
	}
	return string(t)
}

// Cap is a capability a user may hold.
type Cap string

// Every capability of the product, declared in one place.
const (
	CapBatchManage      Cap = "batch.manage"
	CapBatchReview      Cap = "batch.review"
	CapCertView         Cap = "cert.view"
	CapCertPrint        Cap = "cert.print"
	CapCertStatus       Cap = "cert.status"
	CapBusinessApply    Cap = "business.apply"
	CapBusinessReview   Cap = "business.review"
	CapBusinessOverview Cap = "business.overview"
	CapStatsView        Cap = "stats.view"
	CapSegmentManage    Cap = "segment.manage"
	CapOrgManage        Cap = "org.manage"
	CapCatalogManage    Cap = "catalog.manage"
	CapUserManage       Cap = "user.manage"
	CapLogView          Cap = "log.view"
)

// CapInfo describes a capability for the permission pages.
type CapInfo struct {
	Cap   Cap
	Label string
}

// AllCaps lists every capability in display order.
var AllCaps = []CapInfo{
	{CapBatchManage, "批次管理"},
	{CapBatchReview, "批次审核"},
	{CapCertView, "证书查看"},
	{CapCertPrint, "证书打印"},
	{CapCertStatus, "证书注销/激活"},
	{CapBusinessApply, "证书业务申请"},
	{CapBusinessReview, "证书业务审核"},
	{CapBusinessOverview, "业务总览"},
	{CapStatsView, "统计分析"},
	{CapSegmentManage, "号段维护"},
	{CapOrgManage, "机构管理"},
	{CapCatalogManage, "职业（工种）目录"},
	{CapUserManage, "用户与权限管理"},
	{CapLogView, "操作日志"},
}

// CapLabel is the Chinese name of a capability.
func CapLabel(c Cap) string {
	for _, ci := range AllCaps {
		if ci.Cap == c {
			return ci.Label
		}
	}
	return string(c)
}

// typeCaps is the table of docs/accounts.md: what each organisation type allows.
// A dept also holds stats.view: 统计分析 over its own units.
var typeCaps = map[OrgType][]Cap{
	Unit:     {CapBatchManage, CapCertView, CapCertPrint, CapBusinessApply, CapUserManage, CapLogView},
	Direct:   {CapBatchManage, CapCertView, CapCertPrint, CapBusinessApply, CapUserManage, CapLogView},
	Dept:     {CapBatchReview, CapCertView, CapBusinessReview, CapStatsView, CapOrgManage, CapUserManage, CapLogView},
	Province: {CapBatchReview, CapCertView, CapCertStatus, CapBusinessReview, CapBusinessOverview, CapStatsView, CapSegmentManage, CapOrgManage, CapCatalogManage, CapUserManage, CapLogView},
}

// CapsFor returns the capabilities an organisation type allows.
func CapsFor(t OrgType) []Cap { return append([]Cap(nil), typeCaps[t]...) }

// Allows reports whether organisation type t allows capability c.
func (t OrgType) Allows(c Cap) bool {
	for _, x := range typeCaps[t] {
		if x == c {
			return true
		}
	}
	return false
}
