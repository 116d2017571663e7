// Package store owns the database: a single bbolt file holding organisations
// and their users, sessions, the occupation catalogue, batches with their
// candidates and materials, certificates with their indexes and number
// segments, print formats, certificate businesses, the statistics counters,
// the operation log and the settings (buckets.go lists every bucket). Every
// rule of the product that concerns data (scope, state, limits) is enforced
// here so that no handler can forget it; docs/ explains the rules.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"certreg/files"
)

// Errors that callers test with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrForbidden = errors.New("forbidden")
	ErrConflict  = errors.New("conflict")
	ErrLocked    = errors.New("locked by another process")
)

// ValidationError carries a message in Chinese meant for the user, with the
// form field it concerns ("" for the whole form).
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Message }

func invalid(field, msg string) error { return &ValidationError{Field: field, Message: msg} }

// ForbiddenError refuses an action inside the caller's scope with a reason
// in Chinese meant for the user. errors.Is(err, ErrForbidden) holds.
type ForbiddenError struct{ Msg string }

func (e *ForbiddenError) Error() string { return e.Msg }

// Is makes a ForbiddenError match ErrForbidden.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

// Store is the application's database.
type Store struct {
	db    *bolt.DB
	dir   string
	files *files.Dir
	// filesMu keeps a backup and the sweep of unreferenced uploads apart.
	filesMu sync.Mutex
	// signing holds the certificate signing key in use (signing.go).
	signing *signer
	// Now is the clock; tests replace it.
	Now func() time.Time
	// mem keeps organisations and occupations decoded (org_cache.go).
	mem memCache
	// compactAfterOpen: a migration left most of the file free.
	compactAfterOpen bool
	// statsRebuilt: migration 3 built the statistics counters in this
	// start, in the current format.
	statsRebuilt bool
}

// DBFile is the name of the database file inside the data directory.
const DBFile = "registry.db"

// Open opens (creating if needed) the database in dir and runs migrations.
// A second process on the same directory fails within a second with ErrLocked.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("%s: %w", dir, ErrLocked)
		}
		return nil, fmt.Errorf("open database: %w", err)
	}
	_ = os.Remove(filepath.Join(dir, DBFile+".compact")) // left by a compaction cut short
	fd, err := files.Open(dir)
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &Store{db: db, dir: dir, files: fd, Now: time.Now, signing: &signer{kekFile: defaultKEKFile(dir)}}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.initRecentAfter(); err != nil {
		db.Close()
		return nil, fmt.Errorf("index watermark: %w", err)
	}
	if s.compactAfterOpen {
		s.compactAfterOpen = false
		if err := s.compactFile(); err != nil {
			s.db.Close()
			return nil, fmt.Errorf("compact the database after migration: %w", err)
		}
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }

// Ping reports whether the database is readable.
func (s *Store) Ping() error {
	return s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bMeta) == nil {
			return errors.New("meta bucket missing")
		}
		return nil
	})
}

// migrations transform stored data; they run in order and each must be
// idempotent. Index i brings the schema from version i to i+1. Buckets are
// not migrations: every bucket declared in buckets.go is created at each open.
// A nil entry is a migration too large for one transaction: chunked[i]
// runs it in transactions of its own, and the schema moves after it.
var migrations = []func(tx *bolt.Tx) error{
	func(tx *bolt.Tx) error { return nil }, // 1: the initial layout
	rebuildRegistrationsTx,                 // 2: batches in the businesses' overview
	rebuildStatsTx,                         // 3: statistics counters (stats.go)
	startChainTx,                           // 4: the operation log's hash chain (chain.go)
	nil,                                    // 5: compact certificate records and index (cert_migrate.go)
	nil,                                    // 6: the library's value indexes by date (cert_migrate_day.go)
}

var chunked = map[int]func(s *Store) error{
	4: (*Store).migrateCompactLayout,
	5: (*Store).migrateDayOrder,
}

// SchemaVersion is the version this binary brings the database to.
var SchemaVersion = uint64(len(migrations))

func (s *Store) migrate() error {
	for {
		var v uint64
		err := s.db.Update(func(tx *bolt.Tx) error {
			meta, err := tx.CreateBucketIfNotExists(bMeta)
			if err != nil {
				return err
			}
			for _, name := range allBuckets {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return fmt.Errorf("create bucket %s: %w", name, err)
				}
			}
			if raw := meta.Get([]byte("schema")); raw != nil {
				v = btoi(raw)
			}
			if v > SchemaVersion {
				return fmt.Errorf("database schema %d is newer than this binary (%d)", v, SchemaVersion)
			}
			for ; v < SchemaVersion && migrations[v] != nil; v++ {
				if err := migrations[v](tx); err != nil {
					return fmt.Errorf("migration %d: %w", v+1, err)
				}
				if v == 2 {
					s.statsRebuilt = true
				}
				if err := meta.Put([]byte("schema"), itob(v+1)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || v == SchemaVersion {
			return err
		}
		if err := chunked[int(v)](s); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put([]byte("schema"), itob(v+1)) }); err != nil {
			return err
		}
	}
}

// Schema returns the stored schema version.
func (s *Store) Schema() (uint64, error) {
	var v uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		v = btoi(tx.Bucket(bMeta).Get([]byte("schema")))
		return nil
	})
	return v, err
}

func itob(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func btoi(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// key concatenates index key parts.
func key(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

// tsKey is a time as 8 sortable bytes (Unix milliseconds; times before 1970,
// such as the zero time, sort first).
func tsKey(t time.Time) []byte {
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	return itob(uint64(ms))
}

func getJSON(b *bolt.Bucket, k []byte, v any) error {
	raw := b.Get(k)
	if raw == nil {
		return ErrNotFound
	}
	return json.Unmarshal(raw, v)
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, raw)
}

func nextID(b *bolt.Bucket) (uint64, error) {
	id, err := b.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("next sequence number: %w", err)
	}
	return id, nil
}
