package store

import (
	"certreg/certlayout"

	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Print formats (docs/certificates.md): each unit and 省直所 keeps its own, one of
// them the default. The layout itself (paper, offset, fields, mode) and its
// rules belong to certlayout.Format.

// MaxPrintFormats is the most formats one organisation keeps.
const MaxPrintFormats = 50

// PrintFormat is a stored format of an organisation.
type PrintFormat struct {
	ID        uint64
	Rev       uint64 // see revision.go
	OrgID     uint64
	Format    certlayout.Format
	Created   time.Time
	Updated   time.Time
	UpdatedBy string
}

func formatKey(orgID, id uint64) []byte { return key(itob(orgID), itob(id)) }

// formatsTx lists an organisation's formats by name.
func formatsTx(tx *bolt.Tx, orgID uint64) ([]PrintFormat, error) {
	var out []PrintFormat
	prefix := itob(orgID)
	c := tx.Bucket(bPrintFormats).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var pf PrintFormat
		if err := jsonUnmarshal(v, &pf); err != nil {
			return nil, err
		}
		out = append(out, pf)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func formatTx(tx *bolt.Tx, own Org, id uint64) (PrintFormat, error) {
	var pf PrintFormat
	if err := getJSON(tx.Bucket(bPrintFormats), formatKey(own.ID, id), &pf); err != nil {
		return pf, fmt.Errorf("print format %d: %w", id, err)
	}
	return pf, nil
}

// PrintFormats lists the actor's organisation's formats, oldest first, and
// the id of its default (0: none).
func (s *Store) PrintFormats(a Actor) ([]PrintFormat, uint64, error) {
	var out []PrintFormat
	var def uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		_, own, err := printActorTx(tx, a)
		if err != nil {
			return err
		}
		def = btoi(tx.Bucket(bPrintDefault).Get(itob(own.ID)))
		out, err = formatsTx(tx, own.ID)
		return err
	})
	return out, def, err
}

// PrintFormat returns one format of the actor's organisation.
func (s *Store) PrintFormat(a Actor, id uint64) (PrintFormat, error) {
	var pf PrintFormat
	err := s.db.View(func(tx *bolt.Tx) error {
		_, own, err := printActorTx(tx, a)
		if err != nil {
			return err
		}
		pf, err = formatTx(tx, own, id)
		return err
	})
	return pf, err
}

// checkFormat validates a format for storing: certlayout's rules (the first
// problem, by key; the form shows them all) and a name unique in the
// organisation.
func checkFormatTx(tx *bolt.Tx, orgID, self uint64, f *certlayout.Format) error {
	f.Name = strings.TrimSpace(f.Name)
	if p := f.Validate(); len(p) > 0 {
		keys := make([]string, 0, len(p))
		for k := range p {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return invalid(keys[0], p[keys[0]])
	}
	others, err := formatsTx(tx, orgID)
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.ID != self && o.Format.Name == f.Name {
			return invalid(certlayout.ProblemName, "已有同名的打印格式")
		}
	}
	return nil
}

// SavePrintFormat creates (id 0) or replaces a format of the actor's
// organisation. An organisation's first format becomes its default.
func (s *Store) SavePrintFormat(a Actor, id, rev uint64, f certlayout.Format) (PrintFormat, error) {
	var pf PrintFormat
	err := s.db.Update(func(tx *bolt.Tx) error {
		formatsChangedTx(tx)
		_, own, err := printActorTx(tx, a)
		if err != nil {
			return err
		}
		if err := checkFormatTx(tx, own.ID, id, &f); err != nil {
			return err
		}
		now := s.Now()
		action := ActPrintFormatEdit
		if id == 0 {
			if pf, err = s.newFormatTx(tx, own, f, now); err != nil {
				return err
			}
			action = ActPrintFormatCreate
		} else {
			if pf, err = formatTx(tx, own, id); err != nil {
				return err
			}
			if err := nextRev("打印格式", &pf.Rev, rev); err != nil {
				return err
			}
			pf.Format, pf.Updated = f, now
		}
		pf.UpdatedBy = a.Username
		if err := putJSON(tx.Bucket(bPrintFormats), formatKey(own.ID, pf.ID), pf); err != nil {
			return err
		}
		return s.logTx(tx, a, action, f.Name, "")
	})
	return pf, err
}

func (s *Store) newFormatTx(tx *bolt.Tx, own Org, f certlayout.Format, now time.Time) (PrintFormat, error) {
	existing, err := formatsTx(tx, own.ID)
	if err != nil {
		return PrintFormat{}, err
	}
	if len(existing) >= MaxPrintFormats {
		return PrintFormat{}, invalid("", fmt.Sprintf("每个机构最多保存 %d 个打印格式，请先删除不用的格式", MaxPrintFormats))
	}
	id, err := nextID(tx.Bucket(bPrintFormats))
	if err != nil {
		return PrintFormat{}, err
	}
	if len(existing) == 0 {
		if err := tx.Bucket(bPrintDefault).Put(itob(own.ID), itob(id)); err != nil {
			return PrintFormat{}, err
		}
	}
	return PrintFormat{ID: id, OrgID: own.ID, Format: f, Created: now, Updated: now}, nil
}

// CopyPrintFormat stores a copy of a format under a new name.
func (s *Store) CopyPrintFormat(a Actor, id uint64) (PrintFormat, error) {
	var pf PrintFormat
	err := s.db.Update(func(tx *bolt.Tx) error {
		formatsChangedTx(tx)
		_, own, err := printActorTx(tx, a)
		if err != nil {
			return err
		}
		src, err := formatTx(tx, own, id)
		if err != nil {
			return err
		}
		others, err := formatsTx(tx, own.ID)
		if err != nil {
			return err
		}
		taken := map[string]bool{}
		for _, o := range others {
			taken[o.Format.Name] = true
		}
		f := src.Format
		f.Fields = make(map[certlayout.FieldKey]certlayout.Field, len(src.Format.Fields))
		for k, v := range src.Format.Fields {
			f.Fields[k] = v
		}
		for n := 1; ; n++ {
			suffix := "（副本）"
			if n > 1 {
				suffix = fmt.Sprintf("（副本%d）", n)
			}
			base := []rune(src.Format.Name)
			if keep := certlayout.MaxNameRunes - utf8.RuneCountInString(suffix); len(base) > keep {
				base = base[:keep]
			}
			if f.Name = string(base) + suffix; !taken[f.Name] {
				break
			}
		}
		if pf, err = s.newFormatTx(tx, own, f, s.Now()); err != nil {
			return err
		}
		pf.UpdatedBy = a.Username
		if err := putJSON(tx.Bucket(bPrintFormats), formatKey(own.ID, pf.ID), pf); err != nil {
			return err
		}
		return s.logTx(tx, a, ActPrintFormatCreate, f.Name, "复制自「"+src.Format.Name+"」")
	})
	return pf, err
}

// DeletePrintFormat deletes a format; when it was the default, the oldest
// remaining one becomes the default.
func (s *Store) DeletePrintFormat(a Actor, id uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		formatsChangedTx(tx)
		_, own, err := printActorTx(tx, a)
		if err != nil {
			return err
		}
		pf, err := formatTx(tx, own, id)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bPrintFormats).Delete(formatKey(own.ID, id)); err != nil {
			return err
		}
		defs := tx.Bucket(bPrintDefault)
		if btoi(defs.Get(itob(own.ID))) == id {
			rest, err := formatsTx(tx, own.ID)
			if err != nil {
				return err
			}
			if len(rest) == 0 {
				err = defs.Delete(itob(own.ID))
			} else {
				err = defs.Put(itob(own.ID), itob(rest[0].ID))
			}
			if err != nil {
				return err
			}
		}
		return s.logTx(tx, a, ActPrintFormatDelete, pf.Format.Name, "")
	})
}

// SetDefaultPrintFormat makes a format the organisation's default.
func (s *Store) SetDefaultPrintFormat(a Actor, id uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		formatsChangedTx(tx)
		_, own, err := printActorTx(tx, a)
		if err != nil {
			return err
		}
		pf, err := formatTx(tx, own, id)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bPrintDefault).Put(itob(own.ID), itob(id)); err != nil {
			return err
		}
		return s.logTx(tx, a, ActPrintFormatPick, pf.Format.Name, "")
	})
}
