package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// collectBudget bounds the expected entries one pass collects (to name
// differences, or to rewrite partitions in a repair): about 150 MB.
const collectBudget = 4_000_000

// run checks records, derived sets, rules and materials, and on the full
// path lets bbolt check every page, concurrently with the rest.
func (c *checker) run(progress func(CheckArea)) error {
	r := c.r
	if r.Figures.Schema < SchemaVersion {
		r.SchemaOld = true
		r.fault(AreaFile, "schema", fmt.Sprintf("数据库版本 %d 低于本程序的 %d：请先用本程序启动一次服务器完成升级，再做完整检查", r.Figures.Schema, SchemaVersion),
			fmt.Sprintf("database schema %d is older than this binary's %d: start the server once to migrate, then check again", r.Figures.Schema, SchemaVersion))
		r.fillSkipped()
		<-c.walked
		return nil
	}
	// bbolt's own walk of every page, once the page walk has shown that
	// every page it can reach lies inside the file.
	pagesDone := make(chan []string, 1)
	var walk pageWalk
	go func() {
		walk = <-c.walked
		if walk.err != nil || len(walk.faults) > 0 {
			pagesDone <- nil
			return
		}
		t0 := time.Now()
		var errs []string
		_ = c.db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				errs = append(errs, err.Error())
			}
			return nil
		})
		walk.took += time.Since(t0)
		pagesDone <- errs
	}()

	progress(AreaRecords)
	err := protect(func() error {
		return c.db.View(func(tx *bolt.Tx) error { return c.records(tx, progress) })
	}, func(msg string) {
		r.fault(AreaRecords, "fault", "读取数据库时出错（文件已损坏）："+msg, "reading the database failed (the file is damaged): "+msg)
	})
	checkErrs := <-pagesDone
	if err != nil {
		return err
	}
	if walk.err != nil {
		return walk.err
	}
	fa := &r.Areas[AreaFile]
	fa.Checked, fa.Elapsed = walk.pages+2, fa.Elapsed+walk.took
	for _, f := range walk.faults {
		r.fault(AreaFile, "pages", f.zh, f.en)
	}
	for _, e := range checkErrs {
		r.fault(AreaFile, "check", "页面结构错误："+e, "page structure: "+e)
	}

	progress(AreaMaterials)
	c.materials()
	progress(AreaChain)
	if err := c.chain(); err != nil {
		return err
	}
	r.fillSkipped()
	return nil
}

// records is the record pass with the rules, then the derived sets'
// comparison.
func (c *checker) records(tx *bolt.Tx, progress func(CheckArea)) error {
	r := c.r
	t0 := time.Now()
	w := newCheckWorld(tx, r)
	for _, d := range derivedSets(w) {
		w.sets = append(w.sets, newSetState(d))
	}
	// The buckets' side of every derived set is read meanwhile, in a read
	// transaction of its own.
	actual := make(chan error, 1)
	var walkTook time.Duration
	go func() {
		t0 := time.Now()
		err := protect(func() error {
			return c.db.View(func(tx *bolt.Tx) error {
				for _, s := range w.sets {
					walkActual(tx, s)
				}
				return nil
			})
		}, func(msg string) {
			r.fault(AreaDerived, "fault", "读取数据库时出错（文件已损坏）："+msg, "reading the database failed (the file is damaged): "+msg)
		})
		walkTook = time.Since(t0)
		actual <- err
	}()
	if err := w.pass(); err != nil {
		<-actual
		return err
	}
	if err := <-actual; err != nil {
		return err
	}
	walkDone := walkTook
	ra := &r.Areas[AreaRecords]
	ra.Ran, ra.Checked, ra.ItemZh, ra.ItemEn, ra.Elapsed = true, w.records, "条记录", "records", time.Since(t0)

	t0 = time.Now()
	w.finishRules()
	r.Areas[AreaRules].Ran, r.Areas[AreaRules].ItemZh, r.Areas[AreaRules].ItemEn = true, "个号段、批次与机构", "segments, batches and orgs"
	r.Areas[AreaRules].Checked = int64(len(w.segs) + len(w.batches) + len(w.orgs))
	r.Areas[AreaRules].Elapsed = time.Since(t0)
	r.Figures.Organisations, r.Figures.Users, r.Figures.Batches = int64(len(w.orgs)), int64(len(w.users)), int64(len(w.batches))
	r.Figures.Certificates = w.count[string(bCerts)]
	r.Figures.Businesses = w.count[string(bBiz)]
	r.Figures.LogEntries = w.count[string(bLog)]
	r.Figures.Materials = int64(len(w.files))
	c.files = w.files

	progress(AreaDerived)
	t0 = time.Now()
	var bad []*setState
	entries := int64(0)
	for _, s := range w.sets {
		s.compare()
		entries += s.expN
		if len(s.bad) > 0 {
			bad = append(bad, s)
		}
	}
	da := &r.Areas[AreaDerived]
	da.Ran, da.Checked, da.ItemZh, da.ItemEn = true, entries, "个索引键与计数器", "index keys and counters"
	c.states = w.sets
	if len(bad) > 0 {
		c.detail(tx, bad)
	}
	// The buckets were read while the records were: that time counts here.
	da.Elapsed = time.Since(t0) + walkDone
	return nil
}

// walkActual folds the keys a set owns in its bucket into its digests.
func walkActual(tx *bolt.Tx, s *setState) {
	b := tx.Bucket(s.set.bucket)
	if b == nil {
		return
	}
	cur := b.Cursor()
	var k, v []byte
	if s.set.prefix == nil {
		k, v = cur.First()
	} else {
		k, v = cur.Seek(s.set.prefix)
	}
	if s.set.runs {
		walkRuns(cur, k, v, s)
		return
	}
	for ; k != nil && bytes.HasPrefix(k, s.set.prefix); k, v = cur.Next() {
		s.foldActual(k, v)
	}
}

// damagedRun is the value folded for a run that does not decode or breaks
// the order of the entries: no entry has it, so its partition differs.
var damagedRun = []byte("\xffdamaged run")

// walkRuns folds the entries of a bucket of runs from k, v on, each run
// checked: it decodes, its entries ascend from the previous run's last and
// stay in the group of its first.
func walkRuns(cur *bolt.Cursor, k, v []byte, s *setState) {
	var r run
	var last []byte
	for ; k != nil && bytes.HasPrefix(k, s.set.prefix); k, v = cur.Next() {
		if err := r.decode(k, v); err != nil || r.n() == 0 {
			s.foldActual(k, damagedRun)
			continue
		}
		group := groupOf(r.key(0))
		ok := true
		for i := 0; i < r.n(); i++ {
			ek := r.key(i)
			if (last != nil && bytes.Compare(ek, last) <= 0) || !bytes.HasPrefix(ek, group) {
				ok = false
			}
			last = ek
		}
		last = bytes.Clone(last)
		if !ok {
			s.foldActual(k, damagedRun)
			continue
		}
		for i := 0; i < r.n(); i++ {
			s.foldActual(r.key(i), r.sum(i))
		}
	}
}

// pickPartitions chooses the bad partitions of the sets to collect in one
// pass: as many as fit in the budget (at least one), at most perSet of
// each set (0: no limit).
func pickPartitions(sets []*setState, perSet int, from map[*setState]int) map[*setState][]uint64 {
	out := map[*setState][]uint64{}
	used := int64(0)
	for _, s := range sets {
		taken := 0
		for i := from[s]; i < len(s.bad); i++ {
			p := s.bad[i]
			n := int64(0)
			if e := s.exp[p]; e != nil {
				n = int64(e.n)
			}
			if used > 0 && used+n > collectBudget || perSet > 0 && taken >= perSet {
				break
			}
			out[s] = append(out[s], p)
			used += n
			taken++
			from[s] = i + 1
		}
	}
	return out
}

// collectExpected runs a pass that collects the expected entries of the chosen
// partitions; it returns each partition's entries sorted.
func collectExpected(tx *bolt.Tx, chosen map[*setState][]uint64) (map[*setState]*setState, error) {
	w := newCheckWorld(tx, nil)
	fresh := map[*setState]*setState{}
	for _, d := range derivedSets(w) {
		for old, parts := range chosen {
			if d.name() != old.set.name() {
				continue
			}
			ns := newSetState(d)
			ns.want, ns.got = map[uint64]bool{}, newArena(0)
			for _, p := range parts {
				ns.want[p] = true
			}
			w.sets = append(w.sets, ns)
			fresh[old] = ns
		}
	}
	if err := w.pass(); err != nil {
		return nil, err
	}
	return fresh, nil
}

// sortedIn lists the collected entries of one partition in key order.
func (s *setState) sortedIn(part uint64) []int {
	var idx []int
	for i := 0; i < s.got.len(); i++ {
		if s.set.part(s.got.key(i)) == part {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int { return bytes.Compare(s.got.key(a), s.got.key(b)) })
	return idx
}

// detail names, for each set that differs, the first keys that differ.
func (c *checker) detail(tx *bolt.Tx, bad []*setState) {
	chosen := pickPartitions(bad, 3, map[*setState]int{})
	fresh, err := collectExpected(tx, chosen)
	for _, s := range bad {
		d := keyDiff{}
		looked := 0
		if err == nil && fresh[s] != nil {
			for _, p := range chosen[s] {
				fresh[s].diffPartition(tx.Bucket(s.set.bucket), p, fresh[s].sortedIn(p), &d)
				looked++
			}
		}
		zh := fmt.Sprintf("%s（%s）与记录不一致：应有 %s 项，实有 %s 项", s.set.what, s.set.name(), thousands(s.expN), thousands(s.actN))
		en := fmt.Sprintf("%s differs from the records: %s entries expected, %s found", s.set.name(), thousands(s.expN), thousands(s.actN))
		if looked > 0 {
			zh += fmt.Sprintf("；在 %d 个分区中（共 %d 个不一致）缺少 %d、多余 %d、值不符 %d", looked, len(s.bad), d.missing, d.extra, d.wrong)
			en += fmt.Sprintf("; in %d of %d differing partitions: %d missing, %d extra, %d wrong", looked, len(s.bad), d.missing, d.extra, d.wrong)
		}
		if len(d.examples) > 0 {
			zh += "：" + strings.Join(d.examples, "；")
			en += ": " + strings.Join(d.examples, "; ")
		}
		c.r.fault(AreaDerived, "set:"+s.set.name(), zh, en)
	}
}

// materials checks every file the records refer to: it exists, has the
// recorded size and (full path) the content its name promises. Files no
// record refers to are counted as a note.
func (c *checker) materials() {
	r := c.r
	t0 := time.Now()
	ma := &r.Areas[AreaMaterials]
	ma.Ran, ma.ItemZh, ma.ItemEn = true, "个文件", "files"
	dir := filepath.Join(c.dir, FilesDir)
	hashes := make([]string, 0, len(c.files))
	for h := range c.files {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	for _, h := range hashes {
		ref := c.files[h]
		ma.Checked++
		p := filepath.Join(dir, h)
		st, err := os.Stat(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			r.fault(AreaMaterials, "missing", fmt.Sprintf("%s 的文件 files/%s 不存在", ref.holder, h), fmt.Sprintf("file files/%s of %s is missing", h, ref.holder))
			continue
		case err != nil:
			r.fault(AreaMaterials, "stat", fmt.Sprintf("%s 的文件 files/%s 无法读取：%v", ref.holder, h, err), fmt.Sprintf("file files/%s of %s: %v", h, ref.holder, err))
			continue
		case ref.size >= 0 && st.Size() != ref.size:
			r.fault(AreaMaterials, "size", fmt.Sprintf("%s 的文件 files/%s 大小为 %d 字节，记录为 %d", ref.holder, h, st.Size(), ref.size),
				fmt.Sprintf("file files/%s of %s has %d bytes, recorded %d", h, ref.holder, st.Size(), ref.size))
			continue
		}
		if !c.opt.Full {
			continue
		}
		sum, err := fileSHA256(p)
		if err != nil {
			r.fault(AreaMaterials, "read", fmt.Sprintf("%s 的文件 files/%s 无法读取：%v", ref.holder, h, err), fmt.Sprintf("file files/%s of %s: %v", h, ref.holder, err))
		} else if sum != h {
			r.fault(AreaMaterials, "hash", fmt.Sprintf("%s 的文件 files/%s 内容已改变（SHA-256 为 %s…）", ref.holder, h, sum[:16]),
				fmt.Sprintf("file files/%s of %s has changed (its SHA-256 is %s…)", h, ref.holder, sum[:16]))
		}
	}
	if entries, err := os.ReadDir(dir); err == nil {
		unref := 0
		for _, e := range entries {
			if _, ok := c.files[e.Name()]; !ok {
				unref++
			}
		}
		if unref > 0 {
			r.note(AreaMaterials, "unreferenced", fmt.Sprintf("有 %d 个上传文件没有被任何记录引用（服务器会在一天后清理）", unref),
				fmt.Sprintf("%d uploaded files are referred to by no record (the server removes them after a day)", unref))
		}
	}
	ma.Elapsed = time.Since(t0)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// repair rewrites, from the records, every partition of every derived set
// that differs, a budget of entries per pass and per transaction; then it
// checks again. Records are never written.
func (c *checker) repair(metaToo bool) error {
	path := filepath.Join(c.dir, DBFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return fmt.Errorf("%s: %w", c.dir, ErrLocked)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	var bad []*setState
	for _, s := range c.states {
		if len(s.bad) > 0 {
			bad = append(bad, s)
		}
	}
	from := map[*setState]int{}
	fixed := map[*setState]int{}
	for {
		chosen := pickPartitions(bad, 0, from)
		if len(chosen) == 0 {
			break
		}
		var fresh map[*setState]*setState
		err := db.View(func(tx *bolt.Tx) error {
			var err error
			fresh, err = collectExpected(tx, chosen)
			return err
		})
		if err != nil {
			return err
		}
		for _, s := range bad {
			for _, p := range chosen[s] {
				if err := rewritePartition(db, fresh[s], p); err != nil {
					return fmt.Errorf("repair %s: %w", s.set.name(), err)
				}
				fixed[s]++
			}
		}
	}
	// A commit rewrites the older meta page too.
	if err := db.Update(func(tx *bolt.Tx) error { return nil }); err != nil {
		return err
	}
	if metaToo {
		c.r.Repaired = append(c.r.Repaired, [2]string{"重写了损坏的较旧事务头页", "rewrote the damaged older meta page"})
	}
	for _, s := range bad {
		c.r.Repaired = append(c.r.Repaired, [2]string{
			fmt.Sprintf("%s（%s）：从记录重建了 %d 个分区", s.set.what, s.set.name(), fixed[s]),
			fmt.Sprintf("%s: rebuilt %d partitions from the records", s.set.name(), fixed[s])})
	}
	return nil
}

// rewritePartition replaces the keys of one partition of a set by the
// collected expected entries, in transactions of bounded size.
func rewritePartition(db *bolt.DB, s *setState, part uint64) error {
	const perTx = 200_000
	lo := s.set.partPrefix(part)
	for {
		n := 0
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(s.set.bucket)
			if err != nil {
				return err
			}
			cur := b.Cursor()
			var k []byte
			if lo == nil {
				k, _ = cur.First()
			} else {
				k, _ = cur.Seek(lo)
			}
			for k != nil && bytes.HasPrefix(k, lo) && n < perTx {
				if s.set.part(k) != part {
					k, _ = cur.Next()
					continue
				}
				k = append([]byte(nil), k...)
				if err := cur.Delete(); err != nil {
					return err
				}
				n++
				k, _ = cur.Seek(k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n < perTx {
			break
		}
	}
	idx := s.sortedIn(part)
	for i := 0; i < len(idx); {
		err := db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(s.set.bucket)
			b.FillPercent = 0.9
			if s.set.runs {
				var rw runWriter
				for end := min(i+perTx, len(idx)); i < end; i++ {
					rw.add(s.got.key(idx[i]), s.got.val(idx[i]))
				}
				rw.flush()
				return rw.write(b)
			}
			for end := min(i+perTx, len(idx)); i < end; i++ {
				k, v := s.got.key(idx[i]), s.got.val(idx[i])
				if v == nil {
					v = []byte{}
				}
				if err := b.Put(k, v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
