package store_test

import (
	"bytes"
	"testing"

	bolt "go.etcd.io/bbolt"

	"certreg/store"
)

// The demo world in the layout before the compact one (JSON records, the
// old index) is migrated at the next start, and the full check passes on
// the migrated database: it reads the binary records and compares the
// entries of the index's runs.
func TestCheckPassesAfterTheCompactMigration(t *testing.T) {
	dir := copyDir(t, checkedWorld(t))
	withStore(t, dir, func(st *store.Store) {
		if err := st.DowngradeForTest(); err != nil {
			t.Fatal(err)
		}
		if f := st.RecordFormatsForTest(); f['{'] == 0 || f[1] != 0 {
			t.Fatalf("downgrade: formats %v", f)
		}
	})
	withStore(t, dir, func(st *store.Store) {
		if v, _ := st.Schema(); v != store.SchemaVersion {
			t.Fatalf("schema %d after the start, want %d", v, store.SchemaVersion)
		}
		if f := st.RecordFormatsForTest(); f['{'] != 0 || f[1] == 0 {
			t.Fatalf("formats after the migration: %v", f)
		}
	})
	r := mustCheck(t, dir, store.CheckOptions{Full: true})
	if !r.OK() || r.Figures.Certificates == 0 {
		t.Fatalf("check after the migration:\n%s", report(r))
	}
}

// A run of the library's index changed in the file (a byte of its value
// flipped) is a fault of the index, named with the run's partition, and
// -repair rewrites the partition from the records: the entries are those
// the writers keep.
func TestCheckFindsAndRepairsADamagedIndexRun(t *testing.T) {
	dir := copyDir(t, checkedWorld(t))
	var set store.DerivedSet
	for _, d := range store.DerivedSets() {
		if d.Runs {
			set = d
		}
	}
	if set.Bucket != "cert_ix" {
		t.Fatalf("no derived set stored in runs: %+v", store.DerivedSets())
	}
	var want map[string]string
	withStore(t, dir, func(st *store.Store) {
		want = st.EntriesForTest(set)
		// The longest run, its value with one byte changed in the middle.
		var key, val []byte
		for k, v := range st.DumpForTest(set.Bucket, "") {
			if len(v) > len(val) {
				key, val = []byte(k), []byte(v)
			}
		}
		if len(val) < 20 {
			t.Fatalf("no run of several entries (longest %d bytes)", len(val))
		}
		val[len(val)/2] ^= 0x5a
		err := st.UpdateBucketForTest(set.Bucket, func(b *bolt.Bucket) error { return b.Put(key, val) })
		if err != nil {
			t.Fatal(err)
		}
	})
	r := mustCheck(t, dir, store.CheckOptions{Full: true})
	if r.OK() || !faultWith(r, store.AreaDerived, "证书库索引", "cert_ix") {
		t.Fatalf("damaged run not found:\n%s", report(r))
	}
	r = mustCheck(t, dir, store.CheckOptions{Repair: true})
	if !r.OK() || len(r.Repaired) == 0 {
		t.Fatalf("repair:\n%s", report(r))
	}
	withStore(t, dir, func(st *store.Store) {
		got := st.EntriesForTest(set)
		if len(got) != len(want) {
			t.Fatalf("%d entries after the repair, %d before", len(got), len(want))
		}
		for k, v := range want {
			if !bytes.Equal([]byte(got[k]), []byte(v)) {
				t.Fatalf("entry %x is %x after the repair, %x before", k, got[k], v)
			}
		}
	})
}
