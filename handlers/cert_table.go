package handlers

import (
	"html"
	"html/template"

	"certreg/idcard"
	"certreg/store"
)

// The library's table — toolbar, rows and pager, the part of /certificates
// an htmx filter or sort replaces — is written here rather than by
// html/template: a filter's answer is little else, and each template action
// costs a reflective call and an escaper, which came to a fifth of a cheap
// query's answer. Every text is escaped (htmlOut.text) and every link goes
// through urlAttr, as html/template would.

// writeCertPage writes the library's page inside the layout: its head,
// the filter form (rendered once per viewer and query, cert_options.go)
// and the table.
func writeCertPage(w *htmlOut, title string, orgType store.OrgType, d *certListData, csrf string) {
	w.Grow(len(d.Filters) + 5000 + 700*len(d.Page.Certs))
	w.raw("<div class=\"page-head\">\n  <div><h1>")
	w.text(title)
	w.raw("</h1>\n    <div class=\"sub\">")
	switch orgType {
	case store.Province:
		w.raw("全省所有机构颁发的证书")
	case store.Dept:
		w.raw("本部门所辖单位颁发的证书")
	default:
		w.raw("本单位颁发的证书")
	}
	w.raw("：按条件查找、查看详情")
	if d.CanPrint {
		w.raw("、打印与设置打印状态")
	}
	w.raw("、导出 Excel</div></div>\n  <div class=\"head-actions\">\n    ")
	if d.CanPrint {
		w.raw(`<a class="btn" href="/certificates/formats" id="formats-link"><svg class="icon"><use href="/assets/icons.svg#printer"/></svg>打印格式</a>`)
	}
	w.raw(`
    <a class="btn" href="/verify" target="_blank" rel="noopener"><svg class="icon"><use href="/assets/icons.svg#shield"/></svg>公开查询页</a>
  </div>
</div>
<div class="card flush">
  `)
	w.raw(string(d.Filters))
	w.raw("\n  ")
	writeCertTable(w, d, csrf)
	w.raw("\n</div>\n")
}

// writeCertTable writes the #cert-table element of the list in d; csrf is
// the form's token.
func writeCertTable(w *htmlOut, d *certListData, csrf string) {
	f := &d.Form
	w.Grow(4096 + 700*len(d.Page.Certs))
	w.raw("\n<div id=\"cert-table\">\n  ")
	if d.OOB {
		w.raw(`<div id="cert-sort" hx-swap-oob="true">`)
		writeCertSort(w, f)
		w.raw(`</div>`)
	}
	w.raw("\n  ")
	if d.Error != "" {
		w.raw(`<div class="alert err cert-alert" role="alert">`)
		w.text(d.Error)
		w.raw(`</div>`)
	}
	w.raw("\n  <form method=\"post\" action=\"/certificates/print\" id=\"cert-actions\">\n    <input type=\"hidden\" name=\"_csrf\"")
	w.attr("value", csrf)
	w.raw(">\n    <input type=\"hidden\" name=\"q\"")
	w.attr("value", d.Query)
	w.raw(">\n    <div class=\"cert-toolbar\">\n      <div class=\"cert-count\" id=\"cert-count\">\n        ")
	writeCertCount(w, d.Page, d.Pager)
	if d.CanPrint {
		w.raw("\n        <span class=\"cert-selected\" id=\"cert-selected\" data-selected-count>已选 0 本</span>")
	}
	w.raw("\n      </div>\n      <div class=\"cert-tools\">\n")
	if d.CanPrint {
		w.raw(`        <label class="cert-format" for="print-format">打印格式</label>
        <select id="print-format" name="format">`)
		for _, fc := range d.Formats {
			w.raw(`<option`)
			w.attr("value", fc.Key)
			if fc.Key == d.Format {
				w.raw(" selected")
			}
			w.raw(">")
			w.text(fc.Label)
			w.raw("</option>")
		}
		w.raw(`</select>
        <button class="btn primary small" type="submit" id="print-selected" data-needs-selection data-download><svg class="icon"><use href="/assets/icons.svg#printer"/></svg>打印所选</button>
        <button class="btn small" type="submit" name="all" value="1" id="print-all" data-download data-confirm="将把当前查询结果中的全部有效证书（最多 500 本）打印为一个 PDF，并记录为已打印。确定打印吗？" data-confirm-ok="打印">打印全部结果</button>
        <button class="btn small" type="submit" formaction="/certificates/printed" name="printed" value="1" id="mark-printed" data-needs-selection>标为已打印</button>
        <button class="btn small" type="submit" formaction="/certificates/printed" name="printed" value="0" id="mark-unprinted" data-needs-selection>标为未打印</button>
`)
	}
	w.raw(`        <a class="btn small" href="` + urlAttr(d.ExportURL) + `" id="export-link"><svg class="icon"><use href="/assets/icons.svg#download"/></svg>导出 Excel</a>
      </div>
    </div>
    <div class="table-wrap">
    <table class="data cert-list">
      <thead><tr>
        `)
	if d.CanPrint {
		w.raw(`<th class="check"><input type="checkbox" data-check-all="n" aria-label="全选本页"></th>`)
	}
	w.raw("\n        <th>")
	writeSortLink(w, f, store.SortNumber, d.SortNumber, "证书编号")
	w.raw("</th>\n        <th>姓名</th><th>身份证号</th><th>职业（工种）</th><th>等级</th>\n        ")
	if d.ShowOrg {
		w.raw("<th>发证机构</th>")
	}
	w.raw("\n        <th>")
	writeSortLink(w, f, store.SortDate, d.SortDate, "发证日期")
	w.raw("</th>\n        <th>状态</th><th>打印</th><th class=\"right\">操作</th>\n      </tr></thead>\n      <tbody>")
	if len(d.Page.Certs) > 0 {
		writeCertRows(w, d)
	} else {
		w.raw("\n        <tr><td colspan=\"11\"><div class=\"empty\"><svg class=\"icon\"><use href=\"/assets/icons.svg#inbox\"/></svg>")
		if d.Error != "" {
			w.raw("请修正查询条件")
		} else {
			w.raw("没有符合条件的证书")
		}
		w.raw("</div></td></tr>")
	}
	w.raw("\n      </tbody>\n    </table>\n    </div>\n  </form>\n  <div class=\"cert-pager\" hx-boost=\"true\" hx-target=\"#cert-table\" hx-swap=\"outerHTML\">\n    ")
	writeCertPager(w, d.Pager, d.Page)
	w.raw("\n  </div>\n</div>\n")
}

// writeCertSort writes the list's order as the filter form's hidden fields
// (the form keeps it when a filter changes).
func writeCertSort(w *htmlOut, f *certForm) {
	w.raw(`<input type="hidden" name="sort"`)
	w.attr("value", f.Sort)
	w.raw(`><input type="hidden" name="dir"`)
	w.attr("value", f.Dir)
	w.raw(">")
}

// writeSortLink writes a column heading that sorts by key (marked when the
// list is in that order).
func writeSortLink(w *htmlOut, f *certForm, key, link, label string) {
	u := urlAttr(link)
	w.raw(`<a class="sort`)
	if f.Sort == key {
		w.raw(" on ")
		w.text(f.Dir)
	}
	w.raw(`" href="` + u + `" hx-get="` + u + `" hx-target="#cert-table" hx-swap="outerHTML" hx-push-url="true">`)
	w.raw(label)
	w.raw("</a>")
}

// writeCertCount writes how many certificates the list holds and which
// are shown: "共 N 本，第 a–b 本" with an exact total, "超过 N 本" when
// the count stopped early, only the rows shown without a count.
func writeCertCount(w *htmlOut, page store.CertPage, p certPager) {
	shown := func() {
		w.raw("第 ")
		w.int(int64(p.From))
		w.raw("–")
		w.int(int64(p.To))
		w.raw(" 本")
	}
	switch {
	case page.Total > 0:
		if p.Exact {
			w.raw("共 <b>")
		} else {
			w.raw("超过 <b>")
		}
		w.int(int64(page.Total))
		w.raw("</b> 本，")
		shown()
	case len(page.Certs) > 0:
		shown()
	default:
		w.raw("没有证书")
	}
}

// writeCertPager writes the pager of a certificate list (the library's and
// 申请业务's): numbered pages while the total is exact, otherwise 上一页
// and 下一页 by cursor, and a note when the page stopped at the scan
// budget.
func writeCertPager(w *htmlOut, p certPager, page store.CertPage) {
	w.raw("\n")
	if p.Partial {
		w.raw(`<div class="alert info cert-partial" role="status">本页只查找了一部分证书，符合条件的证书可能还有；点“下一页”继续查找，或增加查询条件缩小范围。</div>`)
	}
	w.raw("\n")
	if p.Exact {
		w.raw(string(pagerHTML(p.Full)))
		return
	}
	w.raw("\n<div class=\"pager\"><span>")
	if page.Total > 0 {
		w.raw("超过 ")
		w.int(int64(page.Total))
		w.raw(" 条，")
	}
	if page.Total > 0 || len(page.Certs) > 0 {
		w.raw("第 ")
		w.int(int64(p.Page))
		w.raw(" 页；请增加查询条件以缩小范围")
	}
	w.raw("</span>\n  <span class=\"pages\">\n    ")
	writePageButton(w, p.PrevURL, "上一页")
	w.raw("\n    ")
	writePageButton(w, p.NextURL, "下一页")
	w.raw("\n  </span></div>\n")
}

// certPagerHTML is writeCertPager for a template (申请业务's list).
func certPagerHTML(p certPager, page store.CertPage) template.HTML {
	var w htmlOut
	writeCertPager(&w, p, page)
	return w.html()
}

// writeCertRows writes the rows of the library's table.
func writeCertRows(w *htmlOut, d *certListData) {
	var day [10]byte
	for i := range d.Page.Certs {
		c := &d.Page.Certs[i]
		n := html.EscapeString(c.Number)
		w.raw("\n        <tr>\n")
		if d.CanPrint {
			w.raw(`          <td class="check"><input type="checkbox" name="n" value="`)
			w.raw(n)
			w.raw(`" aria-label="选择 `)
			w.raw(n)
			w.raw("\"></td>\n")
		}
		w.raw(`          <td class="mono nowrap"><a href="/certificates/`)
		w.raw(n)
		w.raw(`">`)
		w.raw(n)
		w.raw("</a></td>\n")
		w.raw(`          <td class="nowrap">`)
		w.text(c.Name)
		w.raw("</td>\n          <td class=\"mono nowrap\">")
		w.text(idcard.Mask(c.IDNumber))
		w.raw("</td>\n          <td>")
		w.text(c.OccupationName)
		w.raw("</td>\n          <td class=\"nowrap\">")
		w.text(c.LevelName())
		w.raw("</td>\n")
		if d.ShowOrg {
			w.raw(`          <td class="cert-org">`)
			w.text(d.Issuers[c.OrgID])
			w.raw("</td>\n")
		}
		w.raw(`          <td class="nowrap">`)
		if c.IssueDate.IsZero() {
			w.raw("—")
		} else {
			w.Write(c.IssueDate.In(cst).AppendFormat(day[:0], "2006-01-02"))
		}
		w.raw("</td>\n          <td>")
		w.raw(statusTag(c.Status))
		w.raw("</td>\n")
		if c.Printed {
			w.raw(`          <td class="nowrap"><span class="tag ok">已打印</span></td>` + "\n")
		} else {
			w.raw(`          <td class="nowrap"><span class="tag">未打印</span></td>` + "\n")
		}
		w.raw(`          <td class="actions"><a class="btn small" href="/certificates/`)
		w.raw(n)
		w.raw("\">查看</a></td>\n        </tr>")
	}
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
