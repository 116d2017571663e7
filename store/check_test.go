package store_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/files"
	"certreg/fixture"
	"certreg/store"
)

// checkedWorld is the demo world with a live session and a staged
// workbook besides, so that every bucket holds something; its directory is
// closed and may be copied.
func checkedWorld(t *testing.T) string {
	t.Helper()
	w := fixture.Demo(t)
	u := w.User(t, "demo-unit")
	if err := w.Store.PutSession("token-of-the-check", store.Session{UserID: u.ID, OrgID: u.OrgID, Stage: store.StageFull,
		Created: fixture.Start, LastSeen: fixture.Start}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.StageWorkbook(w.Actor(t, "demo-unit"), files.Bytes("名单.xlsx", []byte("PK\x03\x04 a staged workbook"))); err != nil {
		t.Fatal(err)
	}
	if err := w.Store.Close(); err != nil {
		t.Fatal(err)
	}
	return w.Dir
}

// copyDir copies a closed data directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "data")
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o750)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		defer out.Close()
		_, err = io.Copy(out, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func mustCheck(t *testing.T, dir string, opt store.CheckOptions) *store.CheckReport {
	t.Helper()
	r, err := store.CheckDir(dir, opt)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	return r
}

func report(r *store.CheckReport) string {
	var b bytes.Buffer
	r.Write(&b)
	return b.String()
}

// faultWith reports whether a fault of the area mentions every word.
func faultWith(r *store.CheckReport, area store.CheckArea, words ...string) bool {
	for _, f := range r.Findings {
		if !f.Fault || f.Area != area {
			continue
		}
		all := true
		for _, w := range words {
			all = all && (strings.Contains(f.Zh, w) || strings.Contains(f.En, w))
		}
		if all {
			return true
		}
	}
	return false
}

func withStore(t *testing.T, dir string, fn func(st *store.Store)) {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	fn(st)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// The demo world, with businesses, proofs, materials, sessions and a staged
// workbook, passes the full check, and the report says so per area in
// Chinese and English.
func TestCheckPassesOnTheDemoWorld(t *testing.T) {
	dir := checkedWorld(t)
	r := mustCheck(t, dir, store.CheckOptions{Full: true})
	out := report(r)
	if !r.OK() {
		t.Fatalf("the demo world fails its check:\n%s", out)
	}
	for _, want := range []string{"[数据库文件 / database file] 通过 / OK", "[记录 / records] 通过 / OK", "[索引与计数器 / indexes and counters] 通过 / OK",
		"[业务规则 / rules] 通过 / OK", "[上传文件 / uploaded files] 通过 / OK", "结论：未发现故障。 / Result: no fault found."} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// 82 certificates in the demo; 17 batches; 9 businesses; every area ran.
	if r.Figures.Certificates != 82 || r.Figures.Businesses != 9 || r.Figures.Batches != 17 || r.Figures.Schema != store.SchemaVersion {
		t.Errorf("figures: %+v", r.Figures)
	}
	fast := mustCheck(t, dir, store.CheckOptions{})
	if !fast.OK() || fast.Areas[store.AreaRecords].Ran {
		t.Errorf("fast check:\n%s", report(fast))
	}
}

// corrupt damages a bucket the way a bad disk or a hand edit would: a
// record no longer decodes, an index entry is gone, a value is wrong, or an
// empty bucket gains a stray key.
func corrupt(b *bolt.Bucket) error {
	k, v := b.Cursor().First()
	switch {
	case k == nil:
		return b.Put([]byte("zz-stray"), []byte("{"))
	case bytes.HasPrefix(v, []byte("{")):
		return b.Put(k, []byte(`{"broken":`))
	case len(v) == 8:
		return b.Put(k, binary.BigEndian.AppendUint64(nil, binary.BigEndian.Uint64(v)+1000))
	case len(v) > 0:
		return b.Put(k, append(append([]byte(nil), v...), 1))
	}
	return b.Delete(k)
}

// Fault injection: each bucket damaged in turn is named by the check, and
// each family of counters too.
func TestCheckNamesEachDamagedBucket(t *testing.T) {
	base := checkedWorld(t)
	for _, name := range store.BucketNames() {
		t.Run(name, func(t *testing.T) {
			dir := copyDir(t, base)
			withStore(t, dir, func(st *store.Store) {
				err := st.UpdateBucketForTest(name, func(b *bolt.Bucket) error {
					if name == "meta" {
						return b.Put([]byte("settings"), []byte("{"))
					}
					if name == "staged" {
						return b.Put([]byte("zz-stray"), []byte("x"))
					}
					return corrupt(b)
				})
				if err != nil {
					t.Fatal(err)
				}
			})
			r := mustCheck(t, dir, store.CheckOptions{Full: true})
			named := false
			for _, f := range r.Findings {
				named = named || f.Fault && (strings.Contains(f.Zh, name) || strings.Contains(f.En, name))
			}
			if r.OK() || !named {
				t.Fatalf("damaged %s not named:\n%s", name, report(r))
			}
		})
	}
	for _, d := range store.DerivedSets() {
		if d.Prefix == "" {
			continue
		}
		t.Run(d.Prefix, func(t *testing.T) {
			dir := copyDir(t, base)
			withStore(t, dir, func(st *store.Store) {
				err := st.UpdateBucketForTest(d.Bucket, func(b *bolt.Bucket) error {
					c := b.Cursor()
					for k, v := c.Seek([]byte(d.Prefix)); k != nil && bytes.HasPrefix(k, []byte(d.Prefix)); k, v = c.Next() {
						return b.Put(k, binary.BigEndian.AppendUint64(nil, binary.BigEndian.Uint64(v)+1))
					}
					return b.Put([]byte(d.Prefix+"999"), binary.BigEndian.AppendUint64(nil, 1))
				})
				if err != nil {
					t.Fatal(err)
				}
			})
			r := mustCheck(t, dir, store.CheckOptions{Full: true})
			if !faultWith(r, store.AreaDerived, d.Bucket+" "+strings.TrimSuffix(d.Prefix, "|")) {
				t.Fatalf("damaged counters %s not named:\n%s", d.Prefix, report(r))
			}
		})
	}
}

// -repair rebuilds every index and counter, dropped all at once, to what
// they were, byte for byte (a counter holding zero counts as absent), and
// the check then passes; records are never touched.
func TestRepairRebuildsWhatWasDropped(t *testing.T) {
	dir := copyDir(t, checkedWorld(t))
	type dump = map[string]string
	nonZero := func(d store.DerivedSet, m dump) dump {
		if d.Counter {
			for k, v := range m {
				if v == string(make([]byte, 8)) {
					delete(m, k)
				}
			}
		}
		return m
	}
	before := map[store.DerivedSet]dump{}
	var certs dump
	withStore(t, dir, func(st *store.Store) {
		certs = st.DumpForTest("certs", "")
		for _, d := range store.DerivedSets() {
			before[d] = nonZero(d, st.EntriesForTest(d))
			err := st.UpdateBucketForTest(d.Bucket, func(b *bolt.Bucket) error {
				for k := range st.DumpForTest(d.Bucket, d.Prefix) {
					if err := b.Delete([]byte(k)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	broken := mustCheck(t, dir, store.CheckOptions{Full: true})
	if broken.OK() || broken.Areas[store.AreaDerived].Faults < 30 {
		t.Fatalf("dropped indexes not found:\n%s", report(broken))
	}
	r := mustCheck(t, dir, store.CheckOptions{Repair: true})
	if !r.OK() || r.Before == nil || r.Before.OK() || len(r.Repaired) < 30 {
		t.Fatalf("repair:\n%s", report(r))
	}
	withStore(t, dir, func(st *store.Store) {
		for _, d := range store.DerivedSets() {
			after := nonZero(d, st.EntriesForTest(d))
			if len(after) != len(before[d]) {
				t.Errorf("%s %s: %d entries after the repair, %d before", d.Bucket, d.Prefix, len(after), len(before[d]))
				continue
			}
			for k, v := range before[d] {
				if after[k] != v {
					t.Errorf("%s %s: key %x is %x after the repair, %x before", d.Bucket, d.Prefix, k, after[k], v)
					break
				}
			}
		}
		if got := st.DumpForTest("certs", ""); fmt.Sprint(got) != fmt.Sprint(certs) {
			t.Error("the repair changed certificate records")
		}
	})
}

// A registry.db cut short (to half or 90 % of the pages in use) or empty is
// refused at the file level, fast or full, without bbolt touching it (which
// would end in SIGBUS).
func TestCheckRefusesTruncatedDatabases(t *testing.T) {
	base := checkedWorld(t)
	for _, tc := range []struct {
		name  string
		keep  float64
		words []string
	}{
		{"half", 0.5, []string{"截断", "truncated"}},
		{"ninety percent", 0.9, []string{"截断", "truncated"}},
		{"empty", 0, []string{"空的", "empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, base)
			path := filepath.Join(dir, store.DBFile)
			pageSize, _, hwm := metaPages(t, path)
			if err := os.Truncate(path, int64(float64(hwm*uint64(pageSize))*tc.keep)); err != nil {
				t.Fatal(err)
			}
			for _, full := range []bool{false, true} {
				r := mustCheck(t, dir, store.CheckOptions{Full: full})
				if r.OK() || !faultWith(r, store.AreaFile, tc.words...) || r.Areas[store.AreaRecords].Ran {
					t.Errorf("full=%v:\n%s", full, report(r))
				}
			}
		})
	}
}

// metaTxids reads the transaction ids of both meta pages.
func metaTxids(t *testing.T, path string) (pageSize int, txid [2]uint64) {
	pageSize, txid, _ = metaPages(t, path)
	return pageSize, txid
}

// metaPages reads the page size, both transaction ids and the newest
// page's high-water mark.
func metaPages(t *testing.T, path string) (pageSize int, txid [2]uint64, hwm uint64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 128)
	if _, err := f.ReadAt(head, 0); err != nil {
		t.Fatal(err)
	}
	pageSize = int(binary.LittleEndian.Uint32(head[16+8:]))
	for i := range txid {
		if _, err := f.ReadAt(head, int64(i*pageSize)); err != nil {
			t.Fatal(err)
		}
		txid[i] = binary.LittleEndian.Uint64(head[16+48:])
		if i == 0 || txid[i] > txid[0] {
			hwm = binary.LittleEndian.Uint64(head[16+40:])
		}
	}
	return pageSize, txid, hwm
}

// flipMeta damages a meta page's root page number, which its checksum
// covers.
func flipMeta(t *testing.T, path string, slot, pageSize int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// One byte of the root bucket's page number, flipped (written as a
	// constant it would change nothing when it already held that value).
	off := int64(slot*pageSize + 16 + 16)
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{b[0] ^ 0x5a}, off); err != nil {
		t.Fatal(err)
	}
}

// A damaged newest meta page makes bbolt fall back to the previous
// transaction without a word: the check names it, and only an explicit
// -accept-rollback opens the database again, after keeping the damaged
// file; the last committed change (a cancellation) is then gone.
func TestCheckCatchesADamagedNewestMetaPage(t *testing.T) {
	dir := copyDir(t, checkedWorld(t))
	var number string
	withStore(t, dir, func(st *store.Store) {
		st.Now = func() time.Time { return fixture.Start }
		prov, _ := st.UserByName("demo-province")
		a := store.Actor{UserID: prov.ID, Username: prov.Username, OrgID: prov.OrgID}
		page, err := st.Certificates(a, store.CertQuery{Status: store.CertValid, Limit: 1})
		if err != nil || len(page.Certs) == 0 {
			t.Fatal(err)
		}
		number = page.Certs[0].Number
		if _, err := st.CancelCertificate(a, number, "测试：最后一次提交"); err != nil {
			t.Fatal(err)
		}
	})
	path := filepath.Join(dir, store.DBFile)
	pageSize, txid := metaTxids(t, path)
	newest := 0
	if txid[1] > txid[0] {
		newest = 1
	}
	flipMeta(t, path, newest, pageSize)

	r := mustCheck(t, dir, store.CheckOptions{})
	if r.OK() || !r.Rollback || !faultWith(r, store.AreaFile, "最新的事务头页", "newest meta page") {
		t.Fatalf("fast check:\n%s", report(r))
	}
	if out := report(r); !strings.Contains(out, "-accept-rollback") {
		t.Errorf("the report does not say how to proceed:\n%s", out)
	}
	r = mustCheck(t, dir, store.CheckOptions{Full: true, AcceptRollback: true})
	if !r.OK() || len(r.Repaired) != 1 {
		t.Fatalf("accepted rollback:\n%s", report(r))
	}
	kept, _ := filepath.Glob(path + ".damaged-*")
	if len(kept) != 1 {
		t.Errorf("the damaged file was not kept: %v", kept)
	}
	if r := mustCheck(t, dir, store.CheckOptions{Full: true}); !r.OK() {
		t.Fatalf("after the rollback:\n%s", report(r))
	}
	withStore(t, dir, func(st *store.Store) {
		prov, _ := st.ProvinceOrg()
		c, err := st.Certificate(prov, number)
		if err != nil || c.Status != store.CertValid {
			t.Errorf("after the rollback the cancelled certificate is %s (%v): the last transaction should be gone", c.Status, err)
		}
	})
}

// A damaged older meta page loses nothing; the check names it and -repair
// rewrites it.
func TestRepairRewritesADamagedOlderMetaPage(t *testing.T) {
	dir := copyDir(t, checkedWorld(t))
	path := filepath.Join(dir, store.DBFile)
	pageSize, txid := metaTxids(t, path)
	older := 0
	if txid[1] < txid[0] {
		older = 1
	}
	flipMeta(t, path, older, pageSize)
	r := mustCheck(t, dir, store.CheckOptions{Full: true})
	if r.OK() || r.Rollback || !faultWith(r, store.AreaFile, "较旧的事务头页") {
		t.Fatalf("check:\n%s", report(r))
	}
	if r := mustCheck(t, dir, store.CheckOptions{Repair: true}); !r.OK() {
		t.Fatalf("repair:\n%s", report(r))
	}
}

// A damaged page inside the file is found by the page walk, with plain
// reads: the process never faults.
func TestCheckFindsADamagedPage(t *testing.T) {
	dir := copyDir(t, checkedWorld(t))
	path := filepath.Join(dir, store.DBFile)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	var leaf uint64
	_ = db.View(func(tx *bolt.Tx) error {
		leaf = uint64(tx.Bucket([]byte("certs")).Root())
		return nil
	})
	pageSize := db.Info().PageSize
	db.Close()
	f, _ := os.OpenFile(path, os.O_RDWR, 0)
	// The page's element count now runs past its end.
	_, _ = f.WriteAt([]byte{0xff, 0xff}, int64(leaf)*int64(pageSize)+10)
	f.Close()
	r := mustCheck(t, dir, store.CheckOptions{Full: true})
	if r.OK() || !faultWith(r, store.AreaFile, fmt.Sprintf("第 %d 页", leaf)) {
		t.Fatalf("damaged page %d not found:\n%s", leaf, report(r))
	}
}

// A holder's name edited inside registry.db (bytes of the file changed, as
// a hex editor would) no longer matches the library's name index.
func TestCheckCatchesANameEditedInTheFile(t *testing.T) {
	dir := copyDir(t, checkedWorld(t))
	var c store.Certificate
	withStore(t, dir, func(st *store.Store) { c = st.AllCertsForTest()[0] })
	path := filepath.Join(dir, store.DBFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	old := store.CertRecordForTest(c)
	ed := c
	ed.Name = "冒" + c.Name[len("冒"):]
	edited := store.CertRecordForTest(ed)
	if len(c.Name) < 3 || len(edited) != len(old) || bytes.Count(raw, old) != 1 {
		t.Fatalf("record of %s not found in the file", c.Number)
	}
	raw = bytes.ReplaceAll(raw, old, edited)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	r := mustCheck(t, dir, store.CheckOptions{Full: true})
	if !faultWith(r, store.AreaDerived, "cert_ix", c.Number) {
		t.Fatalf("edited name not found:\n%s", report(r))
	}
}

// A certificate record that no longer decodes is named, and so is the hole
// it leaves in its segment.
func TestCheckCatchesAnUnreadableCertificate(t *testing.T) {
	dir := copyDir(t, checkedWorld(t))
	var c store.Certificate
	withStore(t, dir, func(st *store.Store) {
		c = st.AllCertsForTest()[0]
		err := st.UpdateBucketForTest("certs", func(b *bolt.Bucket) error {
			return b.Put([]byte(c.Number), []byte(`{"number":"`+c.Number+`","name":`))
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	r := mustCheck(t, dir, store.CheckOptions{Full: true})
	if !faultWith(r, store.AreaRecords, "certs", c.Number) || !faultWith(r, store.AreaRules, "号段 "+c.Number[:10], c.Number) {
		t.Fatalf("unreadable certificate:\n%s", report(r))
	}
}

// A material whose bytes no longer match its hash is found by the full
// check; a missing one by the fast path's cheaper look too.
func TestCheckCatchesChangedAndMissingMaterials(t *testing.T) {
	base := checkedWorld(t)
	dir := copyDir(t, base)
	files, _ := filepath.Glob(filepath.Join(dir, store.FilesDir, "*"))
	if len(files) < 3 {
		t.Fatalf("demo materials: %v", files)
	}
	raw, _ := os.ReadFile(files[0])
	raw[len(raw)/2] ^= 0xff
	if err := os.WriteFile(files[0], raw, 0o600); err != nil {
		t.Fatal(err)
	}
	r := mustCheck(t, dir, store.CheckOptions{Full: true})
	if !faultWith(r, store.AreaMaterials, filepath.Base(files[0]), "内容已改变") {
		t.Fatalf("changed material:\n%s", report(r))
	}
	if err := os.Remove(files[1]); err != nil {
		t.Fatal(err)
	}
	r = mustCheck(t, dir, store.CheckOptions{Full: true})
	if !faultWith(r, store.AreaMaterials, filepath.Base(files[1]), "不存在") {
		t.Fatalf("missing material:\n%s", report(r))
	}
}

// The data directory is told apart before anything opens it: a database,
// nothing, or uploaded files whose database is gone or empty.
func TestInspectDataDir(t *testing.T) {
	dir := t.TempDir()
	if st, err := store.InspectDataDir(filepath.Join(dir, "absent")); err != nil || st != store.DirEmpty {
		t.Errorf("absent: %v %v", st, err)
	}
	if st, _ := store.InspectDataDir(dir); st != store.DirEmpty {
		t.Errorf("empty: %v", st)
	}
	if err := os.MkdirAll(filepath.Join(dir, store.FilesDir), 0o750); err != nil {
		t.Fatal(err)
	}
	if st, _ := store.InspectDataDir(dir); st != store.DirOrphanFiles {
		t.Errorf("files without database: %v", st)
	}
	if err := os.WriteFile(filepath.Join(dir, store.DBFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if st, _ := store.InspectDataDir(dir); st != store.DirOrphanFiles {
		t.Errorf("files beside an empty database: %v", st)
	}
	if err := os.WriteFile(filepath.Join(dir, store.DBFile), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, _ := store.InspectDataDir(dir); st != store.DirHasDatabase {
		t.Errorf("database: %v", st)
	}
}

// A running server (the exclusive lock) makes the check refuse at once
// rather than read a file being written.
func TestCheckRefusesADirectoryInUse(t *testing.T) {
	w := fixture.Demo(t)
	if _, err := store.CheckDir(w.Dir, store.CheckOptions{}); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("check of an open store: %v", err)
	}
}
