package store

import (
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"certreg/files"
)

// Operation-log retention: the province chooses how many months the log
// keeps (never under MinLogRetentionMonths; 0 keeps everything). Older
// entries are first written to a CSV file under <data dir>/log-archive and
// synced, then removed with their index keys, a chunk per transaction. A
// crash between the two leaves entries both in a file and in the database,
// and the next run archives them again: an entry may appear twice in the
// archives but is never lost.
//
// The hash chain (chain.go) survives: each chunk keeps the hash of the last
// entry it removes as the anchor the first remaining entry points at, folds
// the certificate hashes the removed entries recorded into the archive
// (bSealArchive, its LtHash digest updated row by row) and logs a log.prune
// entry carrying the archive's new digest, all in its transaction.

// pruneChunk is how many entries one transaction archives and removes.
const pruneChunk = 5000

// LogArchiveDir is where archived operation-log entries go.
func (s *Store) LogArchiveDir() string { return filepath.Join(s.dir, "log-archive") }

// PruneLogs archives and removes the log entries older than the retention
// setting. It returns how many were removed and the archive file ("" when
// nothing was due).
func (s *Store) PruneLogs() (int, string, error) {
	st, err := s.Settings()
	if err != nil || st.LogRetentionMonths == 0 {
		return 0, "", err
	}
	now := s.Now()
	cutoff := now.AddDate(0, -st.LogRetentionMonths, 0)
	due, err := s.oldestLogBefore(cutoff)
	if err != nil || !due {
		return 0, "", err
	}
	if err := os.MkdirAll(s.LogArchiveDir(), 0o700); err != nil {
		return 0, "", fmt.Errorf("log archive dir: %w", err)
	}
	name := filepath.Join(s.LogArchiveDir(), "oplog-before-"+cutoff.In(cst).Format("20060102-150405")+"-archived-"+now.In(cst).Format("20060102-150405")+".csv")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, "", fmt.Errorf("log archive: %w", err)
	}
	defer f.Close()
	// A byte-order mark so that spreadsheet programs read the file as UTF-8.
	if _, err := f.WriteString("\ufeff"); err != nil {
		return 0, "", err
	}
	w := csv.NewWriter(f)
	if err := w.Write([]string{"编号", "时间", "用户", "用户编号", "机构编号", "地址", "操作", "对象", "结果", "说明"}); err != nil {
		return 0, "", err
	}
	total := 0
	for {
		n, err := s.pruneLogChunk(cutoff, filepath.Base(name), func(e LogEntry) error {
			result := "成功"
			if !e.OK {
				result = "失败"
			}
			return w.Write([]string{strconv.FormatUint(e.ID, 10), e.Time.In(cst).Format("2006-01-02 15:04:05"),
				csvText(e.Username), strconv.FormatUint(e.UserID, 10), strconv.FormatUint(e.OrgID, 10), csvText(e.IP),
				e.Action.Label(), csvText(e.Target), result, csvText(e.Detail)})
		}, func() error {
			w.Flush()
			if err := w.Error(); err != nil {
				return err
			}
			return f.Sync()
		})
		total += n
		if err != nil {
			return total, name, err
		}
		if n < pruneChunk {
			break
		}
	}
	if err := f.Close(); err != nil {
		return total, name, err
	}
	return total, name, files.SyncDir(s.LogArchiveDir())
}

// csvText keeps a spreadsheet program from reading a value as a formula:
// one that starts with = + - @ (or their full-width forms, which some
// programs accept too), a tab or a carriage return gets a leading quote.
func csvText(v string) string {
	r, _ := utf8.DecodeRuneInString(v)
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠':
		return "'" + v
	}
	return v
}

func (s *Store) oldestLogBefore(cutoff time.Time) (bool, error) {
	due := false
	err := s.db.View(func(tx *bolt.Tx) error {
		_, v := tx.Bucket(bLog).Cursor().First()
		if v == nil {
			return nil
		}
		var e LogEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		due = e.Time.Before(cutoff)
		return nil
	})
	return due, err
}

// pruneLogChunk removes up to pruneChunk of the oldest entries before
// cutoff in one transaction, handing each to write and calling synced once
// all are written, before anything is deleted. The transaction moves the
// chain's anchor and the archive of certificate hashes along and logs the
// removal, naming the archive file.
func (s *Store) pruneLogChunk(cutoff time.Time, file string, write func(LogEntry) error, synced func() error) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bLog)
		var doomed []LogEntry
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(doomed) < pruneChunk; k, v = c.Next() {
			var e LogEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("log entry %d: %w", btoi(k), err)
			}
			// Entries are appended in time order; a clock set back may
			// leave a younger entry before older ones, where pruning stops.
			if !e.Time.Before(cutoff) {
				break
			}
			if err := write(e); err != nil {
				return err
			}
			doomed = append(doomed, e)
		}
		if len(doomed) == 0 {
			return nil
		}
		if err := synced(); err != nil {
			return err
		}
		meta := tx.Bucket(bMeta)
		sum := ltFromBytes(meta.Get(metaArchiveSum))
		archive := tx.Bucket(bSealArchive)
		for _, e := range doomed {
			ts, idb := tsKey(e.Time), itob(e.ID)
			if rows := tx.Bucket(bLogSeal).Get(idb); rows != nil {
				err := sealRows(rows, func(number string, hash []byte) error {
					if old := archive.Get([]byte(number)); old != nil {
						sum.remove(archiveElement(number, old))
					}
					row := append(itob(e.ID), hash...)
					sum.add(archiveElement(number, row))
					return archive.Put([]byte(number), row)
				})
				if err != nil {
					return fmt.Errorf("log entry %d: %w", e.ID, err)
				}
			}
			for _, del := range []struct {
				b []byte
				k []byte
			}{
				{bLog, idb},
				{bLogSeal, idb},
				{bLogOrg, key(itob(e.OrgID), ts, idb)},
				{bLogOrgAction, key(itob(e.OrgID), []byte(e.Action), []byte{0}, ts, idb)},
				{bLogUser, key(itob(e.UserID), ts, idb)},
			} {
				if err := tx.Bucket(del.b).Delete(del.k); err != nil {
					return err
				}
			}
		}
		last := &doomed[len(doomed)-1]
		if err := meta.Put(metaChainAnchor, ChainHead{ID: last.ID, Hash: entryHash(last)}.bytes()); err != nil {
			return err
		}
		if err := meta.Put(metaArchiveSum, sum.bytes()); err != nil {
			return err
		}
		n = len(doomed)
		d := sum.digest()
		return appendLogTx(tx, &LogEntry{Time: s.Now(), Username: "系统", OrgID: provinceIDTx(tx), Action: ActLogPrune, Target: file, OK: true,
			Detail:  fmt.Sprintf("归档并删除 %d 条 %s 之前的日志（记录 #%d–#%d）", n, cutoff.In(cst).Format("2006-01-02"), doomed[0].ID, last.ID),
			Archive: hex.EncodeToString(d[:])})
	})
	return n, err
}
