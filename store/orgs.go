package store

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// OrgStatus is 启用 or 下线.
type OrgStatus string

const (
	OrgActive  OrgStatus = "active"
	OrgOffline OrgStatus = "offline"
)

// Label is the Chinese name of the status.
func (s OrgStatus) Label() string {
	if s == OrgOffline {
		return "下线"
	}
	return "启用"
}

// Scope is the set of (occupation, level) pairs an organisation may certify:
// occupation code => level codes.
type Scope map[string][]int

// Has reports whether the pair is in the scope.
func (sc Scope) Has(occupation string, level int) bool {
	for _, l := range sc[occupation] {
		if l == level {
			return true
		}
	}
	return false
}

// Org is an organisation: the province, a dept, a unit or a 省直所.
type Org struct {
	ID       uint64    `json:"id"`
	Rev      uint64    `json:"rev,omitempty"` // see revision.go
	Code     string    `json:"code"`
	Name     string    `json:"name"`
	Type     OrgType   `json:"type"`
	ParentID uint64    `json:"parent_id,omitempty"`
	Path     []uint64  `json:"path,omitempty"` // ancestors, root first
	Region   string    `json:"region"`         // 4-digit GB/T 2260 prefecture code
	Contact  string    `json:"contact,omitempty"`
	Phone    string    `json:"phone,omitempty"`
	Address  string    `json:"address,omitempty"`
	Status   OrgStatus `json:"status"`
	Scope    Scope     `json:"scope,omitempty"` // the province holds all and stores none
	Created  time.Time `json:"created"`
}

// Display is "名称 代码" as shown everywhere.
func (o Org) Display() string { return o.Name + " " + o.Code }

// Offline reports whether the organisation is 下线.
func (o Org) Offline() bool { return o.Status == OrgOffline }

// Contains reports whether target is o itself or below it.
func (o Org) Contains(target Org) bool {
	if target.ID == o.ID {
		return true
	}
	for _, id := range target.Path {
		if id == o.ID {
			return true
		}
	}
	return false
}

// OrgInput is what a caller gives to create an organisation.
type OrgInput struct {
	Name, Region, Contact, Phone, Address string
	Type                                  OrgType
	ParentID                              uint64
	Scope                                 Scope
}

func (in *OrgInput) normalise() error {
	in.Name = strings.TrimSpace(in.Name)
	in.Contact = strings.TrimSpace(in.Contact)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Address = strings.TrimSpace(in.Address)
	switch {
	case in.Name == "":
		return invalid("name", "请填写机构名称")
	case utf8.RuneCountInString(in.Name) > 60:
		return invalid("name", "机构名称不能超过 60 个字")
	case len(in.Region) != 4:
		return invalid("region", "请选择所属地区")
	case utf8.RuneCountInString(in.Contact) > 30:
		return invalid("contact", "联系人不能超过 30 个字")
	case utf8.RuneCountInString(in.Address) > 100:
		return invalid("address", "地址不能超过 100 个字")
	}
	return nil
}

// createOrgTx creates an organisation below its parent and assigns its code.
func createOrgTx(tx *bolt.Tx, in OrgInput, now time.Time) (Org, error) {
	if err := in.normalise(); err != nil {
		return Org{}, err
	}
	orgs := tx.Bucket(bOrgs)
	o := Org{Name: in.Name, Type: in.Type, Region: in.Region, Contact: in.Contact, Phone: in.Phone,
		Address: in.Address, Status: OrgActive, Scope: in.Scope, Created: now}
	if in.Type == Province {
		if in.ParentID != 0 {
			return Org{}, invalid("type", "省厅不能有上级机构")
		}
		if pid := tx.Bucket(bMeta).Get([]byte("province_id")); pid != nil {
			return Org{}, invalid("type", "系统中只能有一个省厅")
		}
		o.Scope = nil
	} else {
		var parent Org
		if err := getJSON(orgs, itob(in.ParentID), &parent); err != nil {
			return Org{}, fmt.Errorf("parent %d: %w", in.ParentID, err)
		}
		want := Province
		if in.Type == Unit {
			want = Dept
		}
		if parent.Type != want {
			return Org{}, invalid("parent", fmt.Sprintf("%s的上级必须是%s", in.Type.Label(), want.Label()))
		}
		if parent.Type != Province && !subset(in.Scope, parent.Scope) {
			return Org{}, invalid("scope", "职业（工种）范围不能超出上级机构的范围")
		}
		o.ParentID = parent.ID
		o.Path = append(append([]uint64(nil), parent.Path...), parent.ID)
	}
	id, err := nextID(orgs)
	if err != nil {
		return Org{}, err
	}
	o.ID = id
	seq, err := incr(tx, "orgcode|"+in.Region, 1)
	if err != nil {
		return Org{}, err
	}
	o.Code = fmt.Sprintf("%s%04d", in.Region, seq)
	if tx.Bucket(bOrgCode).Get([]byte(o.Code)) != nil {
		return Org{}, fmt.Errorf("org code %s: %w", o.Code, ErrConflict)
	}
	if err := putOrgTx(tx, o); err != nil {
		return Org{}, err
	}
	if err := tx.Bucket(bOrgCode).Put([]byte(o.Code), itob(id)); err != nil {
		return Org{}, err
	}
	if o.ParentID != 0 {
		if err := tx.Bucket(bOrgChildren).Put(key(itob(o.ParentID), itob(id)), nil); err != nil {
			return Org{}, err
		}
	} else if err := tx.Bucket(bMeta).Put([]byte("province_id"), itob(id)); err != nil {
		return Org{}, err
	}
	return o, nil
}

// subset reports whether every pair of a is in b.
func subset(a, b Scope) bool {
	for occ, levels := range a {
		for _, l := range levels {
			if !b.Has(occ, l) {
				return false
			}
		}
	}
	return true
}

// Org returns an organisation by id.
func (s *Store) Org(id uint64) (Org, error) {
	snap, err := s.orgSnap()
	if err != nil {
		return Org{}, err
	}
	o, ok := snap.byID[id]
	if !ok {
		return Org{}, ErrNotFound
	}
	return copyOrg(o), nil
}

func orgTx(tx *bolt.Tx, id uint64) (Org, error) {
	var o Org
	err := getJSON(tx.Bucket(bOrgs), itob(id), &o)
	return o, err
}

// OrgInScope returns the organisation id if viewer's subtree contains it, and
// ErrNotFound otherwise, as if it did not exist.
func (s *Store) OrgInScope(viewer Org, id uint64) (Org, error) {
	o, err := s.Org(id)
	if err != nil {
		return Org{}, err
	}
	if !viewer.Contains(o) {
		return Org{}, ErrNotFound
	}
	return o, nil
}

// ProvinceOrg returns the province, or ErrNotFound on an empty database.
func (s *Store) ProvinceOrg() (Org, error) {
	var o Org
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bMeta).Get([]byte("province_id"))
		if id == nil {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bOrgs), id, &o)
	})
	return o, err
}

// Children lists the direct children of an organisation, by code.
func (s *Store) Children(parentID uint64) ([]Org, error) {
	var out []Org
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = childrenTx(tx, parentID)
		return err
	})
	return out, err
}

func childrenTx(tx *bolt.Tx, parentID uint64) ([]Org, error) {
	var out []Org
	prefix := itob(parentID)
	c := tx.Bucket(bOrgChildren).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		o, err := orgTx(tx, btoi(k[8:]))
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// OrgUpdate is what an organisation's admin may change in its own profile.
type OrgUpdate struct {
	Contact, Phone, Address string
	Rev                     uint64 // the revision the form was made from
}

// UpdateOrgContact changes contact data of the actor's own organisation.
func (s *Store) UpdateOrgContact(a Actor, in OrgUpdate) (Org, error) {
	var o Org
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if o, err = orgTx(tx, a.OrgID); err != nil {
			return err
		}
		if !actorIsAdminTx(tx, a) {
			return ErrForbidden
		}
		in.Contact, in.Phone, in.Address = strings.TrimSpace(in.Contact), strings.TrimSpace(in.Phone), strings.TrimSpace(in.Address)
		switch {
		case utf8.RuneCountInString(in.Contact) > 30:
			return invalid("contact", "联系人不能超过 30 个字")
		case in.Phone != "" && !validPhone(in.Phone):
			return invalid("phone", "联系电话格式不正确")
		case utf8.RuneCountInString(in.Address) > 100:
			return invalid("address", "地址不能超过 100 个字")
		}
		if err := nextRev("机构的资料", &o.Rev, in.Rev); err != nil {
			return err
		}
		o.Contact, o.Phone, o.Address = in.Contact, in.Phone, in.Address
		if err := putOrgTx(tx, o); err != nil {
			return err
		}
		return s.logTx(tx, a, ActOrgUpdate, o.Display(), "")
	})
	return o, err
}

// validPhone accepts mainland mobiles and landlines such as 0551-12345678.
func validPhone(p string) bool {
	if len(p) < 7 || len(p) > 20 {
		return false
	}
	for _, r := range p {
		if (r < '0' || r > '9') && r != '-' && r != ' ' {
			return false
		}
	}
	return true
}

// actorIsAdminTx reports whether the actor is an administrator of its own
// organisation.
func actorIsAdminTx(tx *bolt.Tx, a Actor) bool {
	var u User
	if err := getJSON(tx.Bucket(bUsers), itob(a.UserID), &u); err != nil {
		return false
	}
	return u.IsAdmin && u.OrgID == a.OrgID && !u.Disabled
}
