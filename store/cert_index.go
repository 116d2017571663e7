package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/candidate"
	"certreg/idcard"
)

// The certificate library (docs/certificates.md) lists, filters and sorts millions
// of certificates, so no list reads the certificate bucket: it reads the
// library's index (bCertIx) and decodes only the rows it shows.
//
// # Entries
//
// Every certificate has one index entry per filterable field in two kinds
// of group:
//
//	the province   field | province id (4 bytes) | value | number (7 bytes)
//	its issuer     FIELD | issuing org (4) | its parent (4) | value | number
//
// (the field byte in lower case for the province, upper case for the
// issuer; the number packed BCD). The province's entries answer the
// province's queries; an organisation below answers from the issuer groups
// it belongs to — a unit or 省直所 its own (usually one: a unit moved to
// another city has a second), a dept those of its units (bCertCount's 'g'
// counters list them) — and a query merges them in key order. The fields:
//
//	'a' (no value)       every certificate, by number
//	'd' issue day        2 bytes, days since 2000-01-01 China time: by date
//	'o' occupation       3 ASCII digits, then the issue day
//	'l' level            1 ASCII digit, then the issue day
//	's' status           'c' or 's', then the issue day; only 已注销 and
//	                     已补办 (valid is the rest)
//	'p' print flag       '0' or '1', then the issue day
//	'n' holder name      normalised, then 0x00 (exact and prefix search)
//	'i' ID number        18 ASCII characters (exact and prefix search)
//
// The four fields whose values hold many certificates each (occupation,
// level, status, print flag) list each value's certificates by date
// (dayOrdered), the list's default order, so a page filtered by one of them
// reads its 20 entries and no more.
//
// The name and ID entries of a certificate issued after the watermark are
// kept under 'm' and 'j' instead (the recent level, cert_index_recent.go).
//
// Every entry carries the certificate's 5-byte summary (status and print
// flag, issue day, occupation and level), so the other filters are checked
// on the entry without decoding the record. Entries are stored in runs of
// consecutive entries (cert_index_runs.go).
//
// # Counters
//
// bCertCount keeps, per (field, scope, value), how many certificates of
// that scope have it ('a', 'd', 'o', 'l', 's' with every status, 'p') for
// the issuing organisation and each of its ancestors, so a single filter
// has an exact total and a query picks the most selective index; and
// 'g' | scope | org | parent counts the certificates of each issuer group
// of the scope (for the org and for its parent).
//
// Every change of a certificate goes through reindexCertTx(tx, old, new) in
// the transaction that changes the record; certIndex computes the entries
// and counters of one certificate for every writer and for the integrity
// check.

const (
	ixAll     byte = 'a'
	ixDay     byte = 'd'
	ixOcc     byte = 'o'
	ixLevel   byte = 'l'
	ixStatus  byte = 's'
	ixPrinted byte = 'p'
	ixName    byte = 'n'
	ixID      byte = 'i'
	// ixGroup is a counter only: the issuer groups of a scope.
	ixGroup byte = 'g'
)

// ixFields are the indexed fields.
var ixFields = []byte{ixAll, ixDay, ixID, ixLevel, ixName, ixOcc, ixPrinted, ixStatus}

// issuerField is the field byte of an issuer group's entries.
func issuerField(f byte) byte { return f - 'a' + 'A' }

// groupOf is the group part of an entry key: field and province, or field,
// issuer and parent.
func groupOf(k []byte) []byte {
	n := 5
	if len(k) > 0 && k[0] >= 'A' && k[0] <= 'Z' {
		n = 9
	}
	return k[:min(n, len(k))]
}

// sumLen is the length of an entry's summary.
const sumLen = 5

// dayEpoch is day 0 of the issue-day encoding.
var dayEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// dayNumber is the day of t in China time, counted from 2000-01-01.
func dayNumber(t time.Time) uint16 {
	y, m, d := t.In(cst).Date()
	n := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(dayEpoch).Hours() / 24
	if n < 0 {
		return 0
	}
	if n > 65535 {
		return 65535
	}
	return uint16(n)
}

func scopeBytes(id uint64) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, uint32(id))
	return b
}

// packNumber packs a 14-digit number into 7 bytes that sort like the digits.
func packNumber(n string) ([]byte, error) {
	b := make([]byte, 7)
	if err := packNumberInto(b, n); err != nil {
		return nil, err
	}
	return b, nil
}

// packNumberInto packs n into b[:7], which must be zero.
func packNumberInto(b []byte, n string) error {
	if len(n) != 14 {
		return fmt.Errorf("certificate number %q is not 14 digits", n)
	}
	for i := 0; i < 14; i++ {
		c := n[i]
		if c < '0' || c > '9' {
			return fmt.Errorf("certificate number %q is not 14 digits", n)
		}
		b[i/2] |= (c - '0') << (4 * (1 - i%2))
	}
	return nil
}

func unpackNumber(b []byte) string {
	var out [14]byte
	for i := 0; i < 14; i++ {
		out[i] = '0' + (b[i/2]>>(4*(1-i%2)))&0x0f
	}
	return string(out[:])
}

// NormalizeName is the form of a holder's name that search compares
// (candidate.SearchKey): as the import stores names, without spaces.
func NormalizeName(s string) string { return candidate.SearchKey(s) }

// NormalizeNumber is the form of a certificate number as people type it
// (candidate.SearchNumber): full-width digits as ASCII, no spaces.
func NormalizeNumber(s string) string { return candidate.SearchNumber(s) }

func statusCode(s CertStatus) byte {
	switch s {
	case CertCancelled:
		return 'c'
	case CertSuperseded:
		return 's'
	}
	return 'v'
}

// The summary: byte 0 the status (bits 0–1: 0 valid, 1 cancelled, 2
// superseded) and the print flag (bit 2); bytes 1–2 the issue day; bytes
// 3–4 occupation × 10 + level, or noOccLevel when the occupation is not
// three digits.
const noOccLevel = 0xffff

// summaryInto writes the summary of c, issued on day, into v[:sumLen].
func summaryInto(v []byte, c *Certificate, day uint16) {
	var b0 byte
	switch c.Status {
	case CertCancelled:
		b0 = 1
	case CertSuperseded:
		b0 = 2
	}
	if c.Printed {
		b0 |= 4
	}
	v[0] = b0
	binary.BigEndian.PutUint16(v[1:3], day)
	binary.BigEndian.PutUint16(v[3:5], occLevel(c.Occupation, c.Level))
}

func occLevel(occ string, level int) uint16 {
	if len(occ) != 3 || level < 0 || level > 9 {
		return noOccLevel
	}
	n := 0
	for i := 0; i < 3; i++ {
		if occ[i] < '0' || occ[i] > '9' {
			return noOccLevel
		}
		n = n*10 + int(occ[i]-'0')
	}
	return uint16(n*10 + level)
}

// sumStatus is the status code ('v', 'c' or 's') of a summary.
func sumStatus(s []byte) byte { return "vcs?"[s[0]&3] }

// sumPrinted is the print flag ('0' or '1') of a summary.
func sumPrinted(s []byte) byte { return '0' + (s[0]>>2)&1 }

func sumDay(s []byte) uint16 { return binary.BigEndian.Uint16(s[1:3]) }

func sumOccLevel(s []byte) uint16 { return binary.BigEndian.Uint16(s[3:5]) }

type ixEntry struct{ key, val []byte }

// issuerGroup is the issuer group of a certificate: its issuing
// organisation and that organisation's parent when it was issued.
func issuerGroup(c *Certificate) (org, parent uint64) {
	if n := len(c.OrgPath); n > 0 {
		parent = c.OrgPath[n-1]
	}
	return c.OrgID, parent
}

// provinceOf is the root of a certificate's scopes.
func provinceOf(c *Certificate) uint64 {
	if len(c.OrgPath) > 0 {
		return c.OrgPath[0]
	}
	return c.OrgID
}

// certIndex returns the index entries of a certificate (with their
// summary) and the counter keys it adds one to. recentAfter is the
// watermark W of the transaction (cert_index_recent.go): the name and ID
// entries of a certificate issued after it are in the recent level.
func certIndex(c *Certificate, recentAfter uint16) ([]ixEntry, [][]byte, error) {
	num, err := packNumber(c.Number)
	if err != nil {
		return nil, nil, err
	}
	var val [sumLen]byte
	summaryInto(val[:], c, dayNumber(c.IssueDate))
	sum := val[:]
	var dayb [2]byte
	binary.BigEndian.PutUint16(dayb[:], dayNumber(c.IssueDate))
	level := []byte{byte('0' + c.Level)}
	status := []byte{statusCode(c.Status)}
	printed := []byte{'0'}
	if c.Printed {
		printed[0] = '1'
	}
	name := append([]byte(NormalizeName(c.Name)), 0)
	id := []byte(idcard.Normalize(c.IDNumber))
	org, parent := issuerGroup(c)
	prov := scopeBytes(provinceOf(c))
	grp := append(scopeBytes(org), scopeBytes(parent)...)
	values := [][2][]byte{{{ixAll}, nil}, {{ixDay}, dayb[:]}, {{ixOcc}, []byte(c.Occupation)}, {{ixLevel}, level},
		{{ixStatus}, status}, {{ixPrinted}, printed}, {{ixName}, name}, {{ixID}, id}}
	entries := make([]ixEntry, 0, 2*len(values))
	for _, fv := range values {
		field, value := fv[0][0], fv[1]
		if field == ixStatus && c.Status == CertValid {
			continue // valid is counted, not indexed
		}
		if dayOrdered(field) {
			value = key(value, dayb[:])
		}
		field = levelField(field, dayNumber(c.IssueDate), recentAfter)
		entries = append(entries, ixEntry{key([]byte{field}, prov, value, num), sum},
			ixEntry{key([]byte{issuerField(field)}, grp, value, num), sum})
	}
	scopes := c.Scopes()
	counts := make([][]byte, 0, 6*len(scopes)+2)
	for _, id64 := range scopes {
		sc := scopeBytes(id64)
		for _, fv := range values[:6] {
			counts = append(counts, key(fv[0], sc, fv[1]))
		}
	}
	counts = append(counts, key([]byte{ixGroup}, scopeBytes(org), grp))
	if parent != 0 {
		counts = append(counts, key([]byte{ixGroup}, scopeBytes(parent), grp))
	}
	return entries, counts, nil
}

func field1(f byte) []byte { return []byte{f} }

// dayOrdered reports whether a field's entries (of the province or an
// issuer group) hold the issue day between the value and the number, so
// that each value's certificates are listed by date.
func dayOrdered(field byte) bool {
	if field >= 'A' && field <= 'Z' {
		field += 'a' - 'A' // an issuer group's
	}
	return field == ixOcc || field == ixLevel || field == ixStatus || field == ixPrinted
}

// reindexCertTx moves a certificate's index entries and counters from old
// to new in the caller's transaction: the entries old had and new has not
// are deleted, new's are written (with its current summary) and the
// counters follow. old nil: a new certificate; new nil: one that is removed.
// Issuance, status changes, printing and every business on a certificate
// call it with the record as it was and as it is.
func reindexCertTx(tx *bolt.Tx, old, new *Certificate) error {
	var oldE, newE []ixEntry
	var oldC, newC [][]byte
	var err error
	w := recentAfterTx(tx)
	if old != nil {
		if oldE, oldC, err = certIndex(old, w); err != nil {
			return err
		}
	}
	if new != nil {
		if newE, newC, err = certIndex(new, w); err != nil {
			return err
		}
	}
	var ops []ixOp
	had := make(map[string][]byte, len(oldE))
	for _, e := range oldE {
		had[string(e.key)] = e.val
	}
	has := make(map[string]bool, len(newE))
	for _, e := range newE {
		has[string(e.key)] = true
		if v, ok := had[string(e.key)]; !ok || !bytes.Equal(v, e.val) {
			ops = append(ops, ixOp{e.key, e.val})
		}
	}
	for _, e := range oldE {
		if !has[string(e.key)] {
			ops = append(ops, ixOp{key: e.key})
		}
	}
	slices.SortFunc(ops, func(a, b ixOp) int { return bytes.Compare(a.key, b.key) })
	if err := applyIx(tx.Bucket(bCertIx), ops); err != nil {
		return err
	}
	delta := map[string]int64{}
	for _, k := range oldC {
		delta[string(k)]--
	}
	for _, k := range newC {
		delta[string(k)]++
	}
	return addCountsTx(tx, delta)
}

// addCountsTx adds to the library's counters, in key order; a counter that
// reaches zero is deleted.
func addCountsTx(tx *bolt.Tx, delta map[string]int64) error {
	keys := make([]string, 0, len(delta))
	for k, d := range delta {
		if d != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	cnt := tx.Bucket(bCertCount)
	heldChanged := false // a scope's first or last certificate of an occupation
	for _, k := range keys {
		old := int64(btoi(cnt.Get([]byte(k))))
		v := old + delta[k]
		if v < 0 {
			return fmt.Errorf("certificate counter %q would go below zero", k)
		}
		if (old == 0 || v == 0) && k[0] == ixOcc && !heldChanged {
			heldChanged = true
			heldOccupationsChangedTx(tx)
		}
		if v == 0 {
			if err := cnt.Delete([]byte(k)); err != nil {
				return err
			}
			continue
		}
		if err := cnt.Put([]byte(k), itob(uint64(v))); err != nil {
			return err
		}
	}
	return nil
}

// newCertIndex is the index work of newly issued certificates: their
// entries as sorted ops and their counters summed. It is computed from the
// certificates alone, without the transaction, so issuance computes it
// while it writes the records; writeTx then rewrites each run it touches
// once (an approval of 1,000 certificates appends to a few runs per group).
type newCertIndex struct {
	certs       []Certificate
	recentAfter uint16 // the watermark the entries were computed with
	ops         []ixOp
	counts      map[string]int64
}

// planNewCertIndex computes the entries and counters certIndex gives each
// certificate under the watermark recentAfter.
func planNewCertIndex(certs []Certificate, recentAfter uint16) (*newCertIndex, error) {
	p := &newCertIndex{certs: certs, recentAfter: recentAfter, counts: map[string]int64{}}
	n := 0
	for i := range certs {
		entries, counts, err := certIndex(&certs[i], recentAfter)
		if err != nil {
			return nil, err
		}
		if p.ops == nil {
			p.ops = make([]ixOp, 0, len(entries)*len(certs))
		}
		for _, e := range entries {
			p.ops = append(p.ops, ixOp{e.key, e.val})
		}
		for _, k := range counts {
			p.counts[string(k)]++
		}
		n += len(entries)
	}
	slices.SortFunc(p.ops, func(a, b ixOp) int { return bytes.Compare(a.key, b.key) })
	for i := 1; i < len(p.ops); i++ {
		if bytes.Equal(p.ops[i-1].key, p.ops[i].key) {
			return nil, fmt.Errorf("two certificates with the index entry %x", p.ops[i].key)
		}
	}
	return p, nil
}

// writeTx writes a plan's entries and adds its counters; a plan computed
// under another watermark than the transaction's is computed again.
func (p *newCertIndex) writeTx(tx *bolt.Tx) error {
	if w := recentAfterTx(tx); w != p.recentAfter {
		again, err := planNewCertIndex(p.certs, w)
		if err != nil {
			return err
		}
		p = again
	}
	b := tx.Bucket(bCertIx)
	b.FillPercent = 0.9
	if err := applyIx(b, p.ops); err != nil {
		return err
	}
	return addCountsTx(tx, p.counts)
}
