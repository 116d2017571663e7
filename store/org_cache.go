package store

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// Pages read organisations and the occupation catalogue on every request
// (the session's organisation, the issuers of a list's rows, the filters'
// drop-downs), and both change rarely: the store keeps them decoded in
// memory. Every write goes through putOrgTx, deleteOrgTx, putOccupationTx or
// deleteOccupationTx, which move a generation counter when the transaction
// commits; a reader takes the generation before it reads, so a snapshot is
// never newer than the generation it is filed under, and the next reader
// after a change reads again.

var (
	orgsGen    atomic.Uint64 // organisations changed (every store of the process)
	catalogGen atomic.Uint64 // occupations changed
)

func putOrgTx(tx *bolt.Tx, o Org) error {
	tx.OnCommit(func() { orgsGen.Add(1) })
	return putJSON(tx.Bucket(bOrgs), itob(o.ID), o)
}

func deleteOrgTx(tx *bolt.Tx, id uint64) error {
	tx.OnCommit(func() { orgsGen.Add(1) })
	return tx.Bucket(bOrgs).Delete(itob(id))
}

func putOccupationTx(tx *bolt.Tx, o Occupation) error {
	tx.OnCommit(func() { catalogGen.Add(1) })
	return putJSON(tx.Bucket(bOccupations), []byte(o.Code), o)
}

func deleteOccupationTx(tx *bolt.Tx, code string) error {
	tx.OnCommit(func() { catalogGen.Add(1) })
	return tx.Bucket(bOccupations).Delete([]byte(code))
}

// orgSnapshot is every organisation as of one generation.
type orgSnapshot struct {
	gen  uint64
	byID map[uint64]*Org
}

// catalogSnapshot is the occupation catalogue, by code.
type catalogSnapshot struct {
	gen  uint64
	list []Occupation
}

type memCache struct {
	users   userCache
	formats formatNameCache
	mu      sync.Mutex
	orgs    atomic.Pointer[orgSnapshot]
	catalog atomic.Pointer[catalogSnapshot]
}

func (s *Store) orgSnap() (*orgSnapshot, error) {
	g := orgsGen.Load()
	if snap := s.mem.orgs.Load(); snap != nil && snap.gen == g {
		return snap, nil
	}
	s.mem.mu.Lock()
	defer s.mem.mu.Unlock()
	if snap := s.mem.orgs.Load(); snap != nil && snap.gen == g {
		return snap, nil
	}
	snap := &orgSnapshot{gen: g, byID: map[uint64]*Org{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bOrgs).ForEach(func(k, v []byte) error {
			var o Org
			if err := jsonUnmarshal(v, &o); err != nil {
				return err
			}
			snap.byID[o.ID] = &o
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	s.mem.orgs.Store(snap)
	return snap, nil
}

// copyOrg is o with its own path and scope, so a caller may change them.
func copyOrg(o *Org) Org {
	c := *o
	c.Path = slices.Clone(o.Path)
	if o.Scope != nil {
		c.Scope = make(Scope, len(o.Scope))
		for k, v := range o.Scope {
			c.Scope[k] = slices.Clone(v)
		}
	}
	return c
}

// OrgsGeneration changes whenever an organisation changes (callers key
// their own caches of organisation lists with it).
func (s *Store) OrgsGeneration() uint64 { return orgsGen.Load() }

// CatalogGeneration changes whenever the occupation catalogue changes.
func (s *Store) CatalogGeneration() uint64 { return catalogGen.Load() }

// OrgDisplay is "名称 代码" of an organisation, from memory.
func (s *Store) OrgDisplay(id uint64) (string, bool) {
	snap, err := s.orgSnap()
	if err != nil {
		return "", false
	}
	o, ok := snap.byID[id]
	if !ok {
		return "", false
	}
	return o.Display(), true
}

// catalog is the occupation catalogue by code, from memory (callers must
// not change it).
func (s *Store) catalog() ([]Occupation, error) {
	g := catalogGen.Load()
	if snap := s.mem.catalog.Load(); snap != nil && snap.gen == g {
		return snap.list, nil
	}
	snap := &catalogSnapshot{gen: g}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bOccupations).ForEach(func(k, v []byte) error {
			var o Occupation
			if err := jsonUnmarshal(v, &o); err != nil {
				return err
			}
			snap.list = append(snap.list, o)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	s.mem.catalog.Store(snap)
	return snap.list, nil
}

// Users are kept decoded as they are read (a session's user on every
// request); any change of any user empties the cache.
var usersGen atomic.Uint64

func putUserTx(tx *bolt.Tx, u User) error {
	tx.OnCommit(func() { usersGen.Add(1) })
	return putJSON(tx.Bucket(bUsers), itob(u.ID), u)
}

func deleteUserRecordTx(tx *bolt.Tx, id uint64) error {
	tx.OnCommit(func() { usersGen.Add(1) })
	return tx.Bucket(bUsers).Delete(itob(id))
}

type userCache struct {
	mu    sync.RWMutex
	gen   uint64
	users map[uint64]*User
}

func (s *Store) cachedUser(id uint64) (User, error) {
	g := usersGen.Load()
	c := &s.mem.users
	c.mu.RLock()
	u, ok := c.users[id]
	fresh := c.gen == g
	c.mu.RUnlock()
	if ok && fresh {
		return copyUser(u), nil
	}
	var nu User
	if err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bUsers), itob(id), &nu) }); err != nil {
		return User{}, err
	}
	c.mu.Lock()
	if c.gen != g || c.users == nil {
		c.gen, c.users = g, map[uint64]*User{}
	}
	if len(c.users) < 100000 {
		c.users[id] = &nu
	}
	c.mu.Unlock()
	return copyUser(&nu), nil
}

func copyUser(u *User) User {
	c := *u
	c.Caps = slices.Clone(u.Caps)
	c.RecoveryHashes = slices.Clone(u.RecoveryHashes)
	return c
}

// actorView is actorTx for a read: the user and organisation as the caches
// hold them.
func (s *Store) actorView(a Actor) (User, Org, error) {
	u, err := s.cachedUser(a.UserID)
	if err != nil {
		return User{}, Org{}, fmt.Errorf("actor %d: %w", a.UserID, ErrForbidden)
	}
	o, err := s.Org(u.OrgID)
	if err != nil || u.Disabled || u.OrgID != a.OrgID {
		return User{}, Org{}, ErrForbidden
	}
	return u, o, nil
}
