package handlers

import (
	"sync"
	"time"

	"certreg/candidate"
)

// checkedImports keeps, for a while, the candidates step 1 of the batch
// wizard read from a workbook that passed every rule, under the uploader and
// the staged workbook's hash. The confirmation then saves them without
// reading the workbook again: store.CreateBatch applies every rule to them
// once more in its own transaction (the sheet's and the database's, which
// may have changed meanwhile), so nothing unchecked is saved. A workbook
// not kept (an older one, or after a restart) is read again.
type checkedImports struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[checkedKey]checkedImport
}

type checkedKey struct {
	user uint64
	ref  string
}

type checkedImport struct {
	cands []candidate.Candidate
	at    time.Time
}

const (
	// checkedImportsKept bounds the workbooks kept (5,000 rows are about a
	// megabyte of candidates).
	checkedImportsKept = 16
	// checkedImportTTL is how long a checked workbook waits for its
	// confirmation.
	checkedImportTTL = 30 * time.Minute
)

func newCheckedImports(now func() time.Time) *checkedImports {
	return &checkedImports{now: now, entries: map[checkedKey]checkedImport{}}
}

// put keeps the candidates of a checked workbook, dropping expired ones and,
// when full, the oldest.
func (ci *checkedImports) put(user uint64, ref string, cands []candidate.Candidate) {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	now := ci.now()
	var oldest checkedKey
	for k, e := range ci.entries {
		if now.Sub(e.at) > checkedImportTTL {
			delete(ci.entries, k)
		} else if oldest.ref == "" || e.at.Before(ci.entries[oldest].at) {
			oldest = k
		}
	}
	if len(ci.entries) >= checkedImportsKept {
		delete(ci.entries, oldest)
	}
	ci.entries[checkedKey{user, ref}] = checkedImport{cands: append([]candidate.Candidate(nil), cands...), at: now}
}

// get returns a copy of the candidates kept for the user's workbook.
func (ci *checkedImports) get(user uint64, ref string) ([]candidate.Candidate, bool) {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	e, ok := ci.entries[checkedKey{user, ref}]
	if !ok || ci.now().Sub(e.at) > checkedImportTTL {
		return nil, false
	}
	return append([]candidate.Candidate(nil), e.cands...), true
}

// drop forgets the user's workbook (saved as a batch).
func (ci *checkedImports) drop(user uint64, ref string) {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	delete(ci.entries, checkedKey{user, ref})
}
