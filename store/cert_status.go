package store

import (
	"fmt"
	"strings"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Status changes of a certificate (docs/certificates.md): the province cancels
// (注销) and re-activates (激活) any certificate with a reason. The businesses
// of docs/businesses.md (注销 on approval, 补办 superseding the old number) use
// changeCertStatusTx too, so the holder index, the valid counters, the list
// indexes and the history move together in every case.

// changeCertStatusTx moves c to status to inside the caller's transaction
// and appends ev to its history; the caller stores c (putCertTx) and logs.
// Entering 有效 is refused while the holder has another valid certificate for
// the same occupation and level.
func (s *Store) changeCertStatusTx(tx *bolt.Tx, c *Certificate, to CertStatus, ev CertEvent) error {
	if c.Status == to {
		return invalid("", fmt.Sprintf("证书 %s 已经是%s状态", c.Number, to.Label()))
	}
	old := *c
	holders := tx.Bucket(bCertHolder)
	hk := holderKey(c.IDNumber, c.Occupation, c.Level)
	switch {
	case c.Status == CertValid:
		if cur := holders.Get(hk); cur != nil && string(cur) == c.Number {
			if err := holders.Delete(hk); err != nil {
				return err
			}
		}
	case to == CertValid:
		if cur := holders.Get(hk); cur != nil && string(cur) != c.Number {
			return invalid("", fmt.Sprintf("持证人 %s 已持有同职业（工种）同等级的有效证书 %s，本证书不能再设为有效", c.Name, cur))
		}
		if err := holders.Put(hk, []byte(c.Number)); err != nil {
			return err
		}
	}
	delta := int64(0)
	switch {
	case c.Status == CertValid:
		delta = -1
	case to == CertValid:
		delta = 1
	}
	if delta != 0 {
		for _, id := range c.Scopes() {
			if _, err := incr(tx, counterValidOrg(id), delta); err != nil {
				return err
			}
		}
	}
	if err := statsMoveTx(tx, old, old.Status, to); err != nil {
		return err
	}
	c.Status = to
	c.History = append(c.History, ev)
	return reindexCertTx(tx, &old, c)
}

// provinceStatusActorTx checks that the actor is a province user holding
// cert.status and loads the certificate.
func provinceStatusActorTx(tx *bolt.Tx, a Actor, number string) (User, Org, Certificate, error) {
	u, own, err := actorTx(tx, a)
	if err != nil {
		return User{}, Org{}, Certificate{}, err
	}
	if own.Type != Province || !u.Can(own.Type, CapCertStatus) {
		return User{}, Org{}, Certificate{}, ErrForbidden
	}
	var c Certificate
	if err := getCert(tx.Bucket(bCerts), []byte(number), &c); err != nil {
		return User{}, Org{}, Certificate{}, fmt.Errorf("certificate %s: %w", number, err)
	}
	return u, own, c, nil
}

func checkReason(reason, what string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", invalid("reason", "请填写"+what+"原因")
	case utf8.RuneCountInString(reason) > MaxReasonLen:
		return "", invalid("reason", fmt.Sprintf("原因不能超过 %d 个字", MaxReasonLen))
	}
	return reason, nil
}

// CancelCertificate is the province's direct 注销 of a valid certificate.
func (s *Store) CancelCertificate(a Actor, number, reason string) (Certificate, error) {
	var c Certificate
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, own, cert, err := provinceStatusActorTx(tx, a, number)
		if err != nil {
			return err
		}
		c = cert
		if reason, err = checkReason(reason, "注销"); err != nil {
			return err
		}
		if c.Status != CertValid {
			return invalid("", fmt.Sprintf("证书 %s 当前为%s状态，只有有效的证书可以注销", c.Number, c.Status.Label()))
		}
		ev := CertEvent{Time: s.Now(), Kind: "注销", Username: a.Username, OrgName: own.Name, Detail: "省厅直接注销。原因：" + reason}
		if err := s.changeCertStatusTx(tx, &c, CertCancelled, ev); err != nil {
			return err
		}
		if err := s.putCertTx(tx, c); err != nil {
			return err
		}
		return s.logTx(tx, a, ActCertCancel, c.Number, "原因："+reason)
	})
	return c, err
}

// ActivateCertificate is the province's 激活 of a cancelled certificate. A
// superseded one stays superseded (its reissue is the valid one), and a
// holder who meanwhile holds another valid certificate, or is in a batch
// under review, for the same occupation and level cannot get this one back.
func (s *Store) ActivateCertificate(a Actor, number, reason string) (Certificate, error) {
	var c Certificate
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, own, cert, err := provinceStatusActorTx(tx, a, number)
		if err != nil {
			return err
		}
		c = cert
		if reason, err = checkReason(reason, "激活"); err != nil {
			return err
		}
		switch c.Status {
		case CertCancelled:
		case CertSuperseded:
			return invalid("", fmt.Sprintf("证书 %s 已补办为新证书 %s，不能激活", c.Number, c.ReplacedBy))
		default:
			return invalid("", fmt.Sprintf("证书 %s 当前为%s状态，只有已注销的证书可以激活", c.Number, c.Status.Label()))
		}
		hk := holderKey(c.IDNumber, c.Occupation, c.Level)
		if b := tx.Bucket(bUnderReview).Get(hk); b != nil {
			return invalid("", fmt.Sprintf("持证人 %s 同职业（工种）同等级的合格人员正在批次 P%06d 中审核，不能激活", c.Name, btoi(b)))
		}
		ev := CertEvent{Time: s.Now(), Kind: "激活", Username: a.Username, OrgName: own.Name, Detail: "省厅直接激活。原因：" + reason}
		if err := s.changeCertStatusTx(tx, &c, CertValid, ev); err != nil {
			return err
		}
		if err := s.putCertTx(tx, c); err != nil {
			return err
		}
		return s.logTx(tx, a, ActCertActivate, c.Number, "原因："+reason)
	})
	return c, err
}
