package store_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"certreg/fixture"
	"certreg/store"
)

// A backup taken while batches are being written restores into an empty
// directory as a database that opens with the same data, every uploaded
// material, and the backup in the operation log.
func TestBackupRestoresEverything(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	unit := w.Actor(t, "demo-unit")
	before, err := w.Store.Certificates(prov, store.CertQuery{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	drafts, _, err := w.Store.Batches(unit, store.BatchFilter{Tab: store.TabDraft, Name: "钢筋工"})
	if err != nil || len(drafts) != 1 || len(drafts[0].Files) == 0 {
		t.Fatalf("the demo's draft with materials: %d %v", len(drafts), err)
	}
	b, draft := drafts[0], drafts[0].ID

	// Writes go on during the backup.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 5; i++ {
			if _, err := w.Store.CreateBatch(unit, store.NewBatch{Name: "备份期间" + string(rune('甲'+i)), Candidates: people(100+10*i, 2)}); err != nil {
				t.Error(err)
			}
		}
	}()
	var buf bytes.Buffer
	if err := w.Store.WriteBackup(prov, &buf); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	dir := filepath.Join(t.TempDir(), "restored")
	if err := store.Restore(bytes.NewReader(buf.Bytes()), dir); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	after, err := st.Certificates(prov, store.CertQuery{Limit: 1})
	if err != nil || after.Total != before.Total {
		t.Fatalf("restored certificates: %d (%v), want %d", after.Total, err, before.Total)
	}
	rb, err := st.Batch(unit, draft)
	if err != nil || rb.Name != b.Name || rb.Count != b.Count {
		t.Fatalf("restored batch: %+v %v", rb, err)
	}
	for _, f := range b.Files {
		_, path, err := st.BatchFile(unit, draft, f.Hash)
		if err != nil {
			t.Fatalf("material %s: %v", f.Name, err)
		}
		got, err := os.ReadFile(path)
		_, origPath, _ := w.Store.BatchFile(unit, draft, f.Hash)
		want, _ := os.ReadFile(origPath)
		if err != nil || !bytes.Equal(got, want) || !strings.HasPrefix(path, dir) {
			t.Fatalf("material %s restored at %s: %v", f.Name, path, err)
		}
	}
	entries, _, err := w.Store.Logs(store.LogFilter{OrgID: prov.OrgID, Action: store.ActBackup, Limit: 5})
	if err != nil || len(entries) != 1 || entries[0].Username != "demo-province" {
		t.Fatalf("backup not logged: %+v %v", entries, err)
	}
	// Never over existing data.
	if err := store.Restore(bytes.NewReader(buf.Bytes()), dir); err == nil || !strings.Contains(err.Error(), "不是空的") {
		t.Fatalf("restore over the restored directory: %v", err)
	}
}

type entry struct {
	name string
	body []byte
	typ  byte
}

func archive(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Mode: 0o600, Size: int64(len(e.body)), Typeflag: typ}
		if typ != tar.TypeReg {
			h.Size, h.Linkname = 0, "/etc/passwd"
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A file that is not a backup, or holds anything but the database and
// uploaded files, is refused with a Chinese reason and writes nothing
// outside the target directory.
func TestRestoreRefusesBadArchives(t *testing.T) {
	good := archive(t, entry{name: store.DBFile, body: []byte("x")})
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"not gzip", []byte("PK\x03\x04 a zip file"), "不是有效的备份文件"},
		{"truncated", good[:len(good)/2], "已损坏"},
		{"parent path", archive(t, entry{name: "../escaped", body: []byte("x")}), "不应出现的条目"},
		{"files parent path", archive(t, entry{name: "files/../../escaped", body: []byte("x")}), "不应出现的条目"},
		{"absolute path", archive(t, entry{name: "/tmp/escaped", body: []byte("x")}), "不应出现的条目"},
		{"other name", archive(t, entry{name: "config.yaml", body: []byte("x")}), "不应出现的条目"},
		{"symlink", archive(t, entry{name: "files/link", typ: tar.TypeSymlink}), "不应出现的条目"},
		{"no database", archive(t, entry{name: "files/abc", body: []byte("x")}), "没有数据库"},
		{"database that does not open", good, "无法打开"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "data")
			err := store.Restore(bytes.NewReader(tc.data), dir)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %q", err, tc.msg)
			}
			if _, err := os.Stat(filepath.Join(parent, "escaped")); err == nil {
				t.Fatal("an entry was written outside the data directory")
			}
		})
	}
}

// failAfter is a writer that fails once n bytes have been written.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		w := f.n
		f.n = 0
		return w, os.ErrClosed
	}
	f.n -= len(p)
	return len(p), nil
}

// A backup whose writer fails (the download is cut) reports the error and is
// not logged as made; a data directory without uploads backs up too; a
// duplicate entry in an archive is refused.
func TestBackupEdges(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	var full bytes.Buffer
	if err := w.Store.WriteBackup(prov, &full); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 512, full.Len() / 2} {
		if err := w.Store.WriteBackup(prov, &failAfter{n: n}); err == nil {
			t.Errorf("writer failing after %d of %d bytes: no error", n, full.Len())
		}
	}
	entries, _, err := w.Store.Logs(store.LogFilter{OrgID: prov.OrgID, Action: store.ActBackup, Limit: 10})
	if err != nil || len(entries) != 1 {
		t.Errorf("%d backups logged, want only the one that was made (%v)", len(entries), err)
	}

	empty := fixture.Empty(t)
	var buf bytes.Buffer
	if err := empty.Store.WriteBackup(store.Actor{Username: "admin"}, &buf); err != nil {
		t.Fatalf("backup without an uploads folder: %v", err)
	}
	if err := store.Restore(bytes.NewReader(buf.Bytes()), filepath.Join(t.TempDir(), "d")); err != nil {
		t.Fatalf("restore of an empty world: %v", err)
	}

	dup := archive(t, entry{name: "files/abc", body: []byte("x")}, entry{name: "files/abc", body: []byte("y")})
	if err := store.Restore(bytes.NewReader(dup), filepath.Join(t.TempDir(), "d")); err == nil {
		t.Error("an archive with one file twice restored")
	}
}
