package handlers

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// backupRuns lets one backup run at a time (a download or the schedule).
type backupRuns struct{ running atomic.Bool }

func (b *backupRuns) begin() bool { return b.running.CompareAndSwap(false, true) }

func (b *backupRuns) end() { b.running.Store(false) }

// errBackupBusy refuses a second backup while one runs.
var errBackupBusy = fiber.NewError(fiber.StatusConflict, "已有一个备份正在生成，请稍后再试。")

// backup builds a verified hot backup (database, the files its records
// refer to, archived logs and a manifest) into a temporary file, and only
// then sends it, with its length: a backup that fails is an error page,
// never a cut archive. The download is logged once it was sent whole.
func (s *Server) backup(c *fiber.Ctx) error {
	w := whoOf(c)
	if !w.user.IsAdmin {
		return s.deny(c)
	}
	actor := w.actor(c.IP())
	if !s.backups.begin() {
		return errBackupBusy
	}
	defer s.backups.end()
	dir, err := s.st.TempDir()
	var b *store.BackupFile
	if err == nil {
		b, err = s.st.BuildBackup(dir)
	}
	if err != nil {
		s.log.Error("backup failed", "err", err.Error())
		msg := store.StorageProblemOr(err, "备份未能生成。")
		var be *store.BackupError
		if errors.As(err, &be) {
			msg = be.Message()
		}
		if rerr := s.st.RecordBackup(actor, store.BackupStatus{Time: s.now(), Kind: store.BackupDownload, Message: msg}); rerr != nil {
			s.log.Error("record backup", "err", rerr.Error())
		}
		return &backupFailed{msg: msg}
	}
	f, err := os.Open(b.Path)
	if err != nil {
		return err
	}
	// The open file keeps its content; nothing is left behind whatever
	// becomes of the download.
	_ = os.Remove(b.Path)
	name := fmt.Sprintf("certreg-backup-%s.tar.gz", s.now().In(cst).Format("20060102-150405"))
	setDownload(c, "application/gzip", fileName{name, name}, false)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Response().SetBodyStream(&sentBackup{f: f, size: b.Size, done: func(sent int64) {
		st := store.BackupStatus{Time: s.now(), Kind: store.BackupDownload, File: name, Size: b.Size, OK: sent == b.Size}
		if !st.OK {
			st.Message = fmt.Sprintf("下载未完成：只发送了 %d / %d 字节（连接中断）", sent, b.Size)
		}
		if err := s.st.RecordBackup(actor, st); err != nil {
			s.log.Error("record backup", "err", err.Error())
		}
	}}, int(b.Size))
	return nil
}

// backupFailed is a backup that could not be made; errorHandler shows its
// message.
type backupFailed struct{ msg string }

func (e *backupFailed) Error() string { return e.msg }

// sentBackup streams a backup file and reports, when the server closes it,
// how much was sent.
type sentBackup struct {
	f    *os.File
	size int64
	sent int64
	done func(sent int64)
}

func (sb *sentBackup) Read(p []byte) (int, error) {
	n, err := sb.f.Read(p)
	sb.sent += int64(n)
	return n, err
}

func (sb *sentBackup) Close() error {
	err := sb.f.Close()
	if sb.done != nil {
		sb.done(sb.sent)
		sb.done = nil
	}
	return err
}

// saveBackupSchedule stores the schedule of the backups the server makes by
// itself (time of day, directory, how many to keep).
func (s *Server) saveBackupSchedule(c *fiber.Ctx) error {
	w := whoOf(c)
	if !w.user.IsAdmin {
		return s.deny(c)
	}
	form := map[string]string{"backup_time": strings.TrimSpace(c.FormValue("backup_time")), "backup_dir": strings.TrimSpace(c.FormValue("backup_dir")),
		"backup_keep": strings.TrimSpace(c.FormValue("backup_keep"))}
	errs := map[string]string{}
	keep := store.DefaultBackupKeep
	if form["backup_keep"] != "" {
		n, err := strconv.Atoi(form["backup_keep"])
		if err != nil {
			errs["backup_keep"] = "请输入整数份数。"
		}
		keep = n
	}
	if len(errs) == 0 {
		err := s.st.SaveBackupSchedule(w.actor(c.IP()), store.BackupSchedule{Time: form["backup_time"], Dir: form["backup_dir"], Keep: keep})
		if err == nil {
			msg := "定时备份已关闭。"
			if form["backup_time"] != "" {
				msg = "定时备份已设置：服务器每天按时生成备份。"
			}
			s.flash(c, msg)
			return s.redirect(c, "/settings?tab=system")
		}
		var ferr error
		if errs, ferr = inputErrors(err); ferr != nil {
			return ferr
		}
	}
	return s.renderSettings(c, fiber.StatusUnprocessableEntity, "system", form, errs)
}
