package store

import (
	"errors"
	"fmt"
	"os"
	"strings"

	bolt "go.etcd.io/bbolt"

	"certreg/files"
)

// Batch materials: the documents and images a unit attaches to a batch,
// kept in the content-addressed file store and referred to by the batch
// record (docs/batches.md).

// checkFilesTx checks, inside the transaction that refers to them, the
// materials added to a batch: the counts against those it has, and that
// each file was kept before this transaction.
func (s *Store) checkFilesTx(existing, add []StoredFile) error {
	for _, f := range add {
		if f.Kind != KindDoc && f.Kind != KindImage {
			return fmt.Errorf("file %q of unknown kind %q", f.Name, f.Kind)
		}
		if err := s.checkStoredTx(f); err != nil {
			return err
		}
	}
	return uploadInvalid("files", Materials.CheckCounts(infos(existing), infos(add)))
}

// AddBatchFiles adds materials to a draft or rejected batch: every upload
// is checked (Materials: sizes and types, counts, then decoding) before any
// is kept, the files are kept, and then the transaction refers to them.
func (s *Store) AddBatchFiles(a Actor, id uint64, ups []*files.Upload) (Batch, error) {
	if len(ups) == 0 {
		return Batch{}, invalid("files", "请选择要上传的文件")
	}
	var b Batch
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		b, _, err = ownBatchTx(tx, a, id, "修改资料")
		return err
	})
	if err != nil {
		return Batch{}, err
	}
	files, err := s.prepareUploads(b.Files, ups)
	if err != nil {
		return Batch{}, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if b, _, err = ownBatchTx(tx, a, id, "修改资料"); err != nil {
			return err
		}
		if err := s.checkFilesTx(b.Files, files); err != nil {
			return err
		}
		b.Files = append(b.Files, files...)
		b.Updated = s.Now()
		if err := putBatchTx(tx, b); err != nil {
			return err
		}
		var names []string
		for _, f := range files {
			names = append(names, f.Name)
		}
		return s.logTx(tx, a, ActBatchFilesAdd, b.Name, strings.Join(names, "、"))
	})
	return b, err
}

// RemoveBatchFile removes a material from a draft or rejected batch. The
// file stays on disk (content-addressed, it may be shared).
func (s *Store) RemoveBatchFile(a Actor, id uint64, hash string) (Batch, error) {
	var b Batch
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if b, _, err = ownBatchTx(tx, a, id, "修改资料"); err != nil {
			return err
		}
		f, ok := b.File(hash)
		if !ok {
			return fmt.Errorf("file %s of batch %d: %w", hash, id, ErrNotFound)
		}
		kept := b.Files[:0:0]
		for _, x := range b.Files {
			if x.Hash != hash {
				kept = append(kept, x)
			}
		}
		b.Files = kept
		b.Updated = s.Now()
		if err := putBatchTx(tx, b); err != nil {
			return err
		}
		return s.logTx(tx, a, ActBatchFileRemove, b.Name, f.Name)
	})
	return b, err
}

// BatchFile returns a material of a batch the actor may see and the path of
// its content.
func (s *Store) BatchFile(a Actor, id uint64, hash string) (StoredFile, string, error) {
	b, err := s.Batch(a, id)
	if err != nil {
		return StoredFile{}, "", err
	}
	f, ok := b.File(hash)
	if !ok {
		return StoredFile{}, "", fmt.Errorf("file of batch %d: %w", id, ErrNotFound)
	}
	p, err := s.FilePath(hash)
	if err != nil {
		return StoredFile{}, "", err
	}
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		return StoredFile{}, "", fmt.Errorf("file %s of batch %d missing on disk: %w", hash, id, ErrNotFound)
	}
	return f, p, nil
}
