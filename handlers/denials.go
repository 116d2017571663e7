package handlers

import (
	"fmt"
	"sync"
	"time"

	"certreg/store"
)

// Refused requests (a missing CSRF token, a route the caller may not use, a
// login over the rate limit)
// belong in the operation log, but anyone can send them without logging in,
// so writing one synced entry each would let a stranger grow the database at
// will. denials bounds that cost: the first refusal of a caller (a user, or
// a client address when anonymous) in a minute is written at once; later
// ones in the same minute are only counted and written as one summary entry
// when the minute is over. At most maxDenialCallers callers a minute get
// entries of their own; refusals beyond them are summed into one entry. So
// the log grows by at most 2×maxDenialCallers+1 entries a minute however
// many requests arrive.

const (
	maxDenialCallers = 100
	maxDenialTarget  = 120 // runes of the path kept in an entry
)

type denialKey struct {
	action store.Action
	user   uint64
	ip     string
}

type denialCount struct {
	action store.Action
	actor  store.Actor
	n      int // refusals after the first
	target string
}

type denials struct {
	log      func(action store.Action, a store.Actor, target, detail string)
	mu       sync.Mutex
	minute   int64
	callers  map[denialKey]*denialCount
	overflow int
}

func newDenials(log func(action store.Action, a store.Actor, target, detail string)) *denials {
	return &denials{log: log, callers: map[denialKey]*denialCount{}}
}

// record notes one refusal at now; it writes at most one entry itself.
func (d *denials) record(now time.Time, action store.Action, a store.Actor, target, detail string) {
	target = clip(target, maxDenialTarget)
	d.mu.Lock()
	flush := d.rotateLocked(now)
	k := denialKey{action: action, user: a.UserID, ip: a.IP}
	write := false
	if c := d.callers[k]; c != nil {
		c.n++
		c.target = target
	} else if len(d.callers) >= maxDenialCallers {
		d.overflow++
	} else {
		d.callers[k] = &denialCount{action: action, actor: a, target: target}
		write = true
	}
	d.mu.Unlock()
	flush()
	if write {
		d.log(action, a, target, detail)
	}
}

// tick writes the summaries of a minute that is over.
func (d *denials) tick(now time.Time) {
	d.mu.Lock()
	flush := d.rotateLocked(now)
	d.mu.Unlock()
	flush()
}

// rotateLocked starts a new minute when now is past the current one and
// returns what writes the old minute's summaries (to run after unlocking).
func (d *denials) rotateLocked(now time.Time) func() {
	m := now.Unix() / 60
	if m == d.minute {
		return func() {}
	}
	old, overflow, start := d.callers, d.overflow, time.Unix(d.minute*60, 0)
	d.minute, d.callers, d.overflow = m, map[denialKey]*denialCount{}, 0
	return func() {
		when := start.In(cst).Format("15:04")
		for _, c := range old {
			if c.n > 0 {
				d.log(c.action, c.actor, c.target, fmt.Sprintf("%s 这一分钟内另有 %d 次请求被拒绝（最后一次见对象）", when, c.n))
			}
		}
		if overflow > 0 {
			d.log(store.ActAccessDenied, store.Actor{Username: "（多个地址）"}, "", fmt.Sprintf("%s 这一分钟内另有 %d 次来自其他地址的请求被拒绝", when, overflow))
		}
	}
}
