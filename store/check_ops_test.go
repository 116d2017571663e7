package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certreg/files"
	"certreg/fixture"
	"certreg/store"
)

// The sweep removes, once a day has passed, the uploads no record refers
// to (a material removed from its batch, an abandoned wizard's workbook,
// leftovers of uploads that never finished) and keeps everything a record
// refers to and anything younger; it logs what it removed.
func TestSweepRemovesUnreferencedUploads(t *testing.T) {
	w := fixture.Demo(t)
	dir := w.Dir
	kept := filepath.Join(dir, store.FilesDir)
	old := fixture.Start.Add(-25 * time.Hour)
	write := func(path, content string, at time.Time) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	abandoned := filepath.Join(kept, strings.Repeat("a1", 32))
	young := filepath.Join(kept, strings.Repeat("b2", 32))
	leftover := filepath.Join(kept, ".upload-123456")
	tmpUpload := filepath.Join(dir, "tmp", "upload-998877")
	write(abandoned, "342102199001010029 an abandoned workbook", old)
	write(young, "an upload of a wizard still open", fixture.Start.Add(-time.Hour))
	write(leftover, "half an upload", old)
	write(tmpUpload, "a streamed upload never kept", old)

	// A workbook staged two days ago: its entry expired, its file too.
	w.Clock.Set(fixture.Start.Add(-48 * time.Hour))
	staged, err := w.Store.StageWorkbook(w.Actor(t, "demo-unit"), files.Bytes("名单.xlsx", []byte("PK a staged workbook of an abandoned wizard")))
	if err != nil {
		t.Fatal(err)
	}
	w.Clock.Set(fixture.Start)
	if err := os.Chtimes(filepath.Join(kept, staged), old, old); err != nil {
		t.Fatal(err)
	}
	// Every material the demo's records refer to is old too.
	referenced, _ := filepath.Glob(filepath.Join(kept, "*"))
	for _, p := range referenced {
		if p != young {
			_ = os.Chtimes(p, old, old)
		}
	}

	res, err := w.Store.SweepUploads(24 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 2 || res.Temps != 2 || res.Staged != 1 {
		t.Errorf("swept %+v, want 2 files (abandoned, expired staged), 2 temporary, 1 staged entry", res)
	}
	for _, gone := range []string{abandoned, leftover, tmpUpload, filepath.Join(kept, staged)} {
		if _, err := os.Stat(gone); !os.IsNotExist(err) {
			t.Errorf("%s kept", gone)
		}
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("a young upload was removed: %v", err)
	}
	prov := w.Org(t, "demo-province").ID
	w.Store.Close()
	if r := mustCheck(t, dir, store.CheckOptions{Full: true}); !r.OK() || r.Areas[store.AreaMaterials].Checked < 3 {
		t.Fatalf("after the sweep:\n%s", report(r))
	}
	withStore(t, dir, func(st *store.Store) {
		logs, _, err := st.Logs(store.LogFilter{OrgID: prov, Action: store.ActUploadSweep, Limit: 5})
		if err != nil || len(logs) != 1 || !strings.Contains(logs[0].Detail, "删除 2 个未被引用的上传文件和 2 个残留的临时文件") {
			t.Errorf("sweep log: %+v %v", logs, err)
		}
		// Nothing more to sweep (at the world's present: the young upload is
		// an hour old then, whatever today's date).
		st.Now = w.Clock.Now
		if res, err := st.SweepUploads(24 * time.Hour); err != nil || res.Files+res.Temps != 0 {
			t.Errorf("second sweep: %+v %v", res, err)
		}
	})
}
