package handlers

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"certreg/idcard"
	"certreg/sheets"
	"certreg/store"
)

// 业务总览 (docs/businesses.md, the province): every business of every
// organisation and every batch's 注册, newest first, filtered by kind,
// state, applying organisation and date, paged by "has more", with the
// filtered list as an Excel workbook and the page of one business.

type bizOverviewData struct {
	Filter    bizListQuery
	Rows      []store.OverviewRow
	More      bool
	PageNo    int
	From, To  int
	PrevURL   string
	NextURL   string
	Kinds     []store.BizKind
	States    []store.BizState
	Orgs      []store.Org
	Export    string
	ExportMax int
	Error     string
	BatchURL  bool // the caller may open a batch's review page
}

// overviewKinds are the overview's kinds: the businesses and 注册.
var overviewKinds = append(append([]store.BizKind(nil), store.BizKinds...), store.BizRegister)

// overviewFilter reads the overview's filters; a bad date or organisation
// is a message.
func overviewFilter(c *fiber.Ctx, page int) (bizListQuery, store.BizFilter, string) {
	q := parseBizListQuery(c)
	q.Tab = ""
	f, msg := q.filter(page, overviewKinds...)
	if q.Org != "" {
		f.OrgID = parseUint(q.Org)
		if f.OrgID == 0 && msg == "" {
			msg = "申请机构无效"
		}
	}
	return q, f, msg
}

func (s *Server) bizOverview(c *fiber.Ctx) error {
	return s.renderBizOverview(c, fiber.StatusOK, "")
}

func (s *Server) renderBizOverview(c *fiber.Ctx, status int, message string) error {
	w := whoOf(c)
	page := pageParam(c)
	q, f, msg := overviewFilter(c, page)
	d := bizOverviewData{Filter: q, PageNo: page, Kinds: overviewKinds, States: store.BizStates, Error: message, ExportMax: store.MaxBizExportRows,
		BatchURL: w.can(store.CapBatchReview)}
	vals := q.values()
	d.Export = listURL("/business/overview/export", q.values(), 1)
	if msg != "" {
		d.Error = "请修正筛选条件：" + msg
		status = fiber.StatusUnprocessableEntity
	} else {
		rows, more, err := s.st.BusinessOverview(w.actor(c.IP()), f)
		if err != nil {
			return err
		}
		d.Rows, d.More = rows, more
	}
	if len(d.Rows) > 0 {
		d.From = (page-1)*bizPageSize + 1
		d.To = d.From + len(d.Rows) - 1
	}
	if page > 1 {
		d.PrevURL = listURL("/business/overview", q.values(), page-1)
	}
	if d.More {
		d.NextURL = listURL("/business/overview", q.values(), page+1)
	}
	if isHTMX(c) && c.Get("HX-Target") == "biz-table" {
		c.Set("HX-Push-Url", listURL("/business/overview", vals, page))
		return s.fragment(c, status, tplBizOverviewRows, d)
	}
	orgs, _, err := s.st.Orgs(w.org, store.OrgFilter{All: true})
	if err != nil {
		return err
	}
	for _, o := range orgs {
		if o.Type == store.Unit || o.Type == store.Direct {
			d.Orgs = append(d.Orgs, o)
		}
	}
	return s.render(c, status, tplBizOverview, "业务总览", d, nil)
}

// bizOverviewExport sends the filtered overview as .xlsx (IDs masked), at
// most store.MaxBizExportRows rows; more is a 422 asking for narrower
// filters.
func (s *Server) bizOverviewExport(c *fiber.Ctx) error {
	w := whoOf(c)
	q, f, msg := overviewFilter(c, 1)
	if msg != "" {
		return s.renderBizOverview(c, fiber.StatusUnprocessableEntity, "请修正筛选条件："+msg)
	}
	rows, err := s.st.BusinessOverviewExport(w.actor(c.IP()), f)
	if msg, ok := userMessage(err); ok {
		return s.renderBizOverview(c, fiber.StatusUnprocessableEntity, msg)
	}
	if err != nil {
		return err
	}
	out := make([]sheets.BusinessRow, len(rows))
	for i, r := range rows {
		out[i] = overviewExportRow(r)
	}
	title, err := s.overviewTitle(q, f)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sheets.ExportBusinesses(&buf, title, out); err != nil {
		return err
	}
	if err := s.st.LogBizExport(w.actor(c.IP()), len(out), q.values().Encode()); err != nil {
		return err
	}
	stamp := s.now().In(cst).Format("20060102-1504")
	return sendDownload(c, buf.Bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		fileName{"业务总览-" + stamp + ".xlsx", "business-overview-" + stamp + ".xlsx"}, true)
}

// overviewTitle says what an export holds: its filters and when it was
// made.
func (s *Server) overviewTitle(q bizListQuery, f store.BizFilter) (string, error) {
	parts := []string{"业务总览"}
	if f.Kind != "" {
		parts = append(parts, "业务类型："+f.Kind.Label())
	}
	if f.State != "" {
		parts = append(parts, "审核状态："+f.State.Label())
	}
	if f.OrgID != 0 {
		o, err := s.st.Org(f.OrgID)
		if err != nil {
			return "", err
		}
		parts = append(parts, "申请机构："+o.Display())
	}
	if q.From != "" || q.To != "" {
		parts = append(parts, "发起日期："+orDash(q.From)+" 至 "+orDash(q.To))
	}
	parts = append(parts, "导出于 "+s.now().In(cst).Format("2006-01-02 15:04"))
	return strings.Join(parts, " · "), nil
}

func overviewExportRow(r store.OverviewRow) sheets.BusinessRow {
	out := sheets.BusinessRow{Kind: r.Kind.Label(), Org: r.Org.Display(), State: r.State.Label(),
		Applied: r.Created.In(cst).Format("2006-01-02 15:04:05")}
	if r.Batch != nil {
		b := r.Batch
		out.Number = fmt.Sprintf("批次 %s %s（%s 人）", b.Code(), b.Name, strconv.Itoa(b.Count))
		if r.State == store.BizRejected {
			out.Reason = b.Reason
		}
		if t := batchReviewed(*b); !t.IsZero() {
			out.Reviewed = t.In(cst).Format("2006-01-02 15:04:05")
		}
		return out
	}
	b := r.Business
	out.Number = b.Number
	if b.NewNumber != "" {
		out.Number += " → " + b.NewNumber
	}
	out.Holder = b.Old.Name + " " + idcard.Mask(b.Old.IDNumber)
	if r.State == store.BizRejected {
		out.Reason = b.RejectReason
	}
	if t := bizReviewed(b); !t.IsZero() {
		out.Reviewed = t.In(cst).Format("2006-01-02 15:04:05")
	}
	return out
}

// batchReviewed is the time of the last review of a batch's current round
// (zero when the round has not been reviewed yet).
func batchReviewed(b store.Batch) time.Time {
	if b.Reviewed.IsZero() || b.Reviewed.Before(b.Submitted) {
		return time.Time{}
	}
	return b.Reviewed
}

// bizOverviewPage is one business as the province's overview shows it.
func (s *Server) bizOverviewPage(c *fiber.Ctx) error {
	w := whoOf(c)
	b, err := s.bizOf(c)
	if err != nil {
		return err
	}
	det, err := s.loadBizDetail(c, w, b, "/business/overview/"+itoa(b.ID))
	if err != nil {
		return err
	}
	d := bizShowData{bizDetail: det, Crumb: "业务总览", CrumbURL: "/business/overview"}
	return s.render(c, fiber.StatusOK, tplBizShow, b.Kind.Label()+"业务 "+b.Number, d, nil)
}
