package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"maps"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"certreg/idcard"
	"certreg/sheets"
	"certreg/store"
)

// The certificate library (docs/certificates.md): /certificates lists the
// certificates of the caller's scope with every filter, sortable by number
// and issue date, paged; htmx requests aimed at #cert-table get the table
// only. The same filters drive the Excel export and "print all results".

// certForm is the list's query as typed, kept for re-rendering.
type certForm struct {
	Number, Name, ID, Occupation, Level, Org, Status, Printed, From, To, Sort, Dir, Size string
	Page                                                                                 int
	// After and Before are the store's cursors of 下一页 and 上一页: the page
	// starts after the row (ends before it) instead of at Page's offset,
	// which stays for the row numbers shown.
	After, Before string
}

func parseCertForm(get func(string) string) certForm {
	f := certForm{Number: get("number"), Name: get("name"), ID: get("id"), Occupation: get("occupation"), Level: get("level"),
		Org: get("org"), Status: get("status"), Printed: get("printed"), From: get("from"), To: get("to"),
		Sort: get("sort"), Dir: get("dir"), Size: get("size")}
	for _, p := range []*string{&f.Number, &f.Name, &f.ID, &f.Occupation, &f.Level, &f.Org, &f.Status, &f.Printed, &f.From, &f.To, &f.Sort, &f.Dir, &f.Size} {
		*p = strings.TrimSpace(*p)
		if len(*p) > 60 {
			*p = (*p)[:60]
		}
	}
	if f.Sort != store.SortNumber {
		f.Sort = store.SortDate
	}
	if f.Dir != "asc" {
		f.Dir = "desc"
	}
	if f.Size != "50" && f.Size != "100" {
		f.Size = "20"
	}
	f.Page, _ = strconv.Atoi(get("page"))
	if f.Page < 1 || f.Page > 100000 {
		f.Page = 1
	}
	if f.After = strings.TrimSpace(get("after")); len(f.After) > 200 {
		f.After = ""
	}
	if f.Before = strings.TrimSpace(get("before")); len(f.Before) > 200 || f.After != "" {
		f.Before = ""
	}
	return f
}

// values is the form as URL parameters, without defaults and page.
func (f certForm) values() url.Values {
	v := make(url.Values, 4)
	for _, kv := range [...]struct{ k, val string }{{"number", f.Number}, {"name", f.Name}, {"id", f.ID}, {"occupation", f.Occupation},
		{"level", f.Level}, {"org", f.Org}, {"status", f.Status}, {"printed", f.Printed}, {"from", f.From}, {"to", f.To}} {
		if kv.val != "" {
			v[kv.k] = []string{kv.val}
		}
	}
	if f.Sort != store.SortDate {
		v.Set("sort", f.Sort)
	}
	if f.Dir != "desc" {
		v.Set("dir", f.Dir)
	}
	if f.Size != "20" {
		v.Set("size", f.Size)
	}
	return v
}

func (f certForm) size() int { n, _ := strconv.Atoi(f.Size); return n }

// query turns the form into a store query; bad dates and levels are field
// errors.
func (f certForm) query() (store.CertQuery, map[string]string) {
	q := store.CertQuery{Number: f.Number, Name: f.Name, IDNumber: f.ID, Occupation: f.Occupation, Status: store.CertStatus(f.Status),
		Printed: f.Printed, Sort: f.Sort, Asc: f.Dir == "asc", Limit: f.size(), Offset: (f.Page - 1) * f.size(),
		After: f.After, Before: f.Before}
	if f.After != "" || f.Before != "" {
		q.Offset = 0
	}
	errs := map[string]string{}
	if f.Level != "" {
		q.Level, _ = strconv.Atoi(f.Level)
		if q.Level < 1 || q.Level > 5 {
			errs["level"] = "等级无效"
		}
	}
	if f.Org != "" {
		q.OrgID = parseUint(f.Org)
		if q.OrgID == 0 {
			errs["org"] = "机构无效"
		}
	}
	q.From, q.To = dateRange(f.From, f.To, errs)
	if len(errs) == 0 {
		return q, nil
	}
	return q, errs
}

type certListData struct {
	Form      certForm
	Page      store.CertPage
	Pager     certPager
	Query     string // the filters as a query string, for links and forms
	ExportURL string
	// The drop-downs' options, the selected one marked (cert_options.go).
	OccupationOptions, LevelOptions, StatusOptions, PrintedOptions, SizeOptions template.HTML
	// ShowOrg: the 发证机构 picker (cert_orgs.go), showing OrgName, the
	// selected organisation's name.
	ShowOrg    bool
	OrgName    string
	CanPrint   bool
	Formats    []formatChoice
	Format     string
	SortNumber string // URL that sorts by number (toggling the direction)
	SortDate   string
	Error      string
	OOB        bool              // the table answers an htmx request: update the sort fields too
	Issuers    map[uint64]string // the issuing organisations of the page's rows, "名称 代码"
	Filters    template.HTML     // the filter form (views/certs/_filters.html)
}

// certPager pages the list; without an exact total it offers only previous
// and next.
type certPager struct {
	Full             pager // page links, with an exact total
	Exact            bool
	Page, From, To   int
	PrevURL, NextURL string
	// Partial: the page read as much of the index as one page may without
	// finding every match (下一页 goes on looking).
	Partial bool
}

func (s *Server) certList(c *fiber.Ctx) error {
	return s.renderCertList(c, fiber.StatusOK, parseCertForm(func(k string) string { return c.Query(k) }), "")
}

// renderCertList renders the list (or, for htmx requests aimed at the table,
// the table) for a form, with an error message above the table.
func (s *Server) renderCertList(c *fiber.Ctx, status int, f certForm, message string) error {
	w := whoOf(c)
	d := certListData{Form: f, ShowOrg: showsOrgFilter(w.org),
		CanPrint: w.can(store.CapCertPrint), Error: message}
	vals := f.values()
	d.Query = vals.Encode()
	d.ExportURL = "/certificates/export"
	if d.Query != "" {
		d.ExportURL += "?" + d.Query
	}
	q, errs := f.query()
	if errs != nil {
		d.Page.Exact = true
		d.Error = "请修正查询条件：" + firstValue(errs)
		if status == fiber.StatusOK {
			status = fiber.StatusUnprocessableEntity
		}
	} else {
		page, err := s.st.Certificates(w.actor(c.IP()), q)
		msg, bad := userMessage(err)
		switch {
		case bad:
			d.Page.Exact = true
			d.Error = "请修正查询条件：" + msg
			if status == fiber.StatusOK {
				status = fiber.StatusUnprocessableEntity
			}
		case err != nil:
			return err
		default:
			d.Page = page
		}
	}
	d.Pager = newCertPager("/certificates", vals, f, d.Page)
	if d.ShowOrg {
		d.Issuers = map[uint64]string{}
		for _, ct := range d.Page.Certs {
			if _, ok := d.Issuers[ct.OrgID]; !ok {
				d.Issuers[ct.OrgID] = s.orgDisplay(ct.OrgID, ct.OrgName)
			}
		}
	}
	for _, sk := range []string{store.SortNumber, store.SortDate} {
		v := maps.Clone(vals)
		v.Set("sort", sk)
		dir := "desc"
		if f.Sort == sk && f.Dir == "desc" {
			dir = "asc"
		}
		if dir == "asc" {
			v.Set("dir", "asc")
		} else {
			v.Del("dir")
		}
		if sk == store.SortDate {
			v.Del("sort")
			d.SortDate = "/certificates?" + v.Encode()
		} else {
			d.SortNumber = "/certificates?" + v.Encode()
		}
	}
	if d.CanPrint {
		var err error
		if d.Formats, d.Format, err = s.formatChoices(w.actor(c.IP())); err != nil {
			return err
		}
	}
	if isHTMX(c) && c.Get("HX-Target") == "cert-table" {
		// The address bar gets the canonical query, not every empty field.
		push := url.Values{}
		for k, v := range vals {
			push[k] = v
		}
		f.cursorValues(push)
		c.Set("HX-Push-Url", "/certificates?"+push.Encode())
		d.OOB = true
		c.Vary("HX-Request")
		return s.sendHTML(c, status, func(out *htmlOut) { writeCertTable(out, &d, w.csrfToken()) })
	}
	// The filter form: rendered once per viewer, lists of options and
	// query, and kept (cert_options.go). The organisations' generation is
	// in the key: the selected organisation's name may change.
	gen := s.st.OrgsGeneration()
	occOptions, occID, err := s.viewerOccupations(w.org)
	if err != nil {
		return err
	}
	key := strconv.FormatUint(w.org.ID, 10) + "|" + strconv.FormatUint(gen, 10) + "|" + strconv.FormatUint(occID, 10) + "|" +
		strconv.FormatBool(d.ShowOrg) + "|" + d.Query
	d.Filters, err = s.filtersHTML(key, func() (template.HTML, error) {
		if d.ShowOrg {
			var err error
			if d.OrgName, err = s.selectedOrgName(w.org, f.Org); err != nil {
				return "", err
			}
		}
		d.OccupationOptions = selectOption(occOptions, f.Occupation)
		d.LevelOptions = selectOption(levelOptions, f.Level)
		d.StatusOptions = selectOption(statusOptions, f.Status)
		d.PrintedOptions = selectOption(printedOptions, f.Printed)
		d.SizeOptions = selectOption(sizeOptions, f.Size)
		var buf bytes.Buffer
		if err := s.views.ExecuteTemplate(&buf, string(tplCertFilters), page{Data: d}); err != nil {
			return "", fmt.Errorf("render %s: %w", tplCertFilters, err)
		}
		return template.HTML(buf.String()), nil
	})
	if err != nil {
		return err
	}
	title := "证书查询"
	if w.org.Type == store.Province {
		title = "证书库"
	}
	return s.renderHTML(c, status, title, func(out *htmlOut) { writeCertPage(out, title, w.org.Type, &d, w.csrfToken()) })
}

func firstValue(m map[string]string) string {
	for _, k := range []string{"number", "name", "id", "occupation", "level", "org", "status", "printed", "from", "to", ""} {
		if v, ok := m[k]; ok {
			return v
		}
	}
	for _, v := range m {
		return v
	}
	return ""
}

// cursorValues adds the page and its cursor to v.
func (f certForm) cursorValues(v url.Values) {
	if f.Page > 1 {
		v.Set("page", strconv.Itoa(f.Page))
	}
	if f.After != "" {
		v.Set("after", f.After)
	} else if f.Before != "" {
		v.Set("before", f.Before)
	}
}

// newCertPager pages a certificate list at base (the library, or 申请业务).
// 上一页 and 下一页 carry the store's cursors, so they cost one page
// however deep the list; the numbered links are only those the store
// answers by number (near either end of the list).
func newCertPager(base string, vals url.Values, f certForm, page store.CertPage) certPager {
	size := f.size()
	link := func(n int, cursor, value string) string {
		w := url.Values{}
		for k, x := range vals {
			w[k] = x
		}
		if n > 1 {
			w.Set("page", strconv.Itoa(n))
			if value != "" {
				w.Set(cursor, value)
			}
		}
		if len(w) == 0 {
			return base
		}
		return base + "?" + w.Encode()
	}
	p := certPager{Exact: page.Exact, Page: f.Page, Partial: page.Partial}
	if f.Page > 1 && len(page.Certs) > 0 {
		p.PrevURL = link(f.Page-1, "before", page.Prev)
	} else if f.Page > 1 && f.After == "" && f.Before == "" {
		p.PrevURL = link(f.Page-1, "", "")
	}
	if page.More && page.Next != "" {
		p.NextURL = link(f.Page+1, "after", page.Next)
	}
	if page.Exact {
		p.Full = newPager(base, vals, f.Page, size, page.Total)
		p.Full.PrevURL, p.Full.NextURL = p.PrevURL, p.NextURL
		depth := store.CertPageDepth()
		links := p.Full.Links[:0]
		for _, l := range p.Full.Links {
			from := (l.N - 1) * size
			if l.Gap || l.Current || from <= depth || page.Total-from-size <= depth {
				links = append(links, l)
			}
		}
		for i := len(links) - 1; i > 0; i-- { // no two gaps in a row
			if links[i].Gap && links[i-1].Gap {
				links = append(links[:i], links[i+1:]...)
			}
		}
		p.Full.Links = links
	}
	if len(page.Certs) > 0 {
		p.From = (f.Page-1)*size + 1
		p.To = p.From + len(page.Certs) - 1
	}
	return p
}

// certExport sends the current list as .xlsx: masked IDs, identifiers as
// text, counts as numbers, the issue date as a date (sheets.Export keeps
// every text inert).
func (s *Server) certExport(c *fiber.Ctx) error {
	w := whoOf(c)
	f := parseCertForm(func(k string) string { return c.Query(k) })
	q, errs := f.query()
	if errs != nil {
		return s.renderCertList(c, fiber.StatusUnprocessableEntity, f, "")
	}
	certs, err := s.st.CertificatesForExport(w.actor(c.IP()), q)
	if msg, ok := userMessage(err); ok {
		return s.renderCertList(c, fiber.StatusUnprocessableEntity, f, msg)
	}
	if err != nil {
		return err
	}
	text := func(h string) sheets.Column { return sheets.Column{Header: h, Kind: sheets.Text} }
	cols := []sheets.Column{text("证书编号"), text("姓名"), text("性别"), text("身份证号"), text("工作单位"), text("职业（工种）"),
		text("等级"), text("发证机构"), {Header: "发证日期", Kind: sheets.Date}, text("状态"), text("打印状态"),
		{Header: "打印次数", Kind: sheets.Number}, {Header: "版本", Kind: sheets.Number}}
	rows := make([][]any, len(certs))
	issuers := map[uint64]string{}
	for i, ct := range certs {
		issuer, ok := issuers[ct.OrgID]
		if !ok {
			issuer = s.orgDisplay(ct.OrgID, ct.OrgName)
			issuers[ct.OrgID] = issuer
		}
		rows[i] = []any{ct.Number, ct.Name, ct.Gender, idcard.Mask(ct.IDNumber), ct.WorkUnit, ct.OccupationName, ct.LevelName(),
			issuer, ct.IssueDate.In(cst), ct.Status.Label(), ct.PrintLabel(), ct.PrintCount, ct.Version}
	}
	var buf bytes.Buffer
	if err := sheets.Export(&buf, sheets.Table{Sheet: "证书", Columns: cols, Rows: rows}); err != nil {
		return err
	}
	if err := s.st.LogCertExport(w.actor(c.IP()), len(rows), f.values().Encode()); err != nil {
		return err
	}
	stamp := s.now().In(cst).Format("20060102-1504")
	return sendDownload(c, buf.Bytes(), mimeXLSX, fileName{"证书查询结果-" + stamp + ".xlsx", "certificates-" + stamp + ".xlsx"}, true)
}
