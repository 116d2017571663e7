package handlers

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// 业务打印 (docs/businesses.md): the organisation's certificates whose
// 姓名/身份证号 change or reissue was approved and which were not printed
// since, with the print formats. Printing and the print marks are the
// library's own actions (/certificates/print and /certificates/printed,
// field back=/business/print), which come back here: a printed or marked
// certificate leaves the list.

const bizPrintPath = "/business/print"

type bizPrintData struct {
	Page    store.BizPrintPage
	Pager   pager
	Formats []formatChoice
	Format  string
	Error   string
}

func (s *Server) bizPrint(c *fiber.Ctx) error {
	return s.renderBizPrint(c, fiber.StatusOK, "")
}

func (s *Server) renderBizPrint(c *fiber.Ctx, status int, message string) error {
	a := actorOf(c)
	page := pageParam(c)
	res, err := s.st.BusinessPrints(a, (page-1)*bizPageSize, bizPageSize)
	if err != nil {
		return err
	}
	d := bizPrintData{Page: res, Error: message, Pager: newPager(bizPrintPath, url.Values{}, page, bizPageSize, res.Total)}
	if d.Formats, d.Format, err = s.formatChoices(a); err != nil {
		return err
	}
	// After a print the page asks for its table again (app.js).
	if isHTMX(c) && c.Get("HX-Target") == "cert-table" {
		return s.fragment(c, status, tplBizPrintTable, d)
	}
	return s.render(c, status, tplBizPrint, "业务打印", d, nil)
}
