package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/candidate"
	"certreg/idcard"
)

// The certificate library (docs/certificates.md) lists, filters and sorts millions
// of certificates, so no list reads the certificate bucket: it reads
// bCertIdx and decodes only the rows it shows.
//
// For every certificate and every organisation whose scope holds it (the
// issuing unit or 省直所, and each of its ancestors) bCertIdx has one key per
// filterable field:
//
//	field byte | scope org id (4 bytes) | value | number (7 bytes, packed BCD)
//
// and every such key carries the certificate's 8-byte summary (status, print
// flag, occupation, level, issue day), so a second filter is checked on the
// key and its value without decoding the record. The fields:
//
//	'a' (no value)       every certificate, by number
//	'd' issue day        2 bytes, days since 2000-01-01 China time: by date
//	'o' occupation       3 ASCII digits
//	'l' level            1 ASCII digit
//	's' status           1 byte; only 已注销 and 已补办 (valid is the rest)
//	'p' print flag       '0' or '1'
//	'n' holder name      normalised, then 0x00 (exact and prefix search)
//	'i' ID number        18 ASCII characters (exact and prefix search)
//
// bCertCount keeps, per (field, scope, value), how many certificates have
// it ('a', 'd', 'o', 'l', 's' with every status, 'p'), so a single filter
// has an exact total and the query picks the most selective index. Putting
// the field first keeps each field's keys contiguous, which lets a bulk load
// append them in order.
//
// Every change of a certificate goes through reindexCertTx(tx, old, new) in
// the transaction that changes the record.

const (
	ixAll     byte = 'a'
	ixDay     byte = 'd'
	ixOcc     byte = 'o'
	ixLevel   byte = 'l'
	ixStatus  byte = 's'
	ixPrinted byte = 'p'
	ixName    byte = 'n'
	ixID      byte = 'i'
)

// Query limits (variables so that tests can exercise every plan on small
// data).
var (
	// gatherCap is the largest set a query collects and sorts in memory when
	// its most selective index is not in the requested order.
	gatherCap = 2000
	// countBudget bounds the index entries read to count a combination of
	// filters that no counter answers; past it the total is a lower bound.
	countBudget = 10000
	// topCap is the largest path read whole to pick the first page of
	// its matches in another order (only the page is kept and sorted).
	topCap = 60000
	// fillCap bounds the entries read to fill one page of a rare
	// combination of filters along a long index.
	fillCap = 2_000_000
)

// MaxCertPage is the largest page a list asks for.
const MaxCertPage = 500

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

// summary is the 8-byte value of every index key of a certificate.
func summary(c *Certificate) []byte {
	v := make([]byte, 8)
	summaryInto(v, c, dayNumber(c.IssueDate))
	return v
}

// summaryInto writes the summary of c, issued on day, into v[:8].
func summaryInto(v []byte, c *Certificate, day uint16) {
	v[0] = statusCode(c.Status)
	v[1] = '0'
	if c.Printed {
		v[1] = '1'
	}
	if occ := c.Occupation; len(occ) == 3 && occ[0] < 0x80 && occ[1] < 0x80 && occ[2] < 0x80 {
		copy(v[2:5], occ)
	} else {
		copy(v[2:5], fmt.Sprintf("%-3.3s", occ))
	}
	v[5] = byte('0' + c.Level)
	binary.BigEndian.PutUint16(v[6:8], day)
}

type ixEntry struct{ key, val []byte }

// certIndex returns the index keys of a certificate (with their summary
// value) and the counter keys it adds to.
func certIndex(c *Certificate) ([]ixEntry, [][]byte, error) {
	num, err := packNumber(c.Number)
	if err != nil {
		return nil, nil, err
	}
	val := summary(c)
	day := val[6:8]
	name := append([]byte(NormalizeName(c.Name)), 0)
	id := []byte(idcard.Normalize(c.IDNumber))
	scopes := append(append([]uint64(nil), c.OrgPath...), c.OrgID)
	entries := make([]ixEntry, 0, 8*len(scopes))
	counts := make([][]byte, 0, 6*len(scopes))
	for _, id64 := range scopes {
		sc := scopeBytes(id64)
		add := func(field byte, value []byte, count bool, index bool) {
			if index {
				entries = append(entries, ixEntry{key(field1(field), sc, value, num), val})
			}
			if count {
				counts = append(counts, key(field1(field), sc, value))
			}
		}
		add(ixAll, nil, true, true)
		add(ixDay, day, true, true)
		add(ixOcc, []byte(c.Occupation), true, true)
		add(ixLevel, val[5:6], true, true)
		add(ixStatus, val[0:1], true, c.Status != CertValid)
		add(ixPrinted, val[1:2], true, true)
		add(ixName, name, false, true)
		add(ixID, id, false, true)
	}
	return entries, counts, nil
}

func field1(f byte) []byte { return []byte{f} }

// reindexCertTx moves a certificate's index keys and counters from old to
// new in the caller's transaction: the keys old had and new has not are
// deleted, new's keys are written (with its current summary) and the
// counters follow. old nil: a new certificate; new nil: one that is removed.
// Issuance, status changes, printing and every business on a certificate
// call it with the record as it was and as it is.
func reindexCertTx(tx *bolt.Tx, old, new *Certificate) error {
	idx := tx.Bucket(bCertIdx)
	var oldE, newE []ixEntry
	var oldC, newC [][]byte
	var err error
	if old != nil {
		if oldE, oldC, err = certIndex(old); err != nil {
			return err
		}
	}
	if new != nil {
		if newE, newC, err = certIndex(new); err != nil {
			return err
		}
	}
	keep := make(map[string]bool, len(newE))
	for _, e := range newE {
		keep[string(e.key)] = true
	}
	for _, e := range oldE {
		if !keep[string(e.key)] {
			if err := idx.Delete(e.key); err != nil {
				return err
			}
		}
	}
	for _, e := range newE {
		if cur := idx.Get(e.key); cur != nil && bytes.Equal(cur, e.val) {
			continue
		}
		if err := idx.Put(e.key, e.val); err != nil {
			return err
		}
	}
	delta := map[string]int64{}
	for _, k := range oldC {
		delta[string(k)]--
	}
	for _, k := range newC {
		delta[string(k)]++
	}
	cnt := tx.Bucket(bCertCount)
	for k, d := range delta {
		if d == 0 {
			continue
		}
		v := int64(btoi(cnt.Get([]byte(k)))) + d
		if v < 0 {
			return fmt.Errorf("certificate counter %q would go below zero", k)
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

// Issuance indexes the certificates it creates as reindexCertTx(tx, nil,
// c) would for each, but with their keys written in key order and their
// counters added up first: an approval of 1,000 certificates writes about
// 21,000 keys that way in one pass over the tree and a few dozen counters
// instead of 18,000 counter updates (planNewCertIndex, then writeTx).

// newCertIndex is the index work of newly issued certificates: their index
// entries and counter increments, both in key order. It is computed from
// the certificates alone, without the transaction, so issuance computes it
// while it writes the records.
type newCertIndex struct {
	keys    []byte      // every key, one after the other
	vals    []byte      // the summaries, 8 bytes per certificate
	entries []planEntry // in key order
	counts  []ixCount
}

// planEntry is a key of newCertIndex.keys and its certificate.
type planEntry struct{ at, end, cert uint32 }

func (p *newCertIndex) key(e planEntry) []byte { return p.keys[e.at:e.end:e.end] }

func (p *newCertIndex) val(e planEntry) []byte { return p.vals[8*e.cert : 8*e.cert+8 : 8*e.cert+8] }

type ixCount struct {
	key []byte
	n   uint64
}

// newCertFields are the index fields in key order.
var newCertFields = []byte{ixAll, ixDay, ixID, ixLevel, ixName, ixOcc, ixPrinted, ixStatus}

// planNewCertIndex computes the keys certIndex gives each certificate,
// grouped by field and scope and sorted, and the counters they add to. The
// keys share one buffer and the certificates' summaries another.
func planNewCertIndex(certs []Certificate) (*newCertIndex, error) {
	type certKeys struct {
		num  [7]byte
		name []byte // normalised, then 0x00
		id   []byte
	}
	ck := make([]certKeys, len(certs))
	vals := make([]byte, 8*len(certs))
	var lastDay time.Time
	var day uint16
	keyBytes := 0
	nScoped := 0
	for i := range certs {
		c := &certs[i]
		if err := packNumberInto(ck[i].num[:], c.Number); err != nil {
			return nil, err
		}
		if i == 0 || !c.IssueDate.Equal(lastDay) {
			lastDay, day = c.IssueDate, dayNumber(c.IssueDate)
		}
		summaryInto(vals[8*i:8*i+8], c, day)
		ck[i].name = append([]byte(NormalizeName(c.Name)), 0)
		ck[i].id = []byte(idcard.Normalize(c.IDNumber))
		ns := len(c.OrgPath) + 1
		nScoped += ns
		// 8 keys of 5+7 bytes plus their values.
		keyBytes += ns * (8*12 + 2 + 3 + 1 + 1 + 1 + len(ck[i].name) + len(ck[i].id) + len(c.Occupation))
	}
	// Certificates in number order (issuance creates them in number order
	// within each segment, so this is usually a merge of sorted runs).
	order := make([]int32, len(certs))
	for i := range order {
		order[i] = int32(i)
	}
	byNum := func(a, b int32) int { return bytes.Compare(ck[a].num[:], ck[b].num[:]) }
	if !slices.IsSortedFunc(order, byNum) {
		slices.SortStableFunc(order, byNum)
	}
	// The scopes, ascending, and the certificates (in number order) each
	// holds; an issuance has one scope path for all its certificates.
	scopeOf := map[uint32][]int32{}
	var scopes []uint32
	for _, i := range order {
		c := &certs[i]
		for j := 0; j <= len(c.OrgPath); j++ {
			id := c.OrgID
			if j < len(c.OrgPath) {
				id = c.OrgPath[j]
			}
			sc := uint32(id)
			l, ok := scopeOf[sc]
			if !ok {
				scopes = append(scopes, sc)
				l = make([]int32, 0, len(certs))
			}
			scopeOf[sc] = append(l, i)
		}
	}
	slices.Sort(scopes)

	p := &newCertIndex{vals: vals, entries: make([]planEntry, 0, 7*nScoped)}
	arena := make([]byte, 0, keyBytes)
	for _, field := range newCertFields {
		for _, sc := range scopes {
			members := scopeOf[sc]
			from := len(p.entries)
			var prefix [5]byte
			prefix[0] = field
			binary.BigEndian.PutUint32(prefix[1:], sc)
			for _, i := range members {
				k := &ck[i]
				val := vals[8*i : 8*i+8]
				var value []byte
				switch field {
				case ixDay:
					value = val[6:8]
				case ixOcc:
					value = []byte(certs[i].Occupation)
				case ixLevel:
					value = val[5:6]
				case ixStatus:
					value = val[0:1]
				case ixPrinted:
					value = val[1:2]
				case ixName:
					value = k.name
				case ixID:
					value = k.id
				}
				at := len(arena)
				arena = append(arena, prefix[:]...)
				arena = append(arena, value...)
				arena = append(arena, k.num[:]...)
				p.entries = append(p.entries, planEntry{uint32(at), uint32(len(arena)), uint32(i)})
			}
			p.keys = arena // (entries hold offsets: valid if it grew)
			group := p.entries[from:]
			byKey := func(a, b planEntry) int { return bytes.Compare(arena[a.at+5:a.end], arena[b.at+5:b.end]) }
			if !slices.IsSortedFunc(group, byKey) {
				slices.SortFunc(group, byKey)
			}
			switch field {
			case ixAll, ixDay, ixOcc, ixLevel, ixStatus, ixPrinted:
				// Runs of one value are one counter increment.
				for j := 0; j < len(group); {
					kk := arena[group[j].at : group[j].end-7 : group[j].end-7]
					e := j + 1
					for e < len(group) && bytes.Equal(arena[group[e].at:group[e].end-7], kk) {
						e++
					}
					p.counts = append(p.counts, ixCount{kk, uint64(e - j)})
					j = e
				}
			}
			if field == ixStatus {
				// Valid is counted, not indexed.
				kept := group[:0]
				for _, e := range group {
					if arena[e.at+5] != 'v' {
						kept = append(kept, e)
					}
				}
				p.entries = p.entries[:from+len(kept)]
			}
		}
	}
	// Runs of a value are contiguous unless one occupation code is a
	// prefix of another: sort and merge to be exact.
	byCountKey := func(a, b ixCount) int { return bytes.Compare(a.key, b.key) }
	if !slices.IsSortedFunc(p.counts, byCountKey) {
		slices.SortStableFunc(p.counts, byCountKey)
	}
	merged := p.counts[:0]
	for _, c := range p.counts {
		if n := len(merged); n > 0 && bytes.Equal(merged[n-1].key, c.key) {
			merged[n-1].n += c.n
			continue
		}
		merged = append(merged, c)
	}
	p.counts = merged
	return p, nil
}

// writeTx writes a plan's keys and adds its counters.
func (p *newCertIndex) writeTx(tx *bolt.Tx) error {
	idx := tx.Bucket(bCertIdx)
	for _, e := range p.entries {
		if err := idx.Put(p.key(e), p.val(e)); err != nil {
			return err
		}
	}
	cnt := tx.Bucket(bCertCount)
	for _, c := range p.counts {
		if err := cnt.Put(c.key, itob(btoi(cnt.Get(c.key))+c.n)); err != nil {
			return err
		}
	}
	return nil
}

// Sort orders of the certificate list.
const (
	SortDate   = "date"
	SortNumber = "number"
	// Orders a list falls back to when a name or ID prefix matches more
	// certificates than can be sorted in memory.
	SortName = "name"
	SortID   = "id"
)

// CertQuery selects one page of the certificate library.
type CertQuery struct {
	OrgID      uint64 // an organisation inside the viewer's scope; 0: the whole scope
	Number     string // the number or its beginning (digits)
	Name       string // the holder's name or its beginning
	IDNumber   string // the ID number or its beginning
	Occupation string // 3-digit code
	Level      int
	Status     CertStatus
	Printed    string    // "yes", "no" or ""
	From, To   time.Time // issue dates, inclusive; zero: open
	Sort       string    // SortDate (default) or SortNumber
	Asc        bool      // oldest or smallest first; default newest first
	Offset     int
	Limit      int
}

// CertPage is one page of the library.
type CertPage struct {
	Certs []Certificate
	Total int  // matching certificates
	Exact bool // false: Total is a lower bound ("at least")
	More  bool // a page follows
	Order string
	// Scanned is how many index entries the query read (tests and
	// benchmarks watch it).
	Scanned int
}

// filter bits: which conditions an index path already satisfies.
type filterMask uint16

const (
	fNumber filterMask = 1 << iota
	fName
	fID
	fOcc
	fLevel
	fStatus
	fPrinted
	fDay
)

// certFilter is a normalised query.
type certFilter struct {
	scope          []byte
	number         string
	name           string
	id             string
	occ            string
	level          byte
	status         byte
	printed        byte
	from, to       uint16
	hasDay         bool
	active         filterMask
	sort           string
	desc           bool
	offset, limit  int
	numLo, numHigh []byte // packed bounds of the number prefix
}

func (q CertQuery) normalise(scope uint64, maxLimit int) (certFilter, error) {
	f := certFilter{scope: scopeBytes(scope), sort: q.Sort, desc: !q.Asc, offset: q.Offset, limit: q.Limit}
	if f.sort != SortNumber {
		f.sort = SortDate
	}
	if f.limit <= 0 || f.limit > maxLimit {
		f.limit = 20
	}
	if f.offset < 0 {
		f.offset = 0
	}
	if n := NormalizeNumber(q.Number); n != "" {
		if len(n) > 14 || strings.Trim(n, "0123456789") != "" {
			return f, invalid("number", "证书编号应为 14 位以内的数字")
		}
		f.number = n
		f.active |= fNumber
		f.numLo, _ = packNumber(n + strings.Repeat("0", 14-len(n)))
		f.numHigh, _ = packNumber(n + strings.Repeat("9", 14-len(n)))
	}
	if n := NormalizeName(q.Name); n != "" {
		f.name = n
		f.active |= fName
	}
	if id := idcard.Normalize(q.IDNumber); id != "" {
		if len(id) > 18 || strings.Trim(id, "0123456789X") != "" {
			return f, invalid("id", "身份证号只能包含数字和 X，最多 18 位")
		}
		f.id = id
		f.active |= fID
	}
	if q.Occupation != "" {
		if len(q.Occupation) != 3 || strings.Trim(q.Occupation, "0123456789") != "" {
			return f, invalid("occupation", "职业（工种）无效")
		}
		f.occ = q.Occupation
		f.active |= fOcc
	}
	if q.Level != 0 {
		if q.Level < 1 || q.Level > 5 {
			return f, invalid("level", "等级无效")
		}
		f.level = byte('0' + q.Level)
		f.active |= fLevel
	}
	switch q.Status {
	case "":
	case CertValid, CertCancelled, CertSuperseded:
		f.status = statusCode(q.Status)
		f.active |= fStatus
	default:
		return f, invalid("status", "证书状态无效")
	}
	switch q.Printed {
	case "":
	case "yes":
		f.printed = '1'
		f.active |= fPrinted
	case "no":
		f.printed = '0'
		f.active |= fPrinted
	default:
		return f, invalid("printed", "打印状态无效")
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		f.hasDay = true
		f.active |= fDay
		f.from, f.to = 0, 65535
		if !q.From.IsZero() {
			f.from = dayNumber(q.From)
		}
		if !q.To.IsZero() {
			f.to = dayNumber(q.To)
		}
		if f.from > f.to {
			return f, invalid("to", "结束日期不能早于开始日期")
		}
	}
	return f, nil
}

// match checks the conditions a path does not cover on one index entry.
// Name and ID conditions outside their own index need the record: rec
// loads it by the key's number.
func (f *certFilter) match(k, v []byte, covered filterMask, rec recordFunc) (bool, error) {
	todo := f.active &^ covered
	if todo == 0 {
		return true, nil
	}
	if todo&fStatus != 0 && v[0] != f.status {
		return false, nil
	}
	if todo&fPrinted != 0 && v[1] != f.printed {
		return false, nil
	}
	if todo&fOcc != 0 && string(v[2:5]) != f.occ {
		return false, nil
	}
	if todo&fLevel != 0 && v[5] != f.level {
		return false, nil
	}
	if todo&fDay != 0 {
		if d := binary.BigEndian.Uint16(v[6:8]); d < f.from || d > f.to {
			return false, nil
		}
	}
	if todo&fNumber != 0 {
		num := k[len(k)-7:]
		if bytes.Compare(num, f.numLo) < 0 || bytes.Compare(num, f.numHigh) > 0 {
			return false, nil
		}
	}
	if todo&(fName|fID) != 0 {
		c, err := rec(k[len(k)-7:])
		if err != nil {
			return false, err
		}
		if todo&fName != 0 && !strings.HasPrefix(NormalizeName(c.Name), f.name) {
			return false, nil
		}
		if todo&fID != 0 && !strings.HasPrefix(idcard.Normalize(c.IDNumber), f.id) {
			return false, nil
		}
	}
	return true, nil
}

// ixPath is one way to read candidates: a key range of one index.
type ixPath struct {
	start, end []byte // [start, end); end nil: to the end of the bucket
	order      string
	covers     filterMask
	est        int  // matches of this path's own condition
	exact      bool // est is exact
	// pre holds the path's entries when counting it read them all (a
	// prefix search of at most gatherCap), so sorting need not read again.
	pre []ixEntry
}

// successor is the first key after every key that starts with p (nil when
// there is none).
func successor(p []byte) []byte {
	out := append([]byte(nil), p...)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] < 0xff {
			out[i]++
			return out[:i+1]
		}
	}
	return nil
}

func prefixPath(prefix []byte, order string, covers filterMask) ixPath {
	return ixPath{start: prefix, end: successor(prefix), order: order, covers: covers}
}

// scan walks a path forwards or backwards; fn returns false to stop.
func scan(c *bolt.Cursor, p ixPath, desc bool, fn func(k, v []byte) (bool, error)) error {
	var k, v []byte
	if desc {
		if p.end == nil {
			k, v = c.Last()
		} else {
			if k, _ = c.Seek(p.end); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		}
	} else {
		k, v = c.Seek(p.start)
	}
	for k != nil {
		if bytes.Compare(k, p.start) < 0 || (p.end != nil && bytes.Compare(k, p.end) >= 0) {
			return nil
		}
		more, err := fn(k, v)
		if err != nil || !more {
			return err
		}
		if desc {
			k, v = c.Prev()
		} else {
			k, v = c.Next()
		}
	}
	return nil
}

// readUpTo reads the entries of a path, stopping past limit; it returns
// their number and, when they were at most limit, copies of them (in one
// buffer).
func readUpTo(c *bolt.Cursor, p ixPath, limit int) (int, []ixEntry, error) {
	var buf []byte
	var offs []int
	n := 0
	err := scan(c, p, false, func(k, v []byte) (bool, error) {
		n++
		if n > limit {
			return false, nil
		}
		offs = append(offs, len(buf), len(k))
		buf = append(append(buf, k...), v...)
		return true, nil
	})
	if err != nil || n > limit {
		return n, nil, err
	}
	out := make([]ixEntry, len(offs)/2)
	for i := range out {
		at, kl := offs[2*i], offs[2*i+1]
		out[i] = ixEntry{buf[at : at+kl : at+kl], buf[at+kl : at+kl+8 : at+kl+8]}
	}
	return n, out, nil
}

func counterOf(cnt *bolt.Bucket, field byte, scope, value []byte) int {
	return int(btoi(cnt.Get(key(field1(field), scope, value))))
}

// dayCount sums the per-day counters of a scope over [from, to].
func dayCount(cnt *bolt.Bucket, scope []byte, from, to uint16) int {
	prefix := key(field1(ixDay), scope)
	lo := key(prefix, binary.BigEndian.AppendUint16(nil, from))
	n := 0
	c := cnt.Cursor()
	for k, v := c.Seek(lo); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if binary.BigEndian.Uint16(k[len(prefix):]) > to {
			break
		}
		n += int(btoi(v))
	}
	return n
}

// queryCertsTx answers a query within one scope.
//
// Each filter that has an index offers a path (a key range) with its size:
// from the counters for occupation, level, status, print flag and date
// range, and by reading the range (up to gatherCap) for number, name and ID
// prefixes. A name or ID prefix must be the path when given, since the
// others cannot check it without decoding records. The plan then costs
// three ways of producing the page:
//
//   - gather: read the smallest path whole and sort its matches in memory
//     (at most gatherCap entries; up to topCap when only the first page or
//     so is kept);
//   - stream: walk the index that has the requested order (by date, by
//     number, or the date range or number prefix given) and check the other
//     conditions on each entry's summary, expecting (offset+limit) / share
//     entries, where share is the estimated fraction that matches;
//   - fall back: walk a large name, ID or number prefix in its own order.
func queryCertsTx(tx *bolt.Tx, f certFilter) (CertPage, error) {
	idx := tx.Bucket(bCertIdx)
	cnt := tx.Bucket(bCertCount)
	certs := tx.Bucket(bCerts)
	cur := idx.Cursor()
	page := CertPage{}
	sc := f.scope
	total := counterOf(cnt, ixAll, sc, nil)
	if total == 0 {
		page.Exact, page.Order = true, f.sort
		return page, nil
	}

	// The unfiltered paths in each order.
	all := prefixPath(key(field1(ixAll), sc), SortNumber, 0)
	all.est, all.exact = total, true
	byDay := prefixPath(key(field1(ixDay), sc), SortDate, 0)
	byDay.est, byDay.exact = total, true

	// One path per filter that has an index, with its size; share is the
	// estimated fraction of the scope that matches every filter.
	var paths []ixPath
	share := 1.0
	single := -1 // the exact count of the only filter, when known
	addCounted := func(field byte, value []byte, covers filterMask) {
		p := prefixPath(key(field1(field), sc, value), SortNumber, covers)
		p.est, p.exact = counterOf(cnt, field, sc, value), true
		share *= float64(p.est) / float64(total)
		paths = append(paths, p)
	}
	if f.active&fOcc != 0 {
		addCounted(ixOcc, []byte(f.occ), fOcc)
	}
	if f.active&fLevel != 0 {
		addCounted(ixLevel, []byte{f.level}, fLevel)
	}
	if f.active&fPrinted != 0 {
		addCounted(ixPrinted, []byte{f.printed}, fPrinted)
	}
	if f.active&fStatus != 0 {
		if f.status != 'v' {
			addCounted(ixStatus, []byte{f.status}, fStatus)
		} else { // valid is not indexed: it is most of them
			n := counterOf(cnt, ixStatus, sc, []byte{f.status})
			share *= float64(n) / float64(total)
			if f.active == fStatus {
				single = n
			}
		}
	}
	var dayPath, numPath *ixPath
	if f.hasDay {
		p := ixPath{start: key(field1(ixDay), sc, binary.BigEndian.AppendUint16(nil, f.from)), order: SortDate, covers: fDay}
		if f.to == 65535 {
			p.end = successor(key(field1(ixDay), sc))
		} else {
			p.end = key(field1(ixDay), sc, binary.BigEndian.AppendUint16(nil, f.to+1))
		}
		p.est, p.exact = dayCount(cnt, sc, f.from, f.to), true
		share *= float64(p.est) / float64(total)
		paths = append(paths, p)
		dayPath = &p
	}
	// Prefix searches are counted on their index, up to what can be sorted.
	budget := func(p ixPath) (ixPath, error) {
		n, pre, err := readUpTo(cur, p, gatherCap)
		p.est, p.exact, p.pre = n, n <= gatherCap, pre
		page.Scanned += n
		share *= float64(n) / float64(total)
		return p, err
	}
	if f.active&fNumber != 0 {
		p := ixPath{start: key(field1(ixAll), sc, f.numLo), end: successor(key(field1(ixAll), sc, f.numHigh)), order: SortNumber, covers: fNumber}
		var err error
		if p, err = budget(p); err != nil {
			return page, err
		}
		paths = append(paths, p)
		numPath = &p
	}
	var named []ixPath // name and ID paths: they must be the path when given
	if f.active&fName != 0 {
		p, err := budget(prefixPath(key(field1(ixName), sc, []byte(f.name)), SortName, fName))
		if err != nil {
			return page, err
		}
		named = append(named, p)
	}
	if f.active&fID != 0 {
		order := SortID
		if len(f.id) == 18 {
			order = SortNumber
		}
		p, err := budget(prefixPath(key(field1(ixID), sc, []byte(f.id)), order, fID))
		if err != nil {
			return page, err
		}
		named = append(named, p)
	}
	candidates := paths
	if len(named) > 0 {
		candidates = named
	}
	if len(paths)+len(named) == 1 && len(candidates) == 1 && f.active == candidates[0].covers && candidates[0].exact {
		single = candidates[0].est
	}
	if f.active == 0 {
		single = total
	}

	// The most selective path, and the cheapest way to the page.
	var best *ixPath
	for i := range candidates {
		if best == nil || candidates[i].est < best.est || (candidates[i].est == best.est && candidates[i].order == f.sort) {
			best = &candidates[i]
		}
	}
	if (best != nil && best.exact && best.est == 0) || single == 0 {
		page.Total, page.Exact, page.Order = 0, true, f.sort
		return page, nil
	}
	base := byDay // the index in the requested order
	switch {
	case f.sort == SortNumber && numPath != nil:
		base = *numPath
	case f.sort == SortNumber:
		base = all
	case dayPath != nil:
		base = *dayPath
	}
	want := float64(f.offset + f.limit)
	streamCost := want / max(share, 1/float64(total)) * float64(base.est) / float64(total)
	if f.active&^base.covers&(fName|fID) != 0 {
		streamCost *= 30 // each candidate entry decodes its record
	}
	if !base.exact {
		streamCost = want / max(share, 1/float64(total))
	}
	gatherCost := math.Inf(1)
	if best != nil && best.exact && (best.est <= gatherCap || best.est <= topCap && f.offset+f.limit <= 1000) {
		gatherCost = float64(best.est)
		if best.pre != nil {
			gatherCost /= 4 // already read
		}
	}

	record := func(num []byte) (*Certificate, error) {
		var c Certificate
		if err := getJSON(certs, []byte(unpackNumber(num)), &c); err != nil {
			return nil, fmt.Errorf("certificate %s: %w", unpackNumber(num), err)
		}
		return &c, nil
	}
	if tracePlan != nil {
		b := ixPath{}
		if best != nil {
			b = *best
		}
		tracePlan("total %d share %.4f best %s est %d exact %v pre %v gather %.0f stream %.0f base %s est %d",
			total, share, b.order, b.est, b.exact, b.pre != nil, gatherCost, streamCost, base.order, base.est)
	}
	var numbers [][]byte
	var err error
	switch {
	case best != nil && best.order == f.sort:
		numbers, err = streamPath(cur, &f, *best, single, &page, record, 0)
	case gatherCost <= streamCost:
		numbers, err = gatherPath(cur, &f, *best, &page, record)
	case best != nil && best.covers&(fName|fID|fNumber) != 0 && !best.exact:
		// A prefix larger than can be sorted: its own order, and what it
		// counted as a lower bound when it is the only filter.
		if single < 0 && f.active == best.covers {
			page.Total, page.Exact = best.est, false
		}
		numbers, err = streamPath(cur, &f, *best, single, &page, record, 0)
	case math.IsInf(gatherCost, 1) && best != nil:
		// Too many to sort: stream in the requested order, and if that
		// reads far past its estimate (a filter correlated with the order),
		// fall back to the filter's own order.
		numbers, err = streamPath(cur, &f, base, single, &page, record, max(int(4*streamCost), countBudget))
		if errors.Is(err, errStreamTooLong) {
			page = CertPage{Scanned: page.Scanned}
			numbers, err = streamPath(cur, &f, *best, single, &page, record, 0)
		}
	case math.IsInf(gatherCost, 1):
		numbers, err = streamPath(cur, &f, base, single, &page, record, 0)
	default:
		// Streaming is expected to be cheaper, but the filters may be
		// correlated with the order (a date range and numbers, which start
		// with the year): past four times the estimate, gather instead.
		numbers, err = streamPath(cur, &f, base, single, &page, record, max(int(4*streamCost), int(gatherCost/4), 1000))
		if errors.Is(err, errStreamTooLong) {
			page = CertPage{Scanned: page.Scanned}
			numbers, err = gatherPath(cur, &f, *best, &page, record)
		}
	}
	if err != nil {
		return page, err
	}
	page.Certs = make([]Certificate, 0, len(numbers))
	for _, n := range numbers {
		c, err := record(n)
		if err != nil {
			return page, err
		}
		page.Certs = append(page.Certs, *c)
	}
	return page, nil
}

// errStreamTooLong stops a stream that reads far more than its estimate.
var errStreamTooLong = errors.New("stream read past its estimate")

// tracePlan, when set (tests), receives each query's plan.
var tracePlan func(format string, args ...any)

// recordFunc loads the certificate of a packed number.
type recordFunc func(num []byte) (*Certificate, error)

// gatherPath reads a whole path, keeps the matches and sorts them in the
// requested order.
func gatherPath(cur *bolt.Cursor, f *certFilter, p ixPath, page *CertPage, record recordFunc) ([][]byte, error) {
	type hit struct { // no pointers: sorting moves no GC-visible words
		num [7]byte
		day uint16
	}
	cmp := func(a, b hit) int {
		if f.desc {
			a, b = b, a
		}
		if f.sort == SortDate && a.day != b.day {
			return int(a.day) - int(b.day)
		}
		return bytes.Compare(a.num[:], b.num[:])
	}
	// Only the first offset+limit in the requested order are kept: past
	// twice that, the hits are sorted and cut.
	keep := f.offset + f.limit
	var hits []hit
	var worst hit // the last kept after a cut: anything after it is dropped
	cut := false
	matched := 0
	visit := func(k, v []byte) error {
		ok, err := f.match(k, v, p.covers, record)
		if !ok || err != nil {
			return err
		}
		matched++
		h := hit{day: binary.BigEndian.Uint16(v[6:8])}
		copy(h.num[:], k[len(k)-7:])
		if cut && cmp(h, worst) >= 0 {
			return nil
		}
		hits = append(hits, h)
		if len(hits) >= 2*keep+1024 {
			slices.SortFunc(hits, cmp)
			hits = hits[:keep]
			worst, cut = hits[keep-1], true
		}
		return nil
	}
	if p.pre != nil {
		for _, e := range p.pre {
			if err := visit(e.key, e.val); err != nil {
				return nil, err
			}
		}
	} else if err := scan(cur, p, false, func(k, v []byte) (bool, error) {
		page.Scanned++
		return true, visit(k, v)
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(hits, cmp)
	page.Total, page.Exact, page.Order = matched, true, f.sort
	var numbers [][]byte
	for i := f.offset; i < len(hits) && i < keep; i++ {
		numbers = append(numbers, hits[i].num[:])
	}
	page.More = keep < matched
	return numbers, nil
}

// streamPath walks one path in its order, checking the conditions it does
// not cover, until the page is full. single is the exact total when a
// counter knows it (-1 otherwise); a lower bound already in page (Exact
// false, Total > 0) stops the walk at the page as well. Otherwise the walk
// goes on counting for at most countBudget entries.
func streamPath(cur *bolt.Cursor, f *certFilter, p ixPath, single int, page *CertPage, record recordFunc, giveUp int) ([][]byte, error) {
	start := page.Scanned
	page.Order = p.order
	known := page.Total > 0 && !page.Exact
	if single >= 0 {
		page.Total, page.Exact = single, true
	}
	if page.Exact && f.offset >= page.Total {
		return nil, nil
	}
	desc, skip, want := f.desc, f.offset, f.limit
	reverse := false
	if page.Exact && f.offset > page.Total/2 {
		// Deep pages are read from the other end.
		reverse = true
		desc = !desc
		want = min(f.limit, page.Total-f.offset)
		skip = page.Total - f.offset - want
	}
	var numbers [][]byte
	matched, stopped := 0, false
	err := scan(cur, p, desc, func(k, v []byte) (bool, error) {
		page.Scanned++
		num := k[len(k)-7:]
		ok, err := f.match(k, v, p.covers, record)
		switch {
		case err != nil:
			return false, err
		case !ok:
		case skip > 0:
			matched++
			skip--
		case len(numbers) < want:
			matched++
			numbers = append(numbers, append([]byte(nil), num...))
			if len(numbers) == want && (page.Exact || known) {
				stopped = true
				return false, nil
			}
		default:
			matched++
		}
		if giveUp > 0 && len(numbers) < want && page.Scanned-start > giveUp {
			return false, errStreamTooLong
		}
		if page.Scanned >= fillCap || (len(numbers) == want && page.Scanned >= countBudget) {
			stopped = true
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	if reverse {
		for i, j := 0, len(numbers)-1; i < j; i, j = i+1, j-1 {
			numbers[i], numbers[j] = numbers[j], numbers[i]
		}
	}
	switch {
	case page.Exact:
		page.More = f.offset+f.limit < page.Total
	case known:
		page.More = true
	case !stopped:
		page.Total, page.Exact = matched, true
		page.More = matched > f.offset+len(numbers)
	default:
		page.Total, page.More = matched, true
	}
	return numbers, nil
}
