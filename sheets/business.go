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

// businessColumns are the columns of the 业务总览 export, as on the page;
// all text (numbers and codes keep every digit, times keep the time of day).
var businessColumns = []Column{{Header: "业务类型"}, {Header: "证书编号"}, {Header: "姓名/身份证号"}, {Header: "申请机构"},
	{Header: "审核状态"}, {Header: "审核不通过原因"}, {Header: "发起业务时间"}, {Header: "审核时间"}}

// ExportBusinesses writes the 业务总览 rows as .xlsx through Export, under a
// title saying what was exported (the filters and when).
func ExportBusinesses(w io.Writer, title string, rows []BusinessRow) error {
	cells := make([][]any, len(rows))
	for i, r := range rows {
		cells[i] = []any{r.Kind, r.Number, r.Holder, r.Org, r.State, r.Reason, r.Applied, r.Reviewed}
	}
	return Export(w, Table{Sheet: "业务总览", Title: title, Columns: businessColumns, Rows: cells})
}
