package store

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"certreg/data"
)

// Occupation is an entry of the occupation (工种) catalogue.
type Occupation struct {
	Code   string `json:"code"` // 3 digits
	Name   string `json:"name"`
	Levels []int  `json:"levels"`
	Rev    uint64 `json:"rev,omitempty"` // see revision.go
}

// seedOccupationsTx loads the shipped catalogue into an empty bucket.
func seedOccupationsTx(tx *bolt.Tx) error {
	b := tx.Bucket(bOccupations)
	if k, _ := b.Cursor().First(); k != nil {
		return nil
	}
	for _, o := range data.Occupations() {
		if err := putOccupationTx(tx, Occupation{Code: o.Code, Name: o.Name, Levels: o.Levels}); err != nil {
			return err
		}
	}
	return nil
}

// Occupations lists the catalogue by code.
func (s *Store) Occupations() ([]Occupation, error) {
	var out []Occupation
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bOccupations).ForEach(func(k, v []byte) error {
			var o Occupation
			if err := jsonUnmarshal(v, &o); err != nil {
				return err
			}
			out = append(out, o)
			return nil
		})
	})
	return out, err
}

func validOccupation(o *Occupation) error {
	o.Code = strings.TrimSpace(o.Code)
	o.Name = strings.TrimSpace(o.Name)
	if len(o.Code) != 3 || strings.Trim(o.Code, "0123456789") != "" {
		return invalid("code", "代码应为 3 位数字")
	}
	if o.Name == "" || utf8.RuneCountInString(o.Name) > 30 {
		return invalid("name", "请填写职业（工种）名称（不超过 30 个字）")
	}
	seen := map[int]bool{}
	var levels []int
	for _, l := range o.Levels {
		if l >= 1 && l <= 5 && !seen[l] {
			seen[l] = true
			levels = append(levels, l)
		}
	}
	if len(levels) == 0 {
		return invalid("levels", "请至少选择一个等级")
	}
	sort.Sort(sort.Reverse(sort.IntSlice(levels)))
	o.Levels = levels
	return nil
}

func catalogManagerTx(tx *bolt.Tx, a Actor) error {
	u, own, err := actorTx(tx, a)
	if err != nil {
		return err
	}
	if own.Type != Province || !u.Can(own.Type, CapCatalogManage) {
		return ErrForbidden
	}
	return nil
}

// Occupation returns one entry of the catalogue.
func (s *Store) Occupation(code string) (Occupation, error) {
	var o Occupation
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bOccupations), []byte(code), &o) })
	return o, err
}

// CreateOccupation adds an occupation with a unique code and name.
func (s *Store) CreateOccupation(a Actor, o Occupation) (Occupation, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := catalogManagerTx(tx, a); err != nil {
			return err
		}
		if err := validOccupation(&o); err != nil {
			return err
		}
		b := tx.Bucket(bOccupations)
		if b.Get([]byte(o.Code)) != nil {
			return invalid("code", "代码 "+o.Code+" 已被使用")
		}
		if err := uniqueOccupationNameTx(tx, o); err != nil {
			return err
		}
		if err := putOccupationTx(tx, o); err != nil {
			return err
		}
		return s.logTx(tx, a, ActOccupationAdd, o.Code+" "+o.Name, levelsText(o.Levels))
	})
	return o, err
}

func uniqueOccupationNameTx(tx *bolt.Tx, o Occupation) error {
	return tx.Bucket(bOccupations).ForEach(func(k, v []byte) error {
		var x Occupation
		if err := jsonUnmarshal(v, &x); err != nil {
			return err
		}
		if x.Name == o.Name && x.Code != o.Code {
			return invalid("name", "名称「"+o.Name+"」已被代码 "+x.Code+" 使用")
		}
		return nil
	})
}

func levelsText(levels []int) string {
	var parts []string
	for _, l := range levels {
		parts = append(parts, data.LevelName(l))
	}
	return strings.Join(parts, "、")
}

// scopeUsersTx counts the organisations whose scope holds the occupation (at
// level, or any level when level is 0).
func scopeUsersTx(tx *bolt.Tx, code string, level int) (int, error) {
	n := 0
	err := tx.Bucket(bOrgs).ForEach(func(k, v []byte) error {
		var o Org
		if err := jsonUnmarshal(v, &o); err != nil {
			return err
		}
		if levels, ok := o.Scope[code]; ok && (level == 0 || o.Scope.Has(code, level)) && len(levels) > 0 {
			n++
		}
		return nil
	})
	return n, err
}

// UpdateOccupation renames an occupation or changes its levels. A level still
// in some organisation's scope, batch or certificate cannot be removed.
func (s *Store) UpdateOccupation(a Actor, o Occupation) (Occupation, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := catalogManagerTx(tx, a); err != nil {
			return err
		}
		var old Occupation
		if err := getJSON(tx.Bucket(bOccupations), []byte(o.Code), &old); err != nil {
			return err
		}
		sent := o.Rev
		o.Rev = old.Rev
		if err := nextRev("职业（工种）", &o.Rev, sent); err != nil {
			return err
		}
		if err := validOccupation(&o); err != nil {
			return err
		}
		if err := uniqueOccupationNameTx(tx, o); err != nil {
			return err
		}
		for _, l := range old.Levels {
			still := false
			for _, nl := range o.Levels {
				still = still || nl == l
			}
			if still {
				continue
			}
			n, err := scopeUsersTx(tx, o.Code, l)
			if err != nil {
				return err
			}
			if n > 0 {
				return invalid("levels", fmt.Sprintf("「%s」仍在 %d 个机构的职业（工种）范围中，不能取消", data.LevelName(l), n))
			}
			// Candidates and certificates using the level keep it (usage.go).
			for _, why := range []string{candidatesUseOccupationTx(tx, o.Code, l), certificatesUseOccupationTx(tx, o.Code, l)} {
				if why != "" {
					return invalid("levels", "「"+data.LevelName(l)+"」"+why+"，不能取消")
				}
			}
		}
		if err := putOccupationTx(tx, o); err != nil {
			return err
		}
		return s.logTx(tx, a, ActOccupationEdit, o.Code+" "+o.Name, levelsText(o.Levels))
	})
	return o, err
}

// DeleteOccupation removes an occupation that no scope, batch or certificate
// uses.
func (s *Store) DeleteOccupation(a Actor, code string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := catalogManagerTx(tx, a); err != nil {
			return err
		}
		var o Occupation
		if err := getJSON(tx.Bucket(bOccupations), []byte(code), &o); err != nil {
			return err
		}
		n, err := scopeUsersTx(tx, code, 0)
		if err != nil {
			return err
		}
		if n > 0 {
			return invalid("", fmt.Sprintf("「%s」仍在 %d 个机构的职业（工种）范围中，不能删除", o.Name, n))
		}
		// Candidates and certificates using it keep it (usage.go).
		for _, why := range []string{candidatesUseOccupationTx(tx, code, 0), certificatesUseOccupationTx(tx, code, 0)} {
			if why != "" {
				return invalid("", "「"+o.Name+"」"+why+"，不能删除")
			}
		}
		if err := deleteOccupationTx(tx, code); err != nil {
			return err
		}
		return s.logTx(tx, a, ActOccupationDel, o.Code+" "+o.Name, "")
	})
}
