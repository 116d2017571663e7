package certpdf

import (
	"math/bits"
	"sync"
)

// The mask penalty (qrencode.go) computed on lines of modules held as bits,
// 64 modules to a word: the rules become shifts, ANDs and population counts
// instead of a branch per module.

// qrWords holds one line of a code: module i is bit i%64 of word i/64
// (a code has at most 177 modules a side).
type qrWords [3]uint64

// shr moves module i+k to i (k < 64), zeros coming in from beyond the line.
func (a qrWords) shr(k uint) qrWords {
	return qrWords{a[0]>>k | a[1]<<(64-k), a[1]>>k | a[2]<<(64-k), a[2] >> k}
}

// shl moves module i-k to i (k < 64), zeros coming in before module 0.
func (a qrWords) shl(k uint) qrWords {
	return qrWords{a[0] << k, a[1]<<k | a[0]>>(64-k), a[2]<<k | a[1]>>(64-k)}
}

func (a qrWords) and(b qrWords) qrWords { return qrWords{a[0] & b[0], a[1] & b[1], a[2] & b[2]} }
func (a qrWords) or(b qrWords) qrWords  { return qrWords{a[0] | b[0], a[1] | b[1], a[2] | b[2]} }
func (a qrWords) xor(b qrWords) qrWords { return qrWords{a[0] ^ b[0], a[1] ^ b[1], a[2] ^ b[2]} }
func (a qrWords) not() qrWords          { return qrWords{^a[0], ^a[1], ^a[2]} }

func (a qrWords) count() int {
	return bits.OnesCount64(a[0]) + bits.OnesCount64(a[1]) + bits.OnesCount64(a[2])
}

func (a *qrWords) set(i int) { a[i/64] |= 1 << (i % 64) }

// qrFirst is the set of modules 0..k-1.
func qrFirst(k int) qrWords {
	var w qrWords
	for i := range w {
		switch {
		case k >= 64*(i+1):
			w[i] = ^uint64(0)
		case k > 64*i:
			w[i] = 1<<(k-64*i) - 1
		}
	}
	return w
}

// qrLines is a code as rows and as columns, each line with its dark
// modules (dark) and its data modules (data, the ones a mask inverts).
type qrLines struct {
	n                int
	rowDark, rowData []qrWords
	colDark, colData []qrWords
	*qrMaskLines
}

// qrMaskLines are the masks and format information of codes of one size.
type qrMaskLines struct {
	rowMasks, colMasks   [8][12]qrWords // each mask's inverted modules of a line, by line index % 12
	rowFormat, colFormat [8][]qrWords   // each mask's format information: dark modules of a line
	all                  qrWords        // the modules of a line
}

// qrMaskLinesOf holds qrMaskLines by version, made on first use.
var qrMaskLinesOf [41]struct {
	once  sync.Once
	lines *qrMaskLines
}

func maskLines(n int) *qrMaskLines {
	c := &qrMaskLinesOf[(n-17)/4]
	c.once.Do(func() {
		l := &qrMaskLines{all: qrFirst(n)}
		for mask := range 8 {
			for r := range 12 {
				var row, col qrWords
				for i := range n {
					if qrMaskTable[mask][r][i%12] == 1 { // line y ≡ r, module x = i
						row.set(i)
					}
					if qrMaskTable[mask][i%12][r] == 1 { // line x ≡ r, module y = i
						col.set(i)
					}
				}
				l.rowMasks[mask][r], l.colMasks[mask][r] = row, col
			}
			l.rowFormat[mask], l.colFormat[mask] = make([]qrWords, n), make([]qrWords, n)
			qrFormatBits(n, mask, func(x, y int, dark byte) {
				if dark == 1 {
					l.rowFormat[mask][y].set(x)
					l.colFormat[mask][x].set(y)
				}
			})
		}
		c.lines = l
	})
	return c.lines
}

// newQRLines takes the unmasked code (qrencode.go's module states).
func newQRLines(m []byte, n int) *qrLines {
	l := &qrLines{n: n, qrMaskLines: maskLines(n), rowDark: make([]qrWords, n), rowData: make([]qrWords, n), colDark: make([]qrWords, n), colData: make([]qrWords, n)}
	for y := range n {
		for x, c := range m[y*n : (y+1)*n] {
			if c&qrFunction == 0 {
				l.rowData[y][x/64] |= 1 << (x % 64)
				l.colData[x][y/64] |= 1 << (y % 64)
			}
			if c&qrDark != 0 {
				l.rowDark[y][x/64] |= 1 << (x % 64)
				l.colDark[x][y/64] |= 1 << (y % 64)
			}
		}
	}
	return l
}

// penalty scores the code under a mask by the four rules, as ZXing does.
func (l *qrLines) penalty(mask int) int {
	if l.n <= 64 {
		return l.penalty64(mask)
	}
	n := l.n
	all := qrFirst(n)
	allButLast := qrFirst(n - 1)
	p, dark := 0, 0
	var prev qrWords
	for _, rowsNotCols := range [2]bool{true, false} {
		darkLines, dataLines, masks, format := l.colDark, l.colData, &l.colMasks[mask], l.colFormat[mask]
		if rowsNotCols {
			darkLines, dataLines, masks, format = l.rowDark, l.rowData, &l.rowMasks[mask], l.rowFormat[mask]
		}
		r := 0
		for i := range n {
			line := darkLines[i].xor(masks[r].and(dataLines[i])).or(format[i])
			if r++; r == 12 {
				r = 0
			}
			// Rule 1: same marks module i equal to module i+1; a run of
			// L >= 5 modules is L-1 >= 4 marks in a row and costs L-2:
			// one per start of four marks in a row, two more per run.
			same := line.xor(line.shr(1)).not().and(allButLast)
			four := same.and(same.shr(1)).and(same.shr(2)).and(same.shr(3))
			p += four.count() + 2*four.and(four.shl(1).not()).count()
			// Rule 3: 1011101 with four light modules before or after it
			// (beyond the code counts as light).
			light := line.not()
			pattern := line.and(light.shr(1)).and(line.shr(2)).and(line.shr(3)).and(line.shr(4)).and(light.shr(5)).and(line.shr(6))
			before := line.shl(1).or(line.shl(2)).or(line.shl(3)).or(line.shl(4)).not()
			after := line.shr(7).or(line.shr(8)).or(line.shr(9)).or(line.shr(10)).not()
			p += 40 * pattern.and(before.or(after)).and(all).count()
			if rowsNotCols {
				// Rule 2: 2×2 blocks of one colour.
				if i > 0 {
					block := prev.xor(line).not().and(same).and(prev.xor(prev.shr(1)).not()).and(allButLast)
					p += 3 * block.count()
				}
				prev = line
				dark += line.count()
			}
		}
	}
	// Rule 4: the share of dark modules, in steps of 5 % from half.
	total := n * n
	return p + qrAbs(dark*2-total)*10/total*10
}

// penalty64 is penalty for codes of at most 64 modules a side (version 11
// and below, every code a certificate prints): one word a line.
func (l *qrLines) penalty64(mask int) int {
	n := l.n
	all := l.all[0]
	allButLast := all >> 1
	p, dark := 0, 0
	var prev uint64
	for orientation := range 2 {
		darkLines, dataLines, masks, format := l.rowDark, l.rowData, &l.rowMasks[mask], l.rowFormat[mask]
		if orientation == 1 {
			darkLines, dataLines, masks, format = l.colDark, l.colData, &l.colMasks[mask], l.colFormat[mask]
		}
		r := 0
		for i := range n {
			line := (darkLines[i][0] ^ (masks[r][0] & dataLines[i][0])) | format[i][0]
			if r++; r == 12 {
				r = 0
			}
			same := ^(line ^ line>>1) & allButLast
			four := same & (same >> 1) & (same >> 2) & (same >> 3)
			p += bits.OnesCount64(four) + 2*bits.OnesCount64(four&^(four<<1))
			light := ^line
			pattern := line & (light >> 1) & (line >> 2) & (line >> 3) & (line >> 4) & (light >> 5) & (line >> 6)
			before := ^(line<<1 | line<<2 | line<<3 | line<<4)
			after := ^(line>>7 | line>>8 | line>>9 | line>>10)
			p += 40 * bits.OnesCount64(pattern&(before|after)&all)
			if orientation == 0 {
				if i > 0 {
					p += 3 * bits.OnesCount64(^(prev^line)&same & ^(prev^(prev>>1)) & allButLast)
				}
				prev = line
				dark += bits.OnesCount64(line)
			}
		}
	}
	total := n * n
	return p + qrAbs(dark*2-total)*10/total*10
}
