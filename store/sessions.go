package store

import (
	"bytes"
	"crypto/sha256"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Session stages: a session is created at the password step and becomes
// full only after the second factor and any forced set-up.
type Stage string

const (
	StageMFA   Stage = "mfa"   // password accepted, waiting for the TOTP code
	StageSetup Stage = "setup" // must change the password and/or enrol TOTP
	StageFull  Stage = "full"
)

// Session lifetimes (docs/accounts.md).
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
	// touchEvery limits writes: the last-seen time is stored at most once a minute.
	touchEvery = time.Minute
)

// Session is a server-side login session. The cookie carries a random token;
// the database keys the session by the token's SHA-256, so a leaked database
// file does not yield usable cookies.
type Session struct {
	UserID        uint64    `json:"user_id"`
	OrgID         uint64    `json:"org_id"`
	Stage         Stage     `json:"stage"`
	CSRF          string    `json:"csrf"`
	PendingSecret string    `json:"pending_secret,omitempty"` // TOTP secret being enrolled
	Created       time.Time `json:"created"`
	LastSeen      time.Time `json:"last_seen"`
	IP            string    `json:"ip,omitempty"`
}

// Expired reports whether the session is past its idle or absolute limit.
func (s Session) Expired(now time.Time) bool {
	return now.Sub(s.LastSeen) > IdleTimeout || now.Sub(s.Created) > AbsoluteTimeout
}

// SessionKey hashes a cookie token into the database key.
func SessionKey(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// PutSession stores a session under the token's key.
func (s *Store) PutSession(token string, sess Session) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		k := SessionKey(token)
		if err := putJSON(tx.Bucket(bSessions), k, sess); err != nil {
			return err
		}
		return tx.Bucket(bUserSessions).Put(key(itob(sess.UserID), k), nil)
	})
}

// GetSession returns a live session; expired ones are deleted and answer
// ErrNotFound.
func (s *Store) GetSession(token string) (Session, error) {
	var sess Session
	k := SessionKey(token)
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bSessions), k, &sess) })
	if err != nil {
		return Session{}, err
	}
	now := s.Now()
	if sess.Expired(now) {
		_ = s.DeleteSession(token)
		return Session{}, ErrNotFound
	}
	if now.Sub(sess.LastSeen) > touchEvery {
		sess.LastSeen = now
		if err := s.db.Update(func(tx *bolt.Tx) error {
			if tx.Bucket(bSessions).Get(k) == nil {
				return ErrNotFound // revoked meanwhile
			}
			return putJSON(tx.Bucket(bSessions), k, sess)
		}); err != nil {
			return Session{}, err
		}
	}
	return sess, nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(token string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return deleteSessionTx(tx, SessionKey(token)) })
}

func deleteSessionTx(tx *bolt.Tx, k []byte) error {
	b := tx.Bucket(bSessions)
	var sess Session
	if err := getJSON(b, k, &sess); err != nil {
		if err == ErrNotFound {
			return nil
		}
		return err
	}
	if err := b.Delete(k); err != nil {
		return err
	}
	return tx.Bucket(bUserSessions).Delete(key(itob(sess.UserID), k))
}

// deleteUserSessionsTx ends every session of a user except keep (a token key
// or nil).
func deleteUserSessionsTx(tx *bolt.Tx, userID uint64, keep []byte) error {
	prefix := itob(userID)
	var keys [][]byte
	c := tx.Bucket(bUserSessions).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if keep != nil && bytes.Equal(k[8:], keep) {
			continue
		}
		keys = append(keys, append([]byte(nil), k[8:]...))
	}
	for _, k := range keys {
		if err := deleteSessionTx(tx, k); err != nil {
			return err
		}
	}
	return nil
}

// DeleteUserSessions ends every session of a user.
func (s *Store) DeleteUserSessions(userID uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error { return deleteUserSessionsTx(tx, userID, nil) })
}

// PurgeSessions deletes expired sessions; run it now and then.
func (s *Store) PurgeSessions() (int, error) {
	now := s.Now()
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		var dead [][]byte
		err := tx.Bucket(bSessions).ForEach(func(k, v []byte) error {
			var sess Session
			if err := jsonUnmarshal(v, &sess); err != nil || sess.Expired(now) {
				dead = append(dead, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := deleteSessionTx(tx, k); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, err
}
