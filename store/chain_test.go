package store_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/fixture"
	"certreg/store"
)

// verifyOK fails the test unless the chain check finds nothing.
func verifyOK(t *testing.T, st *store.Store) store.ChainReport {
	t.Helper()
	r, err := st.VerifyChain(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("chain check found %d faults, first: %s", len(r.Findings), r.Findings[0].Zh)
	}
	return r
}

// lastEntry is the newest log entry of an action in an organisation's log.
func lastEntry(t *testing.T, st *store.Store, orgID uint64, action store.Action) store.LogEntry {
	t.Helper()
	es, _, err := st.Logs(store.LogFilter{OrgID: orgID, Action: action, Limit: 1})
	if err != nil || len(es) != 1 {
		t.Fatalf("no %s entry in the log of org %d (%v)", action, orgID, err)
	}
	return es[0]
}

// sealedIn checks that a log entry recorded exactly the certificates all,
// and for those in unchanged the content hash they have now (the others
// changed again since).
func sealedIn(t *testing.T, w *fixture.World, e store.LogEntry, all []string, unchanged ...string) {
	t.Helper()
	seals, err := w.Store.LogSeals(e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(seals) != len(all) {
		t.Fatalf("entry #%d (%s) recorded %d certificate hashes, want %d", e.ID, e.Action, len(seals), len(all))
	}
	got := map[string][32]byte{}
	for i, s := range seals {
		if s.Number != all[i] {
			t.Fatalf("entry #%d (%s): row %d is %s, want %s", e.ID, e.Action, i, s.Number, all[i])
		}
		got[s.Number] = s.Hash
	}
	for _, n := range unchanged {
		c := cert(t, w, n)
		if h := got[n]; h != store.CertHash(&c) {
			t.Fatalf("entry #%d (%s) does not hold the current hash of %s", e.ID, e.Action, n)
		}
	}
}

// chainWorld is the demo world after every kind of certificate change, with
// the numbers each change concerned.
type chainWorld struct {
	*fixture.World
	approved          []string // issued by the province's approval
	changed, reissued string   // 变更 approved; 补办 approved (the old number)
	newNumber         string   // the reissue
	bizCancelled      string   // 注销 approved
	cancelled         string   // cancelled by the province, then activated
	printed           []string
	approveEntry      store.LogEntry
}

func newChainWorld(t *testing.T) *chainWorld {
	t.Helper()
	w := &chainWorld{World: fixture.Demo(t)}
	prov := w.Actor(t, "demo-province")
	provOrg := w.Org(t, "demo-province").ID
	unit := w.Org(t, "demo-unit")

	b := atProvince(t, w.World, "哈希链", 720, 5)
	if _, err := w.Store.ApproveBatch(prov, b.ID); err != nil {
		t.Fatal(err)
	}
	certs, err := w.Store.BatchCertificates(unit, b.ID)
	if err != nil || len(certs) != 5 {
		t.Fatalf("%d certificates (%v)", len(certs), err)
	}
	for _, c := range certs {
		w.approved = append(w.approved, c.Number)
	}
	w.approveEntry = lastEntry(t, w.Store, provOrg, store.ActCertIssue)

	own := issued(t, w.World, "demo-unit", 4, 77)
	w.changed, w.reissued, w.bizCancelled, w.cancelled = own[0].Number, own[1].Number, own[2].Number, own[3].Number
	approveAll(t, w.World, apply(t, w.World, "demo-unit", store.BizApplication{Kind: store.BizChange, Number: w.changed, NewWorkUnit: "合肥新城建设有限公司"}).ID)
	rb := approveAll(t, w.World, apply(t, w.World, "demo-unit", store.BizApplication{Kind: store.BizReissue, Number: w.reissued, Reason: "遗失"}).ID)
	w.newNumber = rb.NewNumber
	approveAll(t, w.World, apply(t, w.World, "demo-unit", store.BizApplication{Kind: store.BizCancel, Number: w.bizCancelled, Reason: "本人申请"}).ID)
	if _, err := w.Store.CancelCertificate(prov, w.cancelled, "核查"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.ActivateCertificate(prov, w.cancelled, "复核无误"); err != nil {
		t.Fatal(err)
	}
	w.printed = []string{w.approved[0], w.approved[1], w.newNumber}
	if _, err := w.Store.RecordPrint(w.Actor(t, "demo-unit"), w.printed, "测试格式"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.SetPrinted(w.Actor(t, "demo-unit"), []string{w.approved[2]}, true); err != nil {
		t.Fatal(err)
	}
	return w
}

// Every change of a certificate is in the log with the certificate's new
// content hash: the approval of a batch in one entry holding each of its
// certificates, a 变更, 补办 (both numbers), 注销, the province's cancel and
// activate, a print and a print status set by hand.
func TestEveryCertificateChangeIsSealedInTheLog(t *testing.T) {
	w := newChainWorld(t)
	provOrg := w.Org(t, "demo-province").ID
	unitOrg := w.Org(t, "demo-unit").ID
	// The issue: every certificate of the batch; those not changed since
	// still have the hash it recorded.
	sealedIn(t, w.World, w.approveEntry, w.approved, w.approved[3:]...)
	bizEntries, _, err := w.Store.Logs(store.LogFilter{OrgID: provOrg, Action: store.ActBizApprove, Limit: 3})
	if err != nil || len(bizEntries) != 3 {
		t.Fatalf("%d business approvals in the province's log (%v)", len(bizEntries), err)
	}
	// Newest first: the 注销, the 补办 (the old number superseded, the new
	// one printed since), the 变更.
	sealedIn(t, w.World, bizEntries[0], []string{w.bizCancelled}, w.bizCancelled)
	sealedIn(t, w.World, bizEntries[1], []string{w.reissued, w.newNumber}, w.reissued)
	sealedIn(t, w.World, bizEntries[2], []string{w.changed}, w.changed)
	// The dept's approvals change no certificate.
	deptEntry := lastEntry(t, w.Store, w.Org(t, "demo-dept").ID, store.ActBizApprove)
	if seals, _ := w.Store.LogSeals(deptEntry.ID); len(seals) != 0 || deptEntry.Seal != "" {
		t.Fatalf("the dept's approval recorded %d certificate hashes", len(seals))
	}
	activate := lastEntry(t, w.Store, provOrg, store.ActCertActivate)
	sealedIn(t, w.World, activate, []string{w.cancelled}, w.cancelled)
	cancel := lastEntry(t, w.Store, provOrg, store.ActCertCancel)
	if seals, _ := w.Store.LogSeals(cancel.ID); len(seals) != 1 || seals[0].Number != w.cancelled {
		t.Fatalf("the cancel entry recorded %+v", seals)
	}
	sealedIn(t, w.World, lastEntry(t, w.Store, unitOrg, store.ActCertPrint), w.printed, w.printed...)
	sealedIn(t, w.World, lastEntry(t, w.Store, unitOrg, store.ActCertMarkPrinted), []string{w.approved[2]}, w.approved[2])
	r := verifyOK(t, w.Store)
	if r.Entries == 0 || r.Certificates == 0 || r.Head.ID == 0 {
		t.Fatalf("nothing verified: %+v", r)
	}
}

// The demo world alone passes the check: its certificates are sealed too.
func TestDemoWorldPassesTheChainCheck(t *testing.T) {
	w := fixture.Demo(t)
	r := verifyOK(t, w.Store)
	if r.Certificates < 50 || r.Entries < 10 {
		t.Fatalf("verified %d certificates and %d records", r.Certificates, r.Entries)
	}
}

// Every entry links to its predecessor: Prev is the hash the head held just
// before it was written.
func TestLogEntriesLinkToTheirPredecessor(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	before, err := w.Store.ChainHead()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Store.Log(prov, store.ActAccessDenied, "/x", "", false); err != nil {
		t.Fatal(err)
	}
	after, _ := w.Store.ChainHead()
	e := lastEntry(t, w.Store, w.Org(t, "demo-province").ID, store.ActAccessDenied)
	if e.ID != before.ID+1 || after.ID != e.ID || e.Prev != before.Hex() || after.Hex() == before.Hex() {
		t.Fatalf("entry #%d prev %s; head before #%d %s, after #%d %s", e.ID, e.Prev, before.ID, before.Hex(), after.ID, after.Hex())
	}
}

// copyDB copies a closed store's database file into a new directory.
func copyDB(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	in, err := os.Open(filepath.Join(from, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// editFile changes the database file directly with bbolt, as someone with
// access to the file could, and opens the store on it again.
func editFile(t *testing.T, dir string, edit func(tx *bolt.Tx) error) *store.Store {
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
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func be(id uint64) []byte {
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = byte(id)
		id >>= 8
	}
	return b
}

// rewriteJSON decodes a stored record into a map, changes it and stores it
// back under the same key (a certificate through the JSON of its fields, in
// its stored format).
func rewriteJSON(tx *bolt.Tx, bucket string, k []byte, change func(m map[string]any)) error {
	b := tx.Bucket([]byte(bucket))
	raw := b.Get(k)
	var err error
	if bucket == "certs" {
		if raw, err = store.CertRecordAsJSONForTest(k, raw); err != nil {
			return err
		}
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("%s %x: %w", bucket, k, err)
	}
	change(m)
	if raw, err = json.Marshal(m); err != nil {
		return err
	}
	if bucket == "certs" {
		if raw, err = store.CertRecordFromJSONForTest(raw); err != nil {
			return err
		}
	}
	return b.Put(k, raw)
}

// firstFinding runs the check on st and returns its first finding, failing
// when there is none.
func firstFinding(t *testing.T, st *store.Store) store.ChainFinding {
	t.Helper()
	r, err := st.VerifyChain(nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() {
		t.Fatal("the check found nothing")
	}
	return r.Findings[0]
}

// A direct edit of any log record, of a record's certificate hash table, or
// of a certificate in the database file is named by the check: the record
// (by number) or the certificate (by number, with the record that logged
// its last hash).
func TestChainCheckNamesEditedRecords(t *testing.T) {
	w := newChainWorld(t)
	head, _ := w.Store.ChainHead()
	unitOrg := w.Org(t, "demo-unit").ID
	printEntry := lastEntry(t, w.Store, unitOrg, store.ActCertPrint)
	w.Store.Close()
	src := w.Dir

	// Every log record in turn, edited in a field of its own.
	for id := uint64(1); id <= head.ID; id++ {
		dir := copyDB(t, src)
		field := []string{"detail", "ip", "target", "username"}[id%4]
		st := editFile(t, dir, func(tx *bolt.Tx) error {
			return rewriteJSON(tx, "oplog", be(id), func(m map[string]any) { m[field] = fmt.Sprint(m[field], "（改）") })
		})
		f := firstFinding(t, st)
		if f.LogID != id || !strings.Contains(f.Zh, fmt.Sprintf("#%d", id)) {
			t.Fatalf("record #%d edited (%s): the check names #%d: %s", id, field, f.LogID, f.Zh)
		}
		st.Close()
	}

	cases := []struct {
		name   string
		edit   func(tx *bolt.Tx) error
		logID  uint64
		number string
	}{
		{"certificate name", func(tx *bolt.Tx) error {
			return rewriteJSON(tx, "certs", []byte(w.printed[0]), func(m map[string]any) { m["name"] = "李四" })
		}, printEntry.ID, w.printed[0]},
		{"certificate status", func(tx *bolt.Tx) error {
			return rewriteJSON(tx, "certs", []byte(w.bizCancelled), func(m map[string]any) { m["status"] = "valid" })
		}, 0, w.bizCancelled},
		{"certificate history", func(tx *bolt.Tx) error {
			return rewriteJSON(tx, "certs", []byte(w.approved[3]), func(m map[string]any) { m["history"] = nil })
		}, w.approveEntry.ID, w.approved[3]},
		{"certificate deleted", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("certs")).Delete([]byte(w.approved[4]))
		}, w.approveEntry.ID, w.approved[4]},
		{"certificate added", func(tx *bolt.Tx) error {
			var m map[string]any
			js, err := store.CertRecordAsJSONForTest([]byte(w.approved[4]), tx.Bucket([]byte("certs")).Get([]byte(w.approved[4])))
			if err != nil {
				return err
			}
			if err := json.Unmarshal(js, &m); err != nil {
				return err
			}
			m["number"] = "26340101259999"
			raw, _ := json.Marshal(m)
			return tx.Bucket([]byte("certs")).Put([]byte("26340101259999"), raw)
		}, 0, "26340101259999"},
		{"hash table edited", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("oplog_seal"))
			rows := append([]byte(nil), b.Get(be(w.approveEntry.ID))...)
			rows[20] ^= 1
			return b.Put(be(w.approveEntry.ID), rows)
		}, w.approveEntry.ID, ""},
		{"hash table deleted", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("oplog_seal")).Delete(be(printEntry.ID))
		}, printEntry.ID, ""},
		{"record deleted", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("oplog")).Delete(be(head.ID - 3))
		}, head.ID - 3, ""},
		{"last record deleted", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("oplog")).Delete(be(head.ID))
		}, head.ID, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := editFile(t, copyDB(t, src), tc.edit)
			f := firstFinding(t, st)
			if tc.number != "" && (f.Number != tc.number || !strings.Contains(f.Zh, tc.number)) {
				t.Fatalf("the check names %q (%s), want certificate %s", f.Number, f.Zh, tc.number)
			}
			if tc.logID != 0 && (f.LogID != tc.logID || !strings.Contains(f.Zh, fmt.Sprintf("#%d", tc.logID))) {
				t.Fatalf("the check names record #%d (%s), want #%d", f.LogID, f.Zh, tc.logID)
			}
		})
	}
	// The untouched copy passes.
	verifyOK(t, editFile(t, copyDB(t, src), func(*bolt.Tx) error { return nil }))
}

// Retention removes old records without breaking the chain: the first
// record left points at the anchor, and the certificates whose hashes were
// in removed records are checked against the archive, which the check
// names when it is edited.
func TestChainSurvivesLogRetention(t *testing.T) {
	w := newChainWorld(t)
	prov := w.Actor(t, "demo-province")
	w.Clock.Advance(7 * 31 * 24 * time.Hour)
	if err := w.Store.SaveSettings(prov, store.Settings{PasswordMaxAgeDays: 90, LogRetentionMonths: 6}); err != nil {
		t.Fatal(err)
	}
	n, _, err := w.Store.PruneLogs()
	if err != nil || n == 0 {
		t.Fatalf("pruned %d (%v)", n, err)
	}
	r := verifyOK(t, w.Store)
	if r.Archived < len(w.approved) {
		t.Fatalf("%d certificate hashes archived, want at least the %d approved", r.Archived, len(w.approved))
	}
	// New changes after the pruning are checked as before.
	if _, err := w.Store.CancelCertificate(prov, w.approved[0], "再次核查"); err != nil {
		t.Fatal(err)
	}
	verifyOK(t, w.Store)
	w.Store.Close()
	src := w.Dir

	// approved[3] was not changed since its issue, whose entry is gone.
	st := editFile(t, copyDB(t, src), func(tx *bolt.Tx) error {
		return rewriteJSON(tx, "certs", []byte(w.approved[3]), func(m map[string]any) { m["work_unit"] = "某公司" })
	})
	if f := firstFinding(t, st); f.Number != w.approved[3] || f.LogID != w.approveEntry.ID {
		t.Fatalf("edited certificate with an archived hash: %+v", f)
	}
	st = editFile(t, copyDB(t, src), func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("seal_archive"))
		row := append([]byte(nil), b.Get([]byte(w.approved[1]))...)
		row[12] ^= 1
		return b.Put([]byte(w.approved[1]), row)
	})
	if f := firstFinding(t, st); !strings.Contains(f.Zh, "归档") {
		t.Fatalf("edited archive: %+v", f)
	}
	// The first record left no longer points at the anchor when the anchor
	// is changed.
	st = editFile(t, copyDB(t, src), func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte("meta"))
		a := append([]byte(nil), meta.Get([]byte("chain_anchor"))...)
		a[20] ^= 1
		return meta.Put([]byte("chain_anchor"), a)
	})
	if f := firstFinding(t, st); !strings.Contains(f.Zh, "锚点") {
		t.Fatalf("edited anchor: %+v", f)
	}
}

// A database from before the chain gets it at the next start: every
// existing record linked, every certificate's hash logged.
func TestChainStartsOnAnOlderDatabase(t *testing.T) {
	w := newChainWorld(t)
	w.Store.Close()
	st := editFile(t, w.Dir, func(tx *bolt.Tx) error {
		// What a database of schema 3 holds: no links, no hash tables.
		log := tx.Bucket([]byte("oplog"))
		var keys [][]byte
		_ = log.ForEach(func(k, _ []byte) error { keys = append(keys, append([]byte(nil), k...)); return nil })
		for _, k := range keys {
			if err := rewriteJSON(tx, "oplog", k, func(m map[string]any) { delete(m, "prev"); delete(m, "seal"); delete(m, "archive") }); err != nil {
				return err
			}
		}
		for _, name := range []string{"oplog_seal", "seal_pending", "seal_archive", "chain_anchors"} {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		meta := tx.Bucket([]byte("meta"))
		for _, k := range []string{"chain_head", "chain_anchor", "seal_archive_sum"} {
			if err := meta.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return meta.Put([]byte("schema"), be(3))
	})
	w.Store = st
	r := verifyOK(t, st)
	all, err := st.Certificates(w.Actor(t, "demo-province"), store.CertQuery{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Certificates != all.Total {
		t.Fatalf("checked %d certificates, the library holds %d", r.Certificates, all.Total)
	}
	e := lastEntry(t, st, w.Org(t, "demo-province").ID, store.ActChainSeal)
	if e.Seal == "" || e.Username != "系统" {
		t.Fatalf("baseline entry %+v", e)
	}
}

// Anchors kept outside the database catch a chain recomputed after an
// edit: the anchor files name where the log no longer matches.
func TestAnchorFilesCatchARecomputedChain(t *testing.T) {
	w := newChainWorld(t)
	a, fresh, err := w.Store.RecordDailyAnchor()
	if err != nil || !fresh {
		t.Fatalf("anchor %+v fresh %v (%v)", a, fresh, err)
	}
	head, _ := w.Store.ChainHead()
	if a.ID != head.ID || a.Hash != head.Hex() || a.Day != "2026-11-28" {
		t.Fatalf("anchor %+v, head #%d %s", a, head.ID, head.Hex())
	}
	again, fresh, _ := w.Store.RecordDailyAnchor()
	if fresh || again.Hash != a.Hash {
		t.Fatal("a second anchor on the same day")
	}
	dir := t.TempDir()
	path, err := store.WriteAnchorFile(dir, a)
	if err != nil || filepath.Base(path) != "certreg-anchor-20261128.txt" {
		t.Fatalf("anchor file %s (%v)", path, err)
	}
	files, err := store.ReadAnchorFiles(dir)
	if err != nil || len(files) != 1 || files[0].ID != a.ID || files[0].Hash != a.Hash {
		t.Fatalf("read back %+v (%v)", files, err)
	}
	if r, err := w.Store.VerifyChain(files); err != nil || !r.OK() || r.Anchors != 2 {
		t.Fatalf("untouched log against its anchors: %+v (%v)", r, err)
	}
	// Someone rewrites an early record and recomputes every link after it,
	// the head and the anchors recorded in the database.
	w.Store.Close()
	st := editFile(t, w.Dir, func(tx *bolt.Tx) error {
		if err := rewriteJSON(tx, "oplog", be(3), func(m map[string]any) { m["detail"] = "改写" }); err != nil {
			return err
		}
		return store.RechainForTest(tx)
	})
	if r, err := st.VerifyChain(nil); err != nil || !r.OK() {
		t.Fatalf("the recomputed chain should pass on its own: %+v (%v)", r.Findings, err)
	}
	r, err := st.VerifyChain(files)
	if err != nil || r.OK() || !strings.Contains(r.Findings[0].Zh, "certreg-anchor-20261128.txt") || r.Findings[0].LogID != a.ID {
		t.Fatalf("the anchor file does not catch the rewrite: %+v (%v)", r.Findings, err)
	}
}
