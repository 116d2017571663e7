package store

import (
	"fmt"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Printing (docs/certificates.md): a unit or 省直所 prints its own valid
// certificates; every print is recorded on the certificate (time, user,
// count, a 打印 line in its history) and the print status can also be set by
// hand. The PDF itself is made by the handler between PrintableCertificates
// and RecordPrint, so a PDF that cannot be made records nothing.

// MaxPrintBatch is the most certificates one PDF holds.
const MaxPrintBatch = 500

// printActorTx checks that the actor may print (a unit or 省直所 user with
// cert.print).
func printActorTx(tx *bolt.Tx, a Actor) (User, Org, error) {
	u, own, err := actorTx(tx, a)
	if err != nil {
		return User{}, Org{}, err
	}
	if (own.Type != Unit && own.Type != Direct) || !u.Can(own.Type, CapCertPrint) {
		return User{}, Org{}, ErrForbidden
	}
	return u, own, nil
}

// uniqueNumbers drops duplicates and keeps the order.
func uniqueNumbers(numbers []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(numbers))
	for _, n := range numbers {
		n = strings.TrimSpace(n)
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// ownCertsTx loads certificates issued by the actor's organisation; any
// other number is ErrNotFound, as if it did not exist.
func ownCertsTx(tx *bolt.Tx, own Org, numbers []string, validOnly bool) ([]Certificate, error) {
	if len(numbers) == 0 {
		return nil, invalid("", "请先勾选证书")
	}
	if len(numbers) > MaxPrintBatch {
		return nil, invalid("", fmt.Sprintf("一次最多处理 %d 本证书（已选 %d 本），请缩小查询范围或分批处理", MaxPrintBatch, len(numbers)))
	}
	out := make([]Certificate, 0, len(numbers))
	for _, n := range numbers {
		var c Certificate
		if err := getCert(tx.Bucket(bCerts), []byte(n), &c); err != nil {
			return nil, fmt.Errorf("certificate %s: %w", n, err)
		}
		if c.OrgID != own.ID {
			return nil, fmt.Errorf("certificate %s of org %d: %w", n, c.OrgID, ErrNotFound)
		}
		if validOnly && c.Status != CertValid {
			return nil, invalid("", fmt.Sprintf("证书 %s 为%s状态，不能打印", c.Number, c.Status.Label()))
		}
		out = append(out, c)
	}
	return out, nil
}

// PrintableCertificates returns the certificates to print, in the order
// given: the actor's organisation's own valid certificates, at most
// MaxPrintBatch.
func (s *Store) PrintableCertificates(a Actor, numbers []string) ([]Certificate, error) {
	var out []Certificate
	err := s.db.View(func(tx *bolt.Tx) error {
		_, own, err := printActorTx(tx, a)
		if err != nil {
			return err
		}
		out, err = ownCertsTx(tx, own, uniqueNumbers(numbers), true)
		return err
	})
	return out, err
}

// RecordPrint records that the certificates were printed in the named
// format, checking them again as PrintableCertificates does.
func (s *Store) RecordPrint(a Actor, numbers []string, formatName string) ([]Certificate, error) {
	var out []Certificate
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, own, err := printActorTx(tx, a)
		if err != nil {
			return err
		}
		numbers = uniqueNumbers(numbers)
		certs, err := ownCertsTx(tx, own, numbers, true)
		if err != nil {
			return err
		}
		now := s.Now()
		for i := range certs {
			c := &certs[i]
			old := *c
			c.Printed = true
			c.PrintCount++
			c.LastPrinted = now
			c.LastPrintedBy = a.Username
			c.History = append(c.History, CertEvent{Time: now, Kind: "打印", Username: a.Username, OrgName: own.Name,
				Detail: fmt.Sprintf("第 %d 次打印，格式：%s", c.PrintCount, formatName)})
			if err := reindexCertTx(tx, &old, c); err != nil {
				return err
			}
			if err := unmarkBizPrintTx(tx, own.ID, c.Number); err != nil {
				return err
			}
			if err := s.putCertTx(tx, *c); err != nil {
				return err
			}
		}
		out = certs
		return s.logTx(tx, a, ActCertPrint, numbersTarget(numbers), "格式："+formatName)
	})
	return out, err
}

// SetPrinted sets the print status of the actor's organisation's own
// certificates by hand and returns how many changed.
func (s *Store) SetPrinted(a Actor, numbers []string, printed bool) (int, error) {
	changed := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, own, err := printActorTx(tx, a)
		if err != nil {
			return err
		}
		numbers = uniqueNumbers(numbers)
		certs, err := ownCertsTx(tx, own, numbers, false)
		if err != nil {
			return err
		}
		now := s.Now()
		label := "未打印"
		if printed {
			label = "已打印"
		}
		for i := range certs {
			c := &certs[i]
			if c.Printed == printed {
				continue
			}
			old := *c
			c.Printed = printed
			c.History = append(c.History, CertEvent{Time: now, Kind: "打印状态", Username: a.Username, OrgName: own.Name,
				Detail: "手工设置为" + label})
			if err := reindexCertTx(tx, &old, c); err != nil {
				return err
			}
			if printed {
				if err := unmarkBizPrintTx(tx, own.ID, c.Number); err != nil {
					return err
				}
			}
			if err := s.putCertTx(tx, *c); err != nil {
				return err
			}
			changed++
		}
		if changed == 0 {
			return invalid("", "所选证书已经是"+label+"状态")
		}
		return s.logTx(tx, a, ActCertMarkPrinted, numbersTarget(numbers), "设置为"+label+"，"+strconv.Itoa(changed)+" 本")
	})
	return changed, err
}

// numbersTarget names a set of certificates in the operation log.
func numbersTarget(numbers []string) string {
	switch len(numbers) {
	case 0:
		return ""
	case 1:
		return numbers[0]
	}
	return fmt.Sprintf("%s 等 %d 本证书", numbers[0], len(numbers))
}

// LogCertExport records an export of the certificate list.
func (s *Store) LogCertExport(a Actor, rows int, filter string) error {
	return s.Log(a, ActCertExport, fmt.Sprintf("%d 条", rows), filter, true)
}
