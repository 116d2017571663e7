package store

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
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

// Hot backup: a gzip'd tar holding a consistent copy of the database,
// written from one read transaction while writes go on, the uploaded files
// the records of that copy refer to (never abandoned uploads), the archived
// operation log, and last a manifest (manifest.json): the format, when it
// was made, the database's own figures and the SHA-256 and size of every
// other entry. Uploaded files are immutable and named by their content
// hash, so copying them after the snapshot is consistent: every file the
// snapshot refers to was synced before its transaction committed.
//
// A backup is built into a file and read back against its manifest before
// anyone receives it, so a failure is an error, never a cut archive. A
// restore unpacks into a new directory beside the target, checks every
// entry against the manifest (and every uploaded file against its name),
// runs the full check on the result and only then renames it into place:
// a failure leaves the target as it was and names the entry at fault
// (docs/operations.md).

// FilesDir is the folder of uploaded files inside the data directory.
const FilesDir = files.FilesDir

// Backup archive layout.
const (
	// BackupFormat is the version of the archive layout this binary writes
	// and the newest it restores.
	BackupFormat = 1
	// ManifestName is the manifest's entry, the last of the archive.
	ManifestName = "manifest.json"
	// logArchiveDir is where archived operation-log entries go.
	logArchiveDir = "log-archive"
	// tmpDir holds files being built (backups, uploads) inside the data
	// directory; it is emptied whenever the store opens.
	tmpDir = files.TempDir
)

// Manifest describes a backup.
type Manifest struct {
	Format  int             `json:"format"`
	App     string          `json:"app"`
	Created time.Time       `json:"created"`
	Figures Figures         `json:"figures"`
	Entries []ManifestEntry `json:"entries"`
}

// ManifestEntry is one entry of the archive.
type ManifestEntry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// BackupError is a backup that could not be made: what failed, in Chinese,
// and the cause.
type BackupError struct {
	Msg string
	Err error
}

func (e *BackupError) Error() string {
	if e.Err != nil {
		return e.Msg + "：" + e.Err.Error()
	}
	return e.Msg
}

func (e *BackupError) Unwrap() error { return e.Err }

// Message says what failed and why in Chinese only, for a page.
func (e *BackupError) Message() string {
	if e.Err == nil {
		return e.Msg
	}
	return e.Msg + "：" + causeInChinese(e.Err)
}

// causeInChinese names the cause of a file error without internal detail.
func causeInChinese(err error) string {
	if msg, ok := StorageProblem(err); ok {
		if errors.Is(err, fs.ErrPermission) {
			return "没有读写权限。请联系系统管理员检查服务器上数据目录的权限。"
		}
		return msg
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "文件不存在。请运行 certreg check 检查数据目录。"
	case errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.EIO):
		return "文件无法读取（可能已损坏）。请运行 certreg check 检查数据目录。"
	}
	return "读写失败。详情见服务器日志。"
}

// BackupFile is a backup built and verified on disk.
type BackupFile struct {
	Path     string
	Size     int64
	Manifest Manifest
}

// TempDir is where files are built inside the data directory; it is created
// when missing.
func (s *Store) TempDir() (string, error) {
	d := filepath.Join(s.dir, tmpDir)
	return d, os.MkdirAll(d, 0o750)
}

// BuildBackup writes a backup into dir under a temporary name, reads it back
// against its manifest and renames it to its final name
// (certreg-backup-YYYYMMDD-HHMMSS.tar.gz, China time). Nothing is logged.
func (s *Store) BuildBackup(dir string) (*BackupFile, error) {
	s.filesMu.Lock()
	defer s.filesMu.Unlock()
	now := s.Now()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, &BackupError{Msg: "无法创建备份目录 " + dir, Err: err}
	}
	f, err := os.CreateTemp(dir, ".certreg-backup-*.partial")
	if err != nil {
		return nil, &BackupError{Msg: "无法在 " + dir + " 中创建备份文件", Err: err}
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	m, err := s.writeArchive(f, now)
	if err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		return nil, &BackupError{Msg: "写入备份文件失败", Err: err}
	}
	if err := f.Close(); err != nil {
		return nil, &BackupError{Msg: "写入备份文件失败", Err: err}
	}
	if err := VerifyBackupFile(tmp, m); err != nil {
		return nil, &BackupError{Msg: "备份文件生成后校验未通过", Err: err}
	}
	name := filepath.Join(dir, "certreg-backup-"+now.In(cst).Format("20060102-150405")+".tar.gz")
	for i := 2; ; i++ {
		if _, err := os.Stat(name); errors.Is(err, os.ErrNotExist) {
			break
		}
		name = filepath.Join(dir, fmt.Sprintf("certreg-backup-%s-%d.tar.gz", now.In(cst).Format("20060102-150405"), i))
	}
	if err := os.Rename(tmp, name); err != nil {
		return nil, &BackupError{Msg: "无法保存备份文件", Err: err}
	}
	ok = true
	if err := syncDirectory(dir); err != nil {
		return nil, &BackupError{Msg: "无法保存备份文件", Err: err}
	}
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	return &BackupFile{Path: name, Size: st.Size(), Manifest: m}, nil
}

// hashingWriter counts and hashes what passes through it.
type hashingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (hw *hashingWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

// writeArchive writes the whole archive to w and returns its manifest.
func (s *Store) writeArchive(w io.Writer, now time.Time) (Manifest, error) {
	m := Manifest{Format: BackupFormat, App: "certreg", Created: now}
	bw := bufio.NewWriterSize(w, 1<<20)
	// The fastest level: a database compresses well even so, and a backup
	// of millions of certificates is gigabytes to compress.
	gz, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return m, err
	}
	tw := tar.NewWriter(gz)
	entry := func(name string, size int64, mod time.Time, body func(io.Writer) error) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: mod, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		hw := &hashingWriter{w: tw, h: sha256.New()}
		if err := body(hw); err != nil {
			return err
		}
		if hw.n != size {
			return fmt.Errorf("%s: wrote %d of %d bytes", name, hw.n, size)
		}
		m.Entries = append(m.Entries, ManifestEntry{Name: name, Size: size, SHA256: hex.EncodeToString(hw.h.Sum(nil))})
		return nil
	}
	var refs map[string]string
	err = s.db.View(func(tx *bolt.Tx) error {
		var err error
		if refs, err = referencedFilesTx(tx); err != nil {
			return err
		}
		m.Figures = figuresTx(tx, int64(len(refs)))
		return entry(DBFile, tx.Size(), now, func(w io.Writer) error {
			_, err := tx.WriteTo(w)
			return err
		})
	})
	if err != nil {
		return m, &BackupError{Msg: "备份数据库失败", Err: err}
	}
	hashes := make([]string, 0, len(refs))
	for h := range refs {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	for _, h := range hashes {
		rel := FilesDir + "/" + h
		p := filepath.Join(s.dir, FilesDir, h)
		f, err := os.Open(p)
		if err != nil {
			return m, &BackupError{Msg: fmt.Sprintf("无法读取上传文件 %s（%s）", rel, refs[h]), Err: fileErr(err)}
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return m, &BackupError{Msg: "无法读取上传文件 " + rel, Err: fileErr(err)}
		}
		err = entry(rel, st.Size(), st.ModTime(), func(w io.Writer) error {
			_, err := io.Copy(w, f)
			return err
		})
		f.Close()
		if err != nil {
			return m, &BackupError{Msg: "无法读取上传文件 " + rel, Err: fileErr(err)}
		}
		if got := m.Entries[len(m.Entries)-1].SHA256; got != h {
			return m, &BackupError{Msg: fmt.Sprintf("上传文件 %s 的内容与其编号不符（文件已损坏），请先运行 certreg check 检查", rel)}
		}
	}
	logs, _ := filepath.Glob(filepath.Join(s.dir, logArchiveDir, "*.csv"))
	slices.Sort(logs)
	for _, p := range logs {
		rel := logArchiveDir + "/" + filepath.Base(p)
		f, err := os.Open(p)
		if err != nil {
			return m, &BackupError{Msg: "无法读取日志归档 " + rel, Err: fileErr(err)}
		}
		st, err := f.Stat()
		if err == nil {
			err = entry(rel, st.Size(), st.ModTime(), func(w io.Writer) error {
				_, err := io.Copy(w, f)
				return err
			})
		}
		f.Close()
		if err != nil {
			return m, &BackupError{Msg: "无法读取日志归档 " + rel, Err: fileErr(err)}
		}
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(raw)), ModTime: now, Typeflag: tar.TypeReg}); err != nil {
		return m, &BackupError{Msg: "写入备份文件失败", Err: err}
	}
	if _, err := tw.Write(raw); err != nil {
		return m, &BackupError{Msg: "写入备份文件失败", Err: err}
	}
	for _, c := range []io.Closer{tw, gz} {
		if err := c.Close(); err != nil {
			return m, &BackupError{Msg: "写入备份文件失败", Err: err}
		}
	}
	if err := bw.Flush(); err != nil {
		return m, &BackupError{Msg: "写入备份文件失败", Err: err}
	}
	return m, nil
}

// fileErr keeps a file error as it is; BackupError.Message names it.
func fileErr(err error) error { return err }

// figuresTx counts the main records of a database.
func figuresTx(tx *bolt.Tx, materials int64) Figures {
	n := func(b []byte) int64 { return int64(tx.Bucket(b).Stats().KeyN) }
	return Figures{Schema: btoi(tx.Bucket(bMeta).Get([]byte("schema"))), Organisations: n(bOrgs), Users: n(bUsers),
		Certificates: n(bCerts), Batches: n(bBatches), Businesses: n(bBiz), Materials: materials, LogEntries: n(bLog)}
}

// referencedFilesTx lists the uploaded files the records refer to, each
// with who refers to it: materials of batches, proofs of businesses and the
// create wizard's staged workbooks.
func referencedFilesTx(tx *bolt.Tx) (map[string]string, error) {
	refs := map[string]string{}
	err := tx.Bucket(bBatches).ForEach(func(_, v []byte) error {
		var b struct {
			ID    uint64       `json:"id"`
			Files []StoredFile `json:"files"`
		}
		if err := json.Unmarshal(v, &b); err != nil {
			return err
		}
		for _, f := range b.Files {
			refs[f.Hash] = fmt.Sprintf("批次 P%06d 的资料「%s」", b.ID, f.Name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("batches: %w", err)
	}
	err = tx.Bucket(bBiz).ForEach(func(_, v []byte) error {
		var b struct {
			ID     uint64       `json:"id"`
			Proofs []StoredFile `json:"proofs"`
		}
		if err := json.Unmarshal(v, &b); err != nil {
			return err
		}
		for _, f := range b.Proofs {
			refs[f.Hash] = fmt.Sprintf("业务 %d 的证明材料「%s」", b.ID, f.Name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("businesses: %w", err)
	}
	err = tx.Bucket(bStaged).ForEach(func(k, _ []byte) error {
		if len(k) > 8 {
			refs[string(k[8:])] = "创建批次时暂存的名单"
		}
		return nil
	})
	for h := range refs {
		if len(h) != 64 {
			delete(refs, h)
		}
	}
	return refs, err
}

// VerifyBackupFile reads a backup file back: every entry must match the
// manifest, the gzip checksum must hold. It is the check of a backup before
// it is handed out.
func VerifyBackupFile(path string, want Manifest) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	got, m, err := readArchive(f, nil)
	if err != nil {
		return err
	}
	if m == nil {
		return errors.New("备份中没有清单")
	}
	if len(got) != len(want.Entries) {
		return fmt.Errorf("备份有 %d 个条目，应有 %d 个", len(got), len(want.Entries))
	}
	return matchManifest(got, m)
}

// readArchive reads a backup, handing each entry to save (nil: discard), and
// returns every entry with its size and hash, and the manifest if there is
// one. It reads to the end of the gzip stream so that its checksum is
// verified.
func readArchive(r io.Reader, save func(name string, body io.Reader) error) (map[string]ManifestEntry, *Manifest, error) {
	gz, err := gzip.NewReader(bufio.NewReaderSize(r, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("不是有效的备份文件（%v）", err)
	}
	tr := tar.NewReader(gz)
	got := map[string]ManifestEntry{}
	var m *Manifest
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("备份文件已损坏（在第 %d 个条目之后：%v）", len(got)+1, err)
		}
		name := h.Name
		if h.Typeflag != tar.TypeReg || !allowedEntry(name) {
			return nil, nil, fmt.Errorf("备份文件中有不应出现的条目 %q", name)
		}
		if _, dup := got[name]; dup || (name == ManifestName && m != nil) {
			return nil, nil, fmt.Errorf("备份文件中条目 %q 出现了两次", name)
		}
		if name == ManifestName {
			raw, err := io.ReadAll(io.LimitReader(tr, 64<<20))
			if err != nil {
				return nil, nil, fmt.Errorf("备份文件已损坏（清单不完整：%v）", err)
			}
			m = &Manifest{}
			if err := json.Unmarshal(raw, m); err != nil {
				return nil, nil, fmt.Errorf("备份的清单 %s 无法读取：%v", ManifestName, err)
			}
			continue
		}
		hw := &hashingWriter{w: io.Discard, h: sha256.New()}
		src := &errReader{r: tr}
		body := io.TeeReader(src, hw)
		if save != nil {
			if err := save(name, body); err != nil {
				if src.err != nil {
					return nil, nil, fmt.Errorf("备份文件已损坏（条目 %s 不完整：%v）", name, src.err)
				}
				return nil, nil, err
			}
		}
		if _, err := io.Copy(io.Discard, body); err != nil {
			return nil, nil, fmt.Errorf("备份文件已损坏（条目 %s 不完整：%v）", name, err)
		}
		got[name] = ManifestEntry{Name: name, Size: hw.n, SHA256: hex.EncodeToString(hw.h.Sum(nil))}
	}
	// The gzip trailer (CRC-32 and length) is checked at the end of its
	// stream, which the tar reader stops short of.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return nil, nil, fmt.Errorf("备份文件已损坏（压缩数据校验失败：%v）", err)
	}
	if err := gz.Close(); err != nil {
		return nil, nil, fmt.Errorf("备份文件已损坏（%v）", err)
	}
	return got, m, nil
}

// errReader remembers the error its reader gave, to tell a damaged archive
// from a failed write.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// allowedEntry accepts the database, uploaded files and archived logs: no
// absolute path, no way out of the data directory.
func allowedEntry(name string) bool {
	if name == DBFile || name == ManifestName {
		return true
	}
	dir, base, ok := strings.Cut(name, "/")
	if !ok || base == "" || strings.ContainsAny(base, "/\\") || base == "." || base == ".." || strings.HasPrefix(base, ".") {
		return false
	}
	switch dir {
	case FilesDir:
		return true // its name must be its hash: checked once it is read
	case logArchiveDir:
		return strings.HasSuffix(base, ".csv")
	}
	return false
}

// matchManifest compares the entries read with the manifest's.
func matchManifest(got map[string]ManifestEntry, m *Manifest) error {
	if m.Format > BackupFormat || m.Format < 1 {
		return fmt.Errorf("备份格式版本 %d 不受本程序支持（支持 1–%d），请使用新版程序恢复", m.Format, BackupFormat)
	}
	listed := map[string]bool{}
	for _, e := range m.Entries {
		listed[e.Name] = true
		g, ok := got[e.Name]
		switch {
		case !ok:
			return fmt.Errorf("清单列出的条目 %s 不在备份中（备份不完整）", e.Name)
		case g.Size != e.Size:
			return fmt.Errorf("条目 %s 的大小为 %d 字节，清单记录为 %d 字节", e.Name, g.Size, e.Size)
		case g.SHA256 != e.SHA256:
			return fmt.Errorf("条目 %s 的内容与清单不符（SHA-256 为 %s…，清单为 %s…）", e.Name, g.SHA256[:12], e.SHA256[:min(12, len(e.SHA256))])
		}
	}
	for name := range got {
		if !listed[name] {
			return fmt.Errorf("条目 %s 不在清单中", name)
		}
	}
	return nil
}

// WriteBackup builds a verified backup and copies it to w, and logs it once
// it has been copied whole.
func (s *Store) WriteBackup(a Actor, w io.Writer) error {
	dir, err := s.TempDir()
	if err != nil {
		return &BackupError{Msg: "无法创建临时目录", Err: err}
	}
	b, err := s.BuildBackup(dir)
	if err != nil {
		return err
	}
	defer os.Remove(b.Path)
	f, err := os.Open(b.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return err
	}
	return s.LogBackup(a, b, "下载")
}

// LogBackup records a backup made in the operation log.
func (s *Store) LogBackup(a Actor, b *BackupFile, how string) error {
	return s.Log(a, ActBackup, filepath.Base(b.Path), fmt.Sprintf("%s：%s，证书 %d 张，上传文件 %d 个", how, files.SizeLabel(b.Size), b.Manifest.Figures.Certificates, b.Manifest.Figures.Materials), true)
}

// RestoreResult is what a restore found.
type RestoreResult struct {
	Manifest *Manifest // nil: a backup made before manifests
	Entries  int
	Check    *CheckReport
}

// Restore unpacks a backup into dir, which must be empty or absent; see
// RestoreBackup.
func Restore(r io.Reader, dir string) error {
	_, err := RestoreBackup(r, dir, nil)
	return err
}

// RestoreBackup unpacks a backup into a new directory beside dir (which must
// be empty or absent), checks every entry against the manifest and the
// whole against the full check, then renames it to dir. On any failure dir
// is left as it was and the error names what is wrong. progress, if set,
// receives a line per step.
func RestoreBackup(r io.Reader, dir string, progress func(string)) (*RestoreResult, error) {
	say := func(msg string) {
		if progress != nil {
			progress(msg)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	existed := false
	if entries, err := os.ReadDir(abs); err == nil {
		if len(entries) > 0 {
			return nil, fmt.Errorf("数据目录 %s 不是空的，恢复只能写入空目录", dir)
		}
		existed = true
	}
	parent := filepath.Dir(abs)
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, ".certreg-restore-*")
	if err != nil {
		return nil, fmt.Errorf("无法在 %s 中创建临时目录：%w", parent, err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()

	say("解包并校验每个条目……")
	got, m, err := readArchive(r, func(name string, body io.Reader) error {
		dst := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return err
		}
		if err := writeSynced(dst, body); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("备份文件中条目 %q 出现了两次", name)
			}
			return fmt.Errorf("写入 %s 失败：%w", name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, ok := got[DBFile]; !ok {
		return nil, errors.New("备份文件中没有数据库")
	}
	for name, e := range got {
		if h, ok := strings.CutPrefix(name, FilesDir+"/"); ok && h != e.SHA256 {
			return nil, fmt.Errorf("条目 %s 的内容与其编号不符（SHA-256 为 %s…），文件已损坏", name, e.SHA256[:12])
		}
	}
	res := &RestoreResult{Manifest: m, Entries: len(got)}
	if m != nil {
		if err := matchManifest(got, m); err != nil {
			return nil, err
		}
	} else {
		say("备份中没有清单（由旧版本生成）：以完整检查代替清单核对。")
	}

	say("完整检查恢复出的数据……")
	rep, err := CheckDir(tmp, CheckOptions{Full: true})
	if err != nil {
		return nil, err
	}
	if rep.SchemaOld && rep.nonSchemaFaults() == 0 {
		say(fmt.Sprintf("数据库版本 %d 较旧，升级到 %d……", rep.Figures.Schema, SchemaVersion))
		st, err := Open(tmp)
		if err != nil {
			return nil, fmt.Errorf("恢复的数据库无法升级：%w", err)
		}
		if err := st.Close(); err != nil {
			return nil, err
		}
		if rep, err = CheckDir(tmp, CheckOptions{Full: true}); err != nil {
			return nil, err
		}
	}
	res.Check = rep
	if !rep.OK() {
		msg := "恢复的数据未通过完整检查"
		if rep.Areas[AreaFile].Faults > 0 {
			msg = "恢复的数据库无法打开或已损坏"
		}
		return res, fmt.Errorf("%s（%d 处故障），第一处：%s", msg, rep.Faults(), rep.FirstFault())
	}
	if m != nil {
		if err := matchFigures(m.Figures, rep.Figures); err != nil {
			return res, err
		}
	}
	if existed {
		if err := os.Remove(abs); err != nil {
			return nil, err
		}
	}
	if err := syncTree(tmp); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, abs); err != nil {
		if existed {
			_ = os.Mkdir(abs, 0o750)
		}
		return nil, fmt.Errorf("无法将恢复的数据移到 %s：%w", dir, err)
	}
	done = true
	return res, syncDirectory(parent)
}

// matchFigures compares the manifest's figures with the restored
// database's.
func matchFigures(want, got Figures) error {
	for _, f := range []struct {
		label      string
		want, have int64
	}{
		{"证书", want.Certificates, got.Certificates},
		{"批次", want.Batches, got.Batches},
		{"业务", want.Businesses, got.Businesses},
		{"机构", want.Organisations, got.Organisations},
		{"用户", want.Users, got.Users},
		{"上传文件", want.Materials, got.Materials},
	} {
		if f.want != f.have {
			return fmt.Errorf("清单记录%s %d 个，恢复的数据库中有 %d 个", f.label, f.want, f.have)
		}
	}
	return nil
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

// syncTree syncs every directory of a tree (the files were synced as they
// were written).
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return syncDirectory(p)
	})
}

func syncDirectory(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
