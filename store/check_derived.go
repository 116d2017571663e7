package store

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Derived data (indexes and counters) is checked generically: a table of
// derived sets, each naming the bucket (or the part of a bucket) it lives
// in and, from the records, every key and value that bucket must hold. The
// sets compute their keys with the very functions the writers use
// (certIndex, holderKey, batchTabKey, statsRebuild …), so a change of an
// index's layout changes its check with it.
//
// A set is compared with its bucket without holding either in memory: both
// sides are folded into digests (count and sum of a 64-bit hash of each
// key and value) per partition, a partition being the keys that share their
// first partLen bytes. Only the partitions whose digests differ are looked
// at again, key by key, to name what is missing, extra or wrong; and
// -repair rewrites only those partitions, from the records.

// emitFn receives one key and value a derived set must hold. Both are
// copied if kept.
type emitFn func(k, v []byte)

// derivedSet is one index or family of counters and how the records
// determine it. Each hook is called once per record of its kind (nil: the
// set does not depend on that kind); done is called after every record.
type derivedSet struct {
	bucket  []byte
	prefix  []byte // the keys of the bucket the set owns (nil: all of them)
	partLen int    // partition length, at most 7 bytes (0: one partition)
	counter bool   // 8-byte counters: a key holding zero equals no key
	// usesIndex says the cert hook reads certIndex (computed beforehand on
	// the decoding workers).
	usesIndex bool
	// pure says the cert hook reads nothing but its certificate: it runs on
	// the decoding workers, each folding into its own digests.
	pure bool
	// runs says the bucket stores the set's entries in runs
	// (cert_index_runs.go): the check compares the entries, and a run that
	// does not decode, holds entries out of order or of another group than
	// its first counts as a damaged entry of its partition.
	runs bool
	what string // what the set is, in Chinese

	org     func(o *Org, emit emitFn)
	user    func(u *User, emit emitFn)
	session func(k []byte, s *Session, emit emitFn)
	log     func(e *LogEntry, emit emitFn)
	batch   func(b *Batch, emit emitFn)
	cand    func(b *batchInfo, c *Candidate, emit emitFn)
	cert    func(c *certIn, emit emitFn) error
	biz     func(b *Business, emit emitFn)
	done    func(emit emitFn) error
	// doneState is done for a set that folds into its state itself.
	doneState func(st *setState) error
}

// name is how messages name the set.
func (d *derivedSet) name() string {
	if d.prefix != nil {
		return string(d.bucket) + " " + strings.TrimSuffix(string(d.prefix), "|") + "|…"
	}
	return string(d.bucket)
}

// part is the partition of a key: its first partLen bytes, left-aligned in
// a uint64 whose low byte is their number, so partitions sort as their
// prefixes do.
func (d *derivedSet) part(k []byte) uint64 {
	n := min(len(k), d.partLen)
	var p uint64
	for i := 0; i < n; i++ {
		p |= uint64(k[i]) << (56 - 8*i)
	}
	return p | uint64(n)
}

// partPrefix is the key prefix of a partition (the set's prefix for the
// single partition).
func (d *derivedSet) partPrefix(p uint64) []byte {
	n := int(p & 0xff)
	if n == 0 {
		return d.prefix
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(p >> (56 - 8*i))
	}
	return b
}

// derivedSets builds the table for one pass over the records of w (the
// hooks of aggregated sets keep their sums between calls).
func derivedSets(w *checkWorld) []*derivedSet {
	aggregate := func(agg map[string]*uint64) func(emit emitFn) error {
		return func(emit emitFn) error {
			for k, n := range agg {
				emit([]byte(k), itob(*n))
			}
			return nil
		}
	}
	// count adds one to a counter without allocating when it exists.
	count := func(agg map[string]*uint64, k []byte) {
		if n := agg[string(k)]; n != nil {
			*n++
			return
		}
		one := uint64(1)
		agg[string(k)] = &one
	}
	certCount := map[string]*uint64{}
	// Per organisation (and month): the counter names are made once, at
	// the end, with the writers' functions.
	type orgMonth struct {
		org   uint64
		month string
	}
	valid := map[uint64]uint64{}
	issued := map[orgMonth]uint64{}
	var lastMonthOf time.Time
	var lastMonth string
	batchTabs := map[string]*uint64{}
	batchQueue := map[string]*uint64{}
	bizQueue := map[string]*uint64{}
	bizOrg := map[string]*uint64{}
	// Statistics: the builder the migration uses, fed the certificates this
	// pass reads, for both buckets.
	stats := newStatsBuilder(w.tx)
	var statsFed *Certificate
	var statsErr error
	feedStats := func(c *certIn, _ emitFn) error {
		if statsFed != c.Certificate {
			statsFed = c.Certificate
			if err := stats.add(c.Certificate); err != nil && statsErr == nil {
				statsErr = err
			}
		}
		return nil
	}
	var statOrgs [][]byte
	statsRan := false
	// runStats spreads the counters over every scope, on one goroutine per
	// processor when the statistics set itself is compared (into copies of
	// its state, merged), and keeps the registry for the other set.
	runStats := func(st *setState) error {
		if statsRan || statsErr != nil {
			return statsErr
		}
		statsRan = true
		keep := func(k []byte) error {
			statOrgs = append(statOrgs, append([]byte(nil), k...))
			return nil
		}
		if st == nil {
			return stats.emit(func(k, v []byte) error { return nil }, keep)
		}
		n := max(1, runtime.GOMAXPROCS(0))
		copies := make([]*setState, n)
		err := stats.emitConcurrently(n, func(i int) func(k, v []byte) error {
			copies[i] = newSetState(st.set)
			if st.want != nil {
				copies[i].want, copies[i].got = st.want, newArena(0)
			}
			return func(k, v []byte) error { copies[i].emit(k, v); return nil }
		}, keep)
		for _, c := range copies {
			if c != nil {
				st.merge(c)
			}
		}
		return err
	}
	return []*derivedSet{
		{bucket: bOrgCode, what: "机构代码索引",
			org: func(o *Org, emit emitFn) { emit([]byte(o.Code), itob(o.ID)) }},
		{bucket: bOrgChildren, what: "下级机构索引",
			org: func(o *Org, emit emitFn) {
				if o.ParentID != 0 {
					emit(key(itob(o.ParentID), itob(o.ID)), nil)
				}
			}},
		{bucket: bUserName, what: "用户名索引",
			user: func(u *User, emit emitFn) { emit([]byte(strings.ToLower(u.Username)), itob(u.ID)) }},
		{bucket: bOrgUsers, what: "机构用户索引",
			user: func(u *User, emit emitFn) { emit(key(itob(u.OrgID), itob(u.ID)), nil) }},
		{bucket: bUserSessions, what: "用户会话索引",
			session: func(k []byte, s *Session, emit emitFn) { emit(key(itob(s.UserID), k), nil) }},
		{bucket: bLogOrg, partLen: 7, what: "操作日志（机构）索引",
			log: func(e *LogEntry, emit emitFn) { emit(key(itob(e.OrgID), tsKey(e.Time), itob(e.ID)), nil) }},
		{bucket: bLogUser, partLen: 7, what: "操作日志（用户）索引",
			log: func(e *LogEntry, emit emitFn) {
				if e.UserID != 0 {
					emit(key(itob(e.UserID), tsKey(e.Time), itob(e.ID)), nil)
				}
			}},
		{bucket: bLogOrgAction, partLen: 7, what: "操作日志（操作类型）索引",
			log: func(e *LogEntry, emit emitFn) {
				emit(key(itob(e.OrgID), []byte(e.Action), []byte{0}, tsKey(e.Time), itob(e.ID)), nil)
			}},

		// Certificates.
		{bucket: bCertHolder, partLen: 4, pure: true, what: "持证人索引（有效证书）",
			cert: func(c *certIn, emit emitFn) error {
				if c.Status == CertValid {
					emit(holderKey(c.IDNumber, c.Occupation, c.Level), []byte(c.Number))
				}
				return nil
			}},
		{bucket: bCertIx, partLen: 5, usesIndex: true, pure: true, runs: true, what: "证书库索引",
			cert: func(c *certIn, emit emitFn) error {
				for _, e := range c.ix {
					emit(e.key, e.val)
				}
				return c.ixErr
			}},
		{bucket: bCertCount, partLen: 5, counter: true, usesIndex: true, what: "证书库计数",
			cert: func(c *certIn, emit emitFn) error {
				for _, k := range c.counts {
					count(certCount, k)
				}
				return c.ixErr
			},
			done: aggregate(certCount)},
		{bucket: bCertBatch, partLen: 7, pure: true, what: "批次证书索引",
			cert: func(c *certIn, emit emitFn) error {
				if c.BatchID != 0 {
					emit(key(itob(c.BatchID), []byte(c.Number)), nil)
				}
				return nil
			}},
		{bucket: bCounters, prefix: []byte("valid|"), counter: true, what: "有效证书计数",
			cert: func(c *certIn, emit emitFn) error {
				if c.Status == CertValid {
					for _, id := range c.OrgPath {
						valid[id]++
					}
					valid[c.OrgID]++
				}
				return nil
			},
			done: func(emit emitFn) error {
				for id, n := range valid {
					emit([]byte(counterValidOrg(id)), itob(n))
				}
				return nil
			}},
		{bucket: bCounters, prefix: []byte("issued|"), counter: true, what: "每月发证计数",
			cert: func(c *certIn, emit emitFn) error {
				if c.Replaces == "" { // a reissue is no new registration
					if !c.IssueDate.Equal(lastMonthOf) {
						lastMonthOf, lastMonth = c.IssueDate, IssueDay(c.IssueDate).Format("200601")
					}
					for _, id := range c.OrgPath {
						issued[orgMonth{id, lastMonth}]++
					}
					issued[orgMonth{c.OrgID, lastMonth}]++
				}
				return nil
			},
			done: func(emit emitFn) error {
				for om, n := range issued {
					emit([]byte(counterIssuedMonth(om.org, om.month)), itob(n))
				}
				return nil
			}},

		// Batches.
		{bucket: bBatchTab, partLen: 7, what: "批次列表索引",
			batch: func(b *Batch, emit emitFn) { emit(batchTabKey(*b), []byte(b.Name)) }},
		{bucket: bBatchName, partLen: 7, what: "批次名称索引",
			batch: func(b *Batch, emit emitFn) { emit(batchNameKey(b.OrgID, b.Name), itob(b.ID)) }},
		{bucket: bBatchQueue, what: "批次待审核队列",
			batch: func(b *Batch, emit emitFn) {
				if b.State.UnderReview() {
					emit(key(itob(w.batchReviewer(b)), tsKey(b.QueuedAt), itob(b.ID)), nil)
				}
			}},
		{bucket: bBatchReviewed, what: "批次已审核列表",
			done: func(emit emitFn) error {
				for id, b := range w.batches {
					for org, at := range b.lastReview {
						oid, _ := strconv.ParseUint(org, 10, 64)
						emit(key(itob(oid), tsKey(at), itob(id)), []byte(w.lastBatchAction[[2]uint64{id, oid}]))
					}
				}
				return nil
			}},
		{bucket: bCounters, prefix: []byte("batches|"), counter: true, what: "批次分页计数",
			batch: func(b *Batch, emit emitFn) { count(batchTabs, []byte(counterBatchTab(b.OrgID, b.State.Tab()))) },
			done:  aggregate(batchTabs)},
		{bucket: bCounters, prefix: []byte("batch_queue|"), counter: true, what: "批次待审核计数",
			batch: func(b *Batch, emit emitFn) {
				if b.State.UnderReview() {
					count(batchQueue, []byte(counterBatchQueue(w.batchReviewer(b))))
				}
			},
			done: aggregate(batchQueue)},
		{bucket: bCandidateKey, partLen: 7, what: "批次人员索引",
			cand: func(b *batchInfo, c *Candidate, emit emitFn) {
				emit(key(itob(b.id), holderKey(c.IDNumber, c.OccupationCode, c.Level)), itob(c.ID))
			}},
		{bucket: bUnderReview, partLen: 4, what: "审核中人员索引",
			cand: func(b *batchInfo, c *Candidate, emit emitFn) {
				if b.state.UnderReview() {
					emit(holderKey(c.IDNumber, c.OccupationCode, c.Level), itob(b.id))
				}
			}},

		// Businesses, and the registrations of batches in the overview.
		{bucket: bBizOpen, what: "证书未办结业务索引",
			biz: func(b *Business, emit emitFn) {
				if b.State.Open() {
					emit([]byte(b.Number), itob(b.ID))
				}
			}},
		{bucket: bBizCert, what: "证书业务索引",
			biz: func(b *Business, emit emitFn) { emit(key([]byte(b.Number), itob(b.ID)), nil) }},
		{bucket: bBizOrg, partLen: 7, what: "已申请业务列表",
			biz: func(b *Business, emit emitFn) {
				emit(key(itob(b.OrgID), tsKey(b.Created), itob(b.ID)), []byte{b.Kind.code(), b.State.code()})
			}},
		{bucket: bBizQueue, what: "业务待审核队列",
			biz: func(b *Business, emit emitFn) {
				if b.State.Pending() {
					emit(key(itob(w.bizReviewer(b)), []byte{b.Kind.code()}, tsKey(b.Queued), itob(b.ID)), nil)
				}
			}},
		{bucket: bBizReviewed, what: "业务已审核列表",
			biz: func(b *Business, emit emitFn) {
				last := map[uint64]BizLogEntry{}
				for _, e := range b.Log {
					if e.Action == BizApprove || e.Action == BizReject {
						last[e.OrgID] = e
					}
				}
				for org, e := range last {
					emit(key(itob(org), []byte{b.Kind.code()}, tsKey(e.Time), itob(b.ID)), []byte{e.To.code()})
				}
			}},
		{bucket: bBizOverview, partLen: 4, what: "业务总览索引",
			biz: func(b *Business, emit emitFn) {
				emit(overviewKey(b.Created.UnixMilli(), 'B', b.ID), append([]byte{b.Kind.code(), b.State.code()}, itob(b.OrgID)...))
			},
			batch: func(b *Batch, emit emitFn) {
				if st, ok := registrationState(b.State); ok {
					emit(overviewKey(b.Created.UnixMilli(), 'G', b.ID), append([]byte{BizRegister.code(), st.code()}, itob(b.OrgID)...))
				}
			}},
		{bucket: bCounters, prefix: []byte("biz_queue|"), counter: true, what: "业务待审核计数",
			biz: func(b *Business, emit emitFn) {
				if b.State.Pending() {
					count(bizQueue, []byte(counterBizQueue(w.bizReviewer(b), b.Kind)))
				}
			},
			done: aggregate(bizQueue)},
		{bucket: bCounters, prefix: []byte("biz_org|"), counter: true, what: "已申请业务计数",
			biz:  func(b *Business, emit emitFn) { count(bizOrg, []byte(counterBizOrg(b.OrgID, b.State))) },
			done: aggregate(bizOrg)},

		// Statistics: rebuilt as the migration builds them, in one run for
		// both buckets.
		{bucket: bStats, partLen: 5, what: "统计计数", cert: feedStats,
			doneState: func(st *setState) error { return runStats(st) }},
		{bucket: bStatsOrgs, what: "统计机构名录", cert: feedStats,
			done: func(emit emitFn) error {
				if err := runStats(nil); err != nil {
					return err
				}
				for _, k := range statOrgs {
					emit(k, nil)
				}
				return nil
			}},
	}
}

// counterPrefixes are the families of bCounters; "orgcode|" holds the last
// sequence of each region's organisation codes (checked as a rule).
var counterPrefixes = []string{"valid|", "issued|", "batches|", "batch_queue|", "biz_queue|", "biz_org|", "orgcode|"}

// digest folds key/value pairs into a count and the sum of their hashes,
// which does not depend on their order.
type digest struct{ n, sum uint64 }

var digestSeed = maphash.MakeSeed()

// setState follows one derived set through a pass: its expected and actual
// digests per partition, or, when collecting, the expected entries of the
// partitions wanted.
type setState struct {
	set       *derivedSet
	exp, act  map[uint64]*digest
	expN      int64
	actN      int64
	buf, abuf []byte          // hashing buffers of the expected and the actual side
	want      map[uint64]bool // partitions to collect
	got       *arena
	bad       []uint64 // partitions whose digests differ, in key order
}

func newSetState(d *derivedSet) *setState {
	return &setState{set: d, exp: map[uint64]*digest{}, act: map[uint64]*digest{}}
}

func zeroCounter(v []byte) bool { return len(v) == 8 && btoi(v) == 0 }

// kvHash is the hash of a key and value (buf is the caller's buffer).
func kvHash(buf *[]byte, k, v []byte) uint64 {
	*buf = append(append(append((*buf)[:0], k...), v...), byte(len(k)), byte(len(k)>>8))
	return maphash.Bytes(digestSeed, *buf)
}

// merge adds what a worker's copy of the set folded or collected.
func (s *setState) merge(o *setState) {
	s.expN += o.expN
	for p, d := range o.exp {
		e := s.exp[p]
		if e == nil {
			e = &digest{}
			s.exp[p] = e
		}
		e.n += d.n
		e.sum += d.sum
	}
	if o.got != nil {
		for i := 0; i < o.got.len(); i++ {
			s.got.add(o.got.key(i), o.got.val(i))
		}
	}
}

// emit is the set's emitFn.
func (s *setState) emit(k, v []byte) {
	if s.set.counter && zeroCounter(v) {
		return
	}
	if s.want != nil {
		if s.want[s.set.part(k)] {
			s.got.add(k, v)
		}
		return
	}
	s.expN++
	p := s.set.part(k)
	d := s.exp[p]
	if d == nil {
		d = &digest{}
		s.exp[p] = d
	}
	d.n++
	d.sum += kvHash(&s.buf, k, v)
}

// foldActual adds a key of the bucket.
func (s *setState) foldActual(k, v []byte) {
	if s.set.counter && zeroCounter(v) {
		return
	}
	s.actN++
	p := s.set.part(k)
	d := s.act[p]
	if d == nil {
		d = &digest{}
		s.act[p] = d
	}
	d.n++
	d.sum += kvHash(&s.abuf, k, v)
}

// compare lists the partitions whose digests differ, in key order.
func (s *setState) compare() {
	s.bad = s.bad[:0]
	for p, e := range s.exp {
		if a := s.act[p]; a == nil || a.n != e.n || a.sum != e.sum {
			s.bad = append(s.bad, p)
		}
	}
	for p := range s.act {
		if _, ok := s.exp[p]; !ok {
			s.bad = append(s.bad, p)
		}
	}
	slices.Sort(s.bad)
}

// keyDiff is what a key-by-key comparison of partitions found.
type keyDiff struct {
	missing, extra, wrong int
	examples              []string // readable, first few of each
}

// diffPartition compares the collected expected entries of one partition
// (sorted) with the bucket's keys of that partition.
func (s *setState) diffPartition(b *bolt.Bucket, part uint64, exp []int, d *keyDiff) {
	lo := s.set.partPrefix(part)
	i := 0
	add := func(kind *int, zh string, k, v []byte) {
		*kind++
		if len(d.examples) < 9 {
			d.examples = append(d.examples, zh+" "+readableKey(s.set, k, v))
		}
	}
	if b == nil {
		for _, i := range exp {
			add(&d.missing, "缺少 missing", s.got.key(i), s.got.val(i))
		}
		return
	}
	step, damaged, k, v := s.storedFrom(b, lo)
	defer func() {
		if err := damaged(); err != nil && len(d.examples) < 9 {
			d.examples = append(d.examples, "损坏 damaged: "+err.Error())
		}
	}()
	for {
		var ek, ev []byte
		if i < len(exp) {
			ek, ev = s.got.key(exp[i]), s.got.val(exp[i])
		}
		inRange := k != nil && bytes.HasPrefix(k, lo)
		if inRange && s.set.part(k) != part {
			k, v = step()
			continue
		}
		if inRange && s.set.counter && zeroCounter(v) {
			k, v = step()
			continue
		}
		switch {
		case ek == nil && !inRange:
			return
		case !inRange || (ek != nil && bytes.Compare(ek, k) < 0):
			add(&d.missing, "缺少 missing", ek, ev)
			i++
		case ek == nil || bytes.Compare(ek, k) > 0:
			add(&d.extra, "多余 extra", k, v)
			k, v = step()
		default:
			if !bytes.Equal(ev, v) {
				add(&d.wrong, "值不符 wrong value", k, v)
				d.examples[len(d.examples)-1] += "（应为 should be " + readableValue(s.set, ev) + "）"
			}
			i++
			k, v = step()
		}
	}
}

// storedFrom reads the set's entries of bucket b from key lo on: the first
// entry, and step for each next one (nil at the end). For a set stored in
// runs the entries are those of the runs, and damaged reports a run that
// did not decode (the reading stops there).
func (s *setState) storedFrom(b *bolt.Bucket, lo []byte) (step func() ([]byte, []byte), damaged func() error, k, v []byte) {
	if s.set.runs {
		rc := newRunCursor(b)
		if lo == nil {
			k, v = rc.first()
		} else {
			k, v = rc.seek(lo)
		}
		return rc.next, func() error { return rc.err }, k, v
	}
	c := b.Cursor()
	if lo == nil {
		k, v = c.First()
	} else {
		k, v = c.Seek(lo)
	}
	return c.Next, func() error { return nil }, k, v
}

// readableKey shows a key of a set for people: known layouts by their
// parts, anything else as text where it is text and hex where not.
func readableKey(d *derivedSet, k, v []byte) string {
	switch string(d.bucket) {
	case string(bCertIx):
		g := len(groupOf(k))
		if len(k) >= g+7 && g == 9 {
			return fmt.Sprintf("字段 field %q 发证机构 issuer %d 上级 parent %d 值 value %s 证书 cert %s", k[0], btoi(append(make([]byte, 4), k[1:5]...)),
				btoi(append(make([]byte, 4), k[5:9]...)), readableBytes(k[g:len(k)-7]), unpackNumber(k[len(k)-7:]))
		}
		if len(k) >= g+7 {
			return fmt.Sprintf("字段 field %q 机构 org %d 值 value %s 证书 cert %s", k[0], btoi(append(make([]byte, 4), k[1:5]...)),
				readableBytes(k[g:len(k)-7]), unpackNumber(k[len(k)-7:]))
		}
	case string(bCertCount):
		if len(k) >= 5 {
			return fmt.Sprintf("字段 field %q 机构 org %d 值 value %s = %d", k[0], btoi(append(make([]byte, 4), k[1:5]...)), readableBytes(k[5:]), btoi(v))
		}
	case string(bCounters):
		return fmt.Sprintf("%s = %d", k, btoi(v))
	}
	return readableBytes(k)
}

func readableValue(d *derivedSet, v []byte) string {
	if d.counter || len(v) == 8 {
		return strconv.FormatUint(btoi(v), 10)
	}
	return readableBytes(v)
}

// readableBytes shows runs of printable text as text and the rest as hex;
// 8-byte runs that look like ids show as #id.
func readableBytes(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r != utf8.RuneError && r >= 0x20 && r != 0x7f {
			sb.WriteRune(r)
			b = b[n:]
			continue
		}
		if len(b) >= 8 && b[0] == 0 && b[1] == 0 {
			fmt.Fprintf(&sb, "#%d", btoi(b[:8]))
			b = b[8:]
			continue
		}
		fmt.Fprintf(&sb, "\\x%02x", b[0])
		b = b[1:]
	}
	return sb.String()
}

// thousands formats n with separators.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
