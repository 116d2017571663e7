package store

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"

	"certreg/data"
)

// Administration of organisations by their superiors (docs/organisations.md): the
// province manages 主管部门, 省直所 and every unit; a 主管部门 manages its own
// units. Every method checks the actor's capability and subtree inside the
// transaction.

// actorTx loads the acting user and organisation, refusing a disabled user.
func actorTx(tx *bolt.Tx, a Actor) (User, Org, error) {
	var u User
	if err := getJSON(tx.Bucket(bUsers), itob(a.UserID), &u); err != nil {
		return User{}, Org{}, fmt.Errorf("actor %d: %w", a.UserID, ErrForbidden)
	}
	o, err := orgTx(tx, u.OrgID)
	if err != nil || u.Disabled || u.OrgID != a.OrgID {
		return User{}, Org{}, ErrForbidden
	}
	return u, o, nil
}

// manageableOrgTx returns the target organisation if the actor holds cap and
// the target is strictly below the actor's organisation. Outside the subtree
// the target does not exist for the actor.
func manageableOrgTx(tx *bolt.Tx, a Actor, id uint64, c Cap) (User, Org, Org, error) {
	u, own, err := actorTx(tx, a)
	if err != nil {
		return User{}, Org{}, Org{}, err
	}
	target, err := orgTx(tx, id)
	if err != nil {
		return User{}, Org{}, Org{}, err
	}
	if target.ID == own.ID || !own.Contains(target) {
		return User{}, Org{}, Org{}, ErrNotFound
	}
	if !u.Can(own.Type, c) {
		return User{}, Org{}, Org{}, ErrForbidden
	}
	return u, own, target, nil
}

// checkRegion: depts and units lie in one of the province's cities; 省直所 use
// the province's own region code (xx00).
func checkRegion(t OrgType, region, provinceRegion string) error {
	if t == Direct {
		if region != provinceRegion {
			return invalid("region", "省直所的地区应为本省")
		}
		return nil
	}
	c, ok := data.CityByCode(region)
	if !ok || c.ProvinceCode != provinceRegion[:2] {
		return invalid("region", "请选择本省的地市")
	}
	return nil
}

// deptRegion: a 主管部门 places its units in its own city; moving a unit to
// another city is the province's.
func deptRegion(actor Org, region string) error {
	if actor.Type != Dept || region == actor.Region {
		return nil
	}
	name := actor.Region
	if c, ok := data.CityByCode(actor.Region); ok {
		name = c.Name
	}
	return invalid("region", "主管部门只能在本地区（"+name+"）设立单位")
}

// NewOrgAdmin is the administrator user created together with an organisation.
type NewOrgAdmin struct {
	Username, Name, Phone string
	PasswordHash          string // of the initial password, shown once by the caller
}

// CreateOrg creates a subordinate organisation and its administrator, who
// must change the initial password and enrol TOTP at the first login.
func (s *Store) CreateOrg(a Actor, in OrgInput, admin NewOrgAdmin) (Org, User, error) {
	var org Org
	var user User
	err := s.db.Update(func(tx *bolt.Tx) error {
		u, own, err := actorTx(tx, a)
		if err != nil {
			return err
		}
		if !u.Can(own.Type, CapOrgManage) {
			return ErrForbidden
		}
		switch {
		case in.Type == Dept || in.Type == Direct:
			if own.Type != Province {
				return ErrForbidden
			}
			in.ParentID = own.ID
		case in.Type == Unit:
			parent, err := orgTx(tx, in.ParentID)
			if err != nil || parent.Type != Dept || !own.Contains(parent) {
				return invalid("parent", "请选择单位所属的主管部门")
			}
		default:
			return invalid("type", "请选择机构类型")
		}
		prov, err := provinceTx(tx)
		if err != nil {
			return err
		}
		if err := checkRegion(in.Type, in.Region, prov.Region); err != nil {
			return err
		}
		if err := deptRegion(own, in.Region); err != nil {
			return err
		}
		if in.Phone != "" && !validPhone(strings.TrimSpace(in.Phone)) {
			return invalid("phone", "联系电话格式不正确")
		}
		if err := uniqueOrgNameTx(tx, in.ParentID, strings.TrimSpace(in.Name), 0); err != nil {
			return err
		}
		in.Scope = nil // set afterwards on the scope page, within the parent's scope
		now := s.Now()
		if org, err = createOrgTx(tx, in, now); err != nil {
			return err
		}
		if user, err = createUserTx(tx, UserInput{OrgID: org.ID, Username: admin.Username, Name: admin.Name, Phone: admin.Phone,
			IsAdmin: true, PasswordHash: admin.PasswordHash, MustChange: true}, now); err != nil {
			if ve, ok := err.(*ValidationError); ok && ve.Field != "caps" {
				ve.Field = "admin_" + ve.Field
			}
			return err
		}
		if err := s.logTx(tx, a, ActOrgCreate, org.Display(), fmt.Sprintf("管理员 %s", user.Username)); err != nil {
			return err
		}
		return s.logTx(tx, a, ActUserCreate, user.Username, org.Display())
	})
	return org, user, err
}

func provinceTx(tx *bolt.Tx) (Org, error) {
	id := tx.Bucket(bMeta).Get([]byte("province_id"))
	if id == nil {
		return Org{}, ErrNotFound
	}
	return orgTx(tx, btoi(id))
}

// uniqueOrgNameTx refuses a second organisation of the same name under one
// parent (except the organisation itself).
func uniqueOrgNameTx(tx *bolt.Tx, parentID uint64, name string, self uint64) error {
	kids, err := childrenTx(tx, parentID)
	if err != nil {
		return err
	}
	for _, k := range kids {
		if k.Name == name && k.ID != self {
			return invalid("name", "同一上级下已有同名机构")
		}
	}
	return nil
}

// OrgEdit is what a superior may change about an organisation.
type OrgEdit struct {
	Name, Region, Contact, Phone, Address string
	Rev                                   uint64 // the revision the form was made from
}

// UpdateOrg changes a subordinate organisation's profile.
func (s *Store) UpdateOrg(a Actor, id uint64, in OrgEdit) (Org, error) {
	var o Org
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, own, target, err := manageableOrgTx(tx, a, id, CapOrgManage)
		if err != nil {
			return err
		}
		if target.Type == Unit && in.Region != target.Region {
			if err := deptRegion(own, in.Region); err != nil {
				return err
			}
		}
		oi := OrgInput{Name: in.Name, Region: in.Region, Contact: in.Contact, Phone: in.Phone, Address: in.Address, Type: target.Type}
		if err := oi.normalise(); err != nil {
			return err
		}
		prov, err := provinceTx(tx)
		if err != nil {
			return err
		}
		if err := checkRegion(target.Type, oi.Region, prov.Region); err != nil {
			return err
		}
		if oi.Phone != "" && !validPhone(oi.Phone) {
			return invalid("phone", "联系电话格式不正确")
		}
		if err := uniqueOrgNameTx(tx, target.ParentID, oi.Name, target.ID); err != nil {
			return err
		}
		if err := nextRev("机构的资料", &target.Rev, in.Rev); err != nil {
			return err
		}
		target.Name, target.Region, target.Contact, target.Phone, target.Address = oi.Name, oi.Region, oi.Contact, oi.Phone, oi.Address
		o = target
		if err := putOrgTx(tx, o); err != nil {
			return err
		}
		return s.logTx(tx, a, ActOrgEdit, o.Display(), "")
	})
	return o, err
}

// SetOrgStatus takes an organisation offline (下线: its users' sessions end
// and their logins are refused; data stays) or back online (启用).
func (s *Store) SetOrgStatus(a Actor, id uint64, status OrgStatus) (Org, error) {
	var o Org
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, _, target, err := manageableOrgTx(tx, a, id, CapOrgManage)
		if err != nil {
			return err
		}
		if status != OrgActive && status != OrgOffline {
			return invalid("status", "状态无效")
		}
		o = target
		return s.setOrgStatusTx(tx, a, &o, status, "")
	})
	return o, err
}

// setOrgStatusTx changes one organisation's status (offline: its users'
// sessions end) and logs it.
func (s *Store) setOrgStatusTx(tx *bolt.Tx, a Actor, o *Org, status OrgStatus, detail string) error {
	if o.Status == status {
		return nil
	}
	o.Status = status
	if err := putOrgTx(tx, *o); err != nil {
		return err
	}
	action := ActOrgOnline
	if status == OrgOffline {
		action = ActOrgOffline
		ids, err := orgUserIDsTx(tx, o.ID)
		if err != nil {
			return err
		}
		for _, uid := range ids {
			if err := deleteUserSessionsTx(tx, uid, nil); err != nil {
				return err
			}
		}
	}
	return s.logTx(tx, a, action, o.Display(), detail)
}

// TakeDeptOfflineWithUnits takes a 主管部门 and every one of its units
// offline in one transaction: otherwise its units keep working and their
// batches wait for reviewers who cannot log in. It returns the units it
// took offline (those already offline are left as they are).
func (s *Store) TakeDeptOfflineWithUnits(a Actor, id uint64) (Org, []Org, error) {
	var dept Org
	var units []Org
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, _, target, err := manageableOrgTx(tx, a, id, CapOrgManage)
		if err != nil {
			return err
		}
		if target.Type != Dept {
			return invalid("", "只有主管部门可以连同下属单位一起下线")
		}
		dept = target
		if err := s.setOrgStatusTx(tx, a, &dept, OrgOffline, ""); err != nil {
			return err
		}
		kids, err := childrenTx(tx, dept.ID)
		if err != nil {
			return err
		}
		for _, k := range kids {
			if k.Status == OrgOffline {
				continue
			}
			if err := s.setOrgStatusTx(tx, a, &k, OrgOffline, "随主管部门 "+dept.Name+" 一同下线"); err != nil {
				return err
			}
			units = append(units, k)
		}
		return nil
	})
	return dept, units, err
}

func orgUserIDsTx(tx *bolt.Tx, orgID uint64) ([]uint64, error) {
	var ids []uint64
	prefix := itob(orgID)
	c := tx.Bucket(bOrgUsers).Cursor()
	for k, _ := c.Seek(prefix); len(k) == 16 && string(k[:8]) == string(prefix); k, _ = c.Next() {
		ids = append(ids, btoi(k[8:]))
	}
	return ids, nil
}

// DeleteOrg deletes an organisation that holds nothing: no child
// organisations, no users but its admin, no batches, no certificates.
// Otherwise the error says why and suggests 下线.
func (s *Store) DeleteOrg(a Actor, id uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		_, _, target, err := manageableOrgTx(tx, a, id, CapOrgManage)
		if err != nil {
			return err
		}
		kids, err := childrenTx(tx, id)
		if err != nil {
			return err
		}
		if len(kids) > 0 {
			return invalid("", fmt.Sprintf("该机构下还有 %d 个下级机构，不能删除；如需停止使用，请将其下线。", len(kids)))
		}
		ids, err := orgUserIDsTx(tx, id)
		if err != nil {
			return err
		}
		var users []User
		for _, uid := range ids {
			var u User
			if err := getJSON(tx.Bucket(bUsers), itob(uid), &u); err != nil {
				return err
			}
			users = append(users, u)
		}
		admins := 0
		for _, u := range users {
			if u.IsAdmin {
				admins++
			}
		}
		if len(users) > 1 || len(users) != admins {
			return invalid("", fmt.Sprintf("该机构除管理员外还有 %d 个用户，不能删除；如需停止使用，请将其下线。", len(users)-admins))
		}
		// Certificates it issued and batches it made keep it (usage.go).
		for _, why := range []string{orgCertificatesTx(tx, id), orgBatchesTx(tx, id)} {
			if why != "" {
				return invalid("", why+"，不能删除；如需停止使用，请将其下线。")
			}
		}
		for _, u := range users {
			if err := deleteUserTx(tx, u); err != nil {
				return err
			}
		}
		if err := deleteOrgTx(tx, id); err != nil {
			return err
		}
		if err := tx.Bucket(bOrgCode).Delete([]byte(target.Code)); err != nil {
			return err
		}
		if err := tx.Bucket(bOrgChildren).Delete(key(itob(target.ParentID), itob(id))); err != nil {
			return err
		}
		return s.logTx(tx, a, ActOrgDelete, target.Display(), "")
	})
}

func deleteUserTx(tx *bolt.Tx, u User) error {
	if err := deleteUserSessionsTx(tx, u.ID, nil); err != nil {
		return err
	}
	if err := deleteUserRecordTx(tx, u.ID); err != nil {
		return err
	}
	if err := tx.Bucket(bUserName).Delete([]byte(strings.ToLower(u.Username))); err != nil {
		return err
	}
	return tx.Bucket(bOrgUsers).Delete(key(itob(u.OrgID), itob(u.ID)))
}

// OrgFilter selects organisations of a subtree.
type OrgFilter struct {
	Q      string // name or code contains
	Type   OrgType
	Region string
	Status OrgStatus
	Parent uint64 // only the children of this organisation
	Offset int
	Limit  int  // a page of this many (default 20), unless All
	All    bool // every match, for drop-downs and trees (a province has a few hundred)
}

// Orgs lists the organisations strictly below viewer that match f, by type
// and code, with the total, from the organisations kept in memory
// (org_cache.go); a province has a few thousand organisations at most.
func (s *Store) Orgs(viewer Org, f OrgFilter) ([]Org, int, error) {
	snap, err := s.orgSnap()
	if err != nil {
		return nil, 0, err
	}
	q := strings.TrimSpace(f.Q)
	var out []Org
	for _, p := range snap.byID {
		o := p
		switch {
		case !slices.Contains(o.Path, viewer.ID):
		case q != "" && !strings.Contains(o.Name, q) && !strings.Contains(o.Code, q):
		case f.Type != "" && o.Type != f.Type:
		case f.Region != "" && o.Region != f.Region:
		case f.Status != "" && o.Status != f.Status:
		case f.Parent != 0 && o.ParentID != f.Parent:
		default:
			out = append(out, copyOrg(o))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return typeOrder(out[i].Type) < typeOrder(out[j].Type)
		}
		return out[i].Code < out[j].Code
	})
	if f.All {
		return out, len(out), nil
	}
	page, total := pageOf(out, f.Offset, f.Limit)
	return page, total, nil
}

// pageOf cuts one page (limit 0: 20 rows) out of a small list held in
// memory and returns it with the list's length.
func pageOf[T any](rows []T, offset, limit int) ([]T, int) {
	total := len(rows)
	if limit <= 0 {
		limit = 20
	}
	offset = min(max(offset, 0), total)
	return rows[offset:min(offset+limit, total)], total
}

func typeOrder(t OrgType) int {
	switch t {
	case Dept:
		return 1
	case Unit:
		return 2
	case Direct:
		return 3
	}
	return 0
}

// subtreeTx lists every organisation strictly below root, depth first.
func subtreeTx(tx *bolt.Tx, root uint64) ([]Org, error) {
	var out []Org
	var walk func(id uint64) error
	walk = func(id uint64) error {
		kids, err := childrenTx(tx, id)
		if err != nil {
			return err
		}
		for _, k := range kids {
			out = append(out, k)
			if err := walk(k.ID); err != nil {
				return err
			}
		}
		return nil
	}
	return out, walk(root)
}

// OrgNode is an organisation with its children, for the tree view.
type OrgNode struct {
	Org      Org
	Users    int
	Children []OrgNode
}

// OrgTree returns viewer's organisation with its whole subtree.
func (s *Store) OrgTree(viewer Org) (OrgNode, error) {
	var root OrgNode
	err := s.db.View(func(tx *bolt.Tx) error {
		var build func(o Org) (OrgNode, error)
		build = func(o Org) (OrgNode, error) {
			ids, _ := orgUserIDsTx(tx, o.ID)
			n := OrgNode{Org: o, Users: len(ids)}
			kids, err := childrenTx(tx, o.ID)
			if err != nil {
				return n, err
			}
			for _, k := range kids {
				c, err := build(k)
				if err != nil {
					return n, err
				}
				n.Children = append(n.Children, c)
			}
			return n, nil
		}
		o, err := orgTx(tx, viewer.ID)
		if err != nil {
			return err
		}
		root, err = build(o)
		return err
	})
	return root, err
}

// DeptsOf lists the 主管部门 an actor may place units under: all of them for
// the province, itself for a dept.
func (s *Store) DeptsOf(viewer Org) ([]Org, error) {
	switch viewer.Type {
	case Dept:
		return []Org{viewer}, nil
	case Province:
		kids, err := s.Children(viewer.ID)
		var out []Org
		for _, k := range kids {
			if k.Type == Dept {
				out = append(out, k)
			}
		}
		return out, err
	}
	return nil, nil
}
