package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// The file level of the check reads registry.db with plain reads, never
// through a memory map: bbolt maps the file and trusts it, so a file cut
// short opens without complaint and the process dies of SIGBUS (which Go
// cannot recover) the first time a page past the end is touched. Only once
// this level has passed may the file be opened by bbolt at all.
//
// The layout read here is bbolt's (go.etcd.io/bbolt v1.5.0,
// internal/common/page.go and meta.go). Every page starts with a 16-byte
// header:
//
//	id u64 | flags u16 | count u16 | overflow u32
//
// Pages 0 and 1 are the two meta pages, written alternately (transaction
// id modulo 2); after the header each holds
//
//	magic u32 | version u32 | page size u32 | flags u32 |
//	root bucket page u64 | root sequence u64 | freelist page u64 |
//	high-water mark u64 | txid u64 | checksum u64
//
// where checksum is FNV-64a over the 56 bytes before it. bbolt opens the
// valid meta page with the higher txid; when the newer one is damaged it
// silently uses the older one, which loses the last committed transaction.
// Branch pages hold count elements of (pos u32, ksize u32, child u64),
// leaf pages count elements of (flags u32, pos u32, ksize u32, vsize u32),
// pos counted from the element itself. A leaf element with flag 1 is a
// bucket: its value starts with (root u64, sequence u64) and, for an inline
// bucket (root 0), holds a whole leaf page after that.

const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderSize   = 16
	metaChecksumAt   = 56 // bytes of the meta covered by the checksum
	boltNoFreelist   = ^uint64(0)
	pageBranch       = 0x01
	pageLeaf         = 0x02
	pageMeta         = 0x04
	pageFreelist     = 0x10
	leafBucketFlag   = 0x01
	pageElementSize  = 16
	maxCheckPageSize = 1 << 24
)

// boltMeta is one meta page as read from the file.
type boltMeta struct {
	slot     int // 0 or 1
	magic    uint32
	version  uint32
	pageSize uint32
	root     uint64
	freelist uint64
	hwm      uint64 // high-water mark: pages below it are in use or free
	txid     uint64
	checksum uint64
	sum      uint64 // FNV-64a of the covered bytes, as bbolt computes it
	readErr  error
}

func (m boltMeta) valid() bool {
	return m.readErr == nil && m.magic == boltMagic && m.version == boltVersion && m.checksum == m.sum
}

// problem names what is wrong with a meta page, in Chinese and English.
func (m boltMeta) problem() (string, string) {
	switch {
	case m.readErr != nil:
		return "无法读取", "unreadable: " + m.readErr.Error()
	case m.magic != boltMagic:
		return "标识不是 bbolt 数据库", fmt.Sprintf("bad magic %#x", m.magic)
	case m.version != boltVersion:
		return fmt.Sprintf("格式版本 %d 不受支持", m.version), fmt.Sprintf("unsupported version %d", m.version)
	case m.checksum != m.sum:
		return "校验和不符", fmt.Sprintf("checksum %016x, computed %016x", m.checksum, m.sum)
	}
	return "", ""
}

func parseMeta(buf []byte, slot int) boltMeta {
	m := boltMeta{slot: slot}
	if len(buf) < pageHeaderSize+metaChecksumAt+8 {
		m.readErr = io.ErrUnexpectedEOF
		return m
	}
	b := buf[pageHeaderSize:]
	le := binary.LittleEndian
	m.magic, m.version, m.pageSize = le.Uint32(b[0:]), le.Uint32(b[4:]), le.Uint32(b[8:])
	m.root, m.freelist, m.hwm, m.txid = le.Uint64(b[16:]), le.Uint64(b[32:]), le.Uint64(b[40:]), le.Uint64(b[48:])
	m.checksum = le.Uint64(b[56:])
	h := fnv.New64a()
	_, _ = h.Write(b[:metaChecksumAt])
	m.sum = h.Sum64()
	return m
}

// dbFile is what the file level found: the meta page bbolt will open and
// the facts the later levels need.
type dbFile struct {
	size     int64
	pageSize int
	meta     boltMeta // the meta page bbolt opens
	other    boltMeta
	// rollback is set when the newer meta page is damaged: bbolt would open
	// the previous transaction.
	rollback bool
	// staleBad is set when the older meta page is damaged (nothing is lost;
	// the next commit overwrites it).
	staleBad bool
}

// fileFault is a fault of the file level that stops every later level.
type fileFault struct{ zh, en string }

func (f *fileFault) Error() string { return f.en }

// readDBFile checks registry.db at the file level: size, both meta pages,
// the high-water mark against the size. A *fileFault means bbolt must not
// open the file.
func readDBFile(path string) (*dbFile, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &fileFault{"数据库文件不存在", "the database file does not exist"}
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	df := &dbFile{size: st.Size()}
	if df.size == 0 {
		return nil, &fileFault{"数据库文件是空的（0 字节）", "the database file is empty (0 bytes)"}
	}
	read := func(off int64, n int) ([]byte, error) {
		buf := make([]byte, n)
		got, err := f.ReadAt(buf, off)
		if got == n {
			return buf, nil
		}
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return buf[:got], err
	}
	// Meta page 0 sits at offset 0; its page size places meta page 1. When
	// page 0 is damaged, page 1 is looked for at every power of two, as
	// bbolt does.
	var metas [2]boltMeta
	b0, err := read(0, 4096)
	metas[0] = parseMeta(b0, 0)
	if err != nil && len(b0) < pageHeaderSize+metaChecksumAt+8 {
		metas[0].readErr = err
	}
	pageSize := 0
	if metas[0].valid() {
		pageSize = int(metas[0].pageSize)
		if pageSize < 1024 || pageSize > maxCheckPageSize || pageSize&(pageSize-1) != 0 {
			return nil, &fileFault{fmt.Sprintf("事务头页记录的页大小 %d 不合理", pageSize), fmt.Sprintf("implausible page size %d", pageSize)}
		}
		b1, err := read(int64(pageSize), 4096)
		metas[1] = parseMeta(b1, 1)
		if err != nil && len(b1) < pageHeaderSize+metaChecksumAt+8 {
			metas[1].readErr = err
		}
	} else {
		metas[1] = boltMeta{slot: 1, readErr: errors.New("not found")}
		for i := 0; i <= 14; i++ {
			off := int64(1024) << i
			if off >= df.size {
				break
			}
			b1, _ := read(off, 4096)
			if m := parseMeta(b1, 1); m.valid() && int64(m.pageSize) == off {
				metas[1], pageSize = m, int(m.pageSize)
				break
			}
		}
	}
	if pageSize == 0 {
		zh0, en0 := metas[0].problem()
		return nil, &fileFault{"两个事务头页（meta page）都已损坏（第 0 页：" + zh0 + "），不是可用的数据库文件",
			"both meta pages are damaged (page 0: " + en0 + "); not a usable database file"}
	}
	df.pageSize = pageSize
	newer, older := metas[0], metas[1]
	if older.valid() && (!newer.valid() || older.txid > newer.txid) {
		newer, older = older, newer
	}
	// newer is valid here. The damaged page, if any, is older or newer than
	// it: meta pages alternate, so a damaged page's own txid (when it can be
	// read) says which; one that cannot be read may have been the newer.
	df.meta, df.other = newer, older
	if !older.valid() {
		if older.readErr == nil && older.magic == boltMagic && older.txid+1 == newer.txid {
			df.staleBad = true
		} else {
			df.rollback = true
		}
	}
	m := df.meta
	need := int64(m.hwm) * int64(pageSize)
	switch {
	case m.hwm < 4:
		return df, &fileFault{fmt.Sprintf("事务头页记录的页数 %d 不合理", m.hwm), fmt.Sprintf("implausible high-water mark %d", m.hwm)}
	case df.size < need:
		return df, &fileFault{
			fmt.Sprintf("数据库文件被截断：应至少有 %d 字节（%d 页 × %d），实际只有 %d 字节（%.0f%%）", need, m.hwm, pageSize, df.size, 100*float64(df.size)/float64(need)),
			fmt.Sprintf("the database file is truncated: it needs at least %d bytes (%d pages × %d) but has %d (%.0f%%)", need, m.hwm, pageSize, df.size, 100*float64(df.size)/float64(need))}
	case m.root < 2 || m.root >= m.hwm:
		return df, &fileFault{fmt.Sprintf("根页号 %d 超出范围", m.root), fmt.Sprintf("root page %d out of range", m.root)}
	case m.freelist != boltNoFreelist && (m.freelist < 2 || m.freelist >= m.hwm):
		return df, &fileFault{fmt.Sprintf("空闲页表页号 %d 超出范围", m.freelist), fmt.Sprintf("freelist page %d out of range", m.freelist)}
	}
	// bbolt reads the freelist as it opens the file: it must lie inside it.
	if m.freelist != boltNoFreelist {
		head, err := read(int64(m.freelist)*int64(pageSize), pageHeaderSize+8)
		if err != nil {
			return df, &fileFault{"空闲页表无法读取", "the freelist page is unreadable: " + err.Error()}
		}
		le := binary.LittleEndian
		n, at := uint64(le.Uint16(head[10:])), uint64(pageHeaderSize)
		if n == 0xffff {
			n, at = le.Uint64(head[pageHeaderSize:]), pageHeaderSize+8
		}
		span := (uint64(le.Uint32(head[12:])) + 1) * uint64(pageSize)
		if le.Uint16(head[8:]) != pageFreelist || n > span/8 || at+8*n > span || m.freelist+span/uint64(pageSize) > m.hwm {
			return df, &fileFault{fmt.Sprintf("空闲页表（第 %d 页）已损坏", m.freelist), fmt.Sprintf("the freelist page %d is damaged", m.freelist)}
		}
	}
	return df, nil
}

// pageWalker checks, with plain reads, that every page reachable from the
// root bucket and the freelist lies below the high-water mark and holds
// elements within its own bounds. Only after it has passed can bbolt's own
// Check (which reads through the memory map on a goroutine of its own) run
// without touching memory outside the file.
type pageWalker struct {
	f        *os.File
	pageSize int
	hwm      uint64
	seen     []uint64 // bitset of page ids
	pages    int64
	faults   []fileFault
}

func (w *pageWalker) fault(zh, en string) {
	if len(w.faults) < 20 {
		w.faults = append(w.faults, fileFault{zh, en})
	}
}

func (w *pageWalker) mark(id uint64) bool {
	i, bit := id/64, uint64(1)<<(id%64)
	if w.seen[i]&bit != 0 {
		return false
	}
	w.seen[i] |= bit
	return true
}

// readPage reads page id with its overflow pages.
func (w *pageWalker) readPage(id uint64) ([]byte, bool) {
	if id < 2 || id >= w.hwm {
		w.fault(fmt.Sprintf("第 %d 页超出范围（共 %d 页）", id, w.hwm), fmt.Sprintf("page %d out of range (%d pages)", id, w.hwm))
		return nil, false
	}
	buf := make([]byte, w.pageSize)
	if _, err := w.f.ReadAt(buf, int64(id)*int64(w.pageSize)); err != nil {
		w.fault(fmt.Sprintf("第 %d 页无法读取", id), fmt.Sprintf("page %d unreadable: %v", id, err))
		return nil, false
	}
	overflow := uint64(binary.LittleEndian.Uint32(buf[12:]))
	if id+overflow >= w.hwm {
		w.fault(fmt.Sprintf("第 %d 页的溢出页超出范围", id), fmt.Sprintf("page %d overflows past the high-water mark", id))
		return nil, false
	}
	if stored := binary.LittleEndian.Uint64(buf); stored != id {
		w.fault(fmt.Sprintf("第 %d 页的页号记录为 %d", id, stored), fmt.Sprintf("page %d says it is page %d", id, stored))
		return nil, false
	}
	for i := uint64(0); i <= overflow; i++ {
		if !w.mark(id + i) {
			w.fault(fmt.Sprintf("第 %d 页被重复引用", id+i), fmt.Sprintf("page %d referenced twice", id+i))
			return nil, false
		}
	}
	if overflow > 0 {
		buf = append(buf, make([]byte, overflow*uint64(w.pageSize))...)
		if _, err := w.f.ReadAt(buf[w.pageSize:], int64(id+1)*int64(w.pageSize)); err != nil {
			w.fault(fmt.Sprintf("第 %d 页无法读取", id), fmt.Sprintf("page %d unreadable: %v", id, err))
			return nil, false
		}
	}
	w.pages += int64(overflow + 1)
	return buf, true
}

// walkFreelist checks the freelist page.
func (w *pageWalker) walkFreelist(id uint64) {
	p, ok := w.readPage(id)
	if !ok {
		return
	}
	if flags := binary.LittleEndian.Uint16(p[8:]); flags != pageFreelist {
		w.fault(fmt.Sprintf("空闲页表（第 %d 页）类型错误", id), fmt.Sprintf("freelist page %d has flags %#x", id, flags))
		return
	}
	n := uint64(binary.LittleEndian.Uint16(p[10:]))
	at := uint64(pageHeaderSize)
	if n == 0xffff {
		if len(p) < pageHeaderSize+8 {
			w.fault("空闲页表损坏", "freelist page too short")
			return
		}
		n, at = binary.LittleEndian.Uint64(p[pageHeaderSize:]), pageHeaderSize+8
	}
	if at+8*n > uint64(len(p)) {
		w.fault(fmt.Sprintf("空闲页表（第 %d 页）记录数超出页面", id), fmt.Sprintf("freelist page %d: %d ids do not fit", id, n))
	}
}

// walkTree checks the page tree of a bucket rooted at page id.
func (w *pageWalker) walkTree(id uint64, depth int) {
	if depth > 64 {
		w.fault("页树过深（可能有环）", "page tree too deep (a cycle?)")
		return
	}
	p, ok := w.readPage(id)
	if !ok {
		return
	}
	w.walkPage(p, id, depth)
}

// walkPage checks the elements of one branch or leaf page (p holds the page
// and its overflow, or an inline bucket's page).
func (w *pageWalker) walkPage(p []byte, id uint64, depth int) {
	flags := binary.LittleEndian.Uint16(p[8:])
	n := int(binary.LittleEndian.Uint16(p[10:]))
	if pageHeaderSize+n*pageElementSize > len(p) {
		w.fault(fmt.Sprintf("第 %d 页的元素数 %d 超出页面", id, n), fmt.Sprintf("page %d: %d elements do not fit", id, n))
		return
	}
	le := binary.LittleEndian
	for i := 0; i < n; i++ {
		e := pageHeaderSize + i*pageElementSize
		switch flags {
		case pageBranch:
			pos, ksize, child := int(le.Uint32(p[e:])), int(le.Uint32(p[e+4:])), le.Uint64(p[e+8:])
			if e+pos+ksize > len(p) || pos < 0 {
				w.fault(fmt.Sprintf("第 %d 页的键超出页面", id), fmt.Sprintf("page %d: branch key out of bounds", id))
				return
			}
			w.walkTree(child, depth+1)
		case pageLeaf:
			ef, pos, ksize, vsize := le.Uint32(p[e:]), int(le.Uint32(p[e+4:])), int(le.Uint32(p[e+8:])), int(le.Uint32(p[e+12:]))
			end := e + pos + ksize + vsize
			if end > len(p) || end < e {
				w.fault(fmt.Sprintf("第 %d 页的键或值超出页面", id), fmt.Sprintf("page %d: leaf key or value out of bounds", id))
				return
			}
			if ef&leafBucketFlag == 0 {
				continue
			}
			v := p[e+pos+ksize : end]
			if len(v) < 16 {
				w.fault(fmt.Sprintf("第 %d 页的子桶头不完整", id), fmt.Sprintf("page %d: short bucket header", id))
				return
			}
			if root := le.Uint64(v); root != 0 {
				w.walkTree(root, depth+1)
			} else if len(v) > 16 {
				inline := v[16:]
				if len(inline) < pageHeaderSize {
					w.fault(fmt.Sprintf("第 %d 页的内联子桶不完整", id), fmt.Sprintf("page %d: short inline bucket", id))
					return
				}
				if f := le.Uint16(inline[8:]); f != pageLeaf {
					w.fault(fmt.Sprintf("第 %d 页的内联子桶类型错误", id), fmt.Sprintf("page %d: inline bucket page has flags %#x", id, f))
					return
				}
				w.walkPage(inline, id, depth+1)
			}
		default:
			w.fault(fmt.Sprintf("第 %d 页类型错误（%#x）", id, flags), fmt.Sprintf("page %d: unexpected page flags %#x", id, flags))
			return
		}
	}
}

// walkPages runs the page walker over the file as the meta page describes it.
func walkPages(path string, df *dbFile) (int64, []fileFault, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	w := &pageWalker{f: f, pageSize: df.pageSize, hwm: df.meta.hwm, seen: make([]uint64, df.meta.hwm/64+1)}
	w.mark(0)
	w.mark(1)
	if df.meta.freelist != boltNoFreelist {
		w.walkFreelist(df.meta.freelist)
	}
	w.walkTree(df.meta.root, 0)
	return w.pages, w.faults, nil
}
