package handlers

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"certreg/store"
)

// The province's administrator downloads a backup that was verified before
// the first byte was sent (it has a length), holds the materials the
// records refer to and not an abandoned upload, restores whole, and is
// logged; nobody else may download one.
func TestBackupAndRestore(t *testing.T) {
	e := newEnv(t)
	stray := strings.Repeat("ab", 32)
	if err := os.WriteFile(filepath.Join(e.w.Dir, store.FilesDir, stray), []byte("abandoned upload"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := e.login("demo-province")
	r := c.get("/settings/backup")
	if r.status != 200 || r.header.Get("Content-Type") != "application/gzip" || len(r.body) < 1000 ||
		r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("backup: %d %s %d bytes, length %q", r.status, r.header.Get("Content-Type"), len(r.body), r.header.Get("Content-Length"))
	}
	dir := filepath.Join(t.TempDir(), "restored")
	res, err := store.RestoreBackup(bytes.NewReader([]byte(r.body)), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest == nil || res.Manifest.Figures.Certificates != 82 || !res.Check.OK() {
		t.Fatalf("restore: %+v", res)
	}
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if u, err := st.UserByName("demo-unit"); err != nil || u.Name != "张秀英" {
		t.Fatalf("restored user: %+v %v", u, err)
	}
	if _, err := os.Stat(filepath.Join(dir, store.FilesDir, stray)); !os.IsNotExist(err) {
		t.Errorf("an abandoned upload is in the backup (%v)", err)
	}
	materials, _ := filepath.Glob(filepath.Join(dir, store.FilesDir, "*"))
	if len(materials) < 3 {
		t.Errorf("restored materials: %v", materials)
	}
	if left, _ := os.ReadDir(filepath.Join(e.w.Dir, "tmp")); len(left) > 0 {
		t.Errorf("the download left %d temporary files", len(left))
	}
	logs, _, err := e.w.Store.Logs(store.LogFilter{OrgID: e.w.Org(t, "demo-province").ID, Action: store.ActBackup, Limit: 5})
	if err != nil || len(logs) != 1 || !logs[0].OK {
		t.Errorf("backup log: %+v %v", logs, err)
	}
	// The settings page shows it.
	if page := c.get("/settings?tab=system"); !strings.Contains(page.body, `id="backup-last"`) || !strings.Contains(page.body, "成功") {
		t.Errorf("last backup not shown:\n%s", page.body)
	}
	for _, who := range []string{"ah-reviewer", "demo-dept", "demo-unit"} {
		if r := e.login(who).get("/settings/backup"); r.status != http.StatusForbidden {
			t.Errorf("%s backup: %d", who, r.status)
		}
	}
}

// A file the records refer to that cannot be read makes the download an
// error page naming it in Chinese, not a cut archive; the failure is shown
// on the settings page and logged.
func TestBackupDownloadWithAnUnreadableFile(t *testing.T) {
	e := newEnv(t)
	files, _ := filepath.Glob(filepath.Join(e.w.Dir, store.FilesDir, "*"))
	if len(files) == 0 {
		t.Fatal("no demo materials")
	}
	// A directory where the file was: unreadable even for root.
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(files[0], 0o700); err != nil {
		t.Fatal(err)
	}
	c := e.login("demo-province")
	r := c.get("/settings/backup")
	if r.status != http.StatusInternalServerError || r.header.Get("Content-Type") == "application/gzip" ||
		!strings.Contains(r.body, "备份失败") || !strings.Contains(r.body, "无法读取上传文件 files/"+filepath.Base(files[0])) {
		t.Fatalf("backup with an unreadable file: %d %s\n%s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if strings.Contains(r.body, "is a directory") {
		t.Error("internal error text on the page")
	}
	if page := c.get("/settings?tab=system"); !strings.Contains(page.body, "失败") || !strings.Contains(page.body, "无法读取上传文件") {
		t.Errorf("failed backup not shown:\n%s", page.body)
	}
	logs, _, _ := e.w.Store.Logs(store.LogFilter{OrgID: e.w.Org(t, "demo-province").ID, Action: store.ActBackup, Limit: 5})
	if len(logs) != 1 || logs[0].OK {
		t.Errorf("failed backup log: %+v", logs)
	}
}

// The schedule is set in 系统设置 (time of day, directory, how many to
// keep), checked (a relative directory is refused with 422), carried out
// by the server once its time has come each day, older backups beyond the
// number to keep removed, the result shown and logged.
func TestScheduledBackups(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-province")
	out := filepath.Join(t.TempDir(), "backups")
	if r := c.post("/settings/backup-schedule", url.Values{"backup_time": {"02:30"}, "backup_dir": {"relative/dir"}, "backup_keep": {"2"}}); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "绝对路径") {
		t.Fatalf("relative directory: %d", r.status)
	}
	if r := c.post("/settings/backup-schedule", url.Values{"backup_time": {"25:00"}, "backup_dir": {out}, "backup_keep": {"2"}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad time: %d", r.status)
	}
	if r := c.post("/settings/backup-schedule", url.Values{"backup_time": {"02:30"}, "backup_dir": {out}, "backup_keep": {"2"}}); r.status != http.StatusSeeOther {
		t.Fatalf("save schedule: %d\n%s", r.status, r.body)
	}
	// Other settings saved later keep the schedule.
	if r := c.post("/settings/system", url.Values{"password_max_age_days": {"90"}, "log_retention_months": {"0"}}); r.status != http.StatusSeeOther {
		t.Fatalf("save system: %d", r.status)
	}
	if st, _ := e.w.Store.Settings(); st.Backup != (store.BackupSchedule{Time: "02:30", Dir: out, Keep: 2}) {
		t.Fatalf("schedule: %+v", st.Backup)
	}
	// fixture.Start is 10:00 China time: today's 02:30 has passed.
	day := time.Date(2026, 11, 28, 1, 0, 0, 0, cst)
	for i := 0; i < 4; i++ {
		at := day.AddDate(0, 0, i)
		e.w.Clock.Set(at)
		e.srv.scheduledBackup(at) // before 02:30: nothing
		e.w.Clock.Set(at.Add(2 * time.Hour))
		e.srv.scheduledBackup(at.Add(2 * time.Hour))
		e.srv.scheduledBackup(at.Add(3 * time.Hour)) // once a day only
	}
	made, _ := filepath.Glob(filepath.Join(out, "certreg-backup-*.tar.gz"))
	if len(made) != 2 || !strings.Contains(made[1], "20261201-030000") {
		t.Fatalf("kept backups: %v", made)
	}
	for _, m := range made {
		f, _ := os.Open(m)
		if _, err := store.RestoreBackup(f, filepath.Join(t.TempDir(), "r"), nil); err != nil {
			t.Errorf("%s does not restore: %v", m, err)
		}
		f.Close()
	}
	// Each day's anchor of the operation log is written beside the backups
	// (and kept: an auditor copies them elsewhere), and lies on the chain.
	anchors, err := store.ReadAnchorFiles(out)
	if err != nil || len(anchors) != 4 || anchors[0].Day != "2026-11-28" || anchors[3].Day != "2026-12-01" {
		t.Fatalf("anchor files: %+v (%v)", anchors, err)
	}
	if r, err := e.w.Store.VerifyChain(anchors); err != nil || !r.OK() || r.Anchors < 4 {
		t.Fatalf("anchor files against the log: %+v (%v)", r, err)
	}
	logs, _, _ := e.w.Store.Logs(store.LogFilter{OrgID: e.w.Org(t, "demo-province").ID, Action: store.ActBackupSchedule, Limit: 10})
	if len(logs) != 4 || !logs[0].OK || !strings.Contains(logs[0].Detail, "删除较早的备份 1 个") {
		t.Errorf("scheduled backups logged: %+v", logs)
	}
	c = e.login("demo-province")
	if page := c.get("/settings?tab=system"); !strings.Contains(page.body, `id="backup-scheduled-last"`) || !strings.Contains(page.body, filepath.Base(made[1])) ||
		!strings.Contains(page.body, `value="02:30"`) || !strings.Contains(page.body, "certreg-anchor-20261201.txt") {
		t.Errorf("schedule not shown:\n%s", page.body)
	}
	// A directory that became unwritable: the failure is recorded.
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte("a file, not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	at := day.AddDate(0, 0, 5).Add(2 * time.Hour)
	e.w.Clock.Set(at)
	e.srv.scheduledBackup(at)
	_, last, _ := e.w.Store.LastBackup()
	if last.OK || !strings.Contains(last.Message, "无法创建备份目录") {
		t.Errorf("failed scheduled backup: %+v", last)
	}
	// Turning it off.
	c = e.login("demo-province")
	if r := c.post("/settings/backup-schedule", url.Values{"backup_time": {""}, "backup_dir": {""}}); r.status != http.StatusSeeOther {
		t.Fatalf("turn off: %d", r.status)
	}
	if st, _ := e.w.Store.Settings(); st.Backup.On() {
		t.Errorf("still on: %+v", st.Backup)
	}
}
