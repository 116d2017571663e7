package certpdf

import (
	"errors"
	"math"
)

// A QR code encoder (ISO/IEC 18004) for what certificates print: byte mode,
// error-correction level M, the smallest version that holds the content,
// and of the eight masks the one with the lowest penalty. A signed payload
// makes a code of version 11 or so, and the barcode library's mask
// selection took about 20 ms for one (some 10 s of a print of 500);
// here the modules are placed once and each mask is applied to a flat copy
// and scored in tight loops, so a code takes well under a millisecond. The
// penalty is computed as ZXing computes it, so both choose the same mask
// and draw the same code (qrencode_test.go compares them).

// qrECM is, for versions 1-40 at level M: error-correction codewords per
// block, then blocks and data codewords per block of the two groups.
var qrECM = [41][5]int{{},
	{10, 1, 16, 0, 0}, {16, 1, 28, 0, 0}, {26, 1, 44, 0, 0}, {18, 2, 32, 0, 0}, {24, 2, 43, 0, 0},
	{16, 4, 27, 0, 0}, {18, 4, 31, 0, 0}, {22, 2, 38, 2, 39}, {22, 3, 36, 2, 37}, {26, 4, 43, 1, 44},
	{30, 1, 50, 4, 51}, {22, 6, 36, 2, 37}, {22, 8, 37, 1, 38}, {24, 4, 40, 5, 41}, {24, 5, 41, 5, 42},
	{28, 7, 45, 3, 46}, {28, 10, 46, 1, 47}, {26, 9, 43, 4, 44}, {26, 3, 44, 11, 45}, {26, 3, 41, 13, 42},
	{26, 17, 42, 0, 0}, {28, 17, 46, 0, 0}, {28, 4, 47, 14, 48}, {28, 6, 45, 14, 46}, {28, 8, 47, 13, 48},
	{28, 19, 46, 4, 47}, {28, 22, 45, 3, 46}, {28, 3, 45, 23, 46}, {28, 21, 45, 7, 46}, {28, 19, 47, 10, 48},
	{28, 2, 46, 29, 47}, {28, 10, 46, 23, 47}, {28, 14, 46, 21, 47}, {28, 14, 46, 23, 47}, {28, 12, 47, 26, 48},
	{28, 6, 47, 34, 48}, {28, 29, 46, 14, 47}, {28, 13, 46, 32, 47}, {28, 40, 47, 7, 48}, {28, 18, 47, 31, 48},
}

var errQRTooLong = errors.New("certpdf: content too long for a QR code")

// qrDataBytes is the data capacity of a version at level M.
func qrDataBytes(v int) int {
	e := qrECM[v]
	return e[1]*e[2] + e[3]*e[4]
}

// Module states while the matrix is built.
const (
	qrLight    = 0
	qrDark     = 1
	qrFunction = 2 // bit set: a function module (not data)
)

// qrEncode encodes content and returns its modules row by row (1: dark)
// and the modules per side, without the quiet zone.
func qrEncode(content []byte) ([]byte, int, error) {
	v := 0
	for c := 1; c <= 40; c++ {
		countBits := 8
		if c >= 10 {
			countBits = 16
		}
		if len(content) < 1<<countBits && 4+countBits+8*len(content) <= 8*qrDataBytes(c) {
			v = c
			break
		}
	}
	if v == 0 {
		return nil, 0, errQRTooLong
	}
	codewords := qrCodewords(content, v)
	n := 17 + 4*v
	m := make([]byte, n*n)
	qrFunctionPatterns(m, n, v)
	qrPlace(m, n, codewords)

	lines := newQRLines(m, n)
	best, bestPenalty := 0, math.MaxInt
	for mask := range 8 {
		if p := lines.penalty(mask); p < bestPenalty {
			best, bestPenalty = mask, p
		}
	}
	return qrMasked(m, n, best), n, nil
}

// qrMaskTable says, for each mask, whether it inverts the module at (x, y)
// by y%12 and x%12: every mask repeats within 12 modules both ways.
var qrMaskTable = func() (t [8][12][12]byte) {
	for y := range 12 {
		for x := range 12 {
			for mask, flip := range [8]bool{
				(y+x)%2 == 0, y%2 == 0, x%3 == 0, (y+x)%3 == 0,
				(y/2+x/3)%2 == 0, y*x%2+y*x%3 == 0, (y*x%2+y*x%3)%2 == 0, ((y+x)%2+y*x%3)%2 == 0,
			} {
				if flip {
					t[mask][y][x] = 1
				}
			}
		}
	}
	return
}()

// qrMasked is the code with a mask and its format information, row by row
// (1: dark).
func qrMasked(m []byte, n, mask int) []byte {
	out := make([]byte, n*n)
	t := &qrMaskTable[mask]
	for y := range n {
		flips := &t[y%12]
		for x, c := range m[y*n : (y+1)*n] {
			out[y*n+x] = (c & qrDark) ^ (flips[x%12] &^ (c >> 1))
		}
	}
	qrFormatBits(n, mask, func(x, y int, dark byte) { out[y*n+x] = dark })
	return out
}

// qrCodewords makes the data codewords (mode, count, bytes, terminator,
// padding), adds each block's error correction and interleaves them.
func qrCodewords(content []byte, v int) []byte {
	capacity := qrDataBytes(v)
	buf := make([]byte, 0, capacity)
	var acc uint64
	nbits := 0
	put := func(val uint64, bits int) {
		acc = acc<<bits | val
		nbits += bits
		for nbits >= 8 {
			buf = append(buf, byte(acc>>(nbits-8)))
			nbits -= 8
		}
	}
	put(4, 4) // byte mode
	if v >= 10 {
		put(uint64(len(content)), 16)
	} else {
		put(uint64(len(content)), 8)
	}
	for _, b := range content {
		put(uint64(b), 8)
	}
	// Terminator (up to four zero bits) and zeros to the byte boundary.
	if term := 8*capacity - (8*len(buf) + nbits); term > 0 {
		put(0, min(4, term))
	}
	if nbits > 0 {
		put(0, 8-nbits)
	}
	for i := 0; len(buf) < capacity; i++ {
		buf = append(buf, []byte{0xEC, 0x11}[i%2])
	}

	e := qrECM[v]
	ecLen, blocks := e[0], e[1]+e[3]
	gen := qrGenerator(ecLen)
	dataBlocks := make([][]byte, blocks)
	ecBlocks := make([][]byte, blocks)
	off := 0
	for b := range blocks {
		size := e[2]
		if b >= e[1] {
			size = e[4]
		}
		dataBlocks[b] = buf[off : off+size]
		off += size
		ecBlocks[b] = qrRemainder(dataBlocks[b], gen)
	}
	out := make([]byte, 0, capacity+blocks*ecLen)
	for i := range max(e[2], e[4]) {
		for _, d := range dataBlocks {
			if i < len(d) {
				out = append(out, d[i])
			}
		}
	}
	for i := range ecLen {
		for _, c := range ecBlocks {
			out = append(out, c[i])
		}
	}
	return out
}

// GF(256) with the polynomial x^8+x^4+x^3+x^2+1.
var qrExp, qrLog = func() (exp [512]byte, log [256]byte) {
	x := 1
	for i := range 255 {
		exp[i] = byte(x)
		log[x] = byte(i)
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11D
		}
	}
	for i := 255; i < 512; i++ {
		exp[i] = exp[i-255]
	}
	return
}()

func qrMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return qrExp[int(qrLog[a])+int(qrLog[b])]
}

// qrGenerator is the Reed-Solomon generator polynomial of degree n, the
// coefficients from the highest power down, the leading 1 left out.
func qrGenerator(n int) []byte {
	g := []byte{1}
	for i := range n {
		next := make([]byte, len(g)+1)
		for j, c := range g {
			next[j] ^= c
			next[j+1] ^= qrMul(c, qrExp[i])
		}
		g = next
	}
	return g[1:]
}

// qrRemainder is data(x)·x^n mod the generator: the block's error
// correction codewords.
func qrRemainder(data, gen []byte) []byte {
	r := make([]byte, len(gen))
	for _, d := range data {
		f := d ^ r[0]
		copy(r, r[1:])
		r[len(r)-1] = 0
		for i, g := range gen {
			r[i] ^= qrMul(g, f)
		}
	}
	return r
}

// qrAlignment lists the centres of the alignment patterns on each axis.
func qrAlignment(v int) []int {
	if v == 1 {
		return nil
	}
	num := v/7 + 2
	step := 26
	if v != 32 {
		step = (v*4 + num*2 + 1) / (num*2 - 2) * 2
	}
	out := make([]int, num)
	out[0] = 6
	for i, pos := num-1, 17+4*v-7; i >= 1; i, pos = i-1, pos-step {
		out[i] = pos
	}
	return out
}

// qrFunctionPatterns draws finder, separator, timing and alignment
// patterns, the dark module and the version information, and reserves the
// format information's modules.
func qrFunctionPatterns(m []byte, n, v int) {
	set := func(x, y int, dark bool) {
		m[y*n+x] = qrFunction
		if dark {
			m[y*n+x] |= qrDark
		}
	}
	for _, c := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
		for dy := -1; dy <= 7; dy++ {
			for dx := -1; dx <= 7; dx++ {
				x, y := c[0]+dx, c[1]+dy
				if x < 0 || y < 0 || x >= n || y >= n {
					continue
				}
				inner := dx >= 0 && dx <= 6 && dy >= 0 && dy <= 6
				ring := dx == 0 || dx == 6 || dy == 0 || dy == 6
				core := dx >= 2 && dx <= 4 && dy >= 2 && dy <= 4
				set(x, y, inner && (ring || core))
			}
		}
	}
	al := qrAlignment(v)
	for _, cy := range al {
		for _, cx := range al {
			if m[cy*n+cx]&qrFunction != 0 {
				continue // a finder pattern's corner
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					set(cx+dx, cy+dy, max(qrAbs(dx), qrAbs(dy)) != 1)
				}
			}
		}
	}
	for i := 8; i < n-8; i++ {
		if m[6*n+i]&qrFunction == 0 {
			set(i, 6, i%2 == 0)
		}
		if m[i*n+6]&qrFunction == 0 {
			set(6, i, i%2 == 0)
		}
	}
	set(8, n-8, true)
	// Format information (written per mask by qrFormatBits).
	for i := range 9 {
		m[8*n+i] |= qrFunction
		m[i*n+8] |= qrFunction
	}
	for i := range 8 {
		m[8*n+n-1-i] |= qrFunction
		m[(n-1-i)*n+8] |= qrFunction
	}
	if v >= 7 {
		bits := v << 12
		rem := v
		for range 12 {
			rem = rem<<1 ^ (rem>>11)*0x1F25
		}
		bits |= rem
		k := 0
		for i := range 6 {
			for j := range 3 {
				dark := bits>>k&1 == 1
				k++
				set(i, n-11+j, dark)
				set(n-11+j, i, dark)
			}
		}
	}
}

func qrAbs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// qrPlace puts the codewords' bits into the data modules in the zigzag
// order (the remainder bits light).
func qrPlace(m []byte, n int, codewords []byte) {
	bit := 0
	total := 8 * len(codewords)
	up := true
	for x := n - 1; x > 0; x -= 2 {
		if x == 6 {
			x--
		}
		for k := range n {
			y := k
			if up {
				y = n - 1 - k
			}
			for i := range 2 {
				idx := y*n + x - i
				if m[idx]&qrFunction != 0 {
					continue
				}
				if bit < total && codewords[bit/8]>>(7-bit%8)&1 == 1 {
					m[idx] = qrDark
				}
				bit++
			}
		}
		up = !up
	}
}

// qrFormatBits gives the format information of level M and the mask to
// set, module by module.
func qrFormatBits(n, mask int, set func(x, y int, dark byte)) {
	data := mask // level M is 00
	rem := data
	for range 10 {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	bits := (data<<10 | rem) ^ 0x5412
	first := [15][2]int{{8, 0}, {8, 1}, {8, 2}, {8, 3}, {8, 4}, {8, 5}, {8, 7}, {8, 8}, {7, 8}, {5, 8}, {4, 8}, {3, 8}, {2, 8}, {1, 8}, {0, 8}}
	for i := range 15 {
		dark := byte(bits >> i & 1)
		set(first[i][0], first[i][1], dark)
		if i < 8 {
			set(n-1-i, 8, dark)
		} else {
			set(8, n-7+(i-8), dark)
		}
	}
}
