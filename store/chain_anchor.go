package store

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/files"
)

// Daily anchors (docs/integrity.md): once a day the head of the operation
// log (the newest entry's id and hash) is recorded, shown in 系统设置 and
// written as a small text file to the scheduled-backup directory. An
// auditor who keeps these files elsewhere can later prove that the log up to
// each of them is unchanged: rewriting history means recomputing every hash
// after the change, and the recomputed chain no longer passes through the
// anchors kept outside. The check compares the anchors recorded in the
// database and any anchor files it is given with the chain.

// ChainAnchor is the head of the log on a given day.
type ChainAnchor struct {
	Day  string    `json:"day"` // 2026-11-28, China time
	ID   uint64    `json:"id"`  // the newest log entry then
	Hash string    `json:"hash"`
	Time time.Time `json:"time"` // when it was taken
	File string    `json:"-"`    // the file it was read from (ReadAnchorFiles)
}

// RecordDailyAnchor records today's anchor (China time) unless it exists,
// and returns it; fresh reports whether it was recorded now.
func (s *Store) RecordDailyAnchor() (a ChainAnchor, fresh bool, err error) {
	now := s.Now()
	day := now.In(cst).Format("2006-01-02")
	k := []byte(strings.ReplaceAll(day, "-", ""))
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bChainAnchors)
		if err := getJSON(b, k, &a); err == nil {
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		h := readHead(tx.Bucket(bMeta).Get(metaChainHead))
		a = ChainAnchor{Day: day, ID: h.ID, Hash: h.Hex(), Time: now}
		fresh = true
		return putJSON(b, k, a)
	})
	return a, fresh, err
}

// ChainAnchors returns the newest n daily anchors, newest first.
func (s *Store) ChainAnchors(n int) ([]ChainAnchor, error) {
	var out []ChainAnchor
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bChainAnchors).Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			var a ChainAnchor
			if err := jsonUnmarshal(v, &a); err != nil {
				return fmt.Errorf("anchor %s: %w", k, err)
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// anchorFilePrefix starts the name of every anchor file.
const anchorFilePrefix = "certreg-anchor-"

// AnchorFileName is the file an anchor is written to.
func AnchorFileName(a ChainAnchor) string {
	return anchorFilePrefix + strings.ReplaceAll(a.Day, "-", "") + ".txt"
}

// WriteAnchorFile writes an anchor as a small text file into dir (synced)
// and returns its path. An existing file of the same day is kept as it is:
// it is the copy an auditor may already hold.
func WriteAnchorFile(dir string, a ChainAnchor) (string, error) {
	path := filepath.Join(dir, AnchorFileName(a))
	text := fmt.Sprintf("合格证登记系统 操作日志锚点 / certreg operation-log anchor\n"+
		"日期 day: %s\n记录 record: %d\n哈希 hash: %s\n时间 time: %s\n"+
		"核对 verify: certreg check -data <数据目录> -anchors <存放本文件的目录>\n",
		a.Day, a.ID, a.Hash, a.Time.In(cst).Format("2006-01-02 15:04:05 -0700"))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return path, nil
	}
	if err != nil {
		return "", fmt.Errorf("anchor file: %w", err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, files.SyncDir(dir)
}

// ReadAnchorFiles reads every anchor file in dir, oldest first; a file that
// does not parse is an error naming it.
func ReadAnchorFiles(dir string) ([]ChainAnchor, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []ChainAnchor
	for _, e := range ents {
		if e.IsDir() || !strings.HasPrefix(e.Name(), anchorFilePrefix) || !strings.HasSuffix(e.Name(), ".txt") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		a, err := readAnchorFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func readAnchorFile(path string) (ChainAnchor, error) {
	f, err := os.Open(path)
	if err != nil {
		return ChainAnchor{}, err
	}
	defer f.Close()
	a := ChainAnchor{File: path}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, ": ")
		if i < 0 {
			continue
		}
		v := strings.TrimSpace(line[i+2:])
		switch {
		case strings.HasSuffix(line[:i], " day"):
			a.Day = v
		case strings.HasSuffix(line[:i], " record"):
			if a.ID, err = strconv.ParseUint(v, 10, 64); err != nil {
				return a, errors.New("bad record number")
			}
		case strings.HasSuffix(line[:i], " hash"):
			if b, err := hex.DecodeString(v); err != nil || len(b) != 32 {
				return a, errors.New("bad hash")
			}
			a.Hash = v
		}
	}
	if err := sc.Err(); err != nil {
		return a, err
	}
	if a.Hash == "" || a.Day == "" {
		return a, errors.New("not an anchor file")
	}
	return a, nil
}
