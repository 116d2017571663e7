package store

import (
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Administration of users (docs/accounts.md): an organisation's admin manages
// its users; superiors manage the users of their subordinates (province: all,
// dept: its units). Capabilities are granted per user, out of those the
// organisation type allows, and nobody grants what they lack.

// userManagerTx checks that the actor may manage users of org target and
// returns the capabilities the actor may grant there. Acting inside its own
// organisation, an admin may grant every capability of the type and another
// user only those it holds itself; a superior acts with the authority of the
// subordinate's admin.
func userManagerTx(tx *bolt.Tx, a Actor, targetOrgID uint64) (User, Org, []Cap, error) {
	u, own, err := actorTx(tx, a)
	if err != nil {
		return User{}, Org{}, nil, err
	}
	target, err := orgTx(tx, targetOrgID)
	if err != nil {
		return User{}, Org{}, nil, err
	}
	if !own.Contains(target) {
		return User{}, Org{}, nil, ErrNotFound
	}
	if !u.Can(own.Type, CapUserManage) {
		return User{}, Org{}, nil, ErrForbidden
	}
	var grantable []Cap
	for _, c := range typeCaps[target.Type] {
		if target.ID != own.ID || u.IsAdmin || u.Can(own.Type, c) {
			grantable = append(grantable, c)
		}
	}
	return u, target, grantable, nil
}

// mayAppointAdmin: only administrators (of the organisation or of a
// superior) appoint or remove administrators.
func mayAppointAdmin(actor User) bool { return actor.IsAdmin }

// Grantable returns the capabilities the actor may grant to users of org.
func (s *Store) Grantable(a Actor, orgID uint64) ([]Cap, error) {
	var caps []Cap
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		_, _, caps, err = userManagerTx(tx, a, orgID)
		return err
	})
	return caps, err
}

func checkGrant(caps, grantable []Cap) error {
	for _, c := range caps {
		ok := false
		for _, g := range grantable {
			if g == c {
				ok = true
			}
		}
		if !ok {
			return invalid("caps", fmt.Sprintf("您不能授予「%s」权限", CapLabel(c)))
		}
	}
	return nil
}

// NewUser is a user created by an administrator.
type NewUser struct {
	OrgID                 uint64
	Username, Name, Phone string
	IsAdmin               bool
	Caps                  []Cap
	PasswordHash          string // of the initial password, shown once by the caller
}

// CreateUser adds a user who must change the initial password and enrol TOTP
// at the first login.
func (s *Store) CreateUser(a Actor, in NewUser) (User, error) {
	var user User
	err := s.db.Update(func(tx *bolt.Tx) error {
		actor, target, grantable, err := userManagerTx(tx, a, in.OrgID)
		if err != nil {
			return err
		}
		if in.IsAdmin && !mayAppointAdmin(actor) {
			return invalid("is_admin", "只有管理员才能设置或取消管理员")
		}
		if in.IsAdmin {
			in.Caps = nil
		} else if err := checkGrant(in.Caps, grantable); err != nil {
			return err
		}
		if in.Phone = strings.TrimSpace(in.Phone); in.Phone != "" && !mobileRe.MatchString(in.Phone) {
			return invalid("phone", "手机号码应为 11 位数字，以 1 开头")
		}
		user, err = createUserTx(tx, UserInput{OrgID: in.OrgID, Username: in.Username, Name: in.Name, Phone: in.Phone,
			IsAdmin: in.IsAdmin, Caps: sortCaps(in.Caps), PasswordHash: in.PasswordHash, MustChange: true}, s.Now())
		if err != nil {
			return err
		}
		return s.logTx(tx, a, ActUserCreate, user.Username, target.Display())
	})
	return user, err
}

func sortCaps(caps []Cap) []Cap {
	order := map[Cap]int{}
	for i, ci := range AllCaps {
		order[ci.Cap] = i
	}
	seen := map[Cap]bool{}
	var out []Cap
	for _, c := range caps {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return order[out[i]] < order[out[j]] })
	return out
}

// managedUserTx loads a user the actor may manage: one in its scope that
// does not outrank it (see outranks).
func managedUserTx(tx *bolt.Tx, a Actor, id uint64) (User, User, Org, []Cap, error) {
	var u User
	if err := getJSON(tx.Bucket(bUsers), itob(id), &u); err != nil {
		return User{}, User{}, Org{}, nil, err
	}
	actor, target, grantable, err := userManagerTx(tx, a, u.OrgID)
	if err != nil {
		return User{}, User{}, Org{}, nil, err
	}
	if msg := outranks(u, actor, grantable); msg != "" {
		return User{}, User{}, Org{}, nil, &ForbiddenError{Msg: msg}
	}
	return actor, u, target, grantable, nil
}

// outranks says why target is beyond actor's reach, or "" when it is not.
// Whoever can reset a password or unbind an authenticator can log in as that
// user, so an administrator of users may only act on users holding nothing
// it could not grant itself: only administrators act on administrators, and
// a user holding a capability outside grantable (what actor may grant in the
// target's organisation) is out of reach. Acting on oneself is checked by
// each action.
func outranks(target, actor User, grantable []Cap) string {
	if target.ID == actor.ID {
		return ""
	}
	if target.IsAdmin && !actor.IsAdmin {
		return "只有管理员才能管理管理员账户。"
	}
	for _, c := range target.Caps {
		if checkGrant([]Cap{c}, grantable) != nil {
			return fmt.Sprintf("该用户拥有您没有的「%s」权限，您不能管理该用户。", CapLabel(c))
		}
	}
	return ""
}

// keepsAdminTx refuses a change that would leave the organisation without an
// enabled administrator. changed is the user as it will be stored.
func keepsAdminTx(tx *bolt.Tx, changed User) error {
	if changed.IsAdmin && !changed.Disabled {
		return nil
	}
	ids, err := orgUserIDsTx(tx, changed.OrgID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if id == changed.ID {
			continue
		}
		var u User
		if err := getJSON(tx.Bucket(bUsers), itob(id), &u); err != nil {
			return err
		}
		if u.IsAdmin && !u.Disabled {
			return nil
		}
	}
	return invalid("", "机构至少需要保留一名启用状态的管理员")
}

// UserEdit is what an administrator may change about a user.
type UserEdit struct {
	Name, Phone string
	IsAdmin     bool
	Caps        []Cap
	Rev         uint64 // the revision the form was made from
}

// UpdateUser changes a user's name, phone, admin flag and capabilities.
// Capabilities the actor may not grant are kept as they were.
func (s *Store) UpdateUser(a Actor, id uint64, in UserEdit) (User, error) {
	var u User
	err := s.db.Update(func(tx *bolt.Tx) error {
		actor, target, _, grantable, err := managedUserTx(tx, a, id)
		if err != nil {
			return err
		}
		if err := nextRev("用户", &target.Rev, in.Rev); err != nil {
			return err
		}
		if in.Name, in.Phone, err = checkNamePhone(in.Name, in.Phone); err != nil {
			return err
		}
		if in.IsAdmin != target.IsAdmin {
			if !mayAppointAdmin(actor) {
				return invalid("is_admin", "只有管理员才能设置或取消管理员")
			}
			if target.ID == actor.ID {
				return invalid("is_admin", "不能取消自己的管理员身份")
			}
		}
		if err := checkGrant(in.Caps, grantable); err != nil {
			return err
		}
		// Keep what the actor cannot grant: it may neither add nor remove it.
		caps := append([]Cap(nil), in.Caps...)
		for _, c := range target.Caps {
			if checkGrant([]Cap{c}, grantable) != nil {
				caps = append(caps, c)
			}
		}
		target.Name, target.Phone, target.IsAdmin, target.Caps = in.Name, in.Phone, in.IsAdmin, sortCaps(caps)
		if target.IsAdmin {
			target.Caps = nil
		}
		if err := keepsAdminTx(tx, target); err != nil {
			return err
		}
		u = target
		if err := putUserTx(tx, u); err != nil {
			return err
		}
		return s.logTx(tx, a, ActUserUpdate, u.Username, capsText(u))
	})
	return u, err
}

func capsText(u User) string {
	if u.IsAdmin {
		return "机构管理员（全部权限）"
	}
	var labels []string
	for _, c := range u.Caps {
		labels = append(labels, CapLabel(c))
	}
	if len(labels) == 0 {
		return "无权限"
	}
	return strings.Join(labels, "、")
}

// ResetPassword sets a new initial password (shown once by the caller): the
// user must change it at the next login; the lockout is lifted and sessions
// end.
func (s *Store) ResetPassword(a Actor, id uint64, hash string) (User, error) {
	return s.resetAccount(a, id, ActUserReset, "请在「设置 → 修改密码」中修改自己的密码", func(u *User) {
		u.PasswordHash, u.MustChange, u.PasswordChanged = hash, true, s.Now()
		u.FailCount, u.LockedUntil = 0, time.Time{}
	})
}

// UnbindTOTP removes a user's authenticator and recovery codes: the next
// login enrols again. Sessions end.
func (s *Store) UnbindTOTP(a Actor, id uint64) (User, error) {
	return s.resetAccount(a, id, ActUserUnbind, "请在「设置 → 身份验证器」中重新绑定自己的身份验证器", func(u *User) {
		u.TOTPSecret, u.RecoveryHashes, u.TOTPLastStep = "", nil, 0
	})
}

// resetAccount applies an administrator's reset to a user it manages (never
// to itself: selfMsg says where to do that), ends the user's sessions and
// logs the action, in one transaction.
func (s *Store) resetAccount(a Actor, id uint64, action Action, selfMsg string, change func(u *User)) (User, error) {
	var u User
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, target, _, _, err := managedUserTx(tx, a, id)
		if err != nil {
			return err
		}
		if target.ID == a.UserID {
			return invalid("", selfMsg)
		}
		change(&target)
		u = target
		if err := putUserTx(tx, u); err != nil {
			return err
		}
		if err := deleteUserSessionsTx(tx, u.ID, nil); err != nil {
			return err
		}
		return s.logTx(tx, a, action, u.Username, "")
	})
	return u, err
}

// SetUserDisabled disables (sessions end, logins refused) or enables a user.
func (s *Store) SetUserDisabled(a Actor, id uint64, disabled bool) (User, error) {
	var u User
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, target, _, _, err := managedUserTx(tx, a, id)
		if err != nil {
			return err
		}
		if target.ID == a.UserID {
			return invalid("", "不能停用自己的账户")
		}
		target.Disabled = disabled
		if err := keepsAdminTx(tx, target); err != nil {
			return err
		}
		u = target
		if err := putUserTx(tx, u); err != nil {
			return err
		}
		action := ActUserEnable
		if disabled {
			action = ActUserDisable
			if err := deleteUserSessionsTx(tx, u.ID, nil); err != nil {
				return err
			}
		}
		return s.logTx(tx, a, action, u.Username, "")
	})
	return u, err
}

// ManagedUser returns a user the actor may manage, with what it may grant.
func (s *Store) ManagedUser(a Actor, id uint64) (User, Org, []Cap, error) {
	var u User
	var o Org
	var caps []Cap
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		_, u, o, caps, err = managedUserTx(tx, a, id)
		return err
	})
	return u, o, caps, err
}

// UserFilter selects users of an organisation's subtree.
type UserFilter struct {
	OrgID    uint64 // one organisation of the subtree; 0 = all
	Q        string // username or name contains
	Disabled string // "", "yes", "no"
	Offset   int
	Limit    int
}

// UserRow is a user with its organisation, for lists.
type UserRow struct {
	User User
	Org  Org
}

// Users lists the users of viewer's organisation and its subtree, through
// the organisation-users index.
func (s *Store) Users(viewer Org, f UserFilter) ([]UserRow, int, error) {
	var rows []UserRow
	err := s.db.View(func(tx *bolt.Tx) error {
		orgs := []Org{viewer}
		sub, err := subtreeTx(tx, viewer.ID)
		if err != nil {
			return err
		}
		orgs = append(orgs, sub...)
		q := strings.ToLower(strings.TrimSpace(f.Q))
		for _, o := range orgs {
			if f.OrgID != 0 && o.ID != f.OrgID {
				continue
			}
			ids, err := orgUserIDsTx(tx, o.ID)
			if err != nil {
				return err
			}
			for _, id := range ids {
				var u User
				if err := getJSON(tx.Bucket(bUsers), itob(id), &u); err != nil {
					return err
				}
				switch {
				case q != "" && !strings.Contains(strings.ToLower(u.Username), q) && !strings.Contains(u.Name, q):
				case f.Disabled == "yes" && !u.Disabled, f.Disabled == "no" && u.Disabled:
				default:
					rows = append(rows, UserRow{User: u, Org: o})
				}
			}
		}
		return nil
	})
	page, total := pageOf(rows, f.Offset, f.Limit)
	return page, total, err
}
