package handlers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// Applying for a business (docs/businesses.md): GET /business/new?n=&kind=
// shows the certificate and the form of the kind (without a kind: the
// choice of kind); POST /business submits it with its proof images. The
// store checks everything again; its messages come back on the same form
// with 422 and the input kept (the chosen files excepted: a browser never
// lets a page refill a file input).

// bizForm is an application as typed.
type bizForm struct {
	Kind                              store.BizKind
	Number                            string
	NewName, NewIDNumber, NewWorkUnit string
	Reason                            string
}

func parseBizForm(c *fiber.Ctx) bizForm {
	return bizForm{Kind: store.BizKind(strings.TrimSpace(c.FormValue("kind"))), Number: strings.TrimSpace(c.FormValue("n")),
		NewName: c.FormValue("new_name"), NewIDNumber: c.FormValue("new_id_number"), NewWorkUnit: c.FormValue("new_work_unit"),
		Reason: c.FormValue("reason")}
}

func (f bizForm) application(proofs []store.Upload) store.BizApplication {
	return store.BizApplication{Kind: f.Kind, Number: f.Number, NewName: f.NewName, NewIDNumber: f.NewIDNumber,
		NewWorkUnit: f.NewWorkUnit, Reason: f.Reason, Proofs: proofs}
}

// bizFormData is the application page: a new application, or the
// correction of a rejected one (Biz set).
type bizFormData struct {
	Form      bizForm
	Cert      store.Certificate
	Biz       *store.Business
	Action    string
	Kinds     []store.BizKind
	Blocked   string          // why the certificate takes no application now
	Open      *store.Business // its open business, if that is why
	MaxProofs int
	MaxKB     int
	Reviewer  string // who reviews it first
}

func (s *Server) newBizFormData(w *who, f bizForm, cert store.Certificate) bizFormData {
	d := bizFormData{Form: f, Cert: cert, Action: "/business", Kinds: store.BizKinds, MaxProofs: store.MaxBizProofs,
		MaxKB: store.MaxBizProofSize >> 10, Reviewer: "主管部门"}
	if w.org.Type == store.Direct {
		d.Reviewer = "省厅"
	}
	return d
}

// ownCert loads a certificate of the caller's own organisation by the
// 14-digit number n; any other is not found.
func (s *Server) ownCert(w *who, n string) (store.Certificate, error) {
	if len(n) != 14 || strings.Trim(n, "0123456789") != "" {
		return store.Certificate{}, fiber.ErrNotFound
	}
	cert, err := s.st.Certificate(w.org, n)
	if err != nil {
		return store.Certificate{}, err
	}
	if cert.OrgID != w.org.ID {
		return store.Certificate{}, fiber.ErrNotFound
	}
	return cert, nil
}

func (s *Server) bizNewPage(c *fiber.Ctx) error {
	w := whoOf(c)
	cert, err := s.ownCert(w, strings.TrimSpace(c.Query("n")))
	if err != nil {
		return err
	}
	f := bizForm{Kind: store.BizKind(c.Query("kind")), Number: cert.Number}
	if !store.ValidBizKind(f.Kind) {
		f.Kind = ""
	}
	d := s.newBizFormData(w, f, cert)
	if cert.Status != store.CertValid {
		d.Blocked = "证书当前为" + cert.Status.Label() + "状态，只有有效的证书可以申请业务。"
	} else {
		open, err := s.st.OpenBusinesses([]string{cert.Number})
		if err != nil {
			return err
		}
		if b, ok := open[cert.Number]; ok {
			d.Open = &b
			d.Blocked = fmt.Sprintf("证书已有一项%s业务（%s），办结或撤回后才能再申请。", b.Kind.Label(), b.State.Label())
		}
	}
	return s.render(c, fiber.StatusOK, tplBizNew, bizFormTitle(f.Kind, nil), d, nil)
}

func bizFormTitle(k store.BizKind, b *store.Business) string {
	switch {
	case b != nil:
		return "修改后重新提交" + b.Kind.Label() + "申请"
	case store.ValidBizKind(k):
		return "申请" + k.Label()
	}
	return "申请证书业务"
}

func (s *Server) bizApply(c *fiber.Ctx) error {
	w := whoOf(c)
	f := parseBizForm(c)
	cert, err := s.ownCert(w, f.Number)
	if err != nil {
		return err
	}
	proofs, err := readProofs(c)
	if err != nil {
		return s.bizFormFail(c, s.newBizFormData(w, f, cert), err)
	}
	b, err := s.st.ApplyBusiness(w.actor(c.IP()), f.application(proofs))
	if err != nil {
		return s.bizFormFail(c, s.newBizFormData(w, f, cert), err)
	}
	s.flash(c, fmt.Sprintf("已提交证书 %s 的%s申请，等待%s审核。", b.Number, b.Kind.Label(), reviewerName(b.State)))
	return s.redirect(c, bizAppliedURL(b.ID))
}

// bizFormFail shows the application form again with the refusal: 422 and
// the input kept.
func (s *Server) bizFormFail(c *fiber.Ctx, d bizFormData, err error) error {
	var ue *uploadError
	var se *store.BizStateError
	var errs map[string]string
	switch {
	case errors.As(err, &ue):
		errs = map[string]string{"proofs": ue.msg, "": "请修正标出的内容后再提交。"}
	case errors.As(err, &se):
		errs = map[string]string{"": se.Error()}
	default:
		var ferr error
		if errs, ferr = formErrors(err); ferr != nil {
			return ferr
		}
	}
	if errs["kind"] != "" {
		d.Form.Kind = ""
		errs[""] = errs["kind"]
	}
	return s.render(c, fiber.StatusUnprocessableEntity, tplBizNew, bizFormTitle(d.Form.Kind, d.Biz), d, errs)
}

// readProofs reads the proof images of an application (the file field
// proofs), refusing more files or larger ones than a business takes before
// reading any. The store checks their content.
func readProofs(c *fiber.Ctx) ([]store.Upload, error) {
	fhs := formFiles(c, "proofs")
	if len(fhs) > store.MaxBizProofs {
		return nil, &uploadError{fmt.Sprintf("证明材料最多上传 %d 张图片（本次选择了 %d 张）", store.MaxBizProofs, len(fhs))}
	}
	out := make([]store.Upload, 0, len(fhs))
	for _, fh := range fhs {
		if fh.Size > store.MaxBizProofSize {
			return nil, &uploadError{fmt.Sprintf("图片「%s」大小为 %d KB，超过每张 %d KB 的上限，请压缩后再上传", fh.Filename, (fh.Size+1023)/1024, store.MaxBizProofSize>>10)}
		}
		b, err := readFileHeader(fh, store.MaxBizProofSize)
		if err != nil {
			return nil, err
		}
		out = append(out, store.Upload{Name: fh.Filename, Content: b})
	}
	return out, nil
}

// reviewerName says who reviews a business in state st.
func reviewerName(st store.BizState) string {
	if st == store.BizPendingProvince {
		return "省厅"
	}
	return "主管部门"
}

func bizAppliedURL(id uint64) string { return "/business/applied/" + itoa(id) }
