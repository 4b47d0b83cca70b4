package render

import (
	"errors"
	"strings"
)

// This file is a QR Code encoder (ISO/IEC 18004) for the one kind of
// code documents carry: error correction level M, alphanumeric mode when
// the text allows it (the base45 text of station/docqr always does),
// byte mode otherwise. It exists for speed: go-qrcode, a general encoder,
// took more than half of a card's render time, allocating a polynomial
// per Reed–Solomon step and scoring each mask over [][]bool. Here a
// symbol is one flat slice, Reed–Solomon uses log tables and the mask
// penalty avoids branches on module values. Function patterns, format
// and version information and capacities are computed from the
// standard's rules; only the two per-version columns of its error
// correction table are data. TestEncodeQRMatchesGoQRCode checks the
// symbols module for module in every version.

// qrECCPerBlockM and qrBlocksM are, for versions 1 to 40 at level M, the
// error correction codewords of each block and the number of blocks
// (ISO/IEC 18004, table 9).
var (
	qrECCPerBlockM = [41]int{0,
		10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
		26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28}
	qrBlocksM = [41]int{0,
		1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
		17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49}
)

// qrAlphanumeric is the alphabet of alphanumeric mode, in code order.
const qrAlphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// errQRTooLong is returned for text beyond the capacity of version 40-M.
var errQRTooLong = errors.New("text too long for a QR code at level M")

// qrSymbol is an encoded QR code: size×size modules, row by row, true
// for dark. It has no quiet zone; the drawing adds it.
type qrSymbol struct {
	size    int
	modules []byte // 1 dark, 0 light
}

func (s *qrSymbol) dark(x, y int) bool { return s.modules[y*s.size+x] == 1 }

// encodeQR encodes text in the smallest version that holds it.
func encodeQR(text string) (*qrSymbol, error) {
	alnum := true
	for i := 0; i < len(text); i++ {
		if strings.IndexByte(qrAlphanumeric, text[i]) < 0 {
			alnum = false
			break
		}
	}
	for version := 1; version <= 40; version++ {
		grid := newQRGrid(version)
		capacity := grid.dataCodewords()
		data, ok := qrSegment(text, alnum, version, capacity)
		if !ok {
			continue
		}
		grid.place(grid.withECC(data))
		return grid.masked(), nil
	}
	return nil, errQRTooLong
}

// qrBits accumulates a bit stream, most significant bit first.
type qrBits struct {
	bytes []byte
	n     int // bits written
}

func (b *qrBits) put(v uint, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if b.n%8 == 0 {
			b.bytes = append(b.bytes, 0)
		}
		if v>>uint(i)&1 == 1 {
			b.bytes[b.n/8] |= 0x80 >> uint(b.n%8)
		}
		b.n++
	}
}

// qrSegment is the data codewords of text in one segment, terminated and
// padded to capacity, or false if it does not fit.
func qrSegment(text string, alnum bool, version, capacity int) ([]byte, bool) {
	var b qrBits
	if alnum {
		countBits := 9
		switch {
		case version >= 27:
			countBits = 13
		case version >= 10:
			countBits = 11
		}
		if len(text) >= 1<<countBits {
			return nil, false
		}
		b.put(0b0010, 4)
		b.put(uint(len(text)), countBits)
		for i := 0; i+1 < len(text); i += 2 {
			hi := strings.IndexByte(qrAlphanumeric, text[i])
			lo := strings.IndexByte(qrAlphanumeric, text[i+1])
			b.put(uint(hi*45+lo), 11)
		}
		if len(text)%2 == 1 {
			b.put(uint(strings.IndexByte(qrAlphanumeric, text[len(text)-1])), 6)
		}
	} else {
		countBits := 8
		if version >= 10 {
			countBits = 16
		}
		if len(text) >= 1<<countBits {
			return nil, false
		}
		b.put(0b0100, 4)
		b.put(uint(len(text)), countBits)
		for i := 0; i < len(text); i++ {
			b.put(uint(text[i]), 8)
		}
	}
	if b.n > capacity*8 {
		return nil, false
	}
	b.put(0, min(4, capacity*8-b.n)) // terminator
	if b.n%8 != 0 {
		b.put(0, 8-b.n%8)
	}
	for pad := uint(0xEC); len(b.bytes) < capacity; pad ^= 0xEC ^ 0x11 {
		b.put(pad, 8)
	}
	return b.bytes, true
}

// qrGrid is a symbol being built: its modules and which of them belong to
// function patterns (finders, timing, alignment, format and version
// information), where data may not go.
type qrGrid struct {
	version  int
	size     int
	modules  []bool
	function []bool
}

func newQRGrid(version int) *qrGrid {
	size := 17 + 4*version
	g := &qrGrid{version: version, size: size, modules: make([]bool, size*size), function: make([]bool, size*size)}
	for i := 0; i < size; i++ { // timing patterns
		g.setFunction(6, i, i%2 == 0)
		g.setFunction(i, 6, i%2 == 0)
	}
	g.finder(3, 3)
	g.finder(size-4, 3)
	g.finder(3, size-4)
	pos := g.alignmentPositions()
	for i, x := range pos {
		for j, y := range pos {
			// None over the finders in three corners.
			if (i == 0 && j == 0) || (i == 0 && j == len(pos)-1) || (i == len(pos)-1 && j == 0) {
				continue
			}
			g.alignment(x, y)
		}
	}
	// Reserve the format areas now (written once the mask is chosen) and
	// write the version information, which does not depend on the mask.
	g.formatBits(0)
	g.versionBits()
	return g
}

func (g *qrGrid) setFunction(x, y int, dark bool) {
	g.modules[y*g.size+x] = dark
	g.function[y*g.size+x] = true
}

// finder draws a finder pattern centred on x, y with its light separator.
func (g *qrGrid) finder(cx, cy int) {
	for dy := -4; dy <= 4; dy++ {
		for dx := -4; dx <= 4; dx++ {
			x, y := cx+dx, cy+dy
			if x < 0 || y < 0 || x >= g.size || y >= g.size {
				continue
			}
			d := max(iabs(dx), iabs(dy))
			g.setFunction(x, y, d != 2 && d != 4)
		}
	}
}

func (g *qrGrid) alignment(cx, cy int) {
	for dy := -2; dy <= 2; dy++ {
		for dx := -2; dx <= 2; dx++ {
			d := max(iabs(dx), iabs(dy))
			g.setFunction(cx+dx, cy+dy, d != 1)
		}
	}
}

// alignmentPositions are the row and column centres of the alignment
// patterns: from 6 to size-7, evenly spaced by an even step.
func (g *qrGrid) alignmentPositions() []int {
	if g.version == 1 {
		return nil
	}
	n := g.version/7 + 2
	step := 26
	if g.version != 32 {
		step = (g.version*4 + n*2 + 1) / (n*2 - 2) * 2
	}
	pos := make([]int, n)
	pos[0] = 6
	for i := n - 1; i >= 1; i-- {
		pos[i] = g.size - 7 - (n-1-i)*step
	}
	return pos
}

// formatBits writes the format information for level M and mask, with
// its BCH(15,5) check bits, in both copies, and the dark module.
func (g *qrGrid) formatBits(mask int) {
	data := uint(0b00<<3 | mask) // level M is 00
	rem := data
	for range 10 {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	bits := (data<<10 | rem) ^ 0x5412
	bit := func(i int) bool { return bits>>uint(i)&1 == 1 }
	for i := 0; i <= 5; i++ {
		g.setFunction(8, i, bit(i))
	}
	g.setFunction(8, 7, bit(6))
	g.setFunction(8, 8, bit(7))
	g.setFunction(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		g.setFunction(14-i, 8, bit(i))
	}
	for i := 0; i < 8; i++ {
		g.setFunction(g.size-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		g.setFunction(8, g.size-15+i, bit(i))
	}
	g.setFunction(8, g.size-8, true)
}

// versionBits writes the version information (versions 7 and up) with
// its BCH(18,6) check bits, in both corners.
func (g *qrGrid) versionBits() {
	if g.version < 7 {
		return
	}
	rem := uint(g.version)
	for range 12 {
		rem = rem<<1 ^ (rem>>11)*0x1F25
	}
	bits := uint(g.version)<<12 | rem
	for i := 0; i < 18; i++ {
		dark := bits>>uint(i)&1 == 1
		a, b := g.size-11+i%3, i/3
		g.setFunction(a, b, dark)
		g.setFunction(b, a, dark)
	}
}

// dataCodewords is how many data codewords the version holds at level M:
// the whole codewords of the modules left free by the function
// patterns, less the error correction.
func (g *qrGrid) dataCodewords() int {
	return g.rawCodewords() - qrBlocksM[g.version]*qrECCPerBlockM[g.version]
}

func (g *qrGrid) rawCodewords() int {
	free := 0
	for _, f := range g.function {
		if !f {
			free++
		}
	}
	return free / 8
}

// withECC splits data into blocks, appends each block's Reed–Solomon
// codewords and interleaves them as the standard orders them.
func (g *qrGrid) withECC(data []byte) []byte {
	raw := g.rawCodewords()
	blocks, ecc := qrBlocksM[g.version], qrECCPerBlockM[g.version]
	short := raw / blocks // codewords in a short block; long ones have one more
	numShort := blocks - raw%blocks
	gen := rsGenerator(ecc)
	type block struct{ data, ecc []byte }
	bs := make([]block, blocks)
	off := 0
	for i := range bs {
		n := short - ecc
		if i >= numShort {
			n++
		}
		bs[i].data = data[off : off+n]
		bs[i].ecc = rsRemainder(bs[i].data, gen)
		off += n
	}
	out := make([]byte, 0, raw)
	for i := 0; i <= short-ecc; i++ {
		for _, b := range bs {
			if i < len(b.data) {
				out = append(out, b.data[i])
			}
		}
	}
	for i := 0; i < ecc; i++ {
		for _, b := range bs {
			out = append(out, b.ecc[i])
		}
	}
	return out
}

// place puts the codewords into the free modules in the standard's
// zigzag: two-module-wide columns from the right, alternately upwards and
// downwards, skipping the vertical timing pattern. Remainder bits stay
// light.
func (g *qrGrid) place(codewords []byte) {
	i := 0
	for right := g.size - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		upward := (right+1)&2 == 0
		for v := 0; v < g.size; v++ {
			y := v
			if upward {
				y = g.size - 1 - v
			}
			for j := 0; j < 2; j++ {
				x := right - j
				if g.function[y*g.size+x] || i >= len(codewords)*8 {
					continue
				}
				g.modules[y*g.size+x] = codewords[i/8]>>uint(7-i%8)&1 == 1
				i++
			}
		}
	}
}

// qrMask reports whether mask inverts the data module at x, y.
func qrMask(mask, x, y int) bool {
	switch mask {
	case 0:
		return (x+y)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (x+y)%3 == 0
	case 4:
		return (x/3+y/2)%2 == 0
	case 5:
		return x*y%2+x*y%3 == 0
	case 6:
		return (x*y%2+x*y%3)%2 == 0
	default:
		return ((x+y)%2+x*y%3)%2 == 0
	}
}

// masked tries the eight masks and returns the symbol with the lowest
// penalty; ties go to the lower mask number.
func (g *qrGrid) masked() *qrSymbol {
	best, bestPenalty := -1, 0
	try := make([]byte, len(g.modules))
	for mask := 0; mask < 8; mask++ {
		g.apply(mask, try)
		if p := qrPenalty(try, g.size); best < 0 || p < bestPenalty {
			best, bestPenalty = mask, p
		}
	}
	g.apply(best, try)
	return &qrSymbol{size: g.size, modules: try}
}

// apply writes into dst the grid's modules, 1 for dark, with mask over
// the data and the format information for that mask.
func (g *qrGrid) apply(mask int, dst []byte) {
	g.formatBits(mask)
	for y := 0; y < g.size; y++ {
		for x := 0; x < g.size; x++ {
			i := y*g.size + x
			dst[i] = byte(b2i(g.modules[i] != (!g.function[i] && qrMask(mask, x, y))))
		}
	}
}

// qrPenalty scores a masked symbol by the standard's four rules: runs of
// five or more modules of one colour, 2×2 blocks of one colour,
// finder-like 1:1:3:1:1 patterns with four light modules beside them
// (beyond the edge counts as light: it is the quiet zone), and the
// imbalance of dark and light. Its loops avoid branches on module
// values: those are as good as random, and mispredicted branches were
// most of its cost.
func qrPenalty(m []byte, size int) int {
	p := 0
	col := make([]byte, size)
	for i := 0; i < size; i++ {
		for y := 0; y < size; y++ {
			col[y] = m[y*size+i]
		}
		p += qrLinePenalty(m[i*size:(i+1)*size]) + qrLinePenalty(col)
	}
	dark, blocks := 0, 0
	for y := 0; y < size; y++ {
		row := m[y*size : (y+1)*size]
		for _, c := range row {
			dark += int(c)
		}
		if y+1 == size {
			break
		}
		next := m[(y+1)*size : (y+2)*size]
		for x := 0; x+1 < size; x++ {
			c := row[x]
			blocks += b2i((c^row[x+1])|(c^next[x])|(c^next[x+1]) == 0)
		}
	}
	p += 3 * blocks
	// 10 points for each full 5% the dark share is away from 50%.
	total := size * size
	k := (iabs(dark*20-total*10)+total-1)/total - 1
	return p + 10*max(k, 0)
}

// qrLinePenalty scores one row or column by rules 1 and 3.
func qrLinePenalty(line []byte) int {
	const (
		finderThenLight = 0b10111010000 // dark is 1, oldest module first
		lightThenFinder = 0b00001011101
	)
	p, run := 0, 0
	window := 0 // the last 11 modules, light before the line starts
	prev := byte(2)
	for _, c := range line {
		window = (window<<1)&0x7FF | int(c)
		p += 40 * b2i(window == finderThenLight || window == lightThenFinder)
		run = run*b2i(c == prev) + 1
		p += 3*b2i(run == 5) + b2i(run > 5)
		prev = c
	}
	for range 4 { // the quiet zone after the line
		window = (window << 1) & 0x7FF
		p += 40 * b2i(window == finderThenLight)
	}
	return p
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func iabs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// Reed–Solomon over GF(256) with the QR polynomial x⁸+x⁴+x³+x²+1.
var rsExp, rsLog = func() (exp [512]byte, log [256]byte) {
	x := 1
	for i := 0; i < 255; i++ {
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
	return exp, log
}()

func rsMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return rsExp[int(rsLog[a])+int(rsLog[b])]
}

// rsGenerator is the generator polynomial of degree n, (x-α⁰)…(x-αⁿ⁻¹),
// as its n coefficients below the leading 1, highest first.
func rsGenerator(n int) []byte {
	g := make([]byte, n)
	g[n-1] = 1
	root := byte(1)
	for range n {
		for j := 0; j < n; j++ {
			g[j] = rsMul(g[j], root)
			if j+1 < n {
				g[j] ^= g[j+1]
			}
		}
		root = rsMul(root, 0x02)
	}
	return g
}

// rsRemainder is data·xⁿ mod the generator: the error correction
// codewords.
func rsRemainder(data, gen []byte) []byte {
	rem := make([]byte, len(gen))
	for _, d := range data {
		f := d ^ rem[0]
		copy(rem, rem[1:])
		rem[len(rem)-1] = 0
		for i, c := range gen {
			rem[i] ^= rsMul(c, f)
		}
	}
	return rem
}
