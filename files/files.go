// Package files owns the files users upload: what an upload may contain
// (types recognised by content, not by name; size and count limits that
// the caller gives as a Policy; a memory budget for decoding images, checked
// on the header before any decoding) and where accepted files are kept. The
// rules are in docs/security.md (Uploads and downloads).
//
// Kept files live under <data dir>/files, each named by the SHA-256 of its
// content, outside any served folder. A file is complete, synced, and its
// directory synced before Keep returns, so a database transaction that
// refers to it afterwards never points at a file a crash lost. Uploads
// arrive streamed into temporary files under <data dir>/tmp, so a large one
// never sits in memory; what is not kept is removed, and anything left
// there by a crash is removed when the directory is opened.
package files

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Folders inside the data directory.
const (
	FilesDir = "files"
	TempDir  = "tmp"
)

// ErrNotFound is a hash with no kept file, or a string that is no hash.
var ErrNotFound = errors.New("file not found")

// Dir is the kept files of one data directory.
type Dir struct {
	data string
}

// Open prepares the files of the data directory dir and removes the
// temporary files a previous run left behind. Only the process that holds
// the data directory (the database lock) may call it.
func Open(dir string) (*Dir, error) {
	d := &Dir{data: dir}
	tmp := filepath.Join(dir, TempDir)
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("clear temporary uploads: %w", err)
	}
	if err := os.MkdirAll(tmp, 0o750); err != nil {
		return nil, fmt.Errorf("create temporary upload folder: %w", err)
	}
	return d, nil
}

func (d *Dir) dir() string { return filepath.Join(d.data, FilesDir) }

// Path is where the file with the given hash lives. The hash must be 64
// hex digits: it never comes from a user as a path.
func (d *Dir) Path(hash string) (string, error) {
	if len(hash) != 64 {
		return "", ErrNotFound
	}
	if _, err := hex.DecodeString(hash); err != nil {
		return "", ErrNotFound
	}
	return filepath.Join(d.dir(), hash), nil
}

// Read returns the content of a kept file.
func (d *Dir) Read(hash string) ([]byte, error) {
	p, err := d.Path(hash)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return b, err
}

// Has reports whether a file with this hash and size is kept.
func (d *Dir) Has(hash string, size int64) bool {
	p, err := d.Path(hash)
	if err != nil {
		return false
	}
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Size() == size
}

// Upload is a file as received, before it is checked or kept: its content
// is a temporary file (Receive) or bytes in memory (Bytes).
type Upload struct {
	Name string // as the browser sent it
	Size int64  // bytes received; more than were stored when Over
	Hash string // SHA-256 of the content, hex
	// Over says the file was larger than the cap it was received with:
	// only Size is meaningful.
	Over bool

	r    io.ReaderAt
	tmp  *os.File // nil for Bytes
	mem  []byte
	kept bool
}

// Bytes is an upload whose content is already in memory (demo data, tests).
func Bytes(name string, content []byte) *Upload {
	sum := sha256.Sum256(content)
	return &Upload{Name: name, Size: int64(len(content)), Hash: hex.EncodeToString(sum[:]),
		r: byteReader(content), mem: content}
}

type byteReader []byte

func (b byteReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Reader reads the content from the start.
func (u *Upload) Reader() *io.SectionReader { return io.NewSectionReader(u.r, 0, u.Size) }

// Close removes the temporary file of an upload that was not kept. It is
// safe to call more than once and on a kept upload.
func (u *Upload) Close() error {
	if u == nil || u.tmp == nil {
		return nil
	}
	name := u.tmp.Name()
	err := u.tmp.Close()
	u.tmp = nil
	if !u.kept {
		if rerr := os.Remove(name); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			return rerr
		}
	}
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}

// Receive streams one file into a temporary file, hashing it on the way.
// At most max bytes are stored: a larger file is read to its end (so its
// size can be named) but not stored, and comes back with Over set. The
// caller closes the upload.
func (d *Dir) Receive(name string, r io.Reader, max int64) (*Upload, error) {
	f, err := os.CreateTemp(filepath.Join(d.data, TempDir), "upload-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary upload: %w", err)
	}
	u := &Upload{Name: name, r: f, tmp: f}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, max+1))
	u.Size = n
	if err == nil && n > max {
		var more int64
		more, err = io.Copy(io.Discard, r)
		u.Size += more
		u.Over = true
		if terr := f.Truncate(0); terr != nil && err == nil {
			err = terr
		}
	}
	if err != nil {
		u.Close()
		return nil, err
	}
	u.Hash = hex.EncodeToString(h.Sum(nil))
	return u, nil
}

// Keep makes an upload a kept file under its hash: the temporary file is
// synced and renamed into place (or the bytes written, synced and renamed),
// and the folder synced. Content already kept is not written again.
func (d *Dir) Keep(u *Upload) error {
	if u.Over {
		return fmt.Errorf("keep %q: file over its cap", u.Name)
	}
	if err := d.ensureDir(); err != nil {
		return err
	}
	final := filepath.Join(d.dir(), u.Hash)
	if d.Has(u.Hash, u.Size) {
		// Content-addressed: already there and synced. Its time is renewed
		// so the sweeper of unreferenced files (older than a day) leaves it
		// alone until the transaction that refers to it again commits.
		now := time.Now()
		if err := os.Chtimes(final, now, now); err != nil {
			return fmt.Errorf("renew file time: %w", err)
		}
		return nil
	}
	var tmp *os.File
	if u.tmp != nil {
		tmp = u.tmp
	} else {
		var err error
		if tmp, err = os.CreateTemp(filepath.Join(d.data, TempDir), "keep-*"); err != nil {
			return fmt.Errorf("create file: %w", err)
		}
		defer os.Remove(tmp.Name()) // no-op after the rename
		defer tmp.Close()
		if _, err := tmp.Write(u.mem); err != nil {
			return fmt.Errorf("write file: %w", err)
		}
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync file: %w", err)
	}
	if err := tmp.Chmod(0o640); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("rename file: %w", err)
	}
	u.kept = u.tmp != nil
	return SyncDir(d.dir())
}

// Put keeps content given as bytes and returns its hash.
func (d *Dir) Put(content []byte) (string, error) {
	u := Bytes("", content)
	return u.Hash, d.Keep(u)
}

func (d *Dir) ensureDir() error {
	dir := d.dir()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create files directory: %w", err)
	}
	return SyncDir(d.data)
}

// SyncDir makes a directory's entries (a file created or renamed in it)
// durable.
func SyncDir(dir string) error {
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
