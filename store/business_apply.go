package store

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"certreg/candidate"
	"certreg/files"
)

// BizApplication is what a unit submits for a business: the kind, the
// certificate, for a 变更 the new values (empty = unchanged), the reason
// (required for 补办 and 注销) and the proof images.
type BizApplication struct {
	Kind                              BizKind
	Number                            string
	NewName, NewIDNumber, NewWorkUnit string
	Reason                            string
	Proofs                            []*files.Upload
}

// bizField maps the candidate columns to the application form's fields.
var bizField = map[string]string{
	candidate.ColName:     "new_name",
	candidate.ColIDNumber: "new_id_number",
	candidate.ColGender:   "new_id_number", // the gender comes from the new ID number
	candidate.ColWorkUnit: "new_work_unit",
}

// checkChangeTx validates the new values of a 变更 of c exactly like an
// import row (the same name, ID number, gender and work-unit rules) and the
// holder rules of batches: the new ID number may not already hold a valid
// certificate of the same occupation and level, nor be under review in a
// batch for it. It returns the normalised new values (empty: unchanged).
func checkChangeTx(tx *bolt.Tx, c Certificate, in BizApplication) (HolderValues, error) {
	name, id, unit := strings.TrimSpace(in.NewName), strings.TrimSpace(in.NewIDNumber), strings.TrimSpace(in.NewWorkUnit)
	switch {
	case name == "" && id == "" && unit == "":
		return HolderValues{}, invalid("", "请至少填写一项变更后的信息（姓名、身份证号或工作单位）")
	case name != "" && id != "":
		return HolderValues{}, invalid("", "姓名和身份证号不能在同一次申请中变更，请分两次申请")
	}
	raw := candidate.Raw{Name: c.Name, IDNumber: c.IDNumber, Gender: c.Gender, WorkUnit: c.WorkUnit,
		Occupation: c.Occupation, Level: strconv.Itoa(c.Level)}
	if name != "" {
		raw.Name = name
	}
	if id != "" {
		raw.IDNumber = id
	}
	if unit != "" {
		raw.WorkUnit = unit
	}
	scope := candidate.Scope{Occupations: []candidate.Occupation{{Code: c.Occupation, Name: c.OccupationName, Levels: []int{c.Level}}}}
	got, ferrs := candidate.CheckRaw(raw, scope)
	// Only the fields being changed are judged: a certificate issued under
	// older rules keeps its other values as they are.
	changed := map[string]bool{candidate.ColName: name != "", candidate.ColIDNumber: id != "", candidate.ColGender: id != "", candidate.ColWorkUnit: unit != ""}
	for _, fe := range ferrs {
		if !changed[fe.Column] {
			continue
		}
		ve := &ValidationError{Field: bizField[fe.Column], Message: "新" + fe.Column + "：" + fe.Message}
		if fe.Column == candidate.ColGender {
			ve.Message = "新身份证号对应的性别与证书上的性别（" + c.Gender + "）不一致，请核对身份证号"
		}
		return HolderValues{}, ve
	}
	var out HolderValues
	if name != "" {
		if got.Name == c.Name {
			return HolderValues{}, invalid("new_name", "新姓名与原姓名相同")
		}
		out.Name = got.Name
	}
	if id != "" {
		if got.IDNumber == c.IDNumber {
			return HolderValues{}, invalid("new_id_number", "新身份证号与原身份证号相同")
		}
		out.IDNumber, out.Gender = got.IDNumber, got.Gender
		hk := holderKey(got.IDNumber, c.Occupation, c.Level)
		if num := tx.Bucket(bCertHolder).Get(hk); num != nil {
			return HolderValues{}, invalid("new_id_number", fmt.Sprintf("该身份证号已持有同职业（工种）同等级的有效证书 %s，不能变更为此身份证号", num))
		}
		if b := tx.Bucket(bUnderReview).Get(hk); b != nil {
			return HolderValues{}, invalid("new_id_number", "该身份证号的同一职业（工种）和等级正在批次中审核，不能变更为此身份证号")
		}
	}
	if unit != "" {
		if got.WorkUnit == c.WorkUnit {
			return HolderValues{}, invalid("new_work_unit", "新工作单位与原工作单位相同")
		}
		out.WorkUnit = got.WorkUnit
	}
	return out, nil
}

func checkBizReason(k BizKind, reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "" && k != BizChange:
		return "", invalid("reason", "请填写"+k.Label()+"原因")
	case utf8.RuneCountInString(reason) > MaxReasonLen:
		return "", invalid("reason", fmt.Sprintf("原因不能超过 %d 个字", MaxReasonLen))
	case hasControlChar(reason):
		return "", invalid("reason", "原因不能包含控制字符")
	}
	return reason, nil
}

func hasControlChar(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// Proofs is what the proof images of one application may be: 1–5 JPEG or
// PNG images by content, each at most 200 KB.
var Proofs = files.Policy{Owner: "证明材料", MinCount: MinBizProofs, Rules: []files.Rule{
	{Kind: files.Image, MaxSize: MaxBizProofSize, MaxCount: MaxBizProofs},
}}

// prepareProofs checks the proof images of an application and keeps them;
// none is kept unless all pass. keep is how many proofs the application
// keeps when ups is empty (a resubmission without new images).
func (s *Store) prepareProofs(ups []*files.Upload, keep int) ([]StoredFile, error) {
	if len(ups) == 0 {
		if keep >= MinBizProofs {
			return nil, nil
		}
		return nil, invalid("proofs", "请上传证明材料图片（单位出具的纸质申请表等），至少 1 张")
	}
	checked, err := Proofs.CheckAll(nil, ups)
	if err != nil {
		return nil, uploadInvalid("proofs", err)
	}
	return s.keepUploads(ups, checked)
}

// applicantTx checks that the actor may apply for businesses (business.apply
// in a unit or 省直所) and returns its user and organisation.
func applicantTx(tx *bolt.Tx, a Actor) (User, Org, error) {
	u, own, err := actorTx(tx, a)
	if err != nil {
		return User{}, Org{}, err
	}
	if (own.Type != Unit && own.Type != Direct) || !u.Can(own.Type, CapBusinessApply) {
		return User{}, Org{}, ErrForbidden
	}
	return u, own, nil
}

// applyCertTx loads a certificate the applicant's organisation issued and
// may apply for: valid, and without another open business.
func applyCertTx(tx *bolt.Tx, own Org, number string, self uint64) (Certificate, error) {
	var c Certificate
	if err := getCert(tx.Bucket(bCerts), []byte(number), &c); err != nil {
		return Certificate{}, fmt.Errorf("certificate %s: %w", number, err)
	}
	if c.OrgID != own.ID {
		return Certificate{}, fmt.Errorf("certificate %s of org %d applied for by org %d: %w", number, c.OrgID, own.ID, ErrNotFound)
	}
	if c.Status != CertValid {
		return Certificate{}, invalid("", fmt.Sprintf("证书 %s 当前为%s状态，只有有效的证书可以申请业务", c.Number, c.Status.Label()))
	}
	if id := tx.Bucket(bBizOpen).Get([]byte(number)); id != nil && btoi(id) != self {
		b, err := getBusinessTx(tx, btoi(id))
		if err != nil {
			return Certificate{}, err
		}
		return Certificate{}, invalid("", fmt.Sprintf("证书 %s 已有一项%s业务（%s），办结或撤回后才能再申请", c.Number, b.Kind.Label(), b.State.Label()))
	}
	return c, nil
}

// fillBizTx checks an application against certificate c and fills b with its
// values, the certificate's current values and the new proofs (if any).
func fillBizTx(tx *bolt.Tx, b *Business, c Certificate, in BizApplication, proofs []StoredFile) error {
	reason, err := checkBizReason(b.Kind, in.Reason)
	if err != nil {
		return err
	}
	b.New = HolderValues{}
	if b.Kind == BizChange {
		if b.New, err = checkChangeTx(tx, c, in); err != nil {
			return err
		}
	}
	b.Reason = reason
	b.Old = HolderValues{Name: c.Name, IDNumber: c.IDNumber, Gender: c.Gender, WorkUnit: c.WorkUnit}
	b.Occupation, b.OccupationName, b.Level, b.CertVersion = c.Occupation, c.OccupationName, c.Level, c.Version
	if proofs != nil {
		b.Proofs = proofs
	}
	return nil
}

// ApplyBusiness submits a new business on a certificate of the actor's
// organisation. The proofs are checked and written before the transaction,
// which checks everything again.
func (s *Store) ApplyBusiness(a Actor, in BizApplication) (Business, error) {
	if !ValidBizKind(in.Kind) {
		return Business{}, invalid("kind", "请选择业务类型：变更、补办或注销")
	}
	in.Number = strings.TrimSpace(in.Number)
	// Everything that needs no file first, so a bad form writes nothing.
	if err := s.db.View(func(tx *bolt.Tx) error {
		_, own, err := applicantTx(tx, a)
		if err != nil {
			return err
		}
		c, err := applyCertTx(tx, own, in.Number, 0)
		if err != nil {
			return err
		}
		return fillBizTx(tx, &Business{Kind: in.Kind}, c, in, nil)
	}); err != nil {
		return Business{}, err
	}
	proofs, err := s.prepareProofs(in.Proofs, 0)
	if err != nil {
		return Business{}, err
	}
	var b Business
	err = s.db.Update(func(tx *bolt.Tx) error {
		u, own, err := applicantTx(tx, a)
		if err != nil {
			return err
		}
		c, err := applyCertTx(tx, own, in.Number, 0)
		if err != nil {
			return err
		}
		if err := s.checkProofsTx(proofs); err != nil {
			return err
		}
		id, err := nextID(tx.Bucket(bBiz))
		if err != nil {
			return err
		}
		now := s.Now()
		b = Business{ID: id, Kind: in.Kind, OrgID: own.ID, OrgName: own.Name, OrgCode: own.Code, OrgPath: own.Path,
			Number: c.Number, Created: now}
		if err := fillBizTx(tx, &b, c, in, proofs); err != nil {
			return err
		}
		if err := tx.Bucket(bBizCert).Put(key([]byte(c.Number), itob(id)), nil); err != nil {
			return err
		}
		if err := s.moveBizTx(tx, u, own, &b, BizSubmit, ""); err != nil {
			return err
		}
		return s.logTx(tx, a, ActBizApply, c.Number, b.Kind.Label()+"："+bizLogDetail(b))
	})
	return b, err
}

// bizLogDetail says what a business asks for, for the operation log.
func bizLogDetail(b Business) string {
	if b.Kind == BizChange {
		return b.Summary()
	}
	return "原因：" + b.Reason
}

// checkProofsTx checks, inside the transaction that refers to them, that
// each proof was written to disk before it.
func (s *Store) checkProofsTx(files []StoredFile) error {
	for _, f := range files {
		if err := s.checkStoredTx(f); err != nil {
			return err
		}
	}
	return nil
}

// ResubmitBusiness corrects a rejected business and submits it again: new
// values and reason, and new proofs if any are given (they replace the old
// ones). The certificate must still be valid.
func (s *Store) ResubmitBusiness(a Actor, id uint64, in BizApplication) (Business, error) {
	var keep int
	if err := s.db.View(func(tx *bolt.Tx) error {
		_, own, err := applicantTx(tx, a)
		if err != nil {
			return err
		}
		b, err := ownBusinessTx(tx, own, id, "重新提交")
		if err != nil {
			return err
		}
		keep = len(b.Proofs)
		c, err := applyCertTx(tx, own, b.Number, b.ID)
		if err != nil {
			return err
		}
		return fillBizTx(tx, &b, c, in, nil)
	}); err != nil {
		return Business{}, err
	}
	proofs, err := s.prepareProofs(in.Proofs, keep)
	if err != nil {
		return Business{}, err
	}
	var b Business
	err = s.db.Update(func(tx *bolt.Tx) error {
		u, own, err := applicantTx(tx, a)
		if err != nil {
			return err
		}
		if b, err = ownBusinessTx(tx, own, id, "重新提交"); err != nil {
			return err
		}
		c, err := applyCertTx(tx, own, b.Number, b.ID)
		if err != nil {
			return err
		}
		if err := s.checkProofsTx(proofs); err != nil {
			return err
		}
		if err := fillBizTx(tx, &b, c, in, proofs); err != nil {
			return err
		}
		if err := s.moveBizTx(tx, u, own, &b, BizSubmit, ""); err != nil {
			return err
		}
		return s.logTx(tx, a, ActBizResubmit, b.Number, b.Kind.Label()+"："+bizLogDetail(b))
	})
	return b, err
}

// ownBusinessTx loads a business of the applicant's own organisation that is
// rejected (the only state it may correct), for doing.
func ownBusinessTx(tx *bolt.Tx, own Org, id uint64, doing string) (Business, error) {
	b, err := getBusinessTx(tx, id)
	if err != nil {
		return Business{}, err
	}
	if b.OrgID != own.ID {
		return Business{}, fmt.Errorf("business %d of org %d by org %d: %w", id, b.OrgID, own.ID, ErrNotFound)
	}
	if b.State != BizRejected {
		return Business{}, &BizStateError{State: b.State, Doing: doing}
	}
	return b, nil
}

// WithdrawBusiness withdraws a pending or rejected business of the actor's
// organisation: it leaves the review queue and frees its certificate.
func (s *Store) WithdrawBusiness(a Actor, id uint64) (Business, error) {
	var b Business
	err := s.db.Update(func(tx *bolt.Tx) error {
		u, own, err := applicantTx(tx, a)
		if err != nil {
			return err
		}
		if b, err = getBusinessTx(tx, id); err != nil {
			return err
		}
		if b.OrgID != own.ID {
			return fmt.Errorf("business %d of org %d by org %d: %w", id, b.OrgID, own.ID, ErrNotFound)
		}
		if err := s.moveBizTx(tx, u, own, &b, BizWithdraw, ""); err != nil {
			return err
		}
		return s.logTx(tx, a, ActBizWithdraw, b.Number, b.Kind.Label())
	})
	return b, err
}
