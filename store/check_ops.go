package store

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/files"
)

// What the server does for its operators while it runs: scheduled backups
// and their last result, the sweep of abandoned uploads, figures for
// monitoring, and plain words for storage failures.

// BackupStatus is the result of a backup, for 系统设置 and /metrics.
type BackupStatus struct {
	Time    time.Time `json:"time"`
	OK      bool      `json:"ok"`
	Kind    string    `json:"kind"` // BackupScheduled or BackupDownload
	File    string    `json:"file,omitempty"`
	Size    int64     `json:"size,omitempty"`
	Message string    `json:"message,omitempty"` // why it failed, in Chinese
	Removed int       `json:"removed,omitempty"` // older scheduled backups removed
	Anchor  string    `json:"anchor,omitempty"`  // the anchor file written beside a scheduled backup
}

// Kinds of backup.
const (
	BackupScheduled = "scheduled"
	BackupDownload  = "download"
)

var (
	metaBackupLast      = []byte("backup_last")
	metaBackupScheduled = []byte("backup_scheduled")
)

// LastBackup returns the last backup made or attempted, and the last
// scheduled one; ok is false when there was none.
func (s *Store) LastBackup() (last, scheduled BackupStatus, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if err := getJSON(m, metaBackupLast, &last); err != nil && err != ErrNotFound {
			return err
		}
		if err := getJSON(m, metaBackupScheduled, &scheduled); err != nil && err != ErrNotFound {
			return err
		}
		return nil
	})
	return last, scheduled, err
}

// RecordBackup keeps a backup's result and writes it to the operation log.
func (s *Store) RecordBackup(a Actor, st BackupStatus) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if err := putJSON(m, metaBackupLast, st); err != nil {
			return err
		}
		action := ActBackup
		if st.Kind == BackupScheduled {
			action = ActBackupSchedule
			if err := putJSON(m, metaBackupScheduled, st); err != nil {
				return err
			}
		}
		detail := st.Message
		if st.OK {
			detail = files.SizeLabel(st.Size)
			if st.Removed > 0 {
				detail += fmt.Sprintf("；删除较早的备份 %d 个", st.Removed)
			}
		}
		target := st.File
		if target == "" {
			target = "数据库与上传文件"
		}
		return s.logTxResult(tx, a, action, target, detail, st.OK)
	})
}

// BackupSchedule is the province's setting for the backups the server makes
// by itself.
type BackupSchedule struct {
	// Time is the time of day (China time, HH:MM); "" turns it off.
	Time string `json:"time,omitempty"`
	// Dir is an absolute directory on the server.
	Dir string `json:"dir,omitempty"`
	// Keep is how many scheduled backups are kept; older ones are removed.
	Keep int `json:"keep,omitempty"`
}

// Limits of the schedule.
const (
	DefaultBackupKeep = 7
	MaxBackupKeep     = 365
)

// On reports whether scheduled backups are set up.
func (b BackupSchedule) On() bool { return b.Time != "" }

// checkSchedule normalises and checks a schedule; the directory must be
// writable now.
func checkSchedule(b BackupSchedule) (BackupSchedule, error) {
	b.Time, b.Dir = strings.TrimSpace(b.Time), strings.TrimSpace(b.Dir)
	if b.Time == "" {
		return BackupSchedule{Dir: b.Dir, Keep: b.Keep}, nil
	}
	t, err := time.Parse("15:04", b.Time)
	if err != nil {
		return b, invalid("backup_time", "请按 时:分 填写备份时间，例如 02:30")
	}
	b.Time = t.Format("15:04")
	switch {
	case b.Dir == "":
		return b, invalid("backup_dir", "请填写保存备份的目录")
	case !filepath.IsAbs(b.Dir):
		return b, invalid("backup_dir", "备份目录应为服务器上的绝对路径，例如 /var/backups/certreg")
	case b.Keep < 1 || b.Keep > MaxBackupKeep:
		return b, invalid("backup_keep", fmt.Sprintf("保留份数应为 1–%d", MaxBackupKeep))
	}
	b.Dir = filepath.Clean(b.Dir)
	if err := os.MkdirAll(b.Dir, 0o750); err != nil {
		return b, invalid("backup_dir", "无法创建备份目录："+StorageProblemOr(err, err.Error()))
	}
	f, err := os.CreateTemp(b.Dir, ".certreg-write-test-*")
	if err != nil {
		return b, invalid("backup_dir", "备份目录不可写："+StorageProblemOr(err, err.Error()))
	}
	f.Close()
	os.Remove(f.Name())
	return b, nil
}

// SaveBackupSchedule stores the backup schedule (the province's
// administrator).
func (s *Store) SaveBackupSchedule(a Actor, b BackupSchedule) error {
	b, err := checkSchedule(b)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		org, err := orgTx(tx, a.OrgID)
		if err != nil {
			return err
		}
		if org.Type != Province || !actorIsAdminTx(tx, a) {
			return ErrForbidden
		}
		st := DefaultSettings
		if err := getJSON(tx.Bucket(bMeta), []byte("settings"), &st); err != nil && err != ErrNotFound {
			return err
		}
		st.Backup = b
		if err := putJSON(tx.Bucket(bMeta), []byte("settings"), st); err != nil {
			return err
		}
		detail := "关闭定时备份"
		if b.On() {
			detail = fmt.Sprintf("每天 %s 备份到 %s，保留 %d 份", b.Time, b.Dir, b.Keep)
		}
		return s.logTx(tx, a, ActSettingsUpdate, "定时备份", detail)
	})
}

// ScheduledBackupDue reports whether the schedule asks for a backup at now:
// its time of day has passed today and no scheduled backup ran since.
func (s *Store) ScheduledBackupDue(now time.Time) (BackupSchedule, bool, error) {
	st, err := s.Settings()
	if err != nil || !st.Backup.On() {
		return st.Backup, false, err
	}
	t, err := time.Parse("15:04", st.Backup.Time)
	if err != nil {
		return st.Backup, false, nil
	}
	local := now.In(cst)
	at := time.Date(local.Year(), local.Month(), local.Day(), t.Hour(), t.Minute(), 0, 0, cst)
	if local.Before(at) {
		return st.Backup, false, nil
	}
	_, last, err := s.LastBackup()
	if err != nil {
		return st.Backup, false, err
	}
	return st.Backup, last.Time.Before(at), nil
}

// RunScheduledBackup makes a backup into the schedule's directory, removes
// the scheduled backups beyond the number to keep, and records the result
// (also when it failed).
func (s *Store) RunScheduledBackup(b BackupSchedule) BackupStatus {
	st := BackupStatus{Time: s.Now(), Kind: BackupScheduled}
	// The day's anchor of the log's hash chain is recorded first, so that
	// the backup holds it, and written beside the backups as a file an
	// auditor copies elsewhere (docs/integrity.md).
	anchor, _, anchorErr := s.RecordDailyAnchor()
	f, err := s.BuildBackup(b.Dir)
	if err != nil {
		st.Message = StorageProblemOr(err, err.Error())
	} else {
		st.OK, st.File, st.Size = true, f.Path, f.Size
		st.Removed, err = pruneBackups(b.Dir, b.Keep)
		if err != nil {
			st.Message = "删除较早的备份失败：" + StorageProblemOr(err, err.Error())
		}
		if anchorErr == nil {
			st.Anchor, anchorErr = WriteAnchorFile(b.Dir, anchor)
		}
		if anchorErr != nil {
			st.Message = strings.TrimPrefix(st.Message+"；写入操作日志锚点失败："+StorageProblemOr(anchorErr, anchorErr.Error()), "；")
		}
	}
	if err := s.RecordBackup(Actor{Username: "系统"}, st); err != nil {
		st.Message += "（记录结果失败：" + err.Error() + "）"
	}
	return st
}

// pruneBackups removes the oldest backups of dir beyond keep (only files
// named as this program names them).
func pruneBackups(dir string, keep int) (int, error) {
	names, err := filepath.Glob(filepath.Join(dir, "certreg-backup-*.tar.gz"))
	if err != nil || len(names) <= keep {
		return 0, err
	}
	slices.Sort(names) // the names carry the time
	n := 0
	for _, old := range names[:len(names)-keep] {
		if err := os.Remove(old); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// DBStats are figures of the database for monitoring.
type DBStats struct {
	Size        int64 // bytes the database uses
	FileSize    int64 // bytes of the file
	OpenReadTx  int
	ReadTxTotal int
	FreePages   int
}

// DBStats returns the database's figures for monitoring.
func (s *Store) DBStats() DBStats {
	bs := s.db.Stats()
	out := DBStats{OpenReadTx: bs.OpenTxN, ReadTxTotal: bs.TxN, FreePages: bs.FreePageN}
	_ = s.db.View(func(tx *bolt.Tx) error {
		out.Size = tx.Size()
		return nil
	})
	if fi, err := os.Stat(filepath.Join(s.dir, DBFile)); err == nil {
		out.FileSize = fi.Size()
	}
	return out
}

// StorageProblem names, in Chinese, a failure of the disk or of permissions
// that an operator must fix: a full disk, an unwritable or read-only data
// directory. ok is false for any other error.
func StorageProblem(err error) (msg string, ok bool) {
	switch {
	case err == nil:
		return "", false
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return "服务器磁盘空间已满，数据未能保存。请联系系统管理员清理磁盘空间后重试。", true
	case errors.Is(err, syscall.EROFS):
		return "服务器的数据目录处于只读状态（只读文件系统），数据未能保存。请联系系统管理员检查磁盘。", true
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return "服务器的数据目录不可写（权限不足），数据未能保存。请联系系统管理员检查目录权限。", true
	}
	return "", false
}

// StorageProblemOr is StorageProblem's message, or other.
func StorageProblemOr(err error, other string) string {
	if msg, ok := StorageProblem(err); ok {
		return msg
	}
	return other
}

// SweepResult is what a sweep of uploads removed.
type SweepResult struct {
	Files, Temps int   // unreferenced uploads, leftover temporary files
	Bytes        int64 // their total size
	Staged       int   // expired staged workbooks forgotten
}

// SweepUploads removes what uploads leave behind once it is older than
// maxAge: stored files no record refers to (materials of deleted batches or
// replaced, workbooks of abandoned wizards, proofs of replaced
// applications), temporary files of uploads that never finished, and
// staged workbooks past their day. A file is removed inside a write
// transaction that first confirms no record refers to it, so a transaction
// that would refer to it cannot commit meanwhile. Uploads are never in a
// backup unless a record refers to them.
func (s *Store) SweepUploads(maxAge time.Duration) (SweepResult, error) {
	s.filesMu.Lock()
	defer s.filesMu.Unlock()
	var res SweepResult
	now := s.Now()
	cutoff := now.Add(-maxAge)
	err := s.db.Update(func(tx *bolt.Tx) error {
		var expired [][]byte
		err := tx.Bucket(bStaged).ForEach(func(k, v []byte) error {
			if now.Sub(time.UnixMilli(int64(btoi(v)))) > stagedTTL {
				expired = append(expired, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range expired {
			if err := tx.Bucket(bStaged).Delete(k); err != nil {
				return err
			}
		}
		res.Staged = len(expired)
		return nil
	})
	if err != nil {
		return res, err
	}
	old := func(e fs.DirEntry) (int64, bool) {
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			return 0, false
		}
		return info.Size(), true
	}
	filesDir := filepath.Join(s.dir, FilesDir)
	entries, err := os.ReadDir(filesDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return res, err
	}
	var candidates []string
	for _, e := range entries {
		name := e.Name()
		size, isOld := old(e)
		switch {
		case !isOld || e.IsDir():
		case strings.HasPrefix(name, ".upload-"): // a write that never finished
			if os.Remove(filepath.Join(filesDir, name)) == nil {
				res.Temps++
				res.Bytes += size
			}
		case len(name) == 64 && isHex(name):
			candidates = append(candidates, name)
		}
	}
	for len(candidates) > 0 {
		chunk := candidates[:min(len(candidates), 500)]
		candidates = candidates[len(chunk):]
		err := s.db.Update(func(tx *bolt.Tx) error {
			refs, err := referencedFilesTx(tx)
			if err != nil {
				return err
			}
			for _, h := range chunk {
				if _, used := refs[h]; used {
					continue
				}
				p := filepath.Join(filesDir, h)
				info, err := os.Stat(p)
				if err != nil || !info.ModTime().Before(cutoff) {
					continue
				}
				if err := os.Remove(p); err != nil {
					return err
				}
				res.Files++
				res.Bytes += info.Size()
			}
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	tmp := filepath.Join(s.dir, tmpDir)
	if entries, err := os.ReadDir(tmp); err == nil {
		for _, e := range entries {
			if size, isOld := old(e); isOld && os.RemoveAll(filepath.Join(tmp, e.Name())) == nil {
				res.Temps++
				res.Bytes += size
			}
		}
	}
	if res.Files+res.Temps > 0 {
		err = s.Log(Actor{Username: "系统"}, ActUploadSweep, "上传文件", fmt.Sprintf("删除 %d 个未被引用的上传文件和 %d 个残留的临时文件，共 %s（均超过 %.0f 小时未使用）",
			res.Files, res.Temps, files.SizeLabel(res.Bytes), maxAge.Hours()), true)
	}
	if err == nil && res.Files > 0 {
		err = syncDirectory(filesDir)
	}
	return res, err
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}
