package store_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
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

// backupOf builds a verified backup of a closed data directory.
func backupOf(t *testing.T, dir string) *store.BackupFile {
	t.Helper()
	var b *store.BackupFile
	withStore(t, dir, func(st *store.Store) {
		st.Now = func() time.Time { return fixture.Start }
		var err error
		if b, err = st.BuildBackup(t.TempDir()); err != nil {
			t.Fatal(err)
		}
	})
	return b
}

// restoreInto restores archive bytes into a new directory and reports the
// error; the target must stay exactly as it was (absent) on failure.
func restoreInto(t *testing.T, archive []byte) (string, error) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "restored")
	_, err := store.RestoreBackup(bytes.NewReader(archive), dir, nil)
	if err != nil {
		if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) {
			t.Errorf("a failed restore left %s behind", dir)
		}
		leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".certreg-restore-*"))
		if len(leftovers) > 0 {
			t.Errorf("a failed restore left its temporary directory: %v", leftovers)
		}
	}
	return dir, err
}

// A backup of a world with every kind of record and material restores into
// an identical database that passes the full check, with every referenced
// file and the archived log, and without an abandoned upload.
func TestBackupRoundTripOfEveryKindOfRecord(t *testing.T) {
	src := copyDir(t, checkedWorld(t))
	if err := os.MkdirAll(filepath.Join(src, "log-archive"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "log-archive", "oplog-before-20260501.csv"), []byte("\ufeff编号,时间\n1,2026-01-01\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stray := filepath.Join(src, store.FilesDir, strings.Repeat("ab", 32))
	if err := os.WriteFile(stray, []byte("abandoned upload with an ID number 342102199001010029"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := backupOf(t, src)
	if b.Manifest.Format != store.BackupFormat || b.Manifest.Figures.Certificates != 82 || b.Manifest.Figures.Businesses != 9 || b.Manifest.Figures.Materials < 4 {
		t.Errorf("manifest: %+v", b.Manifest.Figures)
	}
	archive, err := os.ReadFile(b.Path)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := restoreInto(t, archive)
	if err != nil {
		t.Fatal(err)
	}
	if r := mustCheck(t, dir, store.CheckOptions{Full: true}); !r.OK() {
		t.Fatalf("restored world:\n%s", report(r))
	}
	if _, err := os.Stat(filepath.Join(dir, store.FilesDir, filepath.Base(stray))); !os.IsNotExist(err) {
		t.Error("an abandoned upload was restored")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "log-archive", "oplog-before-20260501.csv")); !bytes.Contains(got, []byte("2026-01-01")) {
		t.Error("archived log not restored")
	}
	var want, got map[string]map[string]string
	withStore(t, src, func(st *store.Store) { want = dumpAll(st) })
	withStore(t, dir, func(st *store.Store) { got = dumpAll(st) })
	for bucket, kv := range want {
		if len(got[bucket]) != len(kv) {
			t.Errorf("%s: %d entries restored, %d backed up", bucket, len(got[bucket]), len(kv))
		}
		for k, v := range kv {
			if got[bucket][k] != v {
				t.Errorf("%s: key %q differs", bucket, k)
				break
			}
		}
	}
	refs := 0
	for _, e := range b.Manifest.Entries {
		if strings.HasPrefix(e.Name, store.FilesDir+"/") {
			refs++
			a, _ := os.ReadFile(filepath.Join(src, filepath.FromSlash(e.Name)))
			c, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.Name)))
			if !bytes.Equal(a, c) || len(a) == 0 {
				t.Errorf("%s not restored byte for byte", e.Name)
			}
		}
	}
	if int64(refs) != b.Manifest.Figures.Materials {
		t.Errorf("%d files in the archive, %d referenced", refs, b.Manifest.Figures.Materials)
	}
	// Never over data, and into an existing empty directory too.
	if _, err := store.RestoreBackup(bytes.NewReader(archive), dir, nil); err == nil || !strings.Contains(err.Error(), "不是空的") {
		t.Errorf("restore over data: %v", err)
	}
	empty := t.TempDir()
	if _, err := store.RestoreBackup(bytes.NewReader(archive), empty, nil); err != nil {
		t.Errorf("restore into an empty directory: %v", err)
	}
}

func dumpAll(st *store.Store) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, b := range store.BucketNames() {
		out[b] = st.DumpForTest(b, "")
	}
	return out
}

// Damaged archives are refused with the entry at fault named, and the
// target is left as it was: cut at half and at 90 %, a flipped gzip CRC
// byte, a file whose bytes no longer match the manifest, an entry missing
// from the manifest.
func TestRestoreRefusesDamagedArchives(t *testing.T) {
	b := backupOf(t, copyDir(t, checkedWorld(t)))
	good, err := os.ReadFile(b.Path)
	if err != nil {
		t.Fatal(err)
	}
	crc := append([]byte(nil), good...)
	crc[len(crc)-8] ^= 0xff // the gzip trailer: CRC-32, then the length
	for _, tc := range []struct {
		name    string
		archive []byte
		msg     string
	}{
		{"cut at half", good[:len(good)/2], "已损坏"},
		{"cut at 90 %", good[:len(good)*9/10], "已损坏"},
		{"flipped gzip CRC byte", crc, "校验失败"},
		{"material changed", repack(t, good, func(name string, body []byte) []byte {
			if strings.HasPrefix(name, store.FilesDir+"/") {
				body[len(body)/2] ^= 1
			}
			return body
		}), "内容与其编号不符"},
		{"not in the manifest", repack(t, good, func(name string, body []byte) []byte {
			if name == store.ManifestName {
				return bytes.Replace(body, []byte(`"name": "files/`), []byte(`"name": "files/x`), 1)
			}
			return body
		}), "不在"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := restoreInto(t, tc.archive); err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %q", err, tc.msg)
			}
		})
	}
}

// repack rewrites every entry of an archive through edit.
func repack(t *testing.T, archive []byte, edit func(name string, body []byte) []byte) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		body = edit(h.Name, body)
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}

// A backup of a database damaged before it was made (a holder's name
// edited in the file, a certificate record unreadable) restores into a
// directory that fails the full check: the restore refuses it and names the
// fault.
func TestRestoreRunsTheFullCheck(t *testing.T) {
	base := checkedWorld(t)

	edited := copyDir(t, base)
	var c store.Certificate
	withStore(t, edited, func(st *store.Store) { c = st.AllCertsForTest()[0] })
	path := filepath.Join(edited, store.DBFile)
	raw, _ := os.ReadFile(path)
	ed := c
	ed.Name = "冒" + c.Name[len("冒"):]
	raw = bytes.ReplaceAll(raw, store.CertRecordForTest(c), store.CertRecordForTest(ed))
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	archive, _ := os.ReadFile(backupOf(t, edited).Path)
	if _, err := restoreInto(t, archive); err == nil || !strings.Contains(err.Error(), "cert_ix") {
		t.Errorf("edited name: %v", err)
	}

	unreadable := copyDir(t, base)
	withStore(t, unreadable, func(st *store.Store) {
		_ = st.UpdateBucketForTest("certs", func(b *bolt.Bucket) error { return b.Put([]byte(c.Number), []byte("{")) })
	})
	archive, _ = os.ReadFile(backupOf(t, unreadable).Path)
	if _, err := restoreInto(t, archive); err == nil || !strings.Contains(err.Error(), c.Number) {
		t.Errorf("unreadable certificate: %v", err)
	}
}

// A file the records refer to that cannot be read makes the backup fail
// with a Chinese reason, and nothing is left behind.
func TestBackupFailsOnAnUnreadableFile(t *testing.T) {
	dir := copyDir(t, checkedWorld(t))
	files, _ := filepath.Glob(filepath.Join(dir, store.FilesDir, "*"))
	// A directory where the file was: reading it fails even for root.
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(files[0], 0o700); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	withStore(t, dir, func(st *store.Store) {
		_, err := st.BuildBackup(out)
		if err == nil || !strings.Contains(err.Error(), "无法读取上传文件 files/"+filepath.Base(files[0])) {
			t.Errorf("backup with an unreadable file: %v", err)
		}
		var buf bytes.Buffer
		if err := st.WriteBackup(store.Actor{Username: "admin"}, &buf); err == nil || buf.Len() > 0 {
			t.Errorf("download with an unreadable file: %v, %d bytes written", err, buf.Len())
		}
	})
	if left, _ := os.ReadDir(out); len(left) > 0 {
		t.Errorf("a failed backup left %d files", len(left))
	}
}
