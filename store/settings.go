package store

import (
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Settings are the province's system-wide settings.
type Settings struct {
	// PasswordMaxAgeDays forces a password change after so many days; 0 = off.
	PasswordMaxAgeDays int `json:"password_max_age_days"`
	// LogRetentionMonths keeps operation-log entries this many months; older
	// ones are archived to a file and removed. 0 keeps everything; otherwise
	// at least MinLogRetentionMonths.
	LogRetentionMonths int `json:"log_retention_months,omitempty"`
	// PublicURL is the address the public verification links and QR codes
	// printed on certificates open, e.g. https://zjt.example.gov.cn.
	PublicURL string `json:"public_url,omitempty"`
	// Backup is the schedule of the backups the server makes by itself
	// (check_ops.go); SaveBackupSchedule changes it, SaveSettings keeps it.
	Backup BackupSchedule `json:"backup,omitempty"`
}

// Bounds of the settings.
const (
	MinLogRetentionMonths = 6
	MaxLogRetentionMonths = 600
)

// DefaultSettings apply until the province changes them.
var DefaultSettings = Settings{PasswordMaxAgeDays: 90}

// CheckPublicURL normalises a public address: http or https, a host, no
// query, fragment or credentials; a trailing slash is dropped.
func CheckPublicURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(raw, " \t\r\n\\") || len(raw) > 200 {
		return "", invalid("public_url", "公开访问地址应为 http:// 或 https:// 开头的网址，例如 https://zjt.example.gov.cn，不含查询参数")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

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
	if st.LogRetentionMonths != 0 && (st.LogRetentionMonths < MinLogRetentionMonths || st.LogRetentionMonths > MaxLogRetentionMonths) {
		return invalid("log_retention_months", fmt.Sprintf("操作日志保留期应为 %d–%d 个月（0 表示永久保留）", MinLogRetentionMonths, MaxLogRetentionMonths))
	}
	var err error
	if st.PublicURL, err = CheckPublicURL(st.PublicURL); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		org, err := orgTx(tx, a.OrgID)
		if err != nil {
			return err
		}
		if org.Type != Province || !actorIsAdminTx(tx, a) {
			return ErrForbidden
		}
		var cur Settings
		if err := getJSON(tx.Bucket(bMeta), []byte("settings"), &cur); err != nil && err != ErrNotFound {
			return err
		}
		st.Backup = cur.Backup
		if err := putJSON(tx.Bucket(bMeta), []byte("settings"), st); err != nil {
			return err
		}
		return s.logTx(tx, a, ActSettingsUpdate, "系统设置", fmt.Sprintf("密码有效期 %d 天；日志保留 %d 个月；公开访问地址 %s",
			st.PasswordMaxAgeDays, st.LogRetentionMonths, st.PublicURL))
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
