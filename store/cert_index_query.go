package store

import (
	"bytes"
	"container/heap"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/idcard"
)

// Query limits (variables so that tests can exercise every plan on small
// data). Together they bound what one page may cost: a query reads at most
// about scanBudget index entries and decodes only the rows it shows.
var (
	// gatherCap is the largest set a query collects and sorts in memory when
	// its most selective index is not in the requested order.
	gatherCap = 2000
	// countBudget bounds the index entries read to count a combination of
	// filters that no counter answers; past it the total is a lower bound.
	countBudget = 5000
	// topCap is the largest path read whole to pick the first page of
	// its matches in another order (only the page is kept and sorted).
	topCap = 15000
	// scanBudget bounds the entries one page reads along an index; a rare
	// combination of filters that does not fill its page within it answers
	// what it found, marked Partial.
	scanBudget = 16000
	// maxDepth is how far from either end of a list a page may start when
	// it is asked for by number; further pages are reached with the
	// pager's next and previous links, which continue from a row.
	maxDepth = 10000
)

// MaxCertPage is the largest page a list asks for.
const MaxCertPage = 500

// CertPageDepth is how far from either end of a list a page asked for by
// number may start (deeper pages are reached with cursors).
func CertPageDepth() int { return maxDepth }

// exportBudget is scanBudget for an export, which may read the whole
// library to find its rows.
const exportBudget = 4_000_000

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
	// After and Before continue a list from a row of the page before
	// (CertPage.Next) or after (CertPage.Prev) instead of an offset, so a
	// page costs the same however deep it is.
	After, Before string
}

// CertPage is one page of the library.
type CertPage struct {
	Certs []Certificate
	Total int  // matching certificates (0 and not Exact after a cursor: not counted)
	Exact bool // false: Total is a lower bound ("at least")
	More  bool // a page follows
	Order string
	// Partial: the query read as much of the index as one page may without
	// finding every match; Certs are the matches it found.
	Partial bool
	// Next and Prev are cursors for CertQuery.After and Before: the last
	// and the first row of the page, "" when the page is empty.
	Next, Prev string
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
	scope          uint64
	number         string
	name           string
	id             string
	occ            string
	occLevel       uint16 // occupation × 10, when fOcc
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
	cursor         []byte // After or Before: the sort key of a row
	before         bool   // the cursor is Before
	cursorOrder    string
	budget         int
}

func (q CertQuery) normalise(scope uint64, maxLimit int) (certFilter, error) {
	f := certFilter{scope: scope, sort: q.Sort, desc: !q.Asc, offset: q.Offset, limit: q.Limit, budget: scanBudget}
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
		f.occLevel = occLevel(q.Occupation, 0)
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
	cur := q.After
	if q.Before != "" {
		cur, f.before = q.Before, true
	}
	if cur != "" {
		order, key, err := parseCursor(cur)
		if err != nil {
			return f, err
		}
		f.cursorOrder, f.cursor = order, key
	}
	return f, nil
}

// A cursor is the sort key of a row in an order: the order's letter, ':'
// and the key in hex (the number; the day and number; the name or ID part
// of the path and the number).
var (
	cursorLetter = map[string]byte{SortDate: 'd', SortNumber: 'n', SortName: 'm', SortID: 'i'}
	cursorOrders = map[byte]string{'d': SortDate, 'n': SortNumber, 'm': SortName, 'i': SortID}
)

func cursorOf(order string, key []byte) string {
	if len(key) == 0 {
		return ""
	}
	return string(cursorLetter[order]) + ":" + hex.EncodeToString(key)
}

func parseCursor(s string) (string, []byte, error) {
	bad := invalid("page", "翻页链接无效，请从第一页重新查询")
	if len(s) < 3 || s[1] != ':' || len(s) > 300 {
		return "", nil, bad
	}
	order, ok := cursorOrders[s[0]]
	key, err := hex.DecodeString(s[2:])
	if !ok || err != nil || len(key) < 7 {
		return "", nil, bad
	}
	return order, key, nil
}

// match checks the conditions a path does not cover on one entry (its key
// after the group and its summary). Name and ID conditions outside their
// own index need the record: rec loads it by the entry's number.
func (f *certFilter) match(num, s []byte, covered filterMask, rec recordFunc) (bool, error) {
	todo := f.active &^ covered
	if todo == 0 {
		return true, nil
	}
	if todo&fStatus != 0 && sumStatus(s) != f.status {
		return false, nil
	}
	if todo&fPrinted != 0 && sumPrinted(s) != f.printed {
		return false, nil
	}
	if todo&(fOcc|fLevel) != 0 {
		ol := sumOccLevel(s)
		if ol == noOccLevel {
			return false, nil
		}
		if todo&fOcc != 0 && ol/10*10 != f.occLevel {
			return false, nil
		}
		if todo&fLevel != 0 && byte('0'+ol%10) != f.level {
			return false, nil
		}
	}
	if todo&fDay != 0 {
		if d := sumDay(s); d < f.from || d > f.to {
			return false, nil
		}
	}
	if todo&fNumber != 0 {
		if bytes.Compare(num, f.numLo) < 0 || bytes.Compare(num, f.numHigh) > 0 {
			return false, nil
		}
	}
	if todo&(fName|fID) != 0 {
		c, err := rec(num)
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

// ixPath is one way to read candidates: a range of one field's entries in
// every group of the scope, [lo, hi) of the key part after the group (hi
// nil: to the group's end).
type ixPath struct {
	field  byte
	lo, hi []byte
	// val is the value every key part of the path starts with when the
	// path is one value's entries in the order that follows it (by date or
	// by number); a cursor continues after it.
	val    []byte
	order  string
	covers filterMask
	est    int  // matches of this path's own condition
	exact  bool // est is exact, or a bound that reading the path makes exact
	// pre holds the path's entries when counting it read them all (a
	// prefix search of at most gatherCap), so sorting need not read again.
	pre []preEntry
}

type preEntry struct {
	num [7]byte
	sum [sumLen]byte
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

func prefixPath(field byte, value []byte, order string, covers filterMask) ixPath {
	return ixPath{field: field, lo: value, hi: successor(value), val: value, order: order, covers: covers}
}

// queryCtx is one query's transaction, scope and statistics.
type queryCtx struct {
	tx      *bolt.Tx
	ix      *bolt.Bucket
	certs   *bolt.Bucket
	groups  [][]byte // the scope's groups without the field byte (4 bytes for the province, 8 for an issuer)
	global  bool
	page    *CertPage
	decoded Certificate
}

// prefix is a path's group prefix in group g.
func (q *queryCtx) prefix(field byte, g []byte) []byte {
	if !q.global {
		field = issuerField(field)
	}
	return append([]byte{field}, g...)
}

// scan walks a path in its order (desc: backwards), across the scope's
// groups merged by the key part after the group; from, when set, starts
// past that key part. fn gets the part and the summary; it returns false to
// stop.
func (q *queryCtx) scan(p ixPath, desc bool, from []byte, fn func(k, s []byte) (bool, error)) error {
	type stream struct {
		rc     *runCursor
		plen   int
		lo, hi []byte
		k, s   []byte
	}
	streams := make([]*stream, 0, len(q.groups))
	var cursors []*runCursor // each stream's, given back at the end
	defer func() {
		for _, rc := range cursors {
			rc.release()
		}
	}()
	for _, pre := range q.prefixes(p.field) { // both levels of names and IDs
		st := &stream{rc: borrowRunCursor(q.ix), plen: len(pre), lo: append(pre, p.lo...)}
		cursors = append(cursors, st.rc)
		if p.hi != nil {
			st.hi = key(pre, p.hi)
		} else {
			st.hi = successor(pre)
		}
		var k, s []byte
		switch {
		case desc && from != nil && bytes.Compare(key(pre, from), st.hi) < 0:
			k, s = st.rc.seekBefore(key(pre, from))
		case desc:
			k, s = st.rc.seekBefore(st.hi)
		case from != nil && bytes.Compare(key(pre, from, []byte{0}), st.lo) > 0:
			k, s = st.rc.seek(key(pre, from, []byte{0}))
		default:
			k, s = st.rc.seek(st.lo)
		}
		if st.rc.err != nil {
			return st.rc.err
		}
		if k == nil || bytes.Compare(k, st.lo) < 0 || (st.hi != nil && bytes.Compare(k, st.hi) >= 0) {
			continue
		}
		st.k, st.s = k, s
		streams = append(streams, st)
	}
	advance := func(st *stream) (bool, error) {
		var k, s []byte
		if desc {
			k, s = st.rc.prev()
		} else {
			k, s = st.rc.next()
		}
		if st.rc.err != nil {
			return false, st.rc.err
		}
		if k == nil || bytes.Compare(k, st.lo) < 0 || (st.hi != nil && bytes.Compare(k, st.hi) >= 0) {
			return false, nil
		}
		st.k, st.s = k, s
		return true, nil
	}
	if len(streams) == 1 {
		// One group: a loop on locals (no store into the heap per entry).
		st := streams[0]
		rc, lo, hi, plen, k, s := st.rc, st.lo, st.hi, st.plen, st.k, st.s
		for {
			more, err := fn(k[plen:], s)
			if err != nil || !more {
				return err
			}
			if desc {
				k, s = rc.prev()
			} else {
				k, s = rc.next()
			}
			if rc.err != nil {
				return rc.err
			}
			if k == nil || bytes.Compare(k, lo) < 0 || (hi != nil && bytes.Compare(k, hi) >= 0) {
				return nil
			}
		}
	}
	h := &streamHeap{desc: desc}
	for _, st := range streams {
		h.items = append(h.items, heapItem{k: st.k[st.plen:], s: st.s, src: st})
	}
	heap.Init(h)
	for h.Len() > 0 {
		top := h.items[0]
		more, err := fn(top.k, top.s)
		if err != nil || !more {
			return err
		}
		st := top.src.(*stream)
		ok, err := advance(st)
		if err != nil {
			return err
		}
		if ok {
			h.items[0] = heapItem{k: st.k[st.plen:], s: st.s, src: st}
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return nil
}

type heapItem struct {
	k, s []byte
	src  any
}

type streamHeap struct {
	items []heapItem
	desc  bool
}

func (h *streamHeap) Len() int { return len(h.items) }
func (h *streamHeap) Less(i, j int) bool {
	c := bytes.Compare(h.items[i].k, h.items[j].k)
	if h.desc {
		return c > 0
	}
	return c < 0
}
func (h *streamHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *streamHeap) Push(x any)    { h.items = append(h.items, x.(heapItem)) }
func (h *streamHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// readUpTo reads the entries of a path, stopping past limit; it returns
// their number and, when they were at most limit, copies of them. It
// counts first without decoding (countRange), so a path far larger than
// limit (a common surname) costs a few dozen runs' lengths.
func (q *queryCtx) readUpTo(p ixPath, limit int) (int, []preEntry, error) {
	total := 0
	for _, pre := range q.prefixes(p.field) { // both levels of names and IDs
		hi := successor(pre)
		if p.hi != nil {
			hi = key(pre, p.hi)
		}
		n, err := countRange(q.ix, key(pre, p.lo), hi, limit-total)
		if err != nil {
			return 0, nil, err
		}
		if total += n; total > limit {
			return total, nil, nil
		}
	}
	return q.readAll(p, limit, total)
}

// readAll reads the entries of a path (about expect), stopping past limit.
func (q *queryCtx) readAll(p ixPath, limit, expect int) (int, []preEntry, error) {
	out := make([]preEntry, 0, min(expect, limit)+1)
	n := 0
	err := q.scan(p, false, nil, func(k, s []byte) (bool, error) {
		n++
		if n > limit {
			return false, nil
		}
		var e preEntry
		copy(e.num[:], k[len(k)-7:])
		copy(e.sum[:], s)
		out = append(out, e)
		return true, nil
	})
	if err != nil || n > limit {
		return n, nil, err
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

// scopeGroups are the groups a scope's queries read: the province's own,
// or the issuer groups of any other organisation.
func scopeGroups(tx *bolt.Tx, scope uint64) ([][]byte, bool) {
	if btoi(tx.Bucket(bMeta).Get([]byte("province_id"))) == scope {
		return [][]byte{scopeBytes(scope)}, true
	}
	prefix := key(field1(ixGroup), scopeBytes(scope))
	var out [][]byte
	c := tx.Bucket(bCertCount).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) == len(prefix)+8 {
			out = append(out, append([]byte(nil), k[len(prefix):]...))
		}
	}
	return out, false
}

// errStreamTooLong stops a stream that reads far more than its estimate.
var errStreamTooLong = errors.New("stream read past its estimate")

// tracePlan, when set (tests), receives each query's plan.
var tracePlan func(format string, args ...any)

// recordFunc loads the certificate of a packed number.
type recordFunc func(num []byte) (*Certificate, error)

// orderKey is a row's cursor key from its entry's key part on a path in
// that order: the number for number order, the day and number for date
// order, else the key part itself (the name or ID and number).
func orderKey(order string, k []byte) []byte {
	switch order {
	case SortNumber:
		return append([]byte(nil), k[len(k)-7:]...)
	case SortDate:
		return append([]byte(nil), k[len(k)-9:]...)
	}
	return append([]byte(nil), k...)
}

// cursorFrom is where a walk along p continues from a cursor key of p's
// order: the key itself on the paths whose key part is the order's key
// (every number, every day), else after p's value (one occupation's
// certificates by date, one ID number's by number).
func cursorFrom(p ixPath, cursor []byte) []byte {
	if p.order == SortNumber || p.order == SortDate {
		return key(p.val, cursor)
	}
	return cursor
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
//
// No walk reads more than f.budget entries; a page asked for by number may
// not start further than maxDepth from either end of the list (cursors go
// on from a row instead).
func queryCertsTx(tx *bolt.Tx, f certFilter) (CertPage, error) {
	cnt := tx.Bucket(bCertCount)
	page := CertPage{}
	sc := scopeBytes(f.scope)
	total := counterOf(cnt, ixAll, sc, nil)
	if total == 0 {
		page.Exact, page.Order = true, f.sort
		return page, nil
	}
	groups, global := scopeGroups(tx, f.scope)
	q := &queryCtx{tx: tx, ix: tx.Bucket(bCertIx), certs: tx.Bucket(bCerts), groups: groups, global: global, page: &page}
	// An entry merged from several issuer groups (a dept's units) costs
	// several read from one: the walks of such a scope read fewer.
	top, count := topCap, countBudget
	if len(groups) > 1 {
		top, count = topCap/4, countBudget/5
		if f.budget == scanBudget {
			f.budget = max(scanBudget/5, 1)
		}
	}

	// The unfiltered paths in each order.
	all := prefixPath(ixAll, nil, SortNumber, 0)
	all.est, all.exact = total, true
	byDay := prefixPath(ixDay, nil, SortDate, 0)
	byDay.est, byDay.exact = total, true

	// One path per filter that has an index, with its size; share is the
	// estimated fraction of the scope that matches every filter.
	var paths []ixPath
	share := 1.0
	single := -1 // the exact count of the only filter, when known
	addCounted := func(field byte, value []byte, covers filterMask) {
		p := prefixPath(field, value, SortDate, covers)
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
		p := ixPath{field: ixDay, lo: binary.BigEndian.AppendUint16(nil, f.from), order: SortDate, covers: fDay}
		if f.to != 65535 {
			p.hi = binary.BigEndian.AppendUint16(nil, f.to+1)
		}
		p.est, p.exact = dayCount(cnt, sc, f.from, f.to), true
		share *= float64(p.est) / float64(total)
		paths = append(paths, p)
		dayPath = &p
	}
	// A date range narrows the paths whose values list their certificates
	// by date to the range's days: what they read then matches both, and
	// they may hold no more than the range.
	if dayPath != nil {
		for i := range paths {
			p := &paths[i]
			if !dayOrdered(p.field) {
				continue
			}
			p.lo = key(p.val, binary.BigEndian.AppendUint16(nil, f.from))
			if f.to != 65535 {
				p.hi = key(p.val, binary.BigEndian.AppendUint16(nil, f.to+1))
			}
			p.covers |= fDay
			p.est = min(p.est, dayPath.est) // an upper bound: reading the path counts it
		}
	}
	// Prefix searches are counted on their index, up to what can be sorted.
	budget := func(p ixPath) (ixPath, error) {
		n, pre, err := q.readUpTo(p, gatherCap)
		p.est, p.exact, p.pre = n, n <= gatherCap, pre
		page.Scanned += min(n, gatherCap+1)
		share *= float64(n) / float64(total)
		return p, err
	}
	if f.active&fNumber != 0 {
		p := ixPath{field: ixAll, lo: f.numLo, hi: successor(f.numHigh), order: SortNumber, covers: fNumber}
		var err error
		if p, err = budget(p); err != nil {
			return page, err
		}
		paths = append(paths, p)
		numPath = &p
	}
	var named []ixPath // name and ID paths: they must be the path when given
	if f.active&fName != 0 {
		p, err := budget(prefixPath(ixName, []byte(f.name), SortName, fName))
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
		p, err := budget(prefixPath(ixID, []byte(f.id), order, fID))
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
	// Of paths of the same size, one in the requested order, then one that
	// covers more filters (a value narrowed to a date range over the range).
	better := func(a, b *ixPath) bool {
		if a.est != b.est {
			return a.est < b.est
		}
		if (a.order == f.sort) != (b.order == f.sort) {
			return a.order == f.sort
		}
		return bits.OnesCount16(uint16(a.covers)) > bits.OnesCount16(uint16(b.covers))
	}
	var best *ixPath
	for i := range candidates {
		if best == nil || better(&candidates[i], best) {
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
	// A page asked for by number starts at most maxDepth from an end.
	if f.cursor == nil && f.limit <= MaxCertPage {
		fromEnd := math.MaxInt
		if single >= 0 {
			fromEnd = single - f.offset - f.limit
		}
		if f.offset > maxDepth && fromEnd > maxDepth {
			return page, invalid("page", fmt.Sprintf("只能按页码查看前 %d 条和最后 %d 条结果；请增加查询条件缩小范围，或用“下一页”“上一页”逐页查看", maxDepth, maxDepth))
		}
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
	if best != nil && best.exact && (best.est <= gatherCap || best.est <= top && f.offset+f.limit <= 1000) {
		gatherCost = float64(best.est)
		if best.pre != nil {
			gatherCost /= 4 // already read
		}
	}

	record := func(num []byte) (*Certificate, error) {
		if err := getCert(q.certs, []byte(unpackNumber(num)), &q.decoded); err != nil {
			return nil, fmt.Errorf("certificate %s: %w", unpackNumber(num), err)
		}
		return &q.decoded, nil
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
		numbers, err = q.streamPath(&f, *best, single, record, 0)
	case gatherCost <= streamCost:
		numbers, err = q.gatherPath(&f, *best, record)
	case best != nil && best.covers&(fName|fID|fNumber) != 0 && !best.exact:
		// A prefix larger than can be sorted: its own order, and what it
		// counted as a lower bound when it is the only filter.
		if single < 0 && f.active == best.covers {
			page.Total, page.Exact = best.est, false
		}
		numbers, err = q.streamPath(&f, *best, single, record, 0)
	case math.IsInf(gatherCost, 1) && best != nil && best.order == SortDate && f.active&fDay == 0:
		// Too many to sort and listed by date, but asked for by number:
		// stream by number (a broad filter fills its page within the
		// budget; a deep page of a rare one is Partial and goes on by
		// cursor). With a date range, which the numbers' years follow, the
		// next case falls back to date order instead.
		numbers, err = q.streamPath(&f, base, single, record, 0)
	case math.IsInf(gatherCost, 1) && best != nil:
		// Too many to sort: stream in the requested order, and if that
		// reads far past its estimate (a filter correlated with the order),
		// fall back to the filter's own order.
		numbers, err = q.streamPath(&f, base, single, record, max(int(4*streamCost), count))
		if errors.Is(err, errStreamTooLong) {
			page = CertPage{Scanned: page.Scanned}
			numbers, err = q.streamPath(&f, *best, single, record, 0)
		}
	case math.IsInf(gatherCost, 1):
		numbers, err = q.streamPath(&f, base, single, record, 0)
	default:
		// Streaming is expected to be cheaper, but the filters may be
		// correlated with the order (a date range and numbers, which start
		// with the year): past four times the estimate, gather instead.
		numbers, err = q.streamPath(&f, base, single, record, max(int(4*streamCost), int(gatherCost/4), 1000))
		if errors.Is(err, errStreamTooLong) {
			page = CertPage{Scanned: page.Scanned}
			numbers, err = q.gatherPath(&f, *best, record)
		}
	}
	if err != nil {
		return page, err
	}
	page.Certs = make([]Certificate, len(numbers))
	for i, n := range numbers {
		if err := getCert(q.certs, []byte(unpackNumber(n)), &page.Certs[i]); err != nil {
			return page, fmt.Errorf("certificate %s: %w", unpackNumber(n), err)
		}
	}
	return page, nil
}

// gatherHit is a match gatherPath keeps. It holds no pointers: sorting
// moves no GC-visible words.
type gatherHit struct {
	num [7]byte
	day uint16
	// The sort key as two integers (compared without a call): by date, the
	// day and the number's first 5 bytes, then its last 2; by number, its 7
	// bytes.
	k1 uint64
	k2 uint16
}

// hitBufs keeps gatherPath's lists between queries (a few hundred hits
// for a common name: the largest allocation of its answer).
var hitBufs sync.Pool

func borrowHits(room int) []gatherHit {
	if p, ok := hitBufs.Get().(*[]gatherHit); ok && cap(*p) >= room {
		return (*p)[:0]
	}
	return make([]gatherHit, 0, room)
}

func giveBackHits(h []gatherHit) {
	if cap(h) <= 1<<16+1 {
		h = h[:0]
		hitBufs.Put(&h)
	}
}

// gatherPath reads a whole path, keeps the matches and sorts them in the
// requested order.
func (q *queryCtx) gatherPath(f *certFilter, p ixPath, record recordFunc) ([][]byte, error) {
	page := q.page
	type hit = gatherHit
	byDate := f.sort == SortDate
	order := func(h *hit) {
		n := h.num[:]
		if byDate {
			h.k1 = uint64(h.day)<<40 | uint64(n[0])<<32 | uint64(binary.BigEndian.Uint32(n[1:5]))
			h.k2 = binary.BigEndian.Uint16(n[5:7])
		} else {
			h.k1 = uint64(n[0])<<48 | uint64(binary.BigEndian.Uint16(n[1:3]))<<32 | uint64(binary.BigEndian.Uint32(n[3:7]))
		}
		if f.desc { // newest or largest first: the keys inverted
			h.k1, h.k2 = ^h.k1, ^h.k2
		}
	}
	cmp := func(a, b hit) int {
		switch {
		case a.k1 != b.k1:
			if a.k1 < b.k1 {
				return -1
			}
			return 1
		case a.k2 != b.k2:
			return int(a.k2) - int(b.k2)
		}
		return 0
	}
	keyOf := func(h hit) []byte {
		if f.sort == SortDate {
			return append(binary.BigEndian.AppendUint16(nil, h.day), h.num[:]...)
		}
		return h.num[:]
	}
	// A cursor keeps only the rows past it (before it, for Before, taken
	// from the far end of the sorted list).
	var pos *hit
	if f.cursor != nil && f.cursorOrder == f.sort {
		var h hit
		k := f.cursor
		if f.sort == SortDate && len(k) == 9 {
			h.day = binary.BigEndian.Uint16(k)
			k = k[2:]
		}
		if len(k) == 7 {
			copy(h.num[:], k)
			order(&h)
			pos = &h
		}
	}
	// Only the first offset+limit in the requested order are kept: past
	// twice that, the hits are sorted and cut.
	keep := f.offset + f.limit
	if pos != nil {
		keep = f.limit + 1
		if f.before {
			keep = math.MaxInt
		}
	}
	// The path's size is known (its counter or count): room for its hits
	// up to the first cut.
	room := min(max(p.est, 0), 1<<16)
	if keep < 1<<20 {
		room = min(room, 2*keep+1024)
	}
	hits := borrowHits(room + 1)
	defer func() { giveBackHits(hits) }()
	var worst hit // the last kept after a cut: anything after it is dropped
	cut := false
	matched := 0
	visit := func(num, s []byte) error {
		ok, err := f.match(num, s, p.covers, record)
		if !ok || err != nil {
			return err
		}
		matched++
		h := hit{day: sumDay(s)}
		copy(h.num[:], num)
		order(&h)
		if pos != nil && (f.before && cmp(h, *pos) >= 0 || !f.before && cmp(h, *pos) <= 0) {
			return nil
		}
		if cut && cmp(h, worst) >= 0 {
			return nil
		}
		hits = append(hits, h)
		if keep < math.MaxInt/4 && len(hits) >= 2*keep+1024 {
			selectK(hits, keep-1, cmp)
			hits = hits[:keep]
			worst, cut = hits[keep-1], true
		}
		return nil
	}
	if p.pre != nil {
		for i := range p.pre {
			if err := visit(p.pre[i].num[:], p.pre[i].sum[:]); err != nil {
				return nil, err
			}
		}
	} else if err := q.scan(p, false, nil, func(k, s []byte) (bool, error) {
		page.Scanned++
		return true, visit(k[len(k)-7:], s)
	}); err != nil {
		return nil, err
	}
	// Only the rows shown are sorted: the rest are only put past them.
	page.Total, page.Exact, page.Order = matched, true, f.sort
	var rows []hit
	switch {
	case pos != nil && f.before:
		sortLast(hits, f.limit, cmp)
		rows = hits[max(0, len(hits)-f.limit):]
		page.More = true
	case pos != nil:
		sortFirst(hits, f.limit, cmp)
		rows = hits[:min(len(hits), f.limit)]
		page.More = len(hits) > f.limit
	default:
		sortFirst(hits, keep, cmp)
		if f.offset < len(hits) {
			rows = hits[f.offset:min(len(hits), keep)]
		}
		page.More = keep < matched
	}
	numbers := make([][]byte, len(rows))
	all := make([]byte, 7*len(rows)) // copies: hits go back to their pool
	for i := range rows {
		numbers[i] = all[7*i : 7*i+7 : 7*i+7]
		copy(numbers[i], rows[i].num[:])
	}
	if len(rows) > 0 {
		page.Prev = cursorOf(f.sort, keyOf(rows[0]))
		page.Next = cursorOf(f.sort, keyOf(rows[len(rows)-1]))
	}
	return numbers, nil
}

// streamPath walks one path in its order, checking the conditions it does
// not cover, until the page is full. single is the exact total when a
// counter knows it (-1 otherwise); a lower bound already in page (Exact
// false, Total > 0) stops the walk at the page as well. Otherwise the walk
// goes on counting for at most countBudget entries. No walk reads more than
// f.budget entries: a page it does not fill by then is Partial.
func (q *queryCtx) streamPath(f *certFilter, p ixPath, single int, record recordFunc, giveUp int) ([][]byte, error) {
	page := q.page
	start := page.Scanned
	page.Order = p.order
	known := page.Total > 0 && !page.Exact
	if single >= 0 {
		page.Total, page.Exact = single, true
	}
	desc, skip, want := f.desc, f.offset, f.limit
	var from []byte
	cursor := f.cursor != nil && f.cursorOrder == p.order
	if cursor {
		from, skip = cursorFrom(p, f.cursor), 0
		if f.before {
			desc = !desc
		}
	} else if page.Exact && f.offset >= page.Total {
		return nil, nil
	}
	reverse := false
	if !cursor && page.Exact && f.offset > page.Total/2 {
		// Deep pages are read from the other end.
		reverse = true
		desc = !desc
		want = min(f.limit, page.Total-f.offset)
		skip = page.Total - f.offset - want
	}
	if cursor && f.before {
		reverse = true
	}
	var numbers [][]byte
	var first, last, read []byte
	// cutShort: the page was full and counting stopped at its budget
	// without knowing whether another match follows.
	matched, stopped, lookedAhead, cutShort := 0, false, false, false
	err := q.scan(p, desc, from, func(k, s []byte) (bool, error) {
		page.Scanned++
		num := k[len(k)-7:]
		read = append(read[:0], k...)
		ok, err := f.match(num, s, p.covers, record)
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
			if first == nil {
				first = orderKey(p.order, k)
			}
			last = orderKey(p.order, k)
			if len(numbers) == want && (page.Exact || known) && !cursor {
				stopped = true
				return false, nil
			}
		default:
			matched++
			if cursor {
				lookedAhead = true
				stopped = true
				return false, nil
			}
		}
		if giveUp > 0 && len(numbers) < want && page.Scanned-start > giveUp {
			return false, errStreamTooLong
		}
		if page.Scanned-start >= f.budget {
			stopped = true
			if len(numbers) < want {
				page.Partial = true
			}
			return false, nil
		}
		if len(numbers) == want && page.Scanned-start >= countBudget {
			stopped, cutShort = true, true
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	if reverse {
		slices.Reverse(numbers)
		first, last = last, first
	}
	if len(numbers) > 0 {
		page.Prev, page.Next = cursorOf(p.order, first), cursorOf(p.order, last)
	}
	if page.Partial && !reverse && len(read) > 0 {
		// The next page goes on from the last entry read, not the last
		// match.
		page.Next = cursorOf(p.order, orderKey(p.order, read))
	}
	switch {
	case cursor:
		if !page.Exact {
			page.Total = 0
		}
		page.More = lookedAhead || page.Partial || cutShort
		if f.before {
			page.More = true
		}
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
