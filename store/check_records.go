package store

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// checker runs the record, derived, rule and material areas of a full
// check on an open (read-only) database.
type checker struct {
	r      *CheckReport
	dir    string
	db     *bolt.DB
	opt    CheckOptions
	states []*setState // the derived sets as the first pass left them
	files  map[string]*fileRef
	walked chan pageWalk // the page walk's result (full path)
}

// batchInfo is what the check keeps of a batch.
type batchInfo struct {
	id, orgID          uint64
	name               string
	state              BatchState
	count, marked      int
	nextCand, nextLog  uint64
	lastReview         map[string]time.Time
	cands, marks       int
	issued             int // its certificates that are not reissues
	created, queuedAt  time.Time
	files              []StoredFile
	maxCand, maxLogSeq uint64
}

// segInfo follows the certificates of one segment.
type segInfo struct {
	sg        Segment
	count     int
	min, max  int
	prev      int
	holes     []int
	holeCount int
}

// fileRef is an uploaded file some record refers to.
type fileRef struct {
	size   int64 // -1: unknown (a staged workbook)
	holder string
}

// checkWorld is one pass over every record: the small records kept in
// memory, the derived sets being computed and, on the first pass, the
// findings.
type checkWorld struct {
	tx   *bolt.Tx
	r    *CheckReport // nil on later passes: no findings
	sets []*setState

	provinceID      uint64
	orgs            map[uint64]*Org
	users           map[uint64]uint64 // user id => org id
	batches         map[uint64]*batchInfo
	lastBatchAction map[[2]uint64]BatchAction
	segs            map[string]*segInfo
	occupations     map[string]bool
	files           map[string]*fileRef
	records         int64
	count           map[string]int64 // decoded records per bucket
}

func newCheckWorld(tx *bolt.Tx, r *CheckReport) *checkWorld {
	return &checkWorld{tx: tx, r: r, orgs: map[uint64]*Org{}, users: map[uint64]uint64{},
		batches: map[uint64]*batchInfo{}, lastBatchAction: map[[2]uint64]BatchAction{},
		segs: map[string]*segInfo{}, occupations: map[string]bool{}, files: map[string]*fileRef{}, count: map[string]int64{}}
}

// certIn is a certificate as the derived sets' cert hooks receive it, with
// its index entries and counter keys when a set needs them.
type certIn struct {
	*Certificate
	ix     []ixEntry
	counts [][]byte
	ixErr  error
}

func (w *checkWorld) batchReviewer(b *Batch) uint64 {
	switch b.State {
	case BatchPendingDept:
		if o := w.orgs[b.OrgID]; o != nil {
			return o.ParentID
		}
	case BatchPendingProvince:
		return w.provinceID
	}
	return 0
}

func (w *checkWorld) bizReviewer(b *Business) uint64 {
	switch b.State {
	case BizPendingDept:
		if len(b.OrgPath) > 0 {
			return b.OrgPath[len(b.OrgPath)-1]
		}
	case BizPendingProvince:
		return w.provinceID
	}
	return 0
}

func (w *checkWorld) fault(area CheckArea, kind, zh, en string) {
	if w.r != nil {
		w.r.fault(area, kind, zh, en)
	}
}

func (w *checkWorld) note(area CheckArea, kind, zh, en string) {
	if w.r != nil {
		w.r.note(area, kind, zh, en)
	}
}

// badRecord reports a record that does not decode or sits under the wrong
// key.
func (w *checkWorld) badRecord(bucket []byte, k []byte, err error) {
	w.fault(AreaRecords, "decode:"+string(bucket), fmt.Sprintf("%s 中的记录 %s 无法读取：%v", bucket, readableBytes(k), err),
		fmt.Sprintf("record %s of %s does not decode: %v", readableBytes(k), bucket, err))
}

func (w *checkWorld) wrongKey(bucket []byte, k []byte, want string) {
	w.fault(AreaRecords, "key:"+string(bucket), fmt.Sprintf("%s 中的记录 %s 与其内容不符（内容属于 %s）", bucket, readableBytes(k), want),
		fmt.Sprintf("record %s of %s holds the record of %s", readableBytes(k), bucket, want))
}

// each walks a record bucket, decoding each value into a fresh v.
func each[T any](w *checkWorld, bucket []byte, fn func(k []byte, v *T)) {
	b := w.tx.Bucket(bucket)
	if b == nil {
		return
	}
	c := b.Cursor()
	for k, raw := c.First(); k != nil; k, raw = c.Next() {
		if raw == nil {
			w.fault(AreaRecords, "nested:"+string(bucket), fmt.Sprintf("%s 中有不应出现的子桶 %s", bucket, readableBytes(k)),
				fmt.Sprintf("unexpected nested bucket %s in %s", readableBytes(k), bucket))
			continue
		}
		w.records++
		v := new(T)
		if err := json.Unmarshal(raw, v); err != nil {
			w.badRecord(bucket, k, err)
			continue
		}
		w.count[string(bucket)]++
		fn(k, v)
	}
}

// kinds of records a pass reads, so later passes read only what their sets
// need.
type passNeeds struct{ sessions, logs, cands, certs, biz bool }

func needsOf(states []*setState, rules bool) passNeeds {
	n := passNeeds{sessions: rules, logs: rules, cands: rules, certs: rules, biz: rules}
	for _, s := range states {
		d := s.set
		n.sessions = n.sessions || d.session != nil
		n.logs = n.logs || d.log != nil
		n.cands = n.cands || d.cand != nil
		n.certs = n.certs || d.cert != nil
		n.biz = n.biz || d.biz != nil
	}
	return n
}

// pass reads every record the active sets (and, with w.r set, the rules)
// need, feeding each to the sets' hooks.
func (w *checkWorld) pass() error {
	need := needsOf(w.sets, w.r != nil)
	meta := w.tx.Bucket(bMeta)
	if meta == nil {
		return nil
	}
	w.provinceID = btoi(meta.Get([]byte("province_id")))
	if raw := meta.Get([]byte("settings")); raw != nil {
		var st Settings
		if err := json.Unmarshal(raw, &st); err != nil {
			w.badRecord(bMeta, []byte("settings"), err)
		}
	}

	each(w, bOrgs, func(k []byte, o *Org) {
		if btoi(k) != o.ID || len(k) != 8 {
			w.wrongKey(bOrgs, k, fmt.Sprintf("机构 org %d", o.ID))
			return
		}
		w.orgs[o.ID] = o
		for _, s := range w.sets {
			if s.set.org != nil {
				s.set.org(o, s.emit)
			}
		}
	})
	each(w, bUsers, func(k []byte, u *User) {
		if btoi(k) != u.ID || len(k) != 8 {
			w.wrongKey(bUsers, k, fmt.Sprintf("用户 user %d", u.ID))
			return
		}
		w.users[u.ID] = u.OrgID
		if w.orgs[u.OrgID] == nil {
			w.fault(AreaRules, "user-org", fmt.Sprintf("用户 %s 所属机构 %d 不存在", u.Username, u.OrgID), fmt.Sprintf("user %s belongs to missing org %d", u.Username, u.OrgID))
		}
		for _, s := range w.sets {
			if s.set.user != nil {
				s.set.user(u, s.emit)
			}
		}
	})
	if need.sessions {
		each(w, bSessions, func(k []byte, sess *Session) {
			if _, ok := w.users[sess.UserID]; !ok {
				w.fault(AreaRules, "session-user", fmt.Sprintf("会话属于不存在的用户 %d", sess.UserID), fmt.Sprintf("a session of missing user %d", sess.UserID))
			}
			for _, s := range w.sets {
				if s.set.session != nil {
					s.set.session(k, sess, s.emit)
				}
			}
		})
	}
	each(w, bOccupations, func(k []byte, o *Occupation) {
		if string(k) != o.Code {
			w.wrongKey(bOccupations, k, "职业 occupation "+o.Code)
			return
		}
		w.occupations[o.Code] = true
	})
	if need.logs {
		each(w, bLog, func(k []byte, e *LogEntry) {
			if btoi(k) != e.ID || len(k) != 8 {
				w.wrongKey(bLog, k, fmt.Sprintf("日志 log %d", e.ID))
				return
			}
			for _, s := range w.sets {
				if s.set.log != nil {
					s.set.log(e, s.emit)
				}
			}
		})
	}
	each(w, bSegments, func(k []byte, sg *Segment) {
		if string(k) != sg.Code {
			w.wrongKey(bSegments, k, "号段 segment "+sg.Code)
			return
		}
		if sg.Code != SegmentCode(sg.Year, sg.Region, sg.Occupation, sg.Level) || sg.Start < 1 || sg.Current < sg.Start-1 || sg.Current > sg.End || sg.Issued < 0 {
			w.fault(AreaRules, "segment", fmt.Sprintf("号段 %s 的记录自相矛盾（起始 %d，当前 %d，终止 %d，已发 %d）", sg.Code, sg.Start, sg.Current, sg.End, sg.Issued),
				fmt.Sprintf("segment %s contradicts itself (start %d, current %d, end %d, issued %d)", sg.Code, sg.Start, sg.Current, sg.End, sg.Issued))
		}
		w.segs[sg.Code] = &segInfo{sg: *sg, min: 1 << 30, prev: -1}
	})
	formats := map[string]bool{}
	each(w, bPrintFormats, func(k []byte, pf *PrintFormat) {
		if !bytes.Equal(k, formatKey(pf.OrgID, pf.ID)) {
			w.wrongKey(bPrintFormats, k, fmt.Sprintf("打印格式 format %d/%d", pf.OrgID, pf.ID))
			return
		}
		formats[string(k)] = true
	})
	if b := w.tx.Bucket(bPrintDefault); b != nil && w.r != nil {
		_ = b.ForEach(func(k, v []byte) error {
			w.records++
			if len(k) != 8 || len(v) != 8 || !formats[string(formatKey(btoi(k), btoi(v)))] {
				w.fault(AreaRules, "print-default", fmt.Sprintf("print_default：机构 %d 的默认打印格式 %d 不存在", btoi(k), btoi(v)), fmt.Sprintf("print_default: default print format %d of org %d is missing", btoi(v), btoi(k)))
			}
			return nil
		})
	}

	// Batches, their review logs, candidates and marks.
	each(w, bBatches, func(k []byte, b *Batch) {
		if btoi(k) != b.ID || len(k) != 8 {
			w.wrongKey(bBatches, k, fmt.Sprintf("批次 batch %d", b.ID))
			return
		}
		w.batches[b.ID] = &batchInfo{id: b.ID, orgID: b.OrgID, name: b.Name, state: b.State, count: b.Count, marked: b.Marked,
			nextCand: b.NextCand, nextLog: b.NextLog, lastReview: b.LastReview, created: b.Created, queuedAt: b.QueuedAt, files: b.Files}
		if w.r != nil {
			if w.orgs[b.OrgID] == nil {
				w.fault(AreaRules, "batch-org", fmt.Sprintf("批次 %s 所属机构 %d 不存在", b.Code(), b.OrgID), fmt.Sprintf("batch %s belongs to missing org %d", b.Code(), b.OrgID))
			}
			if b.State.Label() == string(b.State) {
				w.fault(AreaRules, "batch-state", fmt.Sprintf("批次 %s 的状态 %q 无效", b.Code(), b.State), fmt.Sprintf("batch %s has invalid state %q", b.Code(), b.State))
			}
			for _, f := range b.Files {
				w.refer(f.Hash, f.Size, "批次 batch "+b.Code()+"「"+f.Name+"」")
			}
		}
		for _, s := range w.sets {
			if s.set.batch != nil {
				s.set.batch(b, s.emit)
			}
		}
	})
	each(w, bBatchLog, func(k []byte, e *ReviewEntry) {
		bi := w.batches[btoi(k)]
		if len(k) != 16 || btoi(k[8:]) != e.Seq {
			w.wrongKey(bBatchLog, k, fmt.Sprintf("审核记录 entry %d", e.Seq))
			return
		}
		if bi == nil {
			w.fault(AreaRules, "log-batch", fmt.Sprintf("审核记录属于不存在的批次 %d", btoi(k)), fmt.Sprintf("a review entry of missing batch %d", btoi(k)))
			return
		}
		bi.maxLogSeq = max(bi.maxLogSeq, e.Seq)
		if e.Action == BatchApprove || e.Action == BatchReject {
			w.lastBatchAction[[2]uint64{bi.id, e.OrgID}] = e.Action
		}
	})
	if need.cands {
		each(w, bCandidates, func(k []byte, c *Candidate) {
			bi := w.batches[btoi(k)]
			if len(k) != 16 || btoi(k[8:]) != c.ID {
				w.wrongKey(bCandidates, k, fmt.Sprintf("人员 candidate %d", c.ID))
				return
			}
			if bi == nil {
				w.fault(AreaRules, "cand-batch", fmt.Sprintf("合格人员 %d 属于不存在的批次 %d", c.ID, btoi(k)), fmt.Sprintf("candidate %d of missing batch %d", c.ID, btoi(k)))
				return
			}
			bi.cands++
			bi.maxCand = max(bi.maxCand, c.ID)
			for _, s := range w.sets {
				if s.set.cand != nil {
					s.set.cand(bi, c, s.emit)
				}
			}
		})
	}
	if w.r != nil {
		each(w, bCandidateMarks, func(k []byte, m *Mark) {
			if len(k) != 16 || btoi(k[8:]) != m.CandidateID {
				w.wrongKey(bCandidateMarks, k, fmt.Sprintf("标记 mark %d", m.CandidateID))
				return
			}
			bi := w.batches[btoi(k)]
			if bi == nil || w.tx.Bucket(bCandidates).Get(k) == nil {
				w.fault(AreaRules, "mark", fmt.Sprintf("批次 %d 的不通过标记指向不存在的人员 %d", btoi(k), m.CandidateID),
					fmt.Sprintf("a mark of batch %d on missing candidate %d", btoi(k), m.CandidateID))
				return
			}
			bi.marks++
		})
	}

	if need.certs {
		w.passCerts()
	}
	if need.biz {
		each(w, bBiz, func(k []byte, b *Business) {
			if btoi(k) != b.ID || len(k) != 8 {
				w.wrongKey(bBiz, k, fmt.Sprintf("业务 business %d", b.ID))
				return
			}
			if w.r != nil {
				w.bizRules(b)
			}
			for _, s := range w.sets {
				if s.set.biz != nil {
					s.set.biz(b, s.emit)
				}
			}
		})
	}
	if w.r != nil {
		w.stagedRules()
	}
	for _, s := range w.sets {
		if s.set.done != nil || s.set.doneState != nil {
			var err error
			if s.set.doneState != nil {
				err = s.set.doneState(s)
			} else {
				err = s.set.done(s.emit)
			}
			if err != nil {
				w.fault(AreaDerived, "done:"+s.set.name(), fmt.Sprintf("无法从记录计算%s（%s）：%v", s.set.what, s.set.name(), err),
					fmt.Sprintf("%s cannot be computed from the records: %v", s.set.name(), err))
			}
		}
	}
	return nil
}

// certRec is one certificate of passCerts: decoded (and indexed, when a
// set needs the index) on a worker, used in key order on the pass's
// goroutine.
type certRec struct {
	k, raw []byte
	cert   Certificate
	err    error
	in     certIn
}

type certJob struct {
	recs  []certRec
	done  chan struct{}
	fault any
}

// passCerts reads every certificate. Decoding, the largest part of the
// work, runs on one worker per processor; the certificates are then used in
// key order, which the segment rules need.
func (w *checkWorld) passCerts() {
	b := w.tx.Bucket(bCerts)
	if b == nil {
		return
	}
	needIx := false
	recentAfter := recentAfterTx(w.tx) // the entries' level (cert_index_recent.go)
	// Sets whose cert hook reads only the certificate run on the workers,
	// each worker folding into its own copy, merged at the end.
	var pure, onMain []*setState
	for _, s := range w.sets {
		needIx = needIx || s.set.usesIndex
		switch {
		case s.set.cert == nil:
		case s.set.pure:
			pure = append(pure, s)
		default:
			onMain = append(onMain, s)
		}
	}
	const perJob = 256
	workers := max(1, runtime.GOMAXPROCS(0))
	work := make(chan *certJob, 2*workers)
	ordered := make(chan *certJob, 4*workers)
	stop := make(chan struct{})
	defer close(stop)
	var faultMsg any
	copies := make([][]*setState, workers)
	var workersDone sync.WaitGroup
	go func() { // the producer: raw values straight from the memory map
		defer close(ordered)
		defer close(work)
		defer func() {
			if p := recover(); p != nil {
				j := &certJob{done: make(chan struct{}), fault: p}
				close(j.done)
				select {
				case ordered <- j:
				case <-stop:
				}
			}
		}()
		debug.SetPanicOnFault(true)
		c := b.Cursor()
		j := &certJob{done: make(chan struct{})}
		send := func() bool {
			select {
			case work <- j:
			case <-stop:
				return false
			}
			select {
			case ordered <- j:
			case <-stop:
				return false
			}
			j = &certJob{done: make(chan struct{})}
			return true
		}
		for k, raw := c.First(); k != nil; k, raw = c.Next() {
			j.recs = append(j.recs, certRec{k: k, raw: raw})
			if len(j.recs) == perJob && !send() {
				return
			}
		}
		if len(j.recs) > 0 {
			send()
		}
	}()
	for i := 0; i < workers; i++ {
		mine := make([]*setState, len(pure))
		for n, s := range pure {
			mine[n] = newSetState(s.set)
			if s.want != nil {
				mine[n].want, mine[n].got = s.want, newArena(0)
			}
		}
		copies[i] = mine
		workersDone.Add(1)
		go func() {
			defer workersDone.Done()
			debug.SetPanicOnFault(true)
			for j := range work {
				func() {
					defer close(j.done)
					defer func() {
						if p := recover(); p != nil {
							j.fault = p
						}
					}()
					for r := range j.recs {
						rec := &j.recs[r]
						if rec.raw == nil {
							continue
						}
						if rec.err = decodeCert(rec.k, rec.raw, &rec.cert); rec.err != nil {
							continue
						}
						c := &rec.cert
						rec.in.Certificate = c
						if needIx {
							rec.in.ix, rec.in.counts, rec.in.ixErr = certIndex(c, recentAfter)
						}
						if string(rec.k) != c.Number {
							continue
						}
						for _, s := range mine {
							// An error is the index's, reported once on the main side.
							_ = s.set.cert(&rec.in, s.emit)
						}
					}
				}()
			}
		}()
	}
	var seg *segInfo
	segCode := ""
	for j := range ordered {
		<-j.done
		if j.fault != nil {
			faultMsg = j.fault
			break
		}
		for r := range j.recs {
			rec := &j.recs[r]
			k := rec.k
			w.records++
			if rec.raw == nil {
				w.fault(AreaRecords, "nested:certs", "certs 中有不应出现的子桶 "+readableBytes(k), "unexpected nested bucket "+readableBytes(k)+" in certs")
				continue
			}
			if rec.err != nil {
				w.badRecord(bCerts, k, rec.err)
				continue
			}
			cert := &rec.cert
			if string(k) != cert.Number {
				w.wrongKey(bCerts, k, "证书 certificate "+cert.Number)
				continue
			}
			w.count[string(bCerts)]++
			if rec.in.ixErr != nil {
				w.fault(AreaRecords, "cert-index", fmt.Sprintf("证书 %s 无法建立索引：%v", cert.Number, rec.in.ixErr), fmt.Sprintf("certificate %s cannot be indexed: %v", cert.Number, rec.in.ixErr))
			}
			if w.r != nil {
				w.certRules(cert)
				if len(k) == 14 {
					if code := string(k[:10]); code != segCode {
						segCode, seg = code, w.segs[code]
						if seg == nil {
							w.fault(AreaRules, "cert-segment", fmt.Sprintf("证书 %s 所属号段 %s 不存在", k, code), fmt.Sprintf("certificate %s: its segment %s does not exist", k, code))
						}
					}
					if serial, err := strconv.Atoi(string(k[10:])); err == nil && seg != nil {
						seg.follow(serial)
					}
				}
			}
			for _, s := range onMain {
				_ = s.set.cert(&rec.in, s.emit)
			}
		}
		j.recs = nil
	}
	if faultMsg != nil {
		panic(faultMsg) // protect reports it
	}
	workersDone.Wait()
	for _, mine := range copies {
		for n, s := range pure {
			s.merge(mine[n])
		}
	}
}

// follow counts a serial of the segment (serials come in ascending order).
func (sg *segInfo) follow(serial int) {
	sg.count++
	sg.min, sg.max = min(sg.min, serial), max(sg.max, serial)
	from := sg.prev + 1
	if sg.prev < 0 {
		from = sg.sg.Start
	}
	for h := from; h < serial; h++ {
		sg.holeCount++
		if len(sg.holes) < 5 {
			sg.holes = append(sg.holes, h)
		}
		if sg.holeCount > 10000 {
			break
		}
	}
	sg.prev = serial
}

func (w *checkWorld) certRules(c *Certificate) {
	n := c.Number
	bad := func(zh, en string) {
		w.fault(AreaRules, "cert", "证书 "+n+"："+zh, "certificate "+n+": "+en)
	}
	if len(n) != 14 || n[2:6] != c.Region || n[6:9] != c.Occupation || n[9] != byte('0'+c.Level) {
		bad("编号与地区、职业或等级不符", "the number does not match its region, occupation or level")
	}
	switch c.Status {
	case CertValid, CertCancelled, CertSuperseded:
	default:
		bad(fmt.Sprintf("状态 %q 无效", c.Status), fmt.Sprintf("invalid status %q", c.Status))
	}
	if o := w.orgs[c.OrgID]; o == nil || (o.Type != Unit && o.Type != Direct) {
		bad(fmt.Sprintf("发证机构 %d 不存在或不是单位", c.OrgID), fmt.Sprintf("issuing org %d missing or not a unit", c.OrgID))
	} else if !slices.Equal(o.Path, c.OrgPath) {
		bad("上级机构路径与发证机构不符", "its ancestors differ from the issuing org's")
	}
	if !w.occupations[c.Occupation] {
		bad("职业（工种）"+c.Occupation+" 不在目录中", "occupation "+c.Occupation+" is not in the catalogue")
	}
	if c.BatchID != 0 {
		if bi := w.batches[c.BatchID]; bi == nil || bi.orgID != c.OrgID {
			bad(fmt.Sprintf("所属批次 %d 不存在或属于其他机构", c.BatchID), fmt.Sprintf("batch %d missing or of another org", c.BatchID))
		} else if c.Replaces == "" {
			bi.issued++
		}
	}
	certs := w.tx.Bucket(bCerts)
	link := func(number string) *Certificate {
		var o Certificate
		if getCert(certs, []byte(number), &o) != nil {
			return nil
		}
		return &o
	}
	if c.Replaces != "" {
		if o := link(c.Replaces); o == nil || o.ReplacedBy != n {
			bad("所补办的原证书 "+c.Replaces+" 不存在或未指向本证书", "the certificate it replaces, "+c.Replaces+", is missing or does not point back")
		}
	}
	if c.ReplacedBy != "" {
		if c.Status != CertSuperseded {
			bad("已被补办却不是已补办状态", "replaced but not superseded")
		}
		if o := link(c.ReplacedBy); o == nil || o.Replaces != n {
			bad("补办的新证书 "+c.ReplacedBy+" 不存在或未指向本证书", "its replacement "+c.ReplacedBy+" is missing or does not point back")
		}
	}
}

func (w *checkWorld) bizRules(b *Business) {
	id := fmt.Sprintf("业务 %d（证书 %s）", b.ID, b.Number)
	idEn := fmt.Sprintf("business %d (certificate %s)", b.ID, b.Number)
	if !ValidBizKind(b.Kind) || b.State.Label() == string(b.State) {
		w.fault(AreaRules, "biz", id+"：类型或状态无效", idEn+": invalid kind or state")
	}
	var c Certificate
	if getCert(w.tx.Bucket(bCerts), []byte(b.Number), &c) != nil || c.OrgID != b.OrgID {
		w.fault(AreaRules, "biz", id+"：证书不存在或不属于申请机构", idEn+": the certificate is missing or not the applicant's")
	}
	if b.State == BizApproved && b.Kind == BizReissue {
		var nc Certificate
		if getCert(w.tx.Bucket(bCerts), []byte(b.NewNumber), &nc) != nil || nc.Replaces != b.Number {
			w.fault(AreaRules, "biz", id+"：补办的新证书 "+b.NewNumber+" 不存在", idEn+": the reissued certificate "+b.NewNumber+" is missing")
		}
	}
	for _, f := range b.Proofs {
		w.refer(f.Hash, f.Size, fmt.Sprintf("业务 business %d「%s」", b.ID, f.Name))
	}
}

func (w *checkWorld) stagedRules() {
	if b := w.tx.Bucket(bStaged); b != nil {
		_ = b.ForEach(func(k, v []byte) error {
			w.records++
			if len(k) != 8+64 || len(v) != 8 {
				w.fault(AreaRecords, "staged", "staged：暂存的名单记录格式错误："+readableBytes(k), "staged: malformed staged workbook entry: "+readableBytes(k))
				return nil
			}
			if _, ok := w.users[btoi(k)]; !ok {
				w.fault(AreaRules, "staged", fmt.Sprintf("staged：暂存的名单属于不存在的用户 %d", btoi(k)), fmt.Sprintf("staged: a staged workbook of missing user %d", btoi(k)))
			}
			w.refer(string(k[8:]), -1, fmt.Sprintf("暂存名单 staged workbook (user %d)", btoi(k)))
			return nil
		})
	}
	if b := w.tx.Bucket(bBizPrint); b != nil {
		_ = b.ForEach(func(k, v []byte) error {
			w.records++
			ok := len(k) == 8+14 && len(v) == 8
			if ok {
				var c Certificate
				ok = getCert(w.tx.Bucket(bCerts), k[8:], &c) == nil && c.OrgID == btoi(k) && w.tx.Bucket(bBiz).Get(v) != nil
			}
			if !ok {
				w.fault(AreaRules, "biz-print", "biz_print：业务打印列表中的 "+readableBytes(k)+" 不指向本机构的证书或业务", "biz_print: entry "+readableBytes(k)+" does not point at a certificate of its org and a business")
			}
			return nil
		})
	}
}

// refer notes that a record refers to an uploaded file.
func (w *checkWorld) refer(hash string, size int64, holder string) {
	if _, err := hex.DecodeString(hash); err != nil || len(hash) != 64 {
		w.fault(AreaRecords, "file-hash", holder+" 的文件编号无效："+hash, holder+": invalid file hash "+hash)
		return
	}
	if f := w.files[hash]; f != nil {
		if f.size < 0 {
			f.size = size
		}
		return
	}
	w.files[hash] = &fileRef{size: size, holder: holder}
}

// finishRules checks what only all records together tell.
func (w *checkWorld) finishRules() {
	// Organisations: one province, each below its parent.
	provinces := 0
	maxSeq := map[string]int{}
	for _, o := range w.orgs {
		if o.Type == Province {
			provinces++
			if o.ID != w.provinceID {
				w.fault(AreaRules, "org", "省厅 "+o.Display()+" 不是登记的省厅", "province "+o.Code+" is not the registered province")
			}
		} else if p := w.orgs[o.ParentID]; p == nil || !slices.Equal(o.Path, append(append([]uint64(nil), p.Path...), p.ID)) {
			w.fault(AreaRules, "org", "机构 "+o.Display()+" 的上级机构不存在或路径不符", "org "+o.Code+": parent missing or path wrong")
		}
		if len(o.Code) == 8 {
			if seq, err := strconv.Atoi(o.Code[4:]); err == nil && seq > maxSeq[o.Code[:4]] {
				maxSeq[o.Code[:4]] = seq
			}
		}
	}
	if len(w.orgs) > 0 && provinces != 1 {
		w.fault(AreaRules, "org", fmt.Sprintf("有 %d 个省厅（应为 1 个）", provinces), fmt.Sprintf("%d provinces (want 1)", provinces))
	}
	counters := w.tx.Bucket(bCounters)
	for region, seq := range maxSeq {
		if got := int(btoi(counters.Get([]byte("orgcode|" + region)))); got < seq {
			w.fault(AreaRules, "orgcode", fmt.Sprintf("地区 %s 的机构代码序号 %d 小于已用的 %d（新机构会重号）", region, got, seq),
				fmt.Sprintf("org code sequence of region %s is %d, below the %d in use", region, got, seq))
		}
	}
	_ = counters.ForEach(func(k, v []byte) error {
		for _, p := range counterPrefixes {
			if bytes.HasPrefix(k, []byte(p)) {
				return nil
			}
		}
		w.fault(AreaDerived, "counter", "计数器桶中有未知的键 "+readableBytes(k), "unknown key in counters: "+readableBytes(k))
		return nil
	})
	// Segments: serials from the start, without gaps, up to the current one.
	codes := make([]string, 0, len(w.segs))
	for code := range w.segs {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		s := w.segs[code]
		sg := s.sg
		span := sg.Current - sg.Start + 1 // numbers handed out or skipped by a raise
		switch {
		case s.count > 0 && s.max > sg.Current:
			w.fault(AreaRules, "segment", fmt.Sprintf("号段 %s 有超出当前号 %04d 的证书 %04d", code, sg.Current, s.max),
				fmt.Sprintf("segment %s has certificate %04d beyond its current serial %04d", code, s.max, sg.Current))
		case s.count != sg.Issued:
			holes := ""
			for _, h := range s.holes {
				holes += fmt.Sprintf(" %s%04d", code, h)
			}
			if s.holeCount > 0 && s.holeCount <= span-sg.Issued {
				holes = "" // skipped by a raise of the current serial
			}
			w.fault(AreaRules, "segment", fmt.Sprintf("号段 %s 已发 %d 个号，但只有 %d 张证书可读；缺号：%s", code, sg.Issued, s.count, holes),
				fmt.Sprintf("segment %s issued %d numbers but %d certificates read; missing:%s", code, sg.Issued, s.count, holes))
		case sg.Issued == span && s.holeCount > 0:
			w.fault(AreaRules, "segment", fmt.Sprintf("号段 %s 的证书号不连续（缺 %04d 等 %d 个）", code, s.holes[0], s.holeCount),
				fmt.Sprintf("segment %s has gaps (%04d and %d more)", code, s.holes[0], s.holeCount-1))
		}
	}
	// Batches: counts in the record, certificates by state.
	ids := make([]uint64, 0, len(w.batches))
	for id := range w.batches {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		b := w.batches[id]
		code := fmt.Sprintf("P%06d", id)
		if b.cands != b.count || b.marks != b.marked || b.maxCand > b.nextCand || b.maxLogSeq > b.nextLog {
			w.fault(AreaRules, "batch", fmt.Sprintf("批次 %s 记录 %d 人、%d 个标记，实有 %d 人、%d 个标记", code, b.count, b.marked, b.cands, b.marks),
				fmt.Sprintf("batch %s says %d candidates and %d marks; found %d and %d", code, b.count, b.marked, b.cands, b.marks))
		}
		switch {
		case b.state == BatchApproved && b.issued != b.count:
			w.fault(AreaRules, "batch-certs", fmt.Sprintf("审核通过的批次 %s 有 %d 名合格人员，但有 %d 张由它发放的证书", code, b.count, b.issued),
				fmt.Sprintf("approved batch %s has %d candidates but %d certificates issued by it", code, b.count, b.issued))
		case b.state != BatchApproved && b.issued != 0:
			w.fault(AreaRules, "batch-certs", fmt.Sprintf("批次 %s 为「%s」，却已有 %d 张证书", code, b.state.Label(), b.issued),
				fmt.Sprintf("batch %s is %s but has %d certificates", code, b.state, b.issued))
		}
	}
	// Buckets nobody declared.
	known := map[string]bool{}
	for _, b := range allBuckets {
		known[string(b)] = true
	}
	_ = w.tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if !known[string(name)] {
			w.note(AreaRecords, "bucket", "数据库中有本程序不认识的数据桶 "+readableBytes(name), "unknown bucket "+readableBytes(name))
		}
		return nil
	})
}
