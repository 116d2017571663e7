package handlers

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"certreg/store"
)

func TestBackupAndRestore(t *testing.T) {
	e := newEnv(t)
	// A file under files/ travels with the backup.
	if err := os.MkdirAll(filepath.Join(e.w.Dir, store.FilesDir), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.w.Dir, store.FilesDir, "abc123"), []byte("材料"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := e.login("demo-province")
	r := c.get("/settings/backup")
	if r.status != 200 || r.header.Get("Content-Type") != "application/gzip" || len(r.body) < 1000 {
		t.Fatalf("backup: %d %s %d bytes", r.status, r.header.Get("Content-Type"), len(r.body))
	}
	dir := filepath.Join(t.TempDir(), "restored")
	if err := store.Restore(bytes.NewReader([]byte(r.body)), dir); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if u, err := st.UserByName("demo-unit"); err != nil || u.Name != "张秀英" {
		t.Fatalf("restored user: %+v %v", u, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, store.FilesDir, "abc123")); err != nil || string(b) != "材料" {
		t.Fatalf("restored file: %q %v", b, err)
	}
	// Never over existing data.
	if err := store.Restore(bytes.NewReader([]byte(r.body)), dir); err == nil {
		t.Fatal("restore over a non-empty directory")
	}
	for _, who := range []string{"ah-reviewer", "demo-dept", "demo-unit"} {
		if r := e.login(who).get("/settings/backup"); r.status != http.StatusForbidden {
			t.Errorf("%s backup: %d", who, r.status)
		}
	}
}
