package handlers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"certreg/files"
	"certreg/store"
)

// Applying for a business (docs/businesses.md): GET /business/new?n=&kind=
// shows the certificate and the form of the kind (without a kind: the
// choice of kind); POST /business submits it with its proof images, an
// upload streamed to disk (upload.go) and checked by the store. Refusals
// come back on the same form with 422 and the input kept (the chosen files
// excepted: a browser never lets a page refill a file input).

// bizForm is an application as typed.
type bizForm struct {
	Kind                              store.BizKind
	Number                            string
	NewName, NewIDNumber, NewWorkUnit string
	Reason                            string
}

// parseBizForm reads the form's fields from an upload as read.
func parseBizForm(form *uploadForm) bizForm {
	return bizForm{Kind: store.BizKind(strings.TrimSpace(form.value("kind"))), Number: strings.TrimSpace(form.value("n")),
		NewName: form.value("new_name"), NewIDNumber: form.value("new_id_number"), NewWorkUnit: form.value("new_work_unit"),
		Reason: form.value("reason")}
}

func (f bizForm) application(proofs []*files.Upload) store.BizApplication {
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
	form, upErr := s.readUpload(c, proofsUpload, nil)
	defer form.close()
	if form == nil {
		return upErr
	}
	f := parseBizForm(form)
	cert, err := s.ownCert(w, f.Number)
	if err != nil {
		return err
	}
	if upErr != nil {
		return s.bizFormFail(c, s.newBizFormData(w, f, cert), upErr)
	}
	b, err := s.st.ApplyBusiness(w.actor(c.IP()), f.application(form.files))
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
		if errs, ferr = inputErrors(err); ferr != nil {
			return ferr
		}
	}
	if errs["kind"] != "" {
		d.Form.Kind = ""
		errs[""] = errs["kind"]
	}
	return s.render(c, fiber.StatusUnprocessableEntity, tplBizNew, bizFormTitle(d.Form.Kind, d.Biz), d, errs)
}

// proofsUpload is the body of an application: its fields and the proof
// images of the field proofs, streamed to disk with the store's limits.
var proofsUpload = &uploadSpec{fields: []string{"proofs"}, policy: &store.Proofs, maxFiles: store.Proofs.MaxTotal(),
	tooLarge: "上传的内容过大：证明材料最多 " + fmt.Sprint(store.MaxBizProofs) + " 张图片，每张不超过 " + files.SizeLabel(store.MaxBizProofSize) + "。"}

// reviewerName says who reviews a business in state st.
func reviewerName(st store.BizState) string {
	if st == store.BizPendingProvince {
		return "省厅"
	}
	return "主管部门"
}

func bizAppliedURL(id uint64) string { return "/business/applied/" + itoa(id) }
