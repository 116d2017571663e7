package auth

import (
	"hash/maphash"
	"sync"
	"time"
)

// Limiter allows bursts of n events per key (a client address) and then one
// event every window/n, so never more than n per window on average. It is
// generous enough for an office behind one NAT address and still stops a
// password-guessing script.
//
// Each key costs 16 bytes in a fixed-size, set-associative table (the
// generic cell rate algorithm keeps one "theoretical arrival time" per key):
// a check is O(1), allocates nothing, and the state never exceeds
// limiterBytes however many addresses a proxy sends. The table is split into
// shards with their own lock, each allocated on first use. When a set is
// full, the entry closest to being refilled is replaced; it loses at most
// the remainder of its refill, and a key that is being throttled is the last
// to go.
type Limiter struct {
	interval int64 // ns between events once the burst is spent: window/n
	burst    int64 // ns of credit a key may run ahead: window - interval
	now      func() time.Time
	hash     func(string) uint64 // replaced in tests to force collisions
	shards   [limiterShards]limiterShard
}

const (
	limiterShards = 256
	limiterSets   = 512 // per shard
	limiterWays   = 8   // entries per set
	// limiterBytes is the most the table ever holds: 16 MiB for 1,048,576 keys.
	limiterBytes = limiterShards * limiterSets * limiterWays * 16
)

type limiterSlot struct {
	tag uint64 // hash of the key with the low bit set; 0 = empty
	tat int64  // theoretical arrival time (Unix ns) of the next event
}

type limiterShard struct {
	mu   sync.Mutex
	sets *[limiterSets][limiterWays]limiterSlot
}

// NewLimiter allows n events per window.
func NewLimiter(n int, window time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if n < 1 {
		n = 1
	}
	interval := int64(window) / int64(n)
	seed := maphash.MakeSeed()
	return &Limiter{interval: interval, burst: int64(window) - interval, now: now,
		hash: func(k string) uint64 { return maphash.String(seed, k) }}
}

// Allow records an event for key and reports whether it is within the limit.
// A refused event is not counted.
func (l *Limiter) Allow(key string) bool {
	h := l.hash(key)
	tag := h | 1
	sh := &l.shards[h%limiterShards]
	set := (h / limiterShards) % limiterSets
	now := l.now().UnixNano()

	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.sets == nil {
		sh.sets = new([limiterSets][limiterWays]limiterSlot)
	}
	ways := &sh.sets[set]
	slot := -1
	for i := range ways {
		if ways[i].tag == tag {
			slot = i
			break
		}
	}
	if slot < 0 {
		// A new key: take an empty entry or the one closest to refilled.
		slot = 0
		for i := 1; i < limiterWays && ways[slot].tag != 0; i++ {
			if ways[i].tag == 0 || ways[i].tat < ways[slot].tat {
				slot = i
			}
		}
		ways[slot] = limiterSlot{tag: tag, tat: now}
	}
	e := &ways[slot]
	tat := max(e.tat, now)
	if tat-now > l.burst {
		return false
	}
	e.tat = tat + l.interval
	return true
}
