package sheets

import "io"

// BusinessRow is one line of the 业务总览 export: a business or a batch's
// 注册, as text already formatted and masked by the caller.
type BusinessRow struct {
	Kind     string // 业务类型
	Number   string // 证书编号 (a 注册: the batch)
	Holder   string // 姓名/身份证号, the ID masked
	Org      string // 申请机构, 名称 代码
	State    string // 审核状态
	Reason   string // 审核不通过原因
	Applied  string // 发起业务时间
	Reviewed string // 审核时间
}

// businessHeader are the columns of the 业务总览 export, as on the page.
var businessHeader = []string{"业务类型", "证书编号", "姓名/身份证号", "申请机构", "审核状态", "审核不通过原因", "发起业务时间", "审核时间"}

// ExportBusinesses writes the 业务总览 rows as .xlsx through Export: the
// page's columns, a bold frozen header, every value neutralised.
func ExportBusinesses(w io.Writer, rows []BusinessRow) error {
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = []string{r.Kind, r.Number, r.Holder, r.Org, r.State, r.Reason, r.Applied, r.Reviewed}
	}
	return Export(w, "业务总览", businessHeader, cells)
}
