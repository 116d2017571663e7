package handlers

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// The certificate detail (docs/certificates.md): every field with the full ID
// number (the caller's scope only), status, version, print status and
// history, the registration's batch with its review log, every business on
// it with its review log, and the actions the caller may take on it: print
// and set the print status (its own unit), start a 变更/补办/注销 (its own
// unit, when valid and without an open business), cancel or activate (the
// province).

type certDetailData struct {
	Cert       store.Certificate
	Batch      *store.Batch
	BatchURL   string
	BatchLog   []store.ReviewEntry
	History    []store.CertEvent
	Prints     []store.CertEvent
	CanPrint   bool
	CanStatus  bool
	Formats    []formatChoice
	Format     string
	VerifyURL  string
	Issuer     string // the issuing organisation as "名称 代码"
	Form       map[string]string
	StatusForm string // which status form the errors belong to
	// The certificate's businesses (oldest first) with where the caller
	// opens each, its open one, and whether the caller may start one.
	Businesses []certBiz
	OpenBiz    *certBiz
	CanApply   bool
}

// certBiz is a business of the certificate and the page where the caller
// opens it ("" when none).
type certBiz struct {
	Biz store.Business
	URL string
}

// numberParam reads a 14-digit :number; anything else is not found.
func numberParam(c *fiber.Ctx) (string, error) {
	n := c.Params("number")
	if len(n) != 14 || strings.Trim(n, "0123456789") != "" {
		return "", fiber.ErrNotFound
	}
	return n, nil
}

func (s *Server) certDetail(c *fiber.Ctx) error {
	return s.renderCertDetail(c, fiber.StatusOK, nil, nil, "")
}

func (s *Server) renderCertDetail(c *fiber.Ctx, status int, form, errs map[string]string, statusForm string) error {
	number, err := numberParam(c)
	if err != nil {
		return err
	}
	return s.renderCertDetailOf(c, number, status, form, errs, statusForm)
}

func (s *Server) renderCertDetailOf(c *fiber.Ctx, number string, status int, form, errs map[string]string, statusForm string) error {
	w := whoOf(c)
	cert, err := s.st.Certificate(w.org, number)
	if err != nil {
		return err
	}
	a := w.actor(c.IP())
	d := certDetailData{Cert: cert, Form: form, StatusForm: statusForm, CanStatus: w.can(store.CapCertStatus),
		CanPrint: w.can(store.CapCertPrint) && cert.OrgID == w.org.ID}
	base, err := s.publicURL()
	if err != nil {
		return err
	}
	if base != "" {
		d.VerifyURL = s.verifyURL(base, cert.Number)
		// A valid certificate's link carries its signed payload, as its QR
		// code does once printed.
		if cert.Status == store.CertValid {
			if links, err := s.signedVerifyURLs(base, []store.Certificate{cert}); err == nil {
				d.VerifyURL = links[0]
			}
		}
	}
	d.Issuer = s.orgDisplay(cert.OrgID, cert.OrgName)
	if cert.BatchID != 0 {
		if b, err := s.st.Batch(a, cert.BatchID); err == nil {
			d.Batch = &b
			if log, err := s.st.BatchLog(a, b.ID); err == nil {
				d.BatchLog = log
			}
			switch {
			case b.OrgID == w.org.ID && w.can(store.CapBatchManage) && s.mayOpen(w, "/batches/:id"):
				d.BatchURL = "/batches/" + itoa(b.ID)
			case w.can(store.CapBatchReview) && s.mayOpen(w, "/reviews/batches/:id"):
				d.BatchURL = "/reviews/batches/" + itoa(b.ID)
			}
		} else if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrForbidden) {
			return err
		}
	}
	// Newest first; the registration is the oldest line.
	for i := len(cert.History) - 1; i >= 0; i-- {
		e := cert.History[i]
		d.History = append(d.History, e)
		if e.Kind == "打印" || e.Kind == "打印状态" {
			d.Prints = append(d.Prints, e)
		}
	}
	if d.CanPrint {
		if d.Formats, d.Format, err = s.formatChoices(a); err != nil {
			return err
		}
	}
	bizs, open, err := s.st.CertificateBusinesses(w.org, cert.Number)
	if err != nil {
		return err
	}
	for _, b := range bizs {
		cb := certBiz{Biz: b, URL: s.bizURL(w, b)}
		d.Businesses = append(d.Businesses, cb)
		if open != nil && open.ID == b.ID {
			d.OpenBiz = &cb
		}
	}
	d.CanApply = cert.OrgID == w.org.ID && w.can(store.CapBusinessApply) && cert.Status == store.CertValid && open == nil
	return s.render(c, status, tplCertDetail, "证书 "+cert.Number, d, errs)
}

// certStatus is the province's 注销 or 激活 with a reason.
func (s *Server) certStatus(c *fiber.Ctx) error {
	w := whoOf(c)
	number, err := numberParam(c)
	if err != nil {
		return err
	}
	action, reason := c.FormValue("action"), c.FormValue("reason")
	var cert store.Certificate
	switch action {
	case "cancel":
		cert, err = s.st.CancelCertificate(w.actor(c.IP()), number, reason)
	case "activate":
		cert, err = s.st.ActivateCertificate(w.actor(c.IP()), number, reason)
	default:
		return fiber.ErrNotFound
	}
	if err != nil {
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.renderCertDetail(c, fiber.StatusUnprocessableEntity, map[string]string{"reason": reason}, errs, action)
	}
	if action == "cancel" {
		s.flash(c, "证书 "+cert.Number+" 已注销。")
	} else {
		s.flash(c, "证书 "+cert.Number+" 已激活。")
	}
	return s.redirect(c, "/certificates/"+cert.Number)
}

// bizURL is the page where the caller opens a business: its applicant's
// 已申请业务, a reviewer's review page, or the province's overview.
func (s *Server) bizURL(w *who, b store.Business) string {
	switch {
	case b.OrgID == w.org.ID && w.can(store.CapBusinessApply):
		return bizAppliedURL(b.ID)
	case b.OrgID != w.org.ID && w.can(store.CapBusinessReview):
		return "/reviews/business/" + itoa(b.ID)
	case w.can(store.CapBusinessOverview):
		return "/business/overview/" + itoa(b.ID)
	}
	return ""
}
