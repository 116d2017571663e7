// Package demo builds the demo province (安徽省住房和城乡建设厅) that
// `certreg -demo` starts with and every test starts from (fixture.Demo).
//
// The world is made only through the store's public operations, the ones the
// pages call — first start, organisations and users, scopes, batches created,
// submitted, marked, approved and rejected (the province's approval issues
// the certificates), print formats, printing, cancellation and certificate
// businesses — each at its own moment on a clock that starts half a year
// before the store's present and moves forward to it. A new index, counter or
// log line of an operation is therefore part of the demo without any change
// here, and the demo passes the store's consistency check.
//
// The demo is deterministic: the same present gives the same world (names and
// ID numbers come from fixed random seeds).
package demo

import (
	"fmt"
	"sort"
	"time"

	"certreg/store"
)

// Build fills an empty store with the demo province. hash is the password
// hash of store.DemoPassword for every demo user; every user has the TOTP
// secret store.DemoSecret and no forced password change. The store's clock
// (s.Now) is the demo's present: everything happens before it, and it is
// restored on return.
func Build(s *store.Store, hash string) error {
	empty, err := s.Empty()
	if err != nil {
		return err
	}
	if !empty {
		return fmt.Errorf("demo: the store is not empty")
	}
	now := s.Now
	defer func() { s.Now = now }()
	w := &world{s: s, hash: hash, end: now(), actors: map[string]store.Actor{}}
	s.Now = func() time.Time { return w.clock }
	w.planOrgs()
	w.planFormats()
	if err := w.planBatches(); err != nil {
		return err
	}
	if err := w.planCertBatches(); err != nil {
		return err
	}
	w.planBusinesses()
	w.planPasswordRenewal()
	return w.run()
}

// world is the demo being built: a plan of events on the timeline, run in
// time order, and the clock the store reads meanwhile.
type world struct {
	s      *store.Store
	hash   string
	end    time.Time // the present: every event happens before it
	clock  time.Time
	events []event
	actors map[string]store.Actor // by username, once created
}

type event struct {
	at   time.Time
	what string
	do   func() error
}

// at schedules do at time t; events at the same time run in the order
// planned.
func (w *world) at(t time.Time, what string, do func() error) {
	w.events = append(w.events, event{at: t.In(w.end.Location()), what: what, do: do})
}

// daysAgo is the present moved back by days.
func (w *world) daysAgo(days int) time.Time { return w.end.AddDate(0, 0, -days) }

func (w *world) run() error {
	sort.SliceStable(w.events, func(i, j int) bool { return w.events[i].at.Before(w.events[j].at) })
	for _, e := range w.events {
		if !e.at.Before(w.end) {
			return fmt.Errorf("demo: %s planned at %s, not before the present %s", e.what, e.at, w.end)
		}
		w.clock = e.at
		if err := e.do(); err != nil {
			return fmt.Errorf("demo: %s: %w", e.what, err)
		}
	}
	return nil
}

// actor is the demo user acting, as from a browser on the server itself.
func (w *world) actor(username string) (store.Actor, error) {
	if a, ok := w.actors[username]; ok {
		return a, nil
	}
	u, err := w.s.UserByName(username)
	if err != nil {
		return store.Actor{}, fmt.Errorf("demo user %s: %w", username, err)
	}
	a := store.Actor{UserID: u.ID, Username: u.Username, OrgID: u.OrgID, IP: "127.0.0.1"}
	w.actors[username] = a
	return a, nil
}
