package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// countRange counts a key range by the runs' lengths and decodes only the
// runs at its ends: for any range and limit it gives what a walk through
// the entries counts (or, past the limit, a number past it), over runs
// of varied key lengths and both summary lengths, split and merged by
// later writes.
func TestCountRangeCountsLikeAWalk(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "ix.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(3, 9))
	names := []string{"王", "王小", "王小明", "李", "李四", "欧阳", "欧阳娜娜", "张三丰"}
	var keys [][]byte
	for round := 0; round < 3; round++ {
		var ops []ixOp
		for i := 0; i < 3000; i++ {
			num := fmt.Sprintf("%02d3401%03d%d%04d", 21+rng.IntN(5), rng.IntN(3), 1+rng.IntN(5), rng.IntN(10000))
			pn, _ := packNumber(num)
			group := []byte{ixName, 0, 0, 0, byte(1 + rng.IntN(2))}
			k := key(group, []byte(names[rng.IntN(len(names))]), []byte{0}, pn)
			sum := []byte{0, 0x25, byte(rng.IntN(256)), 0, 0}
			if rng.IntN(4) == 0 {
				sum[3], sum[4] = 0xff, 0xff // not the number's occupation and level: 5 bytes stored
			} else {
				ol := numberOccLevel(k)
				sum[3], sum[4] = byte(ol>>8), byte(ol)
			}
			ops = append(ops, ixOp{k, sum})
		}
		slices.SortFunc(ops, func(a, b ixOp) int { return bytes.Compare(a.key, b.key) })
		ops = slices.CompactFunc(ops, func(a, b ixOp) bool { return bytes.Equal(a.key, b.key) })
		if err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bCertIx)
			if err != nil {
				return err
			}
			return applyIx(b, ops)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.View(func(tx *bolt.Tx) error {
		return forEachIxEntry(tx.Bucket(bCertIx), func(k, _ []byte) error {
			keys = append(keys, bytes.Clone(k))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if len(keys) < 5000 {
		t.Fatalf("only %d entries", len(keys))
	}
	bound := func(i int) []byte { // a key at, before or between entries
		k := bytes.Clone(keys[min(i, len(keys)-1)])
		switch rng.IntN(3) {
		case 0:
			return k
		case 1:
			return k[:5+rng.IntN(len(k)-5)]
		}
		return append(k, 0)
	}
	_ = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCertIx)
		var r run
		runs := 0
		err := b.ForEach(func(k, v []byte) error {
			runs++
			if err := r.decode(k, v); err != nil {
				return err
			}
			if n, ok := countRun(k, v); !ok || n != r.n() {
				t.Errorf("run %x: counted %d (%v), decoded %d", k, n, ok, r.n())
			}
			return nil
		})
		if err != nil || runs < 50 {
			t.Fatalf("%d runs: %v", runs, err)
		}
		for range 2000 {
			lo, hi := bound(rng.IntN(len(keys))), bound(rng.IntN(len(keys)))
			if bytes.Compare(lo, hi) > 0 {
				lo, hi = hi, lo
			}
			if rng.IntN(10) == 0 {
				lo = []byte{ixName}
			}
			want := 0
			for _, k := range keys {
				if bytes.Compare(k, lo) >= 0 && bytes.Compare(k, hi) < 0 {
					want++
				}
			}
			limit := []int{0, 10, 2000, 1 << 30}[rng.IntN(4)]
			got, err := countRange(b, lo, hi, limit)
			if err != nil {
				t.Fatal(err)
			}
			if want <= limit && got != want || want > limit && got <= limit {
				t.Fatalf("[%x, %x) limit %d: counted %d, want %d", lo, hi, limit, got, want)
			}
		}
		return nil
	})
}
