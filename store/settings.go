package store

import (
	"crypto/rand"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Settings are the province's system-wide settings.
type Settings struct {
	// PasswordMaxAgeDays forces a password change after so many days; 0 = off.
	PasswordMaxAgeDays int `json:"password_max_age_days"`
}

// DefaultSettings apply until the province changes them.
var DefaultSettings = Settings{PasswordMaxAgeDays: 90}

// Settings returns the system settings.
func (s *Store) Settings() (Settings, error) {
	st := DefaultSettings
	err := s.db.View(func(tx *bolt.Tx) error {
		err := getJSON(tx.Bucket(bMeta), []byte("settings"), &st)
		if err == ErrNotFound {
			return nil
		}
		return err
	})
	return st, err
}

// SaveSettings stores the system settings (province only; checked by caller's
// route and again here by the actor's organisation type).
func (s *Store) SaveSettings(a Actor, st Settings) error {
	if st.PasswordMaxAgeDays < 0 || st.PasswordMaxAgeDays > 3650 {
		return invalid("password_max_age_days", "密码有效期应为 0–3650 天（0 表示不限）")
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		org, err := orgTx(tx, a.OrgID)
		if err != nil {
			return err
		}
		if org.Type != Province || !actorIsAdminTx(tx, a) {
			return ErrForbidden
		}
		if err := putJSON(tx.Bucket(bMeta), []byte("settings"), st); err != nil {
			return err
		}
		return s.logTx(tx, a, ActSettingsUpdate, "系统设置", fmt.Sprintf("密码有效期 %d 天", st.PasswordMaxAgeDays))
	})
}

// SecretKey returns a named 32-byte random key kept in the database, creating
// it on first use (e.g. for HMAC of verification links and CSRF cookies).
func (s *Store) SecretKey(name string) ([]byte, error) {
	var k []byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bMeta)
		name := []byte("key_" + name)
		if v := b.Get(name); v != nil {
			k = append([]byte(nil), v...)
			return nil
		}
		k = make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return err
		}
		return b.Put(name, k)
	})
	return k, err
}
