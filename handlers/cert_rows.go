package handlers

import (
	"html"
	"html/template"
	"strings"

	"certreg/idcard"
	"certreg/store"
)

// certRows renders the rows of the library's table (views/certs/_table.html
// holds the rest). A page of 20 to 100 rows through html/template costs most
// of the request (each field a reflective call and an escaper), so the rows
// are written here, every text escaped.
func certRows(d *certListData) template.HTML {
	var b strings.Builder
	b.Grow(len(d.Page.Certs) * 900)
	esc := func(s string) { b.WriteString(html.EscapeString(s)) }
	for i := range d.Page.Certs {
		c := &d.Page.Certs[i]
		n := html.EscapeString(c.Number)
		b.WriteString("\n        <tr>\n")
		if d.CanPrint {
			b.WriteString(`          <td class="check"><input type="checkbox" name="n" value="` + n + `" aria-label="选择 ` + n + `"></td>` + "\n")
		}
		b.WriteString(`          <td class="mono nowrap"><a href="/certificates/` + n + `">` + n + "</a></td>\n")
		b.WriteString(`          <td class="nowrap">`)
		esc(c.Name)
		b.WriteString("</td>\n          <td class=\"mono nowrap\">")
		esc(idcard.Mask(c.IDNumber))
		b.WriteString("</td>\n          <td>")
		esc(c.OccupationName)
		b.WriteString("</td>\n          <td class=\"nowrap\">")
		esc(c.LevelName())
		b.WriteString("</td>\n")
		if d.ShowOrg {
			b.WriteString(`          <td class="cert-org">`)
			esc(d.Issuers[c.OrgID])
			b.WriteString("</td>\n")
		}
		b.WriteString(`          <td class="nowrap">`)
		if c.IssueDate.IsZero() {
			b.WriteString("—")
		} else {
			b.WriteString(c.IssueDate.In(cst).Format("2006-01-02"))
		}
		b.WriteString("</td>\n          <td>" + statusTag(c.Status) + "</td>\n")
		if c.Printed {
			b.WriteString(`          <td class="nowrap"><span class="tag ok">已打印</span></td>` + "\n")
		} else {
			b.WriteString(`          <td class="nowrap"><span class="tag">未打印</span></td>` + "\n")
		}
		b.WriteString(`          <td class="actions"><a class="btn small" href="/certificates/` + n + `">查看</a></td>` + "\n        </tr>")
	}
	return template.HTML(b.String())
}

// statusTag is a certificate status as the tag certs/_status shows.
func statusTag(s store.CertStatus) string {
	switch s {
	case store.CertValid:
		return `<span class="tag ok">有效</span>`
	case store.CertCancelled:
		return `<span class="tag err">已注销</span>`
	}
	return `<span class="tag warn">已补办</span>`
}
