package store

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	bolt "go.etcd.io/bbolt"

	"certreg/files"
)

// Hot backup (docs/security.md): a gzip'd tar holding a consistent copy of
// the database, written from one read transaction while writes go on, and
// every uploaded file. Uploaded files are immutable and named by their
// content hash, so copying them after the database snapshot is consistent:
// every file the snapshot refers to was synced before its transaction
// committed.

// FilesDir is the folder of uploaded files inside the data directory.
const FilesDir = files.FilesDir

// WriteBackup streams a backup to w and records it in the log.
func (s *Store) WriteBackup(a Actor, w io.Writer) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	now := s.Now()
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := tw.WriteHeader(&tar.Header{Name: DBFile, Mode: 0o600, Size: tx.Size(), ModTime: now}); err != nil {
			return err
		}
		_, err := tx.WriteTo(tw)
		return err
	})
	if err != nil {
		return fmt.Errorf("backup database: %w", err)
	}
	root := filepath.Join(s.dir, FilesDir)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == root {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(s.dir, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o600, Size: info.Size(), ModTime: info.ModTime()}); err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("backup files: %w", err)
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	return s.Log(a, ActBackup, "数据库与上传文件", "", true)
}

// Restore unpacks a backup into dir, which must be empty or absent, and
// checks that the database opens. It never overwrites anything.
func Restore(r io.Reader, dir string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("数据目录 %s 不是空的，恢复只能写入空目录", dir)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("不是有效的备份文件: %w", err)
	}
	tr := tar.NewReader(gz)
	sawDB := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("备份文件已损坏: %w", err)
		}
		name := filepath.FromSlash(h.Name)
		if h.Typeflag != tar.TypeReg || filepath.IsAbs(name) || strings.Contains(h.Name, "..") ||
			(name != DBFile && !strings.HasPrefix(name, FilesDir+string(filepath.Separator))) {
			return fmt.Errorf("备份文件中有不应出现的条目 %q", h.Name)
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return err
		}
		if err := writeSynced(dst, tr); err != nil {
			return err
		}
		sawDB = sawDB || name == DBFile
	}
	if !sawDB {
		return errors.New("备份文件中没有数据库")
	}
	st, err := Open(dir)
	if err != nil {
		return fmt.Errorf("恢复的数据库无法打开: %w", err)
	}
	return st.Close()
}

func writeSynced(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
