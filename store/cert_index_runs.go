package store

import (
	"bytes"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// The library's index entries (cert_index.go) are stored in runs: one bbolt
// key and value holds up to maxRunEntries consecutive entries of one group
// (one field of the province or of one issuer group, groupOf), so the
// 16-byte overhead of a bbolt key and the bytes consecutive keys share are
// paid once per run, not once per entry. The bbolt key of a run is the key
// of its first entry; its value is the first entry's stored summary, then
// per further entry:
//
//	header   1 byte: how many leading bytes the key shares with the
//	         previous key (bits 0–6); bit 7 set when its length differs
//	[len]    1 byte, when bit 7 is set: the length of the rest
//	rest     the key's bytes after the shared ones
//	summary  stored summary
//
// A stored summary is 3 bytes (status and print flag, issue day) when the
// occupation and level are those of the entry's number (YY RRRR OOO L
// SSSS), which they are unless a record was loaded with others, and else
// all 5 bytes with bit 3 of the first set.
//
// Readers see single entries, with full summaries, through a runCursor;
// writers change entries with applyIx, which rewrites each run it touches
// once, or write sorted entries with a runWriter.

const (
	maxRunEntries = 64
	maxRunBytes   = 1024
	// sumLong marks a stored summary of 5 bytes.
	sumLong byte = 8
)

// numberOccLevel is occupation × 10 + level as the packed number at the
// end of an entry key spells them (digits 7–10).
func numberOccLevel(k []byte) uint16 {
	n := k[len(k)-7:]
	d6, d7, d8, d9 := n[3]>>4, n[3]&15, n[4]>>4, n[4]&15
	return uint16(d6)*1000 + uint16(d7)*100 + uint16(d8)*10 + uint16(d9)
}

// storedSum is the stored form of an entry's summary.
func storedSum(k, sum []byte) []byte {
	if len(k) >= 7 && sumOccLevel(sum) == numberOccLevel(k) {
		return sum[:3]
	}
	return []byte{sum[0] | sumLong, sum[1], sum[2], sum[3], sum[4]}
}

func storedSumLen(k, sum []byte) int {
	if len(k) >= 7 && sumOccLevel(sum) == numberOccLevel(k) {
		return 3
	}
	return sumLen
}

// sharedLen is how many leading bytes a key shares with the previous one,
// as a header stores it.
func sharedLen(prev, k []byte) int {
	n := 0
	for n < len(prev) && n < len(k) && n < 127 && prev[n] == k[n] {
		n++
	}
	return n
}

// entryBytes is what an entry adds to a run after prev (nil: it starts
// the run).
func entryBytes(prev, k, sum []byte) int {
	n := storedSumLen(k, sum)
	if prev == nil {
		return n
	}
	shared := sharedLen(prev, k)
	n += 1 + len(k) - shared
	if len(k) != len(prev) {
		n++
	}
	return n
}

// ixOp is one change of the index: an entry to write (sum non-nil) or to
// delete (sum nil).
type ixOp struct {
	key, sum []byte
}

// run is a decoded run: its keys one after the other in keys (entry i ends
// at ends[i]) and its summaries, sumLen bytes each.
type run struct {
	keys []byte
	ends []int
	sums []byte
}

func (r *run) n() int { return len(r.ends) }

func (r *run) key(i int) []byte {
	from := 0
	if i > 0 {
		from = r.ends[i-1]
	}
	return r.keys[from:r.ends[i]:r.ends[i]]
}

func (r *run) sum(i int) []byte { return r.sums[i*sumLen : i*sumLen+sumLen : i*sumLen+sumLen] }

func (r *run) reset() {
	r.keys, r.ends, r.sums = r.keys[:0], r.ends[:0], r.sums[:0]
}

func (r *run) add(k, s []byte) {
	r.keys = append(r.keys, k...)
	r.ends = append(r.ends, len(r.keys))
	r.sums = append(r.sums, s...)
}

// decode reads the run stored under k with value v (both copied). It
// builds the run in local slices and stores them once: a store into the
// run (a heap object) per entry would cost a write barrier each while the
// collector runs.
func (r *run) decode(k, v []byte) error {
	keys, ends, sums := append(r.keys[:0], k...), r.ends[:0], r.sums[:0]
	ends = append(ends, len(keys))
	var ok bool
	if sums, v, ok = appendStoredSum(sums, v, k); !ok {
		r.reset()
		return fmt.Errorf("index run %x: %w", k, errCertRecord)
	}
	prev := 0 // start of the previous key in keys
	for len(v) > 0 {
		h := v[0]
		shared, plen := int(h&127), len(keys)-prev
		var rest int
		v = v[1:]
		if h&128 != 0 {
			if len(v) < 1 {
				ok = false
				break
			}
			rest, v = int(v[0]), v[1:]
		} else {
			rest = plen - shared
		}
		if shared > plen || rest < 0 || len(v) < rest {
			ok = false
			break
		}
		start := len(keys)
		keys = append(keys, keys[prev:prev+shared]...)
		keys = append(keys, v[:rest]...)
		ends = append(ends, len(keys))
		v = v[rest:]
		if sums, v, ok = appendStoredSum(sums, v, keys[start:]); !ok {
			break
		}
		prev = start
	}
	r.keys, r.ends, r.sums = keys, ends, sums
	if !ok {
		r.reset()
		return fmt.Errorf("index run %x: %w", k, errCertRecord)
	}
	return nil
}

// appendStoredSum appends the full summary of the entry with key key,
// stored at the start of v, and returns the rest of v.
func appendStoredSum(sums, v, key []byte) ([]byte, []byte, bool) {
	if len(v) < 3 {
		return sums, v, false
	}
	if v[0]&sumLong != 0 {
		if len(v) < sumLen {
			return sums, v, false
		}
		return append(sums, v[0]&^sumLong, v[1], v[2], v[3], v[4]), v[sumLen:], true
	}
	if len(key) < 7 {
		return sums, v, false
	}
	ol := numberOccLevel(key)
	return append(sums, v[0], v[1], v[2], byte(ol>>8), byte(ol)), v[3:], true
}

// search is the index of the first entry whose key is at least k (n when
// none).
func (r *run) search(k []byte) int {
	lo, hi := 0, r.n()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if bytes.Compare(r.key(m), k) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// encodeRun writes entries [from, to) of r as a run's value.
func encodeRun(buf []byte, r *run, from, to int) []byte {
	buf = append(buf[:0], storedSum(r.key(from), r.sum(from))...)
	prev := r.key(from)
	for i := from + 1; i < to; i++ {
		k := r.key(i)
		shared := sharedLen(prev, k)
		rest := k[shared:]
		if len(k) == len(prev) {
			buf = append(buf, byte(shared))
		} else {
			buf = append(buf, byte(shared)|128, byte(len(rest)))
		}
		buf = append(buf, rest...)
		buf = append(buf, storedSum(k, r.sum(i))...)
		prev = k
	}
	return buf
}

// entrySize is what entry i adds to a run that holds entry i-1.
func (r *run) entrySize(i int) int {
	if i == 0 {
		return entryBytes(nil, r.key(0), r.sum(0))
	}
	return entryBytes(r.key(i-1), r.key(i), r.sum(i))
}

// runCursor reads the entries of an index bucket one at a time, forwards
// or backwards. The key and summary it returns stay valid until it moves.
type runCursor struct {
	c      *bolt.Cursor
	r      run
	i      int
	ok     bool // positioned on an entry
	err    error
	pooled *run // where r's buffers go back (borrowRunCursor)
}

func newRunCursor(b *bolt.Bucket) *runCursor { return &runCursor{c: b.Cursor()} }

// runBufs keeps decoded runs' buffers between queries: a filter decodes a
// few runs of up to a few hundred entries, and growing fresh buffers for
// each was a sixth of what a filter's answer allocates.
var runBufs = sync.Pool{New: func() any { return new(run) }}

// borrowRun is an empty run with buffers from runBufs; giveBackRun returns
// them (nothing decoded into r may be used after).
func borrowRun() *run { return runBufs.Get().(*run) }

func giveBackRun(r *run) {
	if cap(r.keys) > 1<<20 || cap(r.ends) > 1<<17 { // an odd huge run: let it go
		return
	}
	r.reset()
	runBufs.Put(r)
}

// borrowRunCursor is newRunCursor decoding into borrowed buffers, given
// back by release.
func borrowRunCursor(b *bolt.Bucket) *runCursor {
	rc := newRunCursor(b)
	rc.pooled = borrowRun()
	rc.r = *rc.pooled
	return rc
}

func (rc *runCursor) release() {
	if rc.pooled != nil {
		*rc.pooled, rc.r = rc.r, run{}
		giveBackRun(rc.pooled)
		rc.pooled, rc.ok = nil, false
	}
}

func (rc *runCursor) load(k, v []byte) bool {
	if k == nil {
		rc.ok = false
		return false
	}
	if err := rc.r.decode(k, v); err != nil {
		rc.err, rc.ok = err, false
		return false
	}
	rc.ok = true
	return true
}

func (rc *runCursor) at() ([]byte, []byte) {
	if !rc.ok {
		return nil, nil
	}
	return rc.r.key(rc.i), rc.r.sum(rc.i)
}

// seek moves to the first entry whose key is at least k.
func (rc *runCursor) seek(k []byte) ([]byte, []byte) {
	bk, bv := rc.c.Seek(k)
	if bk == nil || !bytes.Equal(bk, k) {
		// The run before may hold entries at or past k.
		var pk, pv []byte
		if bk == nil {
			pk, pv = rc.c.Last()
		} else {
			pk, pv = rc.c.Prev()
		}
		if pk == nil {
			bk, bv = rc.c.Seek(k)
		} else {
			if !rc.load(pk, pv) {
				return nil, nil
			}
			if i := rc.r.search(k); i < rc.r.n() {
				rc.i = i
				return rc.at()
			}
			bk, bv = rc.c.Next()
		}
	}
	if !rc.load(bk, bv) {
		return nil, nil
	}
	rc.i = 0
	return rc.at()
}

// first moves to the first entry of the bucket.
func (rc *runCursor) first() ([]byte, []byte) {
	if !rc.load(rc.c.First()) {
		return nil, nil
	}
	rc.i = 0
	return rc.at()
}

// seekBefore moves to the last entry whose key is below k (nil: the last
// entry of the bucket).
func (rc *runCursor) seekBefore(k []byte) ([]byte, []byte) {
	if k != nil {
		if got, _ := rc.seek(k); got != nil {
			return rc.prev()
		}
		if rc.err != nil {
			return nil, nil
		}
	}
	if !rc.load(rc.c.Last()) {
		return nil, nil
	}
	rc.i = rc.r.n() - 1
	return rc.at()
}

func (rc *runCursor) next() ([]byte, []byte) {
	if !rc.ok {
		return nil, nil
	}
	if rc.i+1 < rc.r.n() {
		rc.i++
		return rc.at()
	}
	if !rc.load(rc.c.Next()) {
		return nil, nil
	}
	rc.i = 0
	return rc.at()
}

func (rc *runCursor) prev() ([]byte, []byte) {
	if !rc.ok {
		return nil, nil
	}
	if rc.i > 0 {
		rc.i--
		return rc.at()
	}
	if !rc.load(rc.c.Prev()) {
		return nil, nil
	}
	rc.i = rc.r.n() - 1
	return rc.at()
}

// applyIx writes and deletes index entries; ops must be sorted by key and
// hold each key once. Each run an op falls in is decoded and written back
// once, split when it grows past the limits. Writing an entry that exists
// replaces its summary; deleting one that does not exist is a no-op.
func applyIx(b *bolt.Bucket, ops []ixOp) error {
	var cur, out run
	var buf []byte
	c := b.Cursor()
	for len(ops) > 0 {
		k := ops[0].key
		g := groupOf(k)
		// The run that holds k: the last run of the group starting at or
		// before k, else the group's first run after k, else a new one.
		var runKey, nextKey []byte
		bk, bv := c.Seek(k)
		if bk == nil || !bytes.Equal(bk, k) {
			var pk, pv []byte
			if bk == nil {
				pk, pv = c.Last()
			} else {
				pk, pv = c.Prev()
			}
			if pk != nil && bytes.HasPrefix(pk, g) {
				bk, bv = pk, pv
			} else if bk == nil || !bytes.HasPrefix(bk, g) {
				bk, bv = nil, nil
			} else if pk != nil {
				bk, bv = c.Next()
			} else {
				bk, bv = c.Seek(k)
			}
		}
		cur.reset()
		if bk != nil {
			runKey = append(runKey[:0], bk...)
			if err := cur.decode(bk, bv); err != nil {
				return err
			}
			if nk, _ := c.Next(); nk != nil && bytes.HasPrefix(nk, g) {
				nextKey = append([]byte(nil), nk...)
			}
		}
		// Every op of this group before the next run goes into this one.
		n := 0
		for n < len(ops) && bytes.HasPrefix(ops[n].key, g) && (nextKey == nil || bytes.Compare(ops[n].key, nextKey) < 0) {
			n++
		}
		appendOnly := cur.n() == 0 || bytes.Compare(ops[0].key, cur.key(cur.n()-1)) > 0
		// Merge.
		out.reset()
		i := 0
		for _, op := range ops[:n] {
			for i < cur.n() && bytes.Compare(cur.key(i), op.key) < 0 {
				out.add(cur.key(i), cur.sum(i))
				i++
			}
			if i < cur.n() && bytes.Equal(cur.key(i), op.key) {
				i++ // replaced or deleted
			}
			if op.sum != nil {
				if len(op.sum) != sumLen {
					return fmt.Errorf("index entry %x: summary of %d bytes", op.key, len(op.sum))
				}
				out.add(op.key, op.sum)
			}
		}
		for ; i < cur.n(); i++ {
			out.add(cur.key(i), cur.sum(i))
		}
		ops = ops[n:]
		// Write back: the old key goes unless the first run keeps it.
		if runKey != nil && (out.n() == 0 || !bytes.Equal(out.key(0), runKey)) {
			if err := b.Delete(bytes.Clone(runKey)); err != nil {
				return err
			}
		}
		for _, part := range splitRun(&out, appendOnly) {
			// bbolt keeps the slices it is given until the commit.
			buf = encodeRun(buf, &out, part[0], part[1])
			if err := b.Put(bytes.Clone(out.key(part[0])), bytes.Clone(buf)); err != nil {
				return err
			}
		}
		c = b.Cursor() // the bucket changed under the old cursor
	}
	return nil
}

// splitRun cuts r into runs within the limits: full runs when entries were
// only appended (the common case: new numbers come last), else runs of
// equal size.
func splitRun(r *run, appendOnly bool) [][2]int {
	if r.n() == 0 {
		return nil
	}
	// A run's value: the first summary, then each further entry.
	var parts [][2]int
	start, size := 0, r.entrySize(0)
	for i := 1; i < r.n(); i++ {
		es := r.entrySize(i)
		if i-start >= maxRunEntries || size+es > maxRunBytes {
			parts = append(parts, [2]int{start, i})
			start, size = i, entryBytes(nil, r.key(i), r.sum(i))
			continue
		}
		size += es
	}
	parts = append(parts, [2]int{start, r.n()})
	if appendOnly || len(parts) == 1 {
		return parts
	}
	// Even out: the same number of runs, equal counts.
	k := len(parts)
	even := make([][2]int, k)
	for j := range even {
		even[j] = [2]int{j * r.n() / k, (j + 1) * r.n() / k}
	}
	for _, p := range even {
		if p[1]-p[0] > maxRunEntries || runBytes(r, p[0], p[1]) > maxRunBytes {
			return parts // evening out overflowed a run: keep the greedy cut
		}
	}
	return even
}

func runBytes(r *run, from, to int) int {
	n := entryBytes(nil, r.key(from), r.sum(from))
	for i := from + 1; i < to; i++ {
		n += r.entrySize(i)
	}
	return n
}

// forEachIxEntry calls fn with every entry of the index bucket in key
// order (the integrity check and tests read the logical entries).
func forEachIxEntry(b *bolt.Bucket, fn func(k, sum []byte) error) error {
	rc := newRunCursor(b)
	for k, s := rc.first(); k != nil; k, s = rc.next() {
		if err := fn(k, s); err != nil {
			return err
		}
	}
	return rc.err
}

// runWriter collects entries arriving in key order into full runs, cut
// where a group ends (bulk loads and the migration).
type runWriter struct {
	r       run
	size    int
	pending []ixOp // finished runs: key and value
}

func (w *runWriter) add(k, sum []byte) {
	if w.r.n() > 0 && (w.r.n() >= maxRunEntries || !bytes.HasPrefix(k, groupOf(w.r.key(0))) ||
		w.size+entryBytes(w.r.key(w.r.n()-1), k, sum) > maxRunBytes) {
		w.flush()
	}
	if w.r.n() == 0 {
		w.size = entryBytes(nil, k, sum)
	} else {
		w.size += entryBytes(w.r.key(w.r.n()-1), k, sum)
	}
	w.r.add(k, sum)
}

// flush ends the run being collected.
func (w *runWriter) flush() {
	if w.r.n() == 0 {
		return
	}
	w.pending = append(w.pending, ixOp{bytes.Clone(w.r.key(0)), encodeRun(nil, &w.r, 0, w.r.n())})
	w.r.reset()
	w.size = 0
}

// write puts the finished runs.
func (w *runWriter) write(b *bolt.Bucket) error {
	for _, op := range w.pending {
		if err := b.Put(op.key, op.sum); err != nil {
			return err
		}
	}
	w.pending = w.pending[:0]
	return nil
}

// countRun counts the entries of a run (its key k and value v) by their
// lengths alone, without building their keys; ok is false when the value
// does not parse (the caller decodes it, which names the fault).
func countRun(k, v []byte) (n int, ok bool) {
	skipSum := func() bool {
		if len(v) == 0 {
			return false
		}
		l := 3
		if v[0]&sumLong != 0 {
			l = sumLen
		}
		if len(v) < l {
			return false
		}
		v = v[l:]
		return true
	}
	if !skipSum() {
		return 0, false
	}
	n, klen := 1, len(k)
	for len(v) > 0 {
		h := v[0]
		v = v[1:]
		shared, rest := int(h&127), klen-int(h&127)
		if h&128 != 0 {
			if len(v) == 0 {
				return 0, false
			}
			rest, v = int(v[0]), v[1:]
		}
		if shared > klen || rest < 0 || len(v) < rest {
			return 0, false
		}
		v = v[rest:]
		klen = shared + rest
		if !skipSum() {
			return 0, false
		}
		n++
	}
	return n, true
}

// countRange counts the entries in [lo, hi) (hi not nil), stopping once
// past limit. The runs wholly inside are counted by countRun; only the
// runs at the two ends are decoded.
func countRange(b *bolt.Bucket, lo, hi []byte, limit int) (int, error) {
	c := b.Cursor()
	r := borrowRun()
	defer giveBackRun(r)
	n := 0
	inRun := func(k, v []byte, from []byte) error {
		if err := r.decode(k, v); err != nil {
			return err
		}
		i := 0
		if from != nil {
			i = r.search(from)
		}
		for ; i < r.n() && bytes.Compare(r.key(i), hi) < 0; i++ {
			n++
		}
		return nil
	}
	k, v := c.Seek(lo)
	if k == nil || !bytes.Equal(k, lo) {
		// The run before may hold entries at or past lo.
		var pk, pv []byte
		if k == nil {
			pk, pv = c.Last()
		} else {
			pk, pv = c.Prev()
		}
		if pk != nil {
			if err := inRun(pk, pv, lo); err != nil {
				return 0, err
			}
		}
		k, v = c.Seek(lo)
	}
	for k != nil && bytes.Compare(k, hi) < 0 && n <= limit {
		nk, nv := c.Next()
		if nk != nil && bytes.Compare(nk, hi) <= 0 {
			// Every entry of this run is below the next run's key.
			if m, ok := countRun(k, v); ok {
				n += m
				k, v = nk, nv
				continue
			}
		}
		if err := inRun(k, v, nil); err != nil {
			return 0, err
		}
		k, v = nk, nv
	}
	return n, nil
}
