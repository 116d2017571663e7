package handlers

import (
	"certreg/certlayout"

	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"certreg/certpdf"
	"certreg/store"
)

// Printing (docs/certificates.md): the selected certificates, one of them from
// its detail page, or every result of the current query (at most
// store.MaxPrintBatch), as one PDF with a page each in the chosen format.
// The PDF is made first and the print recorded after, so a certificate that
// cannot be printed records nothing. The print status can also be set by
// hand. Both actions come from the list (field q: its query), from a
// detail page (field from: the number) or from 业务打印 (field back), and
// answer errors there with 422.

// printOrigin is where a print action came from.
type printOrigin struct {
	query  url.Values // the list's filters
	number string     // or a certificate's detail page
	back   string     // or another list that prints (field back: bizPrintPath)
}

func parseOrigin(c *fiber.Ctx) printOrigin {
	o := printOrigin{number: c.FormValue("from")}
	if v, err := url.ParseQuery(c.FormValue("q")); err == nil {
		o.query = v
	}
	if c.FormValue("back") == bizPrintPath {
		o.back = bizPrintPath
	}
	return o
}

func (o printOrigin) url() string {
	if o.back != "" {
		return o.back
	}
	if n := o.number; len(n) == 14 && strings.Trim(n, "0123456789") == "" {
		return "/certificates/" + n
	}
	if q := o.query.Encode(); q != "" {
		return "/certificates?" + q
	}
	return "/certificates"
}

// fail shows a message on the page the action came from, with 422.
func (s *Server) printFail(c *fiber.Ctx, o printOrigin, msg string) error {
	if o.back == bizPrintPath {
		return s.renderBizPrint(c, fiber.StatusUnprocessableEntity, msg)
	}
	if len(o.number) == 14 && strings.Trim(o.number, "0123456789") == "" {
		return s.renderCertDetailOf(c, o.number, fiber.StatusUnprocessableEntity, nil, map[string]string{"": msg}, "")
	}
	return s.renderCertList(c, fiber.StatusUnprocessableEntity, parseCertForm(func(k string) string { return o.query.Get(k) }), msg)
}

// selectedNumbers are the certificates an action is for: the ticked boxes
// (n), or with all=1 every valid certificate of the list's query.
func (s *Server) selectedNumbers(c *fiber.Ctx, a store.Actor, o printOrigin) ([]string, string, error) {
	if c.FormValue("all") != "1" {
		var out []string
		for _, v := range c.Context().PostArgs().PeekMulti("n") {
			out = append(out, string(v))
		}
		if len(out) == 0 {
			return nil, "请先勾选要处理的证书。", nil
		}
		if len(out) > store.MaxPrintBatch {
			return nil, fmt.Sprintf("一次最多处理 %d 本证书（已选 %d 本），请分批处理。", store.MaxPrintBatch, len(out)), nil
		}
		return out, "", nil
	}
	f := parseCertForm(func(k string) string { return o.query.Get(k) })
	q, errs := f.query()
	if errs != nil {
		return nil, "请修正查询条件：" + firstValue(errs), nil
	}
	if q.Status == "" {
		q.Status = store.CertValid
	}
	q.Offset, q.Limit = 0, store.MaxPrintBatch
	page, err := s.st.Certificates(a, q)
	msg, bad := userMessage(err)
	switch {
	case bad:
		return nil, msg, nil
	case err != nil:
		return nil, "", err
	case page.Total == 0:
		return nil, "当前查询没有可打印的有效证书。", nil
	case page.More:
		more := fmt.Sprintf("%d", page.Total)
		if !page.Exact {
			more = "超过 " + more
		}
		return nil, fmt.Sprintf("当前查询结果共 %s 本，超过单次打印上限 %d 本，请增加查询条件（如发证日期、职业）后分批打印。", more, store.MaxPrintBatch), nil
	}
	out := make([]string, len(page.Certs))
	for i, ct := range page.Certs {
		out[i] = ct.Number
	}
	return out, "", nil
}

// pdfCert is what a page prints of a certificate; the QR code (link) opens
// its public verification with the signed payload (signedVerifyURLs).
func pdfCert(ct store.Certificate, link string) certpdf.Cert {
	return certpdf.Cert{Number: ct.Number, Name: ct.Name, Gender: ct.Gender, IDNumber: ct.IDNumber, WorkUnit: ct.WorkUnit,
		Occupation: ct.OccupationName, Level: ct.LevelName(), IssueDate: ct.IssueDate, Issuer: ct.OrgName, VerifyURL: link}
}

// printSelection reads a print action: its caller, the page it came from
// and the certificates it is for. answered is set when the selection was
// refused and the page it came from has been sent with the reason (422).
func (s *Server) printSelection(c *fiber.Ctx) (a store.Actor, o printOrigin, numbers []string, answered bool, err error) {
	a, o = whoOf(c).actor(c.IP()), parseOrigin(c)
	numbers, msg, err := s.selectedNumbers(c, a, o)
	if err == nil && msg != "" {
		return a, o, nil, true, s.printFail(c, o, msg)
	}
	return a, o, numbers, false, err
}

// certPrint sends the PDF of the selected certificates and records the print.
func (s *Server) certPrint(c *fiber.Ctx) error {
	a, o, numbers, answered, err := s.printSelection(c)
	if answered || err != nil {
		return err
	}
	format, err := s.resolveFormat(a, c.FormValue("format"))
	if err != nil {
		return err
	}
	base, err := s.publicURL()
	if err != nil {
		return err
	}
	if base == "" {
		return s.printFail(c, o, msgNoPublicURL)
	}
	certs, err := s.st.PrintableCertificates(a, numbers)
	if msg, ok := userMessage(err); ok {
		return s.printFail(c, o, msg)
	}
	if err != nil {
		return err
	}
	links, err := s.signedVerifyURLs(base, certs)
	var se *store.SigningError
	if errors.As(err, &se) {
		return s.printFail(c, o, se.Error())
	}
	if err != nil {
		return err
	}
	pages := make([]certpdf.Cert, len(certs))
	for i, ct := range certs {
		pages[i] = pdfCert(ct, links[i])
	}
	var buf bytes.Buffer
	if err := certpdf.Render(&buf, format, pages); err != nil {
		var te *certpdf.TextError
		var fe *certlayout.InvalidFormatError
		var qe *certpdf.QRSizeError
		switch {
		case errors.As(err, &qe):
			return s.printFail(c, o, qe.Message())
		case errors.As(err, &te) && te.Missing != 0:
			return s.printFail(c, o, te.Message()+"，无法打印；请核对该证书的信息。")
		case errors.As(err, &te):
			return s.printFail(c, o, te.Message()+"，请调整打印格式中该字段的宽度或字号后再打印。")
		case errors.As(err, &fe):
			return s.printFail(c, o, "打印格式「"+format.Name+"」不完整，请先在「打印格式」中修改后再打印。")
		}
		return err
	}
	if _, err := s.st.RecordPrint(a, numbers, format.Name); err != nil {
		if msg, ok := userMessage(err); ok {
			return s.printFail(c, o, msg)
		}
		return err
	}
	stamp := s.now().In(cst).Format("20060102-1504")
	name := fileName{fmt.Sprintf("证书打印-%s-%d本.pdf", stamp, len(certs)), fmt.Sprintf("certificates-%s-%d.pdf", stamp, len(certs))}
	if len(certs) == 1 {
		name = fileName{"证书-" + certs[0].Number + ".pdf", "certificate-" + certs[0].Number + ".pdf"}
	}
	return sendDownload(c, buf.Bytes(), "application/pdf", name, true)
}

// certPrinted sets the print status of the selected certificates by hand.
func (s *Server) certPrinted(c *fiber.Ctx) error {
	a, o, numbers, answered, err := s.printSelection(c)
	if answered || err != nil {
		return err
	}
	printed := c.FormValue("printed") == "1"
	n, err := s.st.SetPrinted(a, numbers, printed)
	if msg, ok := userMessage(err); ok {
		return s.printFail(c, o, msg)
	}
	if err != nil {
		return err
	}
	label := "未打印"
	if printed {
		label = "已打印"
	}
	s.flash(c, fmt.Sprintf("已将 %d 本证书设置为%s。", n, label))
	return s.redirect(c, o.url())
}
