package store

import (
	"fmt"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Scope rules (docs/organisations.md): the province holds every pair of the
// catalogue; it sets the scope of depts and 省直所; a dept (or the province)
// sets its units' scope within the dept's; any organisation but the province
// may remove pairs from its own scope. A child's scope is always a subset of
// its parent's: narrowing a parent narrows its children in the same
// transaction.

// Pairs returns the scope as sorted "occupation:level" strings.
func (sc Scope) Pairs() []string {
	var out []string
	for occ, levels := range sc {
		for _, l := range levels {
			out = append(out, fmt.Sprintf("%s:%d", occ, l))
		}
	}
	sort.Strings(out)
	return out
}

// Size is the number of pairs.
func (sc Scope) Size() int {
	n := 0
	for _, l := range sc {
		n += len(l)
	}
	return n
}

// ParseScope reads "occupation:level" pairs as sent by the scope grid.
func ParseScope(pairs []string) Scope {
	sc := Scope{}
	for _, p := range pairs {
		occ, lv, ok := strings.Cut(p, ":")
		if !ok || len(occ) != 3 || len(lv) != 1 || lv[0] < '1' || lv[0] > '5' {
			continue
		}
		l := int(lv[0] - '0')
		if !sc.Has(occ, l) {
			sc[occ] = append(sc[occ], l)
		}
	}
	for occ := range sc {
		sort.Sort(sort.Reverse(sort.IntSlice(sc[occ])))
	}
	return sc
}

// intersect returns the pairs of a that are also in b.
func intersect(a, b Scope) Scope {
	out := Scope{}
	for occ, levels := range a {
		for _, l := range levels {
			if b.Has(occ, l) {
				out[occ] = append(out[occ], l)
			}
		}
	}
	return out
}

// catalogueScopeTx is the province's scope: every pair of the catalogue.
func catalogueScopeTx(tx *bolt.Tx) (Scope, error) {
	sc := Scope{}
	err := tx.Bucket(bOccupations).ForEach(func(k, v []byte) error {
		var o Occupation
		if err := jsonUnmarshal(v, &o); err != nil {
			return err
		}
		sc[o.Code] = append([]int(nil), o.Levels...)
		return nil
	})
	return sc, err
}

// EffectiveScopeTx is an organisation's scope; the province's is the
// catalogue.
func effectiveScopeTx(tx *bolt.Tx, o Org) (Scope, error) {
	if o.Type == Province {
		return catalogueScopeTx(tx)
	}
	if o.Scope == nil {
		return Scope{}, nil
	}
	return o.Scope, nil
}

// EffectiveScope is an organisation's scope (the catalogue for the province).
func (s *Store) EffectiveScope(o Org) (Scope, error) {
	var sc Scope
	err := s.db.View(func(tx *bolt.Tx) error {
		fresh, err := orgTx(tx, o.ID)
		if err != nil {
			return err
		}
		sc, err = effectiveScopeTx(tx, fresh)
		return err
	})
	return sc, err
}

// narrowChildrenTx removes from every descendant the pairs its parent lost.
func narrowChildrenTx(tx *bolt.Tx, parent Org, sc Scope) error {
	kids, err := childrenTx(tx, parent.ID)
	if err != nil {
		return err
	}
	for _, k := range kids {
		narrowed := intersect(k.Scope, sc)
		if narrowed.Size() != k.Scope.Size() {
			k.Scope = narrowed
			if err := putOrgTx(tx, k); err != nil {
				return err
			}
		}
		if err := narrowChildrenTx(tx, k, k.Scope); err != nil {
			return err
		}
	}
	return nil
}

// SetScope sets a subordinate organisation's scope, which must lie within
// its parent's, and narrows its descendants accordingly.
func (s *Store) SetScope(a Actor, orgID uint64, sc Scope) (Org, error) {
	var o Org
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, _, target, err := manageableOrgTx(tx, a, orgID, CapOrgManage)
		if err != nil {
			return err
		}
		parent, err := orgTx(tx, target.ParentID)
		if err != nil {
			return err
		}
		within, err := effectiveScopeTx(tx, parent)
		if err != nil {
			return err
		}
		if !subset(sc, within) {
			return invalid("scope", "职业（工种）范围不能超出上级机构「"+parent.Name+"」的范围")
		}
		before := target.Scope.Size()
		target.Scope = sc
		o = target
		if err := putOrgTx(tx, o); err != nil {
			return err
		}
		if err := narrowChildrenTx(tx, o, sc); err != nil {
			return err
		}
		return s.logTx(tx, a, ActScopeUpdate, o.Display(), fmt.Sprintf("%d 项 → %d 项", before, sc.Size()))
	})
	return o, err
}

// RemoveOwnScope removes pairs from the actor's own organisation's scope
// (its admin only; never the province) and from its descendants.
func (s *Store) RemoveOwnScope(a Actor, remove Scope) (Org, error) {
	var o Org
	err := s.db.Update(func(tx *bolt.Tx) error {
		u, own, err := actorTx(tx, a)
		if err != nil {
			return err
		}
		if own.Type == Province || !u.IsAdmin {
			return ErrForbidden
		}
		kept := Scope{}
		for occ, levels := range own.Scope {
			for _, l := range levels {
				if !remove.Has(occ, l) {
					kept[occ] = append(kept[occ], l)
				}
			}
		}
		removed := own.Scope.Size() - kept.Size()
		if removed == 0 {
			return invalid("scope", "请勾选要移除的职业（工种）等级")
		}
		own.Scope = kept
		o = own
		if err := putOrgTx(tx, o); err != nil {
			return err
		}
		if err := narrowChildrenTx(tx, o, kept); err != nil {
			return err
		}
		return s.logTx(tx, a, ActScopeUpdate, o.Display(), fmt.Sprintf("移除 %d 项", removed))
	})
	return o, err
}
