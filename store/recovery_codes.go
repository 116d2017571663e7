package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// LowRecoveryCodes is the number of unused recovery codes below which the
// pages warn a user to make new ones.
const LowRecoveryCodes = 3

// RenewRecoveryCodes replaces the actor's own recovery codes by new ones
// (their hashes), without touching the authenticator: the old codes stop
// working at once. The caller has checked the actor's password. A user
// without an authenticator has no codes to renew.
func (s *Store) RenewRecoveryCodes(a Actor, hashes []string) error {
	if len(hashes) == 0 {
		return fmt.Errorf("renew recovery codes: no codes")
	}
	_, err := s.updateUser(a.UserID, func(tx *bolt.Tx, u *User) error {
		if !u.Enrolled() {
			return invalid("", "尚未绑定身份验证器，绑定时会生成恢复码")
		}
		u.RecoveryHashes = append([]string(nil), hashes...)
		return s.logTx(tx, a, ActRecoveryRenew, u.Username, fmt.Sprintf("%d 个", len(hashes)))
	})
	return err
}
