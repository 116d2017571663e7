package handlers

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// uploadMaxAge is how long an upload no record refers to is kept (a
// wizard left half-way may still be finished within it).
const uploadMaxAge = 24 * time.Hour

// housekeeping is what the server does on its own while it runs: writing the
// summaries of refused requests once their minute is over; once a day
// archiving operation-log entries past the retention setting and recording
// the day's anchor of the log's hash chain; every hour removing uploads no
// record has referred to for a day; the scheduled backup when its time of
// day has come; and merging the library's recent index level into its main
// ranges (at start-up, once a night, and whenever it grows too large). It stops when the application shuts down, after the step it
// is in (a backup running is finished).
func (s *Server) startHousekeeping(app *fiber.App) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	app.Hooks().OnShutdown(func() error {
		cancel()
		<-done
		s.denials.tick(s.now().Add(time.Minute))
		return nil
	})
	go func() {
		defer close(done)
		minute := time.NewTicker(time.Minute)
		defer minute.Stop()
		var lastPrune, lastSweep time.Time
		startup := true
		for {
			now := s.now()
			s.mergeRecentIndex(now, startup)
			startup = false
			if now.Sub(lastPrune) >= 24*time.Hour || now.Before(lastPrune) {
				lastPrune = now
				s.pruneLogs()
				s.recordAnchor()
			}
			if now.Sub(lastSweep) >= time.Hour || now.Before(lastSweep) {
				lastSweep = now
				s.sweepUploads()
			}
			s.scheduledBackup(now)
			select {
			case <-ctx.Done():
				return
			case <-minute.C:
				s.denials.tick(s.now())
			}
		}
	}()
}

func (s *Server) pruneLogs() {
	n, file, err := s.st.PruneLogs()
	switch {
	case err != nil:
		s.log.Error("archive operation log", "err", err.Error(), "archived", n)
	case n > 0:
		s.log.Info("archived operation log", "entries", n, "file", file)
	}
}

// sweepUploads removes uploads no record refers to after a day, and
// temporary files of uploads that never finished.
func (s *Server) sweepUploads() {
	res, err := s.st.SweepUploads(uploadMaxAge)
	switch {
	case err != nil:
		s.log.Error("清理上传文件失败 sweep uploads: "+store.StorageProblemOr(err, ""), "err", err.Error())
	case res.Files+res.Temps > 0:
		s.log.Info("removed unreferenced uploads", "files", res.Files, "temporary", res.Temps, "bytes", res.Bytes, "staged", res.Staged)
	}
}

// scheduledBackup makes the day's backup once its time has come.
func (s *Server) scheduledBackup(now time.Time) {
	sched, due, err := s.st.ScheduledBackupDue(now)
	if err != nil {
		s.log.Error("scheduled backup", "err", err.Error())
		return
	}
	if !due || !s.backups.begin() {
		return
	}
	defer s.backups.end()
	t0 := time.Now()
	st := s.st.RunScheduledBackup(sched)
	if st.OK {
		s.log.Info("scheduled backup made", "file", st.File, "bytes", st.Size, "removed", st.Removed, "elapsed", time.Since(t0).String())
	} else {
		s.log.Error("定时备份失败 scheduled backup failed: "+st.Message, "dir", sched.Dir)
	}
}

// recordAnchor records the day's head of the operation log (docs/integrity.md).
func (s *Server) recordAnchor() {
	a, fresh, err := s.st.RecordDailyAnchor()
	switch {
	case err != nil:
		s.log.Error("record log anchor", "err", err.Error())
	case fresh:
		s.log.Info("recorded log anchor", "day", a.Day, "record", a.ID, "hash", a.Hash)
	}
}

// recentIndexBound is the size of the library's recent index level, in
// certificates, past which it is merged at once (a variable for tests).
var recentIndexBound = store.RecentIndexBound

// mergeRecentIndex keeps the library's recent index level small
// (docs/store.md): at start-up and at the first tick between 01:00 and 05:00
// China time it merges the certificates issued before today, and at any
// time it merges all of them once they exceed recentIndexBound. A merge the
// watermark already covers costs one read.
func (s *Server) mergeRecentIndex(now time.Time, startup bool) {
	local := now.In(cst)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, cst)
	upTo := today.AddDate(0, 0, -1)
	if h := local.Hour(); !startup && (h < 1 || h >= 5) {
		r, err := s.st.RecentIndex()
		if err != nil {
			s.log.Error("recent index", "err", err.Error())
			return
		}
		if r.Certs <= recentIndexBound {
			return
		}
		upTo = today
	}
	t0 := time.Now()
	moved, err := s.st.MergeRecentIndex(upTo)
	switch {
	case err != nil:
		s.log.Error("合并证书库近期索引失败 merge the recent index: "+store.StorageProblemOr(err, ""), "err", err.Error())
	case moved > 0:
		s.log.Info("merged the recent index", "certificates", moved, "up_to", upTo.Format("2006-01-02"), "elapsed", time.Since(t0).String())
	}
}
