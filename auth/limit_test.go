package auth

import (
	"runtime"
	"strconv"
	"testing"
	"time"
)

// The rule: n events at once per key, then one every window/n; a refused
// event is not counted; a key quiet for a whole window has its full burst
// back. The figures below are those of n = 3 per minute.
func TestLimiterBurstThenSteadyRate(t *testing.T) {
	start := time.Unix(1_000_000, 0)
	now := start
	l := NewLimiter(3, time.Minute, func() time.Time { return now })
	for i := 1; i <= 3; i++ {
		if !l.Allow("10.0.0.1") {
			t.Fatalf("event %d of the burst refused", i)
		}
	}
	for i := 0; i < 5; i++ {
		if l.Allow("10.0.0.1") {
			t.Fatal("4th event within the minute allowed")
		}
	}
	now = start.Add(19 * time.Second)
	if l.Allow("10.0.0.1") {
		t.Fatal("allowed after 19 s; one event comes back every 20 s")
	}
	now = start.Add(20 * time.Second)
	if !l.Allow("10.0.0.1") {
		t.Fatal("refused after 20 s (refused attempts must not count)")
	}
	if l.Allow("10.0.0.1") {
		t.Fatal("two events 20 s after a spent burst")
	}
	// A whole quiet minute after the last allowed event: the full burst again.
	now = start.Add(80 * time.Second)
	for i := 1; i <= 3; i++ {
		if !l.Allow("10.0.0.1") {
			t.Fatalf("after a quiet minute, event %d refused", i)
		}
	}
	if l.Allow("10.0.0.1") {
		t.Fatal("burst larger than 3 after expiry")
	}
}

func TestLimiterKeysAreIndependent(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := NewLimiter(2, time.Minute, func() time.Time { return now })
	for i := 0; i < 2; i++ {
		l.Allow("a")
	}
	if l.Allow("a") {
		t.Fatal("a: 3rd allowed")
	}
	for _, k := range []string{"b", "login|a", "verify|a", "a "} {
		if !l.Allow(k) {
			t.Errorf("%q limited by a's events", k)
		}
	}
}

// collide makes every key fall into one set of one shard, with distinct
// tags, so eviction can be observed.
func collide(l *Limiter, keys ...string) {
	idx := map[string]uint64{}
	for i, k := range keys {
		idx[k] = uint64(i+1) << 20 // shard 0, set 0
	}
	l.hash = func(k string) uint64 { return idx[k] }
}

// A full set replaces the entry closest to being refilled: a throttled key
// keeps its state while new keys come and go.
func TestLimiterEvictionKeepsThrottledKeys(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := NewLimiter(3, time.Minute, func() time.Time { return now })
	keys := make([]string, 40)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	collide(l, keys...)
	for i := 0; i < 3; i++ {
		l.Allow("k0")
	}
	if l.Allow("k0") {
		t.Fatal("k0 not throttled")
	}
	// 39 other keys pass through the 8-entry set, one event each, a
	// millisecond apart: the oldest of them is replaced each time.
	for _, k := range keys[1:] {
		now = now.Add(time.Millisecond)
		if !l.Allow(k) {
			t.Fatalf("%s refused on its first event", k)
		}
	}
	if l.Allow("k0") {
		t.Fatal("the throttled key was evicted by keys with one event each")
	}
	set := l.shards[0].sets[0]
	tracked := 0
	for _, s := range set {
		if s.tag != 0 {
			tracked++
		}
	}
	if tracked != limiterWays {
		t.Fatalf("set tracks %d keys, want %d", tracked, limiterWays)
	}
	// The last 7 keys are still tracked: each has 2 of its 3 events left.
	for _, k := range keys[33:] {
		for i := 2; i <= 3; i++ {
			if !l.Allow(k) {
				t.Fatalf("%s: event %d refused", k, i)
			}
		}
		if l.Allow(k) {
			t.Fatalf("%s: 4th event allowed", k)
		}
	}
}

// A million distinct addresses fit in the fixed table: the heap grows by at
// most 32 MB and the checks stay right.
func TestLimiterBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a million keys")
	}
	if limiterBytes > 32<<20 {
		t.Fatalf("table of %d bytes exceeds 32 MiB", limiterBytes)
	}
	now := time.Unix(1_000_000, 0)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	l := NewLimiter(20, time.Minute, func() time.Time { return now })
	buf := make([]byte, 0, 32)
	for i := 0; i < 1_000_000; i++ {
		buf = append(buf[:0], "verify|10."...)
		buf = strconv.AppendInt(buf, int64(i>>16), 10)
		buf = append(buf, '.')
		buf = strconv.AppendInt(buf, int64(i>>8&255), 10)
		buf = append(buf, '.')
		buf = strconv.AppendInt(buf, int64(i&255), 10)
		if !l.Allow(string(buf)) {
			t.Fatalf("first event of address %d refused", i)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 32<<20 {
		t.Fatalf("heap grew by %d MB for a million addresses, want at most 32", grew>>20)
	}
	for i := 0; i < 20; i++ {
		if !l.Allow("verify|192.0.2.1") {
			t.Fatalf("event %d of a new address refused", i+1)
		}
	}
	if l.Allow("verify|192.0.2.1") {
		t.Fatal("21st event allowed")
	}
	runtime.KeepAlive(l)
}

func TestLimiterZeroN(t *testing.T) {
	l := NewLimiter(0, time.Minute, nil)
	if !l.Allow("x") || l.Allow("x") {
		t.Fatal("n < 1 should mean one event per window")
	}
}

func limiterKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "10." + strconv.Itoa(i>>16) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
	}
	return keys
}

// BenchmarkLimiter checks the cost of one check stays flat from one client
// address to a million distinct ones (the limiter this replaced scanned its
// whole map under the lock beyond 100,000 addresses).
func BenchmarkLimiter(b *testing.B) {
	for _, n := range []int{1, 1000, 1_000_000} {
		keys := limiterKeys(n)
		b.Run(strconv.Itoa(n)+"-addresses", func(b *testing.B) {
			l := NewLimiter(60, time.Minute, nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				l.Allow(keys[i%n])
			}
		})
		b.Run(strconv.Itoa(n)+"-addresses-parallel", func(b *testing.B) {
			l := NewLimiter(60, time.Minute, nil)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					l.Allow(keys[i%n])
					i += 7919
				}
			})
		})
	}
}
