package store

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// User is a person who logs in. Secrets (password hash, TOTP secret, recovery
// code hashes) never leave the server.
type User struct {
	ID              uint64    `json:"id"`
	Rev             uint64    `json:"rev,omitempty"` // of the administrators' form (revision.go)
	OrgID           uint64    `json:"org_id"`
	Username        string    `json:"username"`
	Name            string    `json:"name"`
	Phone           string    `json:"phone,omitempty"`
	IsAdmin         bool      `json:"is_admin,omitempty"` // the organisation's administrator
	Caps            []Cap     `json:"caps,omitempty"`     // granted caps (admins hold all of the type)
	Disabled        bool      `json:"disabled,omitempty"`
	PasswordHash    string    `json:"password_hash"`
	PasswordChanged time.Time `json:"password_changed"`
	MustChange      bool      `json:"must_change,omitempty"` // initial or reset password
	TOTPSecret      string    `json:"totp_secret,omitempty"`
	TOTPLastStep    uint64    `json:"totp_last_step,omitempty"`
	RecoveryHashes  []string  `json:"recovery_hashes,omitempty"`
	FailCount       int       `json:"fail_count,omitempty"`
	LockedUntil     time.Time `json:"locked_until,omitempty"`
	LastLogin       time.Time `json:"last_login,omitempty"`
	PrevLogin       time.Time `json:"prev_login,omitempty"` // the login before the current one, shown on the home page
	Created         time.Time `json:"created"`
}

// Enrolled reports whether the user has bound an authenticator.
func (u User) Enrolled() bool { return u.TOTPSecret != "" }

// Locked reports whether failed logins lock the account at now.
func (u User) Locked(now time.Time) bool { return now.Before(u.LockedUntil) }

// Can reports whether the user, in an organisation of type t, holds c.
func (u User) Can(t OrgType, c Cap) bool {
	if !t.Allows(c) {
		return false
	}
	if u.IsAdmin {
		return true
	}
	for _, x := range u.Caps {
		if x == c {
			return true
		}
	}
	return false
}

// Actor is who performs a change, for scope checks and the operation log.
type Actor struct {
	UserID   uint64
	Username string
	OrgID    uint64
	IP       string
}

// Lockout policy (docs/accounts.md).
const (
	MaxFailures  = 5
	LockDuration = 15 * time.Minute
)

var usernameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$`)

// UserInput is what a caller gives to create a user.
type UserInput struct {
	OrgID              uint64
	Username, Name     string
	Phone              string
	IsAdmin            bool
	Caps               []Cap
	PasswordHash       string
	MustChange         bool
	TOTPSecret         string // demo accounts only
	PasswordChangedAge time.Duration
}

func createUserTx(tx *bolt.Tx, in UserInput, now time.Time) (User, error) {
	in.Username = strings.TrimSpace(in.Username)
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case !usernameRe.MatchString(in.Username):
		return User{}, invalid("username", "用户名为 3–32 位字母、数字、下划线、点或减号，以字母或数字开头")
	case in.Name == "":
		return User{}, invalid("name", "请填写姓名")
	case utf8.RuneCountInString(in.Name) > 30:
		return User{}, invalid("name", "姓名不能超过 30 个字")
	}
	names := tx.Bucket(bUserName)
	lower := []byte(strings.ToLower(in.Username))
	if names.Get(lower) != nil {
		return User{}, invalid("username", "该用户名已被使用")
	}
	org, err := orgTx(tx, in.OrgID)
	if err != nil {
		return User{}, fmt.Errorf("user org %d: %w", in.OrgID, err)
	}
	for _, c := range in.Caps {
		if !org.Type.Allows(c) {
			return User{}, invalid("caps", fmt.Sprintf("%s不能拥有「%s」权限", org.Type.Label(), CapLabel(c)))
		}
	}
	users := tx.Bucket(bUsers)
	id, err := nextID(users)
	if err != nil {
		return User{}, err
	}
	u := User{ID: id, OrgID: in.OrgID, Username: in.Username, Name: in.Name, Phone: in.Phone,
		IsAdmin: in.IsAdmin, Caps: in.Caps, PasswordHash: in.PasswordHash,
		PasswordChanged: now.Add(-in.PasswordChangedAge), MustChange: in.MustChange,
		TOTPSecret: in.TOTPSecret, Created: now}
	if err := putUserTx(tx, u); err != nil {
		return User{}, err
	}
	if err := names.Put(lower, itob(id)); err != nil {
		return User{}, err
	}
	return u, tx.Bucket(bOrgUsers).Put(key(itob(in.OrgID), itob(id)), nil)
}

// User returns a user by id.
func (s *Store) User(id uint64) (User, error) {
	return s.cachedUser(id)
}

// UserByName returns a user by username (case-insensitive).
func (s *Store) UserByName(username string) (User, error) {
	var u User
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bUserName).Get([]byte(strings.ToLower(strings.TrimSpace(username))))
		if id == nil {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bUsers), id, &u)
	})
	return u, err
}

// OrgUsers lists the users of one organisation, by id.
func (s *Store) OrgUsers(orgID uint64) ([]User, error) {
	var out []User
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := itob(orgID)
		c := tx.Bucket(bOrgUsers).Cursor()
		for k, _ := c.Seek(prefix); len(k) == 16 && string(k[:8]) == string(prefix); k, _ = c.Next() {
			var u User
			if err := getJSON(tx.Bucket(bUsers), k[8:], &u); err != nil {
				return err
			}
			out = append(out, u)
		}
		return nil
	})
	return out, err
}

// updateUser applies fn to the stored user inside one transaction.
func (s *Store) updateUser(id uint64, fn func(tx *bolt.Tx, u *User) error) (User, error) {
	var u User
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := getJSON(tx.Bucket(bUsers), itob(id), &u); err != nil {
			return err
		}
		if err := fn(tx, &u); err != nil {
			return err
		}
		return putUserTx(tx, u)
	})
	return u, err
}

// LoginFailed counts a failed password or code for the user and locks the
// account after MaxFailures; locked reports whether this failure locked it.
func (s *Store) LoginFailed(a Actor, id uint64, what string) (u User, locked bool, err error) {
	u, err = s.updateUser(id, func(tx *bolt.Tx, u *User) error {
		now := s.Now()
		u.FailCount++
		action := ActLoginFailure
		if u.FailCount >= MaxFailures {
			u.FailCount = 0
			u.LockedUntil = now.Add(LockDuration)
			locked = true
			action = ActLoginLocked
		}
		return s.logTxResult(tx, a, action, u.Username, what, false)
	})
	return u, locked, err
}

// LoginSucceeded clears the failure count and records the login.
func (s *Store) LoginSucceeded(a Actor, id uint64) (User, error) {
	return s.updateUser(id, func(tx *bolt.Tx, u *User) error {
		u.FailCount = 0
		u.PrevLogin = u.LastLogin
		u.LastLogin = s.Now()
		return s.logTx(tx, a, ActLoginSuccess, u.Username, "")
	})
}

// UseTOTPStep records the TOTP time step a code matched. A step at or below
// the last one used is a replay and is refused with ErrConflict.
func (s *Store) UseTOTPStep(id, step uint64) error {
	_, err := s.updateUser(id, func(tx *bolt.Tx, u *User) error {
		if step <= u.TOTPLastStep {
			return ErrConflict
		}
		u.TOTPLastStep = step
		return nil
	})
	return err
}

// UseRecoveryCode consumes a recovery code by its hash; ErrNotFound if it is
// not one of the user's unused codes.
func (s *Store) UseRecoveryCode(a Actor, id uint64, hash string) (remaining int, err error) {
	_, err = s.updateUser(id, func(tx *bolt.Tx, u *User) error {
		for i, h := range u.RecoveryHashes {
			if h == hash {
				u.RecoveryHashes = append(u.RecoveryHashes[:i:i], u.RecoveryHashes[i+1:]...)
				remaining = len(u.RecoveryHashes)
				return s.logTx(tx, a, ActRecoveryUse, u.Username, fmt.Sprintf("剩余 %d 个", remaining))
			}
		}
		return ErrNotFound
	})
	return remaining, err
}

// SetPassword stores a new password hash chosen by the user, clears the
// must-change flag and ends every other session of the user.
func (s *Store) SetPassword(a Actor, id uint64, hash string, keepSession []byte) error {
	_, err := s.updateUser(id, func(tx *bolt.Tx, u *User) error {
		u.PasswordHash = hash
		u.PasswordChanged = s.Now()
		u.MustChange = false
		if err := deleteUserSessionsTx(tx, id, keepSession); err != nil {
			return err
		}
		return s.logTx(tx, a, ActPasswordChange, u.Username, "")
	})
	return err
}

// EnrolTOTP binds an authenticator (secret verified by the caller at step)
// and replaces the recovery codes. Other sessions of the user end.
func (s *Store) EnrolTOTP(a Actor, id uint64, secret string, step uint64, recovery []string, keepSession []byte) error {
	_, err := s.updateUser(id, func(tx *bolt.Tx, u *User) error {
		action := ActTOTPEnrol
		if u.Enrolled() {
			action = ActTOTPRebind
		}
		u.TOTPSecret = secret
		u.TOTPLastStep = step
		u.RecoveryHashes = recovery
		if err := deleteUserSessionsTx(tx, id, keepSession); err != nil {
			return err
		}
		return s.logTx(tx, a, action, u.Username, "")
	})
	return err
}

// ProfileInput is what a user may change about themselves.
type ProfileInput struct{ Name, Phone string }

// UpdateProfile changes the actor's own name and phone.
func (s *Store) UpdateProfile(a Actor, in ProfileInput) (User, error) {
	return s.updateUser(a.UserID, func(tx *bolt.Tx, u *User) error {
		var err error
		if in.Name, in.Phone, err = checkNamePhone(in.Name, in.Phone); err != nil {
			return err
		}
		u.Name, u.Phone = in.Name, in.Phone
		return s.logTx(tx, a, ActProfileUpdate, u.Username, "")
	})
}

var mobileRe = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// checkNamePhone trims and checks a person's name and optional mobile number.
func checkNamePhone(name, phone string) (string, string, error) {
	name, phone = strings.TrimSpace(name), strings.TrimSpace(phone)
	switch {
	case name == "":
		return "", "", invalid("name", "请填写姓名")
	case utf8.RuneCountInString(name) > 30:
		return "", "", invalid("name", "姓名不能超过 30 个字")
	case phone != "" && !mobileRe.MatchString(phone):
		return "", "", invalid("phone", "手机号码应为 11 位数字，以 1 开头")
	}
	return name, phone, nil
}
