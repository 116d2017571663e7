package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"certreg/data"
)

// Empty reports whether the database has no province yet (first start).
func (s *Store) Empty() (bool, error) {
	empty := false
	err := s.db.View(func(tx *bolt.Tx) error {
		empty = tx.Bucket(bMeta).Get([]byte("province_id")) == nil
		return nil
	})
	return empty, err
}

// Bootstrap creates the province organisation and its `admin` user with the
// given initial password hash (the user must change it and enrol TOTP at the
// first login), and loads the occupation catalogue.
func (s *Store) Bootstrap(provinceCode, adminHash string) (Org, User, error) {
	return s.BootstrapAdmin(provinceCode, NewOrgAdmin{Username: "admin", Name: "系统管理员", PasswordHash: adminHash})
}

// BootstrapAdmin is Bootstrap with the province administrator named by the
// caller (the demo's first start names it demo-province).
func (s *Store) BootstrapAdmin(provinceCode string, admin NewOrgAdmin) (Org, User, error) {
	p, ok := data.ProvinceByCode(provinceCode)
	if !ok {
		return Org{}, User{}, fmt.Errorf("unknown province code %q", provinceCode)
	}
	var org Org
	var user User
	err := s.db.Update(func(tx *bolt.Tx) error {
		now := s.Now()
		var err error
		org, err = createOrgTx(tx, OrgInput{Name: p.Name + "住房和城乡建设厅", Type: Province, Region: p.Code + "00",
			Contact: admin.Name}, now)
		if err != nil {
			return err
		}
		user, err = createUserTx(tx, UserInput{OrgID: org.ID, Username: admin.Username, Name: admin.Name, Phone: admin.Phone,
			IsAdmin: true, PasswordHash: admin.PasswordHash, MustChange: true}, now)
		if err != nil {
			return err
		}
		return seedOccupationsTx(tx)
	})
	return org, user, err
}

// The demo accounts (package demo builds the demo province; the login page
// shows the current code of DemoSecret in demo mode).
const (
	DemoPassword = "Demo#2026pass"
	DemoSecret   = "DEMODEMODEMODEMO"
)
