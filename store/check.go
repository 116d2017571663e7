package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The check (certreg check -data DIR; at every start, fast; after every
// restore, full) verifies a data directory in five areas, each reported
// with a summary line in Chinese and English:
//
//  1. file: registry.db against its own meta pages (check_file.go), and on
//     the full path every page (a page walk with plain reads, then bbolt's
//     tx.Check);
//  2. records: every record of every record bucket decodes and sits under
//     its own key;
//  3. derived: every index and counter equals what the records say it must
//     be (check_derived.go: a table of derived sets, each computed with the
//     functions the writers use);
//  4. rules: facts no index holds — segments issue serials without gaps,
//     batch states agree with their certificates, links between records;
//  5. materials: every file a record refers to exists (and on the full path
//     matches its hash);
//  6. chain (full path): the operation log's hash chain, every
//     certificate's content against the last hash logged for it, the daily
//     anchors recorded in the database and those in anchor files kept
//     elsewhere, and the published signing keys (check_chain.go).
//
// A fault in the file area stops the others: the file is not opened by
// bbolt at all. Repair (-repair) rebuilds derived sets from records, never
// records themselves; a damaged newest meta page can only be accepted as a
// rollback (AcceptRollback), never repaired. docs/operations.md describes it
// for operators.

// CheckArea is one area of the check.
type CheckArea int

const (
	AreaFile CheckArea = iota
	AreaRecords
	AreaDerived
	AreaRules
	AreaMaterials
	AreaChain
	checkAreas
)

func (a CheckArea) labels() (string, string) {
	switch a {
	case AreaFile:
		return "数据库文件", "database file"
	case AreaRecords:
		return "记录", "records"
	case AreaDerived:
		return "索引与计数器", "indexes and counters"
	case AreaRules:
		return "业务规则", "rules"
	case AreaMaterials:
		return "上传文件", "uploaded files"
	case AreaChain:
		return "操作日志哈希链", "operation-log hash chain"
	}
	return "?", "?"
}

// CheckOptions say how far the check goes.
type CheckOptions struct {
	// Full walks every page and hashes every uploaded file; otherwise only
	// the file level and the database's layout are checked (the start-up
	// check).
	Full bool
	// Repair rebuilds the derived sets that differ from their records (and
	// rewrites a damaged older meta page); it implies Full.
	Repair bool
	// AcceptRollback accepts that a damaged newest meta page loses the last
	// transaction: the damaged file is copied beside itself and the previous
	// transaction is written again as the newest.
	AcceptRollback bool
	// AnchorDir, when set, is a directory of anchor files (the scheduled
	// backups' directory, or an auditor's copy of it) whose anchors must lie
	// on the chain.
	AnchorDir string
	// Progress, when set, receives a line as each area starts.
	Progress func(zh, en string)
}

// Finding is one thing the check found.
type Finding struct {
	Area  CheckArea
	Fault bool // false: a note that is not a fault
	Zh    string
	En    string
}

// AreaResult sums up one area.
type AreaResult struct {
	Area    CheckArea
	Ran     bool
	Checked int64  // items checked
	ItemZh  string // what an item is, e.g. 条记录
	ItemEn  string
	Faults  int
	Notes   int
	Elapsed time.Duration
}

// CheckReport is what a check found.
type CheckReport struct {
	Dir      string
	Full     bool
	Areas    [checkAreas]AreaResult
	Findings []Finding
	// Rollback is set when the newest meta page is damaged: opening the
	// database would silently lose its last transaction.
	Rollback bool
	// Repaired lists what -repair rebuilt (Chinese, English).
	Repaired [][2]string
	// Figures are the database's own counts (for backup manifests).
	Figures Figures
	// Before is the check that found what Repaired rebuilt.
	Before *CheckReport
	// SchemaOld is set when the database predates this binary's schema:
	// starting the server (or a restore) migrates it first.
	SchemaOld bool
	Elapsed   time.Duration
	// capped counts the findings left out per kind.
	capped map[string]int
	shown  map[string]int
	mu     sync.Mutex // findings may come from several goroutines
}

// Figures are counts of the main records of a database.
type Figures struct {
	Schema        uint64 `json:"schema"`
	Organisations int64  `json:"organisations"`
	Users         int64  `json:"users"`
	Certificates  int64  `json:"certificates"`
	Batches       int64  `json:"batches"`
	Businesses    int64  `json:"businesses"`
	Materials     int64  `json:"materials"`
	LogEntries    int64  `json:"log_entries"`
}

// OK reports whether the check found no fault.
func (r *CheckReport) OK() bool {
	for _, a := range r.Areas {
		if a.Faults > 0 {
			return false
		}
	}
	return true
}

// Faults is the number of faults found.
func (r *CheckReport) Faults() int {
	n := 0
	for _, a := range r.Areas {
		n += a.Faults
	}
	return n
}

// FirstFault is the first fault found, in Chinese ("" when none).
func (r *CheckReport) FirstFault() string {
	for _, f := range r.Findings {
		if f.Fault {
			return f.Zh
		}
	}
	return ""
}

// maxFindingsPerKind bounds the findings listed of one kind; the rest are
// counted.
const maxFindingsPerKind = 8

func (r *CheckReport) add(area CheckArea, fault bool, kind, zh, en string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if fault {
		r.Areas[area].Faults++
	} else {
		r.Areas[area].Notes++
	}
	if r.shown == nil {
		r.shown, r.capped = map[string]int{}, map[string]int{}
	}
	k := fmt.Sprint(area, kind)
	if r.shown[k] >= maxFindingsPerKind {
		r.capped[k]++
		return
	}
	r.shown[k]++
	r.Findings = append(r.Findings, Finding{Area: area, Fault: fault, Zh: zh, En: en})
}

func (r *CheckReport) fault(area CheckArea, kind, zh, en string) { r.add(area, true, kind, zh, en) }

func (r *CheckReport) note(area CheckArea, kind, zh, en string) { r.add(area, false, kind, zh, en) }

// Write prints the report: a summary line per area, then what was found,
// each in Chinese and English.
func (r *CheckReport) Write(w io.Writer) {
	mode, modeEn := "快速检查", "fast check"
	if r.Full {
		mode, modeEn = "完整检查", "full check"
	}
	fmt.Fprintf(w, "%s %s / %s %s\n", r.Dir, mode, modeEn, r.Elapsed.Round(10*time.Millisecond))
	for _, a := range r.Areas {
		zh, en := a.Area.labels()
		status, statusEn := "通过", "OK"
		switch {
		case !a.Ran:
			status, statusEn = "未检查", "skipped"
		case a.Faults > 0:
			status, statusEn = fmt.Sprintf("%d 处故障", a.Faults), fmt.Sprintf("%d faults", a.Faults)
		}
		fmt.Fprintf(w, "[%s / %s] %s / %s", zh, en, status, statusEn)
		if a.Ran {
			fmt.Fprintf(w, "：已检查 %d %s / %d %s checked", a.Checked, a.ItemZh, a.Checked, a.ItemEn)
			if a.Notes > 0 {
				fmt.Fprintf(w, "；%d 条提示 / %d notes", a.Notes, a.Notes)
			}
			fmt.Fprintf(w, "（%s）", a.Elapsed.Round(10*time.Millisecond))
		}
		fmt.Fprintln(w)
	}
	for _, f := range r.Findings {
		mark := "提示 note"
		if f.Fault {
			mark = "故障 FAULT"
		}
		zh, _ := f.Area.labels()
		fmt.Fprintf(w, "  %s [%s] %s\n      %s\n", mark, zh, f.Zh, f.En)
	}
	var kinds []string
	for k := range r.capped {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	extra := 0
	for _, k := range kinds {
		extra += r.capped[k]
	}
	if extra > 0 {
		fmt.Fprintf(w, "  ……另有 %d 条同类结果未列出 / %d more of the same kinds not listed\n", extra, extra)
	}
	if r.Before != nil {
		fmt.Fprintf(w, "修复前发现 %d 处故障；以下为修复后的重新检查。 / %d faults before the repair; the lines above are the check after it.\n", r.Before.Faults(), r.Before.Faults())
		for _, f := range r.Before.Findings {
			if f.Fault {
				fmt.Fprintf(w, "  修复前 before: %s\n      %s\n", f.Zh, f.En)
			}
		}
	}
	for _, rp := range r.Repaired {
		fmt.Fprintf(w, "  已修复 repaired: %s\n      %s\n", rp[0], rp[1])
	}
	if r.OK() {
		fmt.Fprintln(w, "结论：未发现故障。 / Result: no fault found.")
	} else {
		fmt.Fprintf(w, "结论：发现 %d 处故障。 / Result: %d faults found.\n", r.Faults(), r.Faults())
		if r.Rollback {
			fmt.Fprintln(w, "最新的事务头页已损坏：请从备份恢复；若确认可以放弃最后一次提交的修改，运行 certreg check -data 目录 -accept-rollback。")
			fmt.Fprintln(w, "The newest meta page is damaged: restore a backup, or accept losing the last committed transaction with certreg check -data DIR -accept-rollback.")
		} else if r.repairable() {
			fmt.Fprintln(w, "索引与计数器的故障可以用 -repair 从记录重建。 / Faults of indexes and counters can be rebuilt from the records with -repair.")
		}
	}
}

// repairable reports whether every fault is in a derived set.
func (r *CheckReport) repairable() bool {
	for a, res := range r.Areas {
		if CheckArea(a) != AreaDerived && res.Faults > 0 {
			return false
		}
	}
	return r.Areas[AreaDerived].Faults > 0
}

// ErrCheckFailed is returned by callers that refuse a directory the check
// found faults in.
var ErrCheckFailed = errors.New("data directory failed its check")

// DataDirState is what a data directory holds before the server opens it.
type DataDirState int

const (
	// DirEmpty holds nothing of ours: a first start may set it up.
	DirEmpty DataDirState = iota
	// DirHasDatabase holds a non-empty registry.db.
	DirHasDatabase
	// DirOrphanFiles holds uploaded files or archived logs but no database
	// (or an empty one): the database was lost, and a first start there
	// would set up a new province beside the old files.
	DirOrphanFiles
)

// InspectDataDir says what dir holds, without creating or opening anything.
func InspectDataDir(dir string) (DataDirState, error) {
	st, err := os.Stat(filepath.Join(dir, DBFile))
	switch {
	case err == nil && st.Size() > 0:
		return DirHasDatabase, nil
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return 0, err
	}
	for _, sub := range []string{FilesDir, "log-archive"} {
		if _, err := os.Stat(filepath.Join(dir, sub)); err == nil {
			return DirOrphanFiles, nil
		}
	}
	return DirEmpty, nil
}

// CheckDir checks the data directory dir, which no process may have open
// for writing (the check takes bbolt's shared lock, so a running server
// makes it fail with ErrLocked). Faults are in the report; an error means
// the check could not run. With Repair, what was rebuilt is checked again
// and the report is that second check's (Before holds the first).
func CheckDir(dir string, opt CheckOptions) (*CheckReport, error) {
	r, err := checkDir(dir, opt)
	if err != nil || !opt.Repair || len(r.Repaired) == 0 {
		return r, err
	}
	opt.Repair, opt.AcceptRollback = false, false
	again, err := checkDir(dir, opt)
	if err != nil {
		return nil, err
	}
	again.Repaired, again.Before = r.Repaired, r
	return again, nil
}

func checkDir(dir string, opt CheckOptions) (*CheckReport, error) {
	opt.Full = opt.Full || opt.Repair
	start := time.Now()
	r := &CheckReport{Dir: dir, Full: opt.Full}
	defer func() { r.Elapsed = time.Since(start) }()
	path := filepath.Join(dir, DBFile)
	progress := func(a CheckArea) {
		if opt.Progress != nil {
			zh, en := a.labels()
			opt.Progress("正在检查"+zh+"……", "checking "+en+"…")
		}
	}

	progress(AreaFile)
	t0 := time.Now()
	fa := &r.Areas[AreaFile]
	fa.Area, fa.Ran, fa.ItemZh, fa.ItemEn = AreaFile, true, "页", "pages"
	// A server writing the file holds bbolt's exclusive lock: its meta pages
	// could be read half-written. The shared lock keeps writers out.
	unlock, err := lockShared(path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	df, err := readDBFile(path)
	var ff *fileFault
	if errors.As(err, &ff) {
		r.fault(AreaFile, "file", ff.zh, ff.en)
		fa.Elapsed = time.Since(t0)
		r.fillSkipped()
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	fa.Checked = 2
	if df.rollback {
		zh, en := df.other.problem()
		r.Rollback = true
		r.fault(AreaFile, "meta", fmt.Sprintf("最新的事务头页（第 %d 页）已损坏（%s）：打开数据库会静默回退到上一个事务 %d，最后一次提交的修改将丢失", df.other.slot, zh, df.meta.txid),
			fmt.Sprintf("the newest meta page (page %d) is damaged (%s): opening the database would silently fall back to transaction %d and lose the last commit", df.other.slot, en, df.meta.txid))
	}
	if df.staleBad {
		zh, en := df.other.problem()
		r.fault(AreaFile, "meta", fmt.Sprintf("较旧的事务头页（第 %d 页）已损坏（%s）；数据未丢失，-repair 会重写它", df.other.slot, zh),
			fmt.Sprintf("the older meta page (page %d) is damaged (%s); no data is lost and -repair rewrites it", df.other.slot, en))
	}
	fa.Elapsed = time.Since(t0)
	if r.Areas[AreaFile].Faults > 0 && (!r.Rollback && !df.staleBad || len(r.Findings) > 1) {
		r.fillSkipped()
		return r, nil
	}
	if r.Rollback && opt.AcceptRollback {
		unlock()
		if err := acceptRollback(path, df, r); err != nil {
			return nil, err
		}
		fa.Faults, r.Rollback, r.Findings = 0, false, nil
	}

	// bbolt may open the file now: every page it can reach lies inside it.
	// The freelist is loaded now (the file level checked its page), before
	// several goroutines begin transactions: bbolt loads it lazily and
	// unsynchronised otherwise.
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second, PreLoadFreelist: true})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w", dir, ErrLocked)
	}
	if err != nil {
		r.fault(AreaFile, "open", "数据库无法打开："+err.Error(), "the database does not open: "+err.Error())
		r.fillSkipped()
		return r, nil
	}
	defer db.Close()
	if err := r.checkLayout(db); err != nil {
		return nil, err
	}
	if !opt.Full {
		r.fillSkipped()
		return r, nil
	}
	// The page walk reads the whole file with plain reads while the
	// records are read through the memory map on goroutines whose memory
	// faults are recovered; bbolt's own tx.Check (on a goroutine of its own)
	// waits for the walk to show that no page it reaches lies outside the
	// file.
	walked := make(chan pageWalk, 1)
	go func() {
		t0 := time.Now()
		pages, faults, err := walkPages(path, df)
		walked <- pageWalk{pages: pages, faults: faults, err: err, took: time.Since(t0)}
	}()
	c := &checker{r: r, dir: dir, db: db, opt: opt, walked: walked}
	if err := c.run(progress); err != nil {
		return nil, err
	}
	allowed := 0 // faults a repair may leave to others: the older meta page it rewrites
	if df.staleBad {
		allowed = 1
	}
	if opt.Repair && (r.Areas[AreaDerived].Faults > 0 || df.staleBad) && r.nonDerivedFaults() == allowed {
		db.Close()
		unlock()
		if err := c.repair(df.staleBad); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *CheckReport) nonSchemaFaults() int {
	if r.SchemaOld {
		return r.Faults() - 1
	}
	return r.Faults()
}

func (r *CheckReport) nonDerivedFaults() int {
	n := 0
	for a, res := range r.Areas {
		if CheckArea(a) != AreaDerived {
			n += res.Faults
		}
	}
	return n
}

func (r *CheckReport) fillSkipped() {
	for i := range r.Areas {
		r.Areas[i].Area = CheckArea(i)
	}
}

// checkLayout checks, cheaply, what a server needs to start: the schema
// version, every bucket, the province. It runs on the fast path too.
func (r *CheckReport) checkLayout(db *bolt.DB) error {
	return protect(func() error {
		return db.View(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bMeta)
			if meta == nil {
				r.fault(AreaFile, "layout", "数据库中没有 meta 桶：不是本系统的数据库", "no meta bucket: not a database of this system")
				return nil
			}
			v := btoi(meta.Get([]byte("schema")))
			r.Figures.Schema = v
			if v > SchemaVersion {
				r.fault(AreaFile, "layout", fmt.Sprintf("数据库版本 %d 比本程序（%d）新，请使用新版程序", v, SchemaVersion),
					fmt.Sprintf("database schema %d is newer than this binary (%d)", v, SchemaVersion))
			}
			if v > 0 {
				for _, name := range allBuckets {
					if tx.Bucket(name) == nil && v == SchemaVersion {
						r.fault(AreaFile, "layout", fmt.Sprintf("缺少数据桶 %s", name), fmt.Sprintf("bucket %s is missing", name))
					}
				}
			}
			return nil
		})
	}, func(msg string) {
		r.fault(AreaFile, "fault", "读取数据库时出错（文件已损坏）："+msg, "reading the database failed (the file is damaged): "+msg)
	})
}

// lockShared takes bbolt's lock on the database file shared, waiting up to
// a second for a writer (ErrLocked then); the returned function releases
// it and may be called more than once. A missing file needs no lock.
func lockShared(path string) (func(), error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return func() {}, nil
	}
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(time.Second)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("%s: %w", filepath.Dir(path), ErrLocked)
			}
			return nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
	var once sync.Once
	return func() { once.Do(func() { f.Close() }) }, nil
}

// pageWalk is what walkPages found.
type pageWalk struct {
	pages  int64
	faults []fileFault
	err    error
	took   time.Duration
}

// protect runs fn on a goroutine whose memory faults become panics, and
// turns a panic into a fault: a damaged page must never end the process.
func protect(fn func() error, onFault func(msg string)) error {
	errc := make(chan error, 1)
	go func() {
		debug.SetPanicOnFault(true)
		defer func() {
			if p := recover(); p != nil {
				onFault(strings.TrimSpace(fmt.Sprint(p)))
				errc <- nil
			}
		}()
		errc <- fn()
	}()
	return <-errc
}

// acceptRollback keeps a copy of the damaged file and writes the previous
// transaction again as the newest, which overwrites the damaged meta page.
func acceptRollback(path string, df *dbFile, r *CheckReport) error {
	keep := fmt.Sprintf("%s.damaged-%s", path, time.Now().Format("20060102-150405"))
	if err := copyFile(path, keep); err != nil {
		return fmt.Errorf("keep a copy of the damaged file: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return fmt.Errorf("%s: %w", filepath.Dir(path), ErrLocked)
	}
	if err != nil {
		return fmt.Errorf("open for the rollback: %w", err)
	}
	// An empty write transaction commits the meta page again.
	if err := db.Update(func(tx *bolt.Tx) error { return nil }); err != nil {
		db.Close()
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	r.Repaired = append(r.Repaired, [2]string{
		fmt.Sprintf("已接受回退到事务 %d；损坏的原文件保存为 %s", df.meta.txid, filepath.Base(keep)),
		fmt.Sprintf("accepted the rollback to transaction %d; the damaged file was kept as %s", df.meta.txid, filepath.Base(keep))})
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
