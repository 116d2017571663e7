package store_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/store"
)

// editDB changes registry.db directly with bbolt while no store has it
// open, as someone with access to the file could.
func editDB(t *testing.T, dir string, edit func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, store.DBFile), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(edit); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// firstChainFault is the first fault of the chain area ("" when none).
func firstChainFault(r *store.CheckReport) string {
	for _, f := range r.Findings {
		if f.Fault && f.Area == store.AreaChain {
			return f.Zh
		}
	}
	return ""
}

// The full check verifies the operation log's hash chain: a certificate
// record edited in the database file (in a field no index holds, so only
// the chain can tell) is named by its number and the log record that
// holds its last hash; a log record edited there is named by its number.
// Each edit is the first chain fault; the untouched directory passes.
func TestCheckNamesACertificateOrLogRecordEditedInTheFile(t *testing.T) {
	base := checkedWorld(t)
	var number string
	var head store.ChainHead
	withStore(t, copyDir(t, base), func(st *store.Store) {
		number = st.AllCertsForTest()[5].Number
		var err error
		if head, err = st.ChainHead(); err != nil || head.ID < 3 {
			t.Fatalf("head %+v (%v)", head, err)
		}
	})
	if r := mustCheck(t, base, store.CheckOptions{Full: true}); !r.OK() || !r.Areas[store.AreaChain].Ran || r.Areas[store.AreaChain].Checked == 0 {
		t.Fatalf("the untouched world:\n%s", report(r))
	}

	dir := copyDir(t, base)
	editDB(t, dir, func(tx *bolt.Tx) error {
		return rewriteJSON(tx, "certs", []byte(number), func(m map[string]any) { m["work_unit"] = "冒名建筑公司" })
	})
	r := mustCheck(t, dir, store.CheckOptions{Full: true})
	if first := firstChainFault(r); r.OK() || !strings.Contains(first, "证书 "+number) || !strings.Contains(first, "被改动") || r.Faults() != 1 {
		t.Fatalf("edited certificate %s not named alone:\n%s", number, report(r))
	}

	// A record in the middle of the log: its successor's link breaks.
	for _, id := range []uint64{2, head.ID} {
		dir = copyDir(t, base)
		editDB(t, dir, func(tx *bolt.Tx) error {
			return rewriteJSON(tx, "oplog", be(id), func(m map[string]any) { m["detail"] = fmt.Sprint(m["detail"], "（改）") })
		})
		r = mustCheck(t, dir, store.CheckOptions{Full: true})
		if first := firstChainFault(r); r.OK() || !strings.Contains(first, fmt.Sprintf("操作日志记录 #%d ", id)) && !strings.Contains(first, fmt.Sprintf("记录 #%d 被改动", id)) {
			t.Fatalf("edited log record #%d not named:\n%s", id, report(r))
		}
	}
	// The fast check at start-up does not read the chain.
	if fast := mustCheck(t, dir, store.CheckOptions{}); !fast.OK() || fast.Areas[store.AreaChain].Ran {
		t.Errorf("fast check:\n%s", report(fast))
	}
}

// Anchor files kept outside the database (-anchors) catch history
// rewritten with every link, the head and the anchors in the database
// recomputed, which the chain alone cannot.
func TestCheckComparesAnchorFiles(t *testing.T) {
	dir := copyDir(t, checkedWorld(t))
	anchors := t.TempDir()
	var a store.ChainAnchor
	withStore(t, dir, func(st *store.Store) {
		var err error
		if a, _, err = st.RecordDailyAnchor(); err != nil {
			t.Fatal(err)
		}
		if _, err := store.WriteAnchorFile(anchors, a); err != nil {
			t.Fatal(err)
		}
	})
	r := mustCheck(t, dir, store.CheckOptions{Full: true, AnchorDir: anchors})
	if !r.OK() {
		t.Fatalf("untouched:\n%s", report(r))
	}
	editDB(t, dir, func(tx *bolt.Tx) error {
		if err := rewriteJSON(tx, "oplog", be(3), func(m map[string]any) { m["username"] = "nobody" }); err != nil {
			return err
		}
		return store.RechainForTest(tx)
	})
	if r := mustCheck(t, dir, store.CheckOptions{Full: true}); !r.OK() {
		t.Fatalf("a recomputed chain passes without anchor files:\n%s", report(r))
	}
	r = mustCheck(t, dir, store.CheckOptions{Full: true, AnchorDir: anchors})
	want := fmt.Sprintf("锚点文件 %s 与日志不符：记录 #%d", filepath.Join(anchors, store.AnchorFileName(a)), a.ID)
	if first := firstChainFault(r); !strings.Contains(first, want) {
		t.Fatalf("anchor file does not catch the rewrite (want %q):\n%s", want, report(r))
	}
}
