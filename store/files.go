package store

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // register the decoders the checks use
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Uploaded files (the supporting materials of a batch, the workbook of the
// create wizard) live under <data dir>/files, named by the SHA-256 of their
// content, outside any served folder. A file is written and synced (file and
// directory) before the transaction that refers to it commits, so the
// database never points at a file that a crash lost.

// FileKind says what a supporting material is.
type FileKind string

const (
	KindDoc   FileKind = "doc"   // pdf, doc, docx, xls, xlsx
	KindImage FileKind = "image" // jpg, png
)

// Limits of the supporting materials of one batch (docs/batches.md).
const (
	MaxBatchDocs   = 2
	MaxBatchImages = 20
	MaxDocSize     = 10 << 20
	MaxImageSize   = 2 << 20
	// An image is refused before decoding when it is wider or taller than
	// this or has more pixels than MaxImagePixels: a small, highly compressed
	// file could otherwise decode into gigabytes.
	MaxImageSide   = 10000
	MaxImagePixels = 40_000_000
)

// StoredFile describes a file kept under the data directory.
type StoredFile struct {
	Hash     string    `json:"hash"` // SHA-256 of the content, hex
	Name     string    `json:"name"` // the original file name, for downloads
	Kind     FileKind  `json:"kind"`
	MIME     string    `json:"mime"`
	Size     int64     `json:"size"`
	Width    int       `json:"width,omitempty"`
	Height   int       `json:"height,omitempty"`
	Uploaded time.Time `json:"uploaded"`
}

// IsImage reports whether the file is a picture (previewed inline).
func (f StoredFile) IsImage() bool { return f.Kind == KindImage }

// SizeLabel is the size for people, e.g. 1.2 MB.
func (f StoredFile) SizeLabel() string {
	switch {
	case f.Size >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(f.Size)/(1<<20))
	case f.Size >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(f.Size)/(1<<10))
	}
	return fmt.Sprintf("%d 字节", f.Size)
}

// TypeLabel is the file type for people, e.g. PDF 文档.
func (f StoredFile) TypeLabel() string {
	for _, t := range fileTypes {
		if t.mime == f.MIME {
			return t.label
		}
	}
	return f.MIME
}

// Upload is a file as received, before it is checked.
type Upload struct {
	Name    string
	Content []byte
}

// fileType is one accepted kind of content: its extensions, what the
// content must look like, its MIME type and a Chinese name.
type fileType struct {
	exts  []string
	kind  FileKind
	mime  string
	label string
}

var fileTypes = []fileType{
	{[]string{".pdf"}, KindDoc, "application/pdf", "PDF 文档"},
	{[]string{".doc"}, KindDoc, "application/msword", "Word 文档（.doc）"},
	{[]string{".docx"}, KindDoc, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word 文档"},
	{[]string{".xls"}, KindDoc, "application/vnd.ms-excel", "Excel 表格（.xls）"},
	{[]string{".xlsx"}, KindDoc, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel 表格"},
	{[]string{".jpg", ".jpeg"}, KindImage, "image/jpeg", "JPEG 图片"},
	{[]string{".png"}, KindImage, "image/png", "PNG 图片"},
}

// sniff names what the content really is, by its first bytes (and, for
// Office Open XML, by the parts inside the zip): one of the MIME types of
// fileTypes, or a Chinese description of something else.
func sniff(b []byte) (mime, desc string) {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "application/pdf", "PDF 文档"
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg", "JPEG 图片"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", "PNG 图片"
	case bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		// An OLE compound file: .doc and .xls share the container; which one
		// it holds is not worth parsing, the extension decides between them.
		return "ole", "Office 97–2003 文档"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return "", "损坏的 ZIP 压缩包"
		}
		for _, f := range zr.File {
			switch f.Name {
			case "word/document.xml":
				return "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word 文档"
			case "xl/workbook.xml":
				return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel 表格"
			}
		}
		return "", "ZIP 压缩包"
	case bytes.HasPrefix(b, []byte("GIF8")):
		return "", "GIF 图片"
	case bytes.HasPrefix(b, []byte("BM")):
		return "", "BMP 图片"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "", "WebP 图片"
	case bytes.HasPrefix(b, []byte("MZ")):
		return "", "可执行程序"
	case bytes.HasPrefix(b, []byte("Rar!")):
		return "", "RAR 压缩包"
	}
	return "", "无法识别的内容"
}

// CheckUpload applies the rules for a supporting material: an allowed
// extension, content of the same type (by content, not by name), the size
// cap of its kind, and for an image a pixel size checked with
// image.DecodeConfig before the whole image is decoded. The error is a
// *ValidationError naming the file, for the field "files".
func CheckUpload(u Upload) (StoredFile, error) {
	name := cleanFileName(u.Name)
	ext := strings.ToLower(filepath.Ext(name))
	var ft *fileType
	for i := range fileTypes {
		for _, e := range fileTypes[i].exts {
			if e == ext {
				ft = &fileTypes[i]
			}
		}
	}
	if ft == nil {
		shown := ext
		if shown == "" {
			shown = "无扩展名"
		}
		return StoredFile{}, invalid("files", fmt.Sprintf("文件「%s」的类型（%s）不支持：文档只能是 pdf、doc、docx、xls、xlsx，图片只能是 jpg、png", name, shown))
	}
	size := int64(len(u.Content))
	if size == 0 {
		return StoredFile{}, invalid("files", fmt.Sprintf("文件「%s」是空的（0 字节）", name))
	}
	limit := int64(MaxDocSize)
	if ft.kind == KindImage {
		limit = MaxImageSize
	}
	if size > limit {
		what := "文档"
		if ft.kind == KindImage {
			what = "图片"
		}
		return StoredFile{}, invalid("files", fmt.Sprintf("%s「%s」大小为 %.1f MB，超过每个%s %d MB 的上限", what, name, float64(size)/(1<<20), what, limit>>20))
	}
	mime, desc := sniff(u.Content)
	if mime == "ole" && (ext == ".doc" || ext == ".xls") {
		mime = ft.mime
	}
	if mime != ft.mime {
		return StoredFile{}, invalid("files", fmt.Sprintf("文件「%s」的内容是%s，与扩展名 %s 不符；请上传真实的%s", name, desc, ext, ft.label))
	}
	f := StoredFile{Name: name, Kind: ft.kind, MIME: ft.mime, Size: size}
	if ft.kind == KindImage {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(u.Content))
		if err != nil {
			return StoredFile{}, invalid("files", fmt.Sprintf("图片「%s」已损坏，无法读取", name))
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide || cfg.Width*cfg.Height > MaxImagePixels {
			return StoredFile{}, invalid("files", fmt.Sprintf("图片「%s」的尺寸为 %d×%d 像素，超过上限（每边不超过 %d 像素，共不超过 4000 万像素）", name, cfg.Width, cfg.Height, MaxImageSide))
		}
		// The size is safe now: decode once to refuse a file that only has a
		// valid header.
		if _, _, err := image.Decode(bytes.NewReader(u.Content)); err != nil {
			return StoredFile{}, invalid("files", fmt.Sprintf("图片「%s」已损坏，无法读取", name))
		}
		f.Width, f.Height = cfg.Width, cfg.Height
	}
	sum := sha256.Sum256(u.Content)
	f.Hash = hex.EncodeToString(sum[:])
	return f, nil
}

// cleanFileName keeps the base name a browser sent, without directories or
// control characters, at most 100 characters.
func cleanFileName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "")
	}
	if r := []rune(name); len(r) > 100 {
		ext := filepath.Ext(name)
		name = string(r[:100-utf8.RuneCountInString(ext)]) + ext
	}
	if name == "" {
		name = "未命名"
	}
	return name
}

// prepareUploads checks every upload and, with the materials a batch
// already has, the per-kind limits; only when all pass are the files written
// and synced. The caller then refers to them in its transaction, which
// checks the limits again.
func (s *Store) prepareUploads(existing []StoredFile, ups []Upload) ([]StoredFile, error) {
	files := make([]StoredFile, 0, len(ups))
	for _, u := range ups {
		f, err := CheckUpload(u)
		if err != nil {
			return nil, err
		}
		f.Uploaded = s.Now()
		files = append(files, f)
	}
	if err := checkMaterials(existing, files); err != nil {
		return nil, err
	}
	for i, u := range ups {
		if _, err := s.writeFile(u.Content); err != nil {
			return nil, fmt.Errorf("save upload %d: %w", i, err)
		}
	}
	return files, nil
}

func (s *Store) filesDir() string { return filepath.Join(s.dir, "files") }

// FilePath is where the file with the given hash lives. The hash must be 64
// hex digits: it never comes from a user as a path.
func (s *Store) FilePath(hash string) (string, error) {
	if len(hash) != 64 {
		return "", ErrNotFound
	}
	if _, err := hex.DecodeString(hash); err != nil {
		return "", ErrNotFound
	}
	return filepath.Join(s.filesDir(), hash), nil
}

// ReadFile returns the content of a stored file.
func (s *Store) ReadFile(hash string) ([]byte, error) {
	p, err := s.FilePath(hash)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return b, err
}

// writeFile stores content under its hash: a temporary file in the same
// directory is written, synced and renamed, and the directory synced, so the
// file is complete and durable before the caller's transaction commits.
func (s *Store) writeFile(content []byte) (string, error) {
	sum := sha256.Sum256(content)
	hash := hex.EncodeToString(sum[:])
	dir := s.filesDir()
	final := filepath.Join(dir, hash)
	if st, err := os.Stat(final); err == nil && st.Size() == int64(len(content)) {
		return hash, nil // content-addressed: already there, already synced
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", fmt.Errorf("create files directory: %w", err)
		}
		if err := syncDir(s.dir); err != nil {
			return "", err
		}
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return "", fmt.Errorf("create file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("sync file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("close file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o640); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", fmt.Errorf("rename file: %w", err)
	}
	return hash, syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// stagedTTL is how long a workbook uploaded in the create wizard stays
// usable before the batch is confirmed.
const stagedTTL = 24 * time.Hour

// StageWorkbook keeps an uploaded candidate workbook for the create wizard:
// the file is written under its hash and bound to the uploading user, so a
// later step may refer to it by hash and nobody else can.
func (s *Store) StageWorkbook(a Actor, content []byte) (string, error) {
	hash, err := s.writeFile(content)
	if err != nil {
		return "", fmt.Errorf("stage workbook: %w", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bStaged).Put(key(itob(a.UserID), []byte(hash)), tsKey(s.Now()))
	})
	return hash, err
}

// StagedWorkbook returns a workbook the actor staged within the last day,
// or ErrNotFound.
func (s *Store) StagedWorkbook(a Actor, hash string) ([]byte, error) {
	if _, err := s.FilePath(hash); err != nil {
		return nil, err
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bStaged).Get(key(itob(a.UserID), []byte(hash)))
		if v == nil || s.Now().Sub(time.UnixMilli(int64(btoi(v)))) > stagedTTL {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.ReadFile(hash)
}
