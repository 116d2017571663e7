package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The operation log is a hash chain (docs/integrity.md). Every entry carries
// the SHA-256 of its predecessor (Prev), computed over the predecessor's
// canonical form (entryHash), so that changing, inserting or deleting any
// entry breaks the link to the next one; the hash of the newest entry (the
// head) is kept in the meta bucket, and once a day it is recorded as an
// anchor that an auditor keeps outside the database.
//
// Certificates are sealed into the chain: every write of a certificate
// record (putCertTx, issueAtTx) adds the certificate's number and content
// hash (CertHash) to a pending table in the same transaction, and the next
// log entry of that transaction takes the table over (bLogSeal under its
// id) and carries its SHA-256 (Seal). A batch approval thus logs one entry
// whose table holds the hash of each of its certificates: one entry per
// batch, with every certificate's own hash derivable for the check.
//
// Retention (oplog_prune.go) removes the oldest entries. The chain stays
// verifiable: the hash of the last removed entry is kept as the anchor the
// first remaining entry must point at, and the certificate hashes of the
// removed entries are folded into an archive (number => log id, hash) whose
// digest is carried by the log.prune entry written in the same transaction.

// chainOff leaves the chain out: no links, no certificate hashes. Only the
// benchmarks that measure what the chain costs set it.
var chainOff bool

// sealRowLen is one row of a seal table: a 14-digit certificate number and
// the SHA-256 of its content.
const sealRowLen = 14 + sha256.Size

// Meta keys of the chain. The first entry ever written links to the zero
// hash.
var (
	metaChainHead   = []byte("chain_head")   // id (8) | hash (32) of the newest entry
	metaChainAnchor = []byte("chain_anchor") // id (8) | hash (32) of the last entry retention removed
	metaArchiveSum  = []byte("seal_archive_sum")
)

// ChainHead is the newest entry of the operation log and its hash.
type ChainHead struct {
	ID   uint64
	Hash [32]byte
}

// Hex is the head's hash in hexadecimal.
func (h ChainHead) Hex() string { return hex.EncodeToString(h.Hash[:]) }

func readHead(raw []byte) ChainHead {
	var h ChainHead
	if len(raw) == 8+32 {
		h.ID = binary.BigEndian.Uint64(raw)
		copy(h.Hash[:], raw[8:])
	}
	return h
}

func (h ChainHead) bytes() []byte {
	out := make([]byte, 8, 8+32)
	binary.BigEndian.PutUint64(out, h.ID)
	return append(out, h.Hash[:]...)
}

// ChainHead returns the newest entry of the log and its hash.
func (s *Store) ChainHead() (ChainHead, error) {
	var h ChainHead
	err := s.db.View(func(tx *bolt.Tx) error {
		h = readHead(tx.Bucket(bMeta).Get(metaChainHead))
		return nil
	})
	return h, err
}

// chainAnchorTx is where the chain starts: the last entry retention removed
// (zero when none was).
func chainAnchorTx(tx *bolt.Tx) ChainHead { return readHead(tx.Bucket(bMeta).Get(metaChainAnchor)) }

// entryHash is the SHA-256 of an entry's canonical form: every field,
// length-prefixed, the predecessor's hash (Prev) included. It does not
// depend on how the entry is stored.
func entryHash(e *LogEntry) [32]byte {
	b := make([]byte, 0, 256+len(e.Detail)+len(e.Target))
	b = append(b, "certreg oplog v1\x00"...)
	b = binary.BigEndian.AppendUint64(b, e.ID)
	b = appendTime(b, e.Time)
	b = binary.BigEndian.AppendUint64(b, e.UserID)
	b = appendStr(b, e.Username)
	b = binary.BigEndian.AppendUint64(b, e.OrgID)
	b = appendStr(b, e.IP)
	b = appendStr(b, string(e.Action))
	b = appendStr(b, e.Target)
	b = appendBool(b, e.OK)
	b = appendStr(b, e.Detail)
	b = appendStr(b, e.Prev)
	b = appendStr(b, e.Seal)
	b = appendStr(b, e.Archive)
	return sha256.Sum256(b)
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendTime writes an instant (the zone does not matter): a flag, then
// seconds and nanoseconds since 1970.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.BigEndian.AppendUint64(b, uint64(t.Unix()))
	return binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond()))
}

// appendLogTx appends an entry (its ID assigned here) to the chain: it
// links it to the head, takes over the pending certificate hashes of the
// transaction and writes the entry, its indexes and the new head.
func appendLogTx(tx *bolt.Tx, e *LogEntry) error {
	b := tx.Bucket(bLog)
	id, err := nextID(b)
	if err != nil {
		return err
	}
	e.ID = id
	meta := tx.Bucket(bMeta)
	if !chainOff {
		head := readHead(meta.Get(metaChainHead))
		e.Prev = hex.EncodeToString(head.Hash[:])
		if err := takePendingSealsTx(tx, e); err != nil {
			return err
		}
	}
	b.FillPercent = 0.9
	if err := putJSON(b, itob(id), e); err != nil {
		return err
	}
	if !chainOff {
		if err := meta.Put(metaChainHead, ChainHead{ID: id, Hash: entryHash(e)}.bytes()); err != nil {
			return err
		}
	}
	ts, idb := tsKey(e.Time), itob(id)
	if err := putIndex(tx.Bucket(bLogOrg), key(itob(e.OrgID), ts, idb)); err != nil {
		return err
	}
	if err := putIndex(tx.Bucket(bLogOrgAction), key(itob(e.OrgID), []byte(e.Action), []byte{0}, ts, idb)); err != nil {
		return err
	}
	if e.UserID != 0 {
		return putIndex(tx.Bucket(bLogUser), key(itob(e.UserID), ts, idb))
	}
	return nil
}

// addSealsTx queues seal rows (sealRowLen bytes each) for the next log
// entry of the transaction.
func addSealsTx(tx *bolt.Tx, rows []byte) error {
	if len(rows) == 0 || chainOff {
		return nil
	}
	if len(rows)%sealRowLen != 0 {
		return fmt.Errorf("seal rows of %d bytes", len(rows))
	}
	p := tx.Bucket(bSealPending)
	seq, err := p.NextSequence()
	if err != nil {
		return err
	}
	return p.Put(itob(seq), rows)
}

// sealRow is a certificate's seal row.
func sealRow(dst []byte, c *Certificate) ([]byte, error) {
	if len(c.Number) != 14 {
		return nil, fmt.Errorf("seal certificate %q: a number has 14 digits", c.Number)
	}
	if chainOff {
		return dst, nil
	}
	h := CertHash(c)
	dst = append(dst, c.Number...)
	return append(dst, h[:]...), nil
}

// sealCertTx queues the content hash of a certificate just written.
func sealCertTx(tx *bolt.Tx, c *Certificate) error {
	row, err := sealRow(make([]byte, 0, sealRowLen), c)
	if err != nil {
		return err
	}
	return addSealsTx(tx, row)
}

// takePendingSealsTx moves the queued seal rows into the entry: one row per
// certificate (the last written wins), stored under the entry's id, their
// SHA-256 in e.Seal.
func takePendingSealsTx(tx *bolt.Tx, e *LogEntry) error {
	p := tx.Bucket(bSealPending)
	c := p.Cursor()
	k, v := c.First()
	if k == nil {
		return nil
	}
	var rows []byte
	var keys [][]byte
	for ; k != nil; k, v = c.Next() {
		rows = append(rows, v...)
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := p.Delete(k); err != nil {
			return err
		}
	}
	rows = lastSealPerNumber(rows)
	sum := sha256.Sum256(rows)
	e.Seal = hex.EncodeToString(sum[:])
	sb := tx.Bucket(bLogSeal)
	sb.FillPercent = 0.9
	return sb.Put(itob(e.ID), rows)
}

// lastSealPerNumber keeps the last row of each certificate, in the order of
// those last rows.
func lastSealPerNumber(rows []byte) []byte {
	n := len(rows) / sealRowLen
	last := make(map[string]int, n)
	for i := 0; i < n; i++ {
		last[string(rows[i*sealRowLen:i*sealRowLen+14])] = i
	}
	if len(last) == n {
		return rows
	}
	out := make([]byte, 0, len(last)*sealRowLen)
	for i := 0; i < n; i++ {
		row := rows[i*sealRowLen : (i+1)*sealRowLen]
		if last[string(row[:14])] == i {
			out = append(out, row...)
		}
	}
	return out
}

// sealPendingTx logs the queued certificate hashes, if any, in an entry of
// their own by the system, target naming where the certificates came from:
// for writers that change certificates without an entry of their own (the
// demo, bulk loads, the start of the chain on an older database).
func sealPendingTx(tx *bolt.Tx, now time.Time, target string) error {
	numbers := map[string]bool{}
	err := tx.Bucket(bSealPending).ForEach(func(_, v []byte) error {
		return sealRows(v, func(number string, _ []byte) error { numbers[number] = true; return nil })
	})
	if err != nil || len(numbers) == 0 {
		return err
	}
	return appendLogTx(tx, &LogEntry{Time: now, Username: "系统", OrgID: provinceIDTx(tx), Action: ActChainSeal,
		Target: target, OK: true, Detail: fmt.Sprintf("%d 本证书的内容哈希", len(numbers))})
}

func provinceIDTx(tx *bolt.Tx) uint64 {
	if pid := tx.Bucket(bMeta).Get([]byte("province_id")); pid != nil {
		return btoi(pid)
	}
	return 0
}

// sealRows iterates the rows of a seal table.
func sealRows(rows []byte, f func(number string, hash []byte) error) error {
	if len(rows)%sealRowLen != 0 {
		return fmt.Errorf("seal table of %d bytes", len(rows))
	}
	for i := 0; i < len(rows); i += sealRowLen {
		if err := f(string(rows[i:i+14]), rows[i+14:i+sealRowLen]); err != nil {
			return err
		}
	}
	return nil
}

// hexHash parses a hexadecimal SHA-256.
func hexHash(s string) ([32]byte, bool) {
	var h [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return h, false
	}
	copy(h[:], b)
	return h, true
}

func equalHex(s string, h [32]byte) bool {
	g, ok := hexHash(s)
	return ok && bytes.Equal(g[:], h[:])
}

// CertSeal is a certificate's content hash as a log entry recorded it.
type CertSeal struct {
	Number string
	Hash   [32]byte
}

// LogSeals returns the certificate hashes a log entry recorded, in the
// order written (none for an entry that changed no certificate).
func (s *Store) LogSeals(id uint64) ([]CertSeal, error) {
	var out []CertSeal
	err := s.db.View(func(tx *bolt.Tx) error {
		return sealRows(tx.Bucket(bLogSeal).Get(itob(id)), func(number string, hash []byte) error {
			cs := CertSeal{Number: number}
			copy(cs.Hash[:], hash)
			out = append(out, cs)
			return nil
		})
	})
	return out, err
}

// numberRange names the numbers of certificates issued together for the
// log: "（26340101250001–26340101250005）", or "" for none. Numbers of one
// issue are consecutive per segment; the range spans the smallest and the
// largest.
func numberRange(certs []Certificate) string {
	if len(certs) == 0 {
		return ""
	}
	lo, hi := certs[0].Number, certs[0].Number
	for _, c := range certs[1:] {
		lo, hi = min(lo, c.Number), max(hi, c.Number)
	}
	if lo == hi {
		return "（" + lo + "）"
	}
	return "（" + lo + "–" + hi + "）"
}
