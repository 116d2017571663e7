package handlers

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"certreg/data"
	"certreg/store"
)

// 申请业务 (docs/businesses.md): the organisation's valid certificates with
// the library's filters and paging (the same form and store query as
// /certificates, held to status 有效), each offering 变更 / 补办 / 注销, or
// showing the business it already has.

type bizCertsData struct {
	Form        certForm
	Page        store.CertPage
	Pager       certPager
	Open        map[string]store.Business // open business by certificate number
	Occupations []store.Occupation
	Levels      []data.Level
	Kinds       []store.BizKind
	Error       string
}

func (s *Server) bizCerts(c *fiber.Ctx) error {
	w := whoOf(c)
	f := parseCertForm(func(k string) string { return c.Query(k) })
	// Only the filters of this list count: it shows valid certificates of
	// the caller's own organisation.
	f.Org, f.Status, f.Printed = "", "", ""
	d := bizCertsData{Form: f, Levels: data.Levels(), Kinds: store.BizKinds}
	status := fiber.StatusOK
	q, errs := f.query()
	if errs != nil {
		d.Page.Exact = true
		d.Error = "请修正查询条件：" + firstValue(errs)
		status = fiber.StatusUnprocessableEntity
	} else {
		page, err := s.st.ApplicableCertificates(w.actor(c.IP()), q)
		msg, bad := userMessage(err)
		switch {
		case bad:
			d.Page.Exact = true
			d.Error = "请修正查询条件：" + msg
			status = fiber.StatusUnprocessableEntity
		case err != nil:
			return err
		default:
			d.Page = page
		}
	}
	vals := f.values()
	d.Pager = newCertPager("/business", vals, f, d.Page)
	numbers := make([]string, len(d.Page.Certs))
	for i, ct := range d.Page.Certs {
		numbers[i] = ct.Number
	}
	open, err := s.st.OpenBusinesses(numbers)
	if err != nil {
		return err
	}
	d.Open = open
	if isHTMX(c) && c.Get("HX-Target") == "biz-cert-table" {
		push := url.Values{}
		for k, v := range vals {
			push[k] = v
		}
		f.cursorValues(push)
		c.Set("HX-Push-Url", "/business?"+push.Encode())
		return s.fragment(c, status, tplBizCertTable, d)
	}
	if d.Occupations, err = s.st.Occupations(); err != nil {
		return err
	}
	return s.render(c, status, tplBizCerts, "申请业务", d, nil)
}
