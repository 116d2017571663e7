package store

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/files"
)

// Uploaded files (the supporting materials of a batch, the workbook of the
// create wizard) are kept by package files, named by content hash; the
// store records which batch refers to which file and refers to a file only
// after files.Dir.Keep has written and synced it.

// FileKind says what a supporting material is; the values are stored.
type FileKind string

const (
	KindDoc   FileKind = FileKind(files.Document) // pdf, doc, docx, xls, xlsx
	KindImage FileKind = FileKind(files.Image)    // jpg, png
)

// Limits of the supporting materials of one batch (docs/batches.md).
const (
	MaxBatchDocs   = 2
	MaxBatchImages = 20
	MaxDocSize     = 10 << 20
	MaxImageSize   = 2 << 20
)

// Materials is what the supporting materials of one batch may be.
var Materials = files.Policy{Owner: "每个批次", Rules: []files.Rule{
	{Kind: files.Document, MaxSize: MaxDocSize, MaxCount: MaxBatchDocs},
	{Kind: files.Image, MaxSize: MaxImageSize, MaxCount: MaxBatchImages},
}}

// StoredFile is the record of a kept file in the database.
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

func (f StoredFile) info() files.Info {
	return files.Info{Hash: f.Hash, Name: f.Name, Kind: files.Kind(f.Kind), MIME: f.MIME, Size: f.Size, Width: f.Width, Height: f.Height}
}

func storedFile(i files.Info, at time.Time) StoredFile {
	return StoredFile{Hash: i.Hash, Name: i.Name, Kind: FileKind(i.Kind), MIME: i.MIME, Size: i.Size, Width: i.Width, Height: i.Height, Uploaded: at}
}

func infos(fs []StoredFile) []files.Info {
	out := make([]files.Info, len(fs))
	for i, f := range fs {
		out[i] = f.info()
	}
	return out
}

// prepareUploads checks every upload with the materials a batch already
// has (sizes, types and image headers first, then counts, then decoding);
// only when all pass are the files kept. The caller then refers to them in
// its transaction, which checks the counts again.
func (s *Store) prepareUploads(existing []StoredFile, ups []*files.Upload) ([]StoredFile, error) {
	checked, err := Materials.CheckAll(infos(existing), ups)
	if err != nil {
		return nil, uploadInvalid("files", err)
	}
	return s.keepUploads(ups, checked)
}

// keepUploads keeps checked uploads and returns their records.
func (s *Store) keepUploads(ups []*files.Upload, checked []files.Info) ([]StoredFile, error) {
	out := make([]StoredFile, len(checked))
	now := s.Now()
	for i, u := range ups {
		if err := s.files.Keep(u); err != nil {
			return nil, fmt.Errorf("keep upload %d: %w", i, err)
		}
		out[i] = storedFile(checked[i], now)
	}
	return out, nil
}

// checkStoredTx checks, inside the transaction that refers to a file, that
// the file was kept before it.
func (s *Store) checkStoredTx(f StoredFile) error {
	if !s.files.Has(f.Hash, f.Size) {
		return fmt.Errorf("file %q (%s) is not kept", f.Name, f.Hash)
	}
	return nil
}

// uploadInvalid turns a refused upload into the validation error of a
// form field.
func uploadInvalid(field string, err error) error {
	var fe *files.Error
	if errors.As(err, &fe) {
		return invalid(field, fe.Message)
	}
	return err
}

// FilePath is where the file with the given hash lives.
func (s *Store) FilePath(hash string) (string, error) {
	p, err := s.files.Path(hash)
	if err != nil {
		return "", ErrNotFound
	}
	return p, nil
}

// ReadFile returns the content of a kept file.
func (s *Store) ReadFile(hash string) ([]byte, error) {
	b, err := s.files.Read(hash)
	if errors.Is(err, files.ErrNotFound) {
		return nil, ErrNotFound
	}
	return b, err
}

// Files is where uploads are received and kept.
func (s *Store) Files() *files.Dir { return s.files }

// stagedTTL is how long a workbook uploaded in the create wizard stays
// usable before the batch is confirmed.
const stagedTTL = 24 * time.Hour

// StageWorkbook keeps an uploaded candidate workbook for the create wizard:
// the file is kept under its hash and bound to the uploading user, so a
// later step may refer to it by hash and nobody else can.
func (s *Store) StageWorkbook(a Actor, u *files.Upload) (string, error) {
	if err := s.files.Keep(u); err != nil {
		return "", fmt.Errorf("stage workbook: %w", err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bStaged).Put(key(itob(a.UserID), []byte(u.Hash)), tsKey(s.Now()))
	})
	return u.Hash, err
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
