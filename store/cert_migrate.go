package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The compact-layout migration converts a database written before it, in
// place and in transactions of bounded size, so that two million
// certificates need neither gigabytes of memory nor one huge commit:
//
//  1. every JSON certificate record is rewritten in the binary format
//     (cert_record.go), chunk by chunk; records already binary are left;
//  2. the library's index is built in runs (bCertIx) from the old index
//     (cert_idx: one key per field, scope and certificate with an 8-byte
//     summary): the province's keys keep their bytes, an issuing
//     organisation's become its issuer group's (its parent read from the
//     records), the depts' are dropped, and the issuer-group counters are
//     added; bCertIx is emptied first, so a run cut short starts over;
//  3. the old index is deleted (its last transaction);
//  4. the statistics counters' values are rewritten as uvarints (stats.go),
//     chunk by chunk (a value of 16 bytes is one of schema 3; none is left
//     when migration 3 rebuilt them in this start);
//  5. the schema moves on, and the file, mostly free pages by then, is
//     compacted (compactFile).
//
// Each step reports its progress on the console (slog). The old index is
// only read, so an interrupted migration leaves a database the next start
// migrates again.

var bOldCertIdx = []byte("cert_idx")

// migrateChunk is how many records or old index keys one transaction of
// the migration handles.
var migrateChunk = 50000

// migrateFailAfter, when positive, fails the index step after that many
// transactions (tests of an interrupted migration).
var migrateFailAfter int

// migrationLog reports a migration's progress.
var migrationLog = func(msg string, args ...any) { slog.Info(msg, args...) }

func (s *Store) migrateCompactLayout() error {
	start := time.Now()
	empty := false
	if err := s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bCerts).Cursor().First()
		empty = k == nil && tx.Bucket(bOldCertIdx) == nil
		return nil
	}); err != nil {
		return err
	}
	if empty {
		return nil // a new database: nothing to convert
	}
	if err := s.migrateRecords(); err != nil {
		return fmt.Errorf("certificate records: %w", err)
	}
	if err := s.migrateIndex(); err != nil {
		return fmt.Errorf("certificate index: %w", err)
	}
	if !s.statsRebuilt {
		if err := s.migrateStatValues(); err != nil {
			return fmt.Errorf("statistics counters: %w", err)
		}
	}
	migrationLog("迁移完成：证书记录与证书库索引已改为紧凑格式", "耗时", time.Since(start).Round(time.Millisecond).String())
	s.compactAfterOpen = true
	return nil
}

// compactFile rewrites the database file without its free pages (after
// the compact-layout migration they are most of it, and bbolt never shrinks
// a file): a copy with full pages is written beside it, then renamed over
// it and opened.
func (s *Store) compactFile() error {
	var size int64
	if err := s.db.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil }); err != nil {
		return err
	}
	// bbolt counts the free pages when a read transaction ends.
	st := s.db.Stats()
	free := int64(st.FreePageN+st.PendingPageN) * int64(s.db.Info().PageSize)
	start := time.Now()
	path := filepath.Join(s.dir, DBFile)
	tmp := path + ".compact"
	_ = os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	migrationLog("压缩数据库文件", "原大小MB", size>>20, "空闲MB", free>>20)
	if err := bolt.Compact(dst, s.db, 64<<20); err != nil {
		dst.Close()
		_ = os.Remove(tmp)
		return fmt.Errorf("compact: %w", err)
	}
	if err := dst.Close(); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := s.db.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(s.dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	s.db = db
	fi, _ := os.Stat(path)
	var now int64
	if fi != nil {
		now = fi.Size()
	}
	migrationLog("压缩完成", "现大小MB", now>>20, "耗时", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// migrateRecords rewrites the JSON records in chunks.
func (s *Store) migrateRecords() error {
	var cert Certificate
	return s.rewriteInChunks(bCerts, "迁移证书记录", func(k, v []byte) ([]byte, bool, error) {
		if len(v) == 0 || v[0] != '{' {
			return nil, false, nil
		}
		if err := decodeCert(k, v, &cert); err != nil {
			return nil, false, fmt.Errorf("certificate %s: %w", k, err)
		}
		nv, err := encodeCert(nil, &cert)
		if err != nil {
			return nil, false, fmt.Errorf("certificate %s: %w", k, err)
		}
		return nv, true, nil
	})
}

// rewriteInChunks walks a bucket in transactions of migrateChunk keys and
// puts the new value conv returns for each key it converts (ok), reporting
// progress as what.
func (s *Store) rewriteInChunks(bucket []byte, what string, conv func(k, v []byte) (nv []byte, ok bool, err error)) error {
	var total, done, converted int
	if err := s.db.View(func(tx *bolt.Tx) error { total = tx.Bucket(bucket).Stats().KeyN; return nil }); err != nil {
		return err
	}
	step := progress{what: what, total: total}
	var after []byte
	for {
		last := bytes.Clone(after)
		n := 0
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucket)
			c := b.Cursor()
			var k, v []byte
			if last == nil {
				k, v = c.First()
			} else if k, v = c.Seek(last); k != nil && bytes.Equal(k, last) {
				k, v = c.Next()
			}
			var todo []ixOp
			for ; k != nil && n < migrateChunk; k, v = c.Next() {
				n++
				after = append(after[:0], k...)
				nv, ok, err := conv(k, v)
				if err != nil {
					return err
				}
				if ok {
					todo = append(todo, ixOp{bytes.Clone(k), nv})
				}
			}
			// Written after the walk: a Put moves the cursor's page.
			for _, op := range todo {
				if err := b.Put(op.key, op.sum); err != nil {
					return err
				}
			}
			converted += len(todo)
			return nil
		})
		if err != nil {
			return err
		}
		done += n
		if converted > 0 {
			step.report(done, "已转换", converted)
		}
		if n < migrateChunk {
			return nil
		}
	}
}

// progress reports a step of a migration every twentieth of the way.
type progress struct {
	what         string
	total, shown int
}

func (p *progress) report(done int, more ...any) {
	if p.total <= 0 {
		return
	}
	if at := done * 20 / p.total; at > p.shown || done >= p.total {
		p.shown = at
		migrationLog(p.what, append([]any{"进度", fmt.Sprintf("%d/%d（%d%%）", done, p.total, done*100/p.total)}, more...)...)
	}
}

// migrateStatValues rewrites the statistics counters of schema 3 (four
// big-endian uint32) as uvarints, in chunks.
func (s *Store) migrateStatValues() error {
	return s.rewriteInChunks(bStats, "迁移统计计数", func(k, v []byte) ([]byte, bool, error) {
		old, ok := decodeStatV3(v)
		if !ok {
			return nil, false, nil
		}
		nv, err := encodeStat(old)
		return nv, err == nil, err
	})
}

// issuerParents is what step 2 needs from the records: each issuing
// organisation's parents and, for one with several, the parent of each of
// its certificates.
type issuerParents struct {
	counts  map[uint64]map[uint64]int // org => parent => certificates
	byNum   map[[7]byte]uint64        // for orgs with several parents
	several map[uint64]bool
}

func (s *Store) readIssuerParents() (*issuerParents, error) {
	ip := &issuerParents{counts: map[uint64]map[uint64]int{}, byNum: map[[7]byte]uint64{}, several: map[uint64]bool{}}
	pass := func(fn func(c *Certificate) error) error {
		return s.db.View(func(tx *bolt.Tx) error {
			var c Certificate
			return tx.Bucket(bCerts).ForEach(func(k, v []byte) error {
				if err := decodeCert(k, v, &c); err != nil {
					return fmt.Errorf("certificate %s: %w", k, err)
				}
				return fn(&c)
			})
		})
	}
	err := pass(func(c *Certificate) error {
		org, parent := issuerGroup(c)
		m := ip.counts[org]
		if m == nil {
			m = map[uint64]int{}
			ip.counts[org] = m
		}
		m[parent]++
		return nil
	})
	if err != nil {
		return nil, err
	}
	for org, m := range ip.counts {
		if len(m) > 1 {
			ip.several[org] = true
		}
	}
	if len(ip.several) == 0 {
		return ip, nil
	}
	err = pass(func(c *Certificate) error {
		org, parent := issuerGroup(c)
		if ip.several[org] {
			var num [7]byte
			if err := packNumberInto(num[:], c.Number); err != nil {
				return err
			}
			ip.byNum[num] = parent
		}
		return nil
	})
	return ip, err
}

// newSummary converts an old 8-byte summary (status code, print flag,
// occupation, level digit, day) to the summary of the compact index.
func newSummary(old []byte) ([]byte, error) {
	if len(old) != 8 {
		return nil, fmt.Errorf("old summary of %d bytes", len(old))
	}
	c := Certificate{Status: CertValid, Printed: old[1] == '1', Occupation: string(old[2:5]), Level: int(old[5]) - '0'}
	switch old[0] {
	case 'c':
		c.Status = CertCancelled
	case 's':
		c.Status = CertSuperseded
	}
	out := make([]byte, sumLen)
	summaryInto(out, &c, binary.BigEndian.Uint16(old[6:8]))
	return out, nil
}

func (s *Store) migrateIndex() error {
	var hasOld bool
	var oldKeys int
	var prov []byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		old := tx.Bucket(bOldCertIdx)
		hasOld = old != nil
		if !hasOld {
			return nil
		}
		oldKeys = old.Stats().KeyN
		prov = scopeBytes(btoi(tx.Bucket(bMeta).Get([]byte("province_id"))))
		// Every entry is written to the main ranges: the recent level's
		// watermark is set again at the end of the open, to the last issue
		// day (cert_index_recent.go).
		if err := tx.Bucket(bMeta).Delete(metaRecentAfter); err != nil {
			return err
		}
		return resetBucketTx(tx, bCertIx)
	})
	if err != nil || !hasOld {
		return err
	}
	ip, err := s.readIssuerParents()
	if err != nil {
		return err
	}
	migrationLog("迁移证书库索引", "旧索引键", oldKeys, "发证机构", len(ip.counts))
	step := progress{what: "迁移证书库索引", total: oldKeys}
	// Entries of an organisation with several parents are held until the
	// organisation's keys of a field end, then written parent by parent.
	var global, issuer runWriter
	type held struct {
		parent uint64
		k, sum []byte
	}
	var hold []held
	holdOrg, holdField := uint64(0), byte(0)
	release := func() {
		slices.SortStableFunc(hold, func(a, b held) int {
			if a.parent != b.parent {
				if a.parent < b.parent {
					return -1
				}
				return 1
			}
			return 0
		})
		for _, h := range hold {
			issuer.add(h.k, h.sum)
		}
		hold = hold[:0]
	}
	var after []byte
	done, txs := 0, 0
	for {
		if txs++; migrateFailAfter > 0 && txs > migrateFailAfter {
			return fmt.Errorf("injected failure after %d transactions", migrateFailAfter)
		}
		n := 0
		last := bytes.Clone(after)
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bCertIx)
			b.FillPercent = 1 // appended in key order
			c := tx.Bucket(bOldCertIdx).Cursor()
			var k, v []byte
			if last == nil {
				k, v = c.First()
			} else if k, v = c.Seek(last); k != nil && bytes.Equal(k, last) {
				k, v = c.Next()
			}
			for ; k != nil && n < migrateChunk; k, v = c.Next() {
				n++
				after = append(after[:0], k...)
				if len(k) < 5+7 {
					return fmt.Errorf("old index key %x", k)
				}
				field, scope, rest := k[0], k[1:5], k[5:]
				sum, err := newSummary(v)
				if err != nil {
					return fmt.Errorf("old index key %x: %w", k, err)
				}
				org := uint64(binary.BigEndian.Uint32(scope))
				if len(hold) > 0 && (org != holdOrg || field != holdField) {
					release()
				}
				switch {
				case bytes.Equal(scope, prov):
					global.add(bytes.Clone(k), sum)
				case ip.counts[org] != nil: // an issuing organisation's own keys
					var parent uint64
					if ip.several[org] {
						var num [7]byte
						copy(num[:], rest[len(rest)-7:])
						parent = ip.byNum[num]
					} else {
						for p := range ip.counts[org] {
							parent = p
						}
					}
					nk := key([]byte{issuerField(field)}, scope, scopeBytes(parent), rest)
					if ip.several[org] {
						hold = append(hold, held{parent, nk, sum})
						holdOrg, holdField = org, field
					} else {
						issuer.add(nk, sum)
					}
				}
			}
			if k == nil {
				release()
				global.flush()
				issuer.flush()
			}
			if err := global.write(b); err != nil {
				return err
			}
			return issuer.write(b)
		})
		if err != nil {
			return err
		}
		done += n
		step.report(done)
		if n < migrateChunk {
			break
		}
	}
	// The issuer-group counters, then the old index goes.
	return s.db.Update(func(tx *bolt.Tx) error {
		delta := map[string]int64{}
		for org, m := range ip.counts {
			for parent, n := range m {
				grp := append(scopeBytes(org), scopeBytes(parent)...)
				delta[string(key([]byte{ixGroup}, scopeBytes(org), grp))] += int64(n)
				if parent != 0 {
					delta[string(key([]byte{ixGroup}, scopeBytes(parent), grp))] += int64(n)
				}
			}
		}
		// A run cut short may have added them already: set, not add.
		prefix := []byte{ixGroup}
		cnt := tx.Bucket(bCertCount)
		c := cnt.Cursor()
		var stale [][]byte
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			stale = append(stale, bytes.Clone(k))
		}
		for _, k := range stale {
			if err := cnt.Delete(k); err != nil {
				return err
			}
		}
		if err := addCountsTx(tx, delta); err != nil {
			return err
		}
		return tx.DeleteBucket(bOldCertIdx)
	})
}
