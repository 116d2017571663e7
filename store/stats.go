package store

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Statistics (统计分析) are answered from counters, never by reading
// certificates: every transaction that creates a certificate or changes its
// status moves the counters with it (statsAddTx, statsMoveTx), and a
// migration builds them for a database that holds certificates from before
// (statsRebuild).
//
// # Measures
//
// Four figures are kept for every certificate, each counted on the
// certificate's 发证日期 (issue day, China time):
//
//	发证数 (issued)      certificates registered by batches (注册). A reissue
//	                     (补办) is not a new registration; a cancelled or
//	                     superseded certificate stays issued.
//	当前有效 (valid)      certificates valid now, reissued replacements included
//	                     (a replacement keeps the original 发证日期).
//	已注销 (cancelled)    certificates cancelled now.
//	已补办 (superseded)   certificates replaced by a reissue.
//
// So valid + cancelled + superseded counts every certificate, and equals
// issued plus the reissues. 变更 changes no figure.
//
// # Dimensions and layout
//
// bStats maps
//
//	scope | period (3 bytes) | occupation (3 bytes) | level (1 byte)
//	  => issued, valid, cancelled, superseded (4 uvarints, each below 2³²;
//	     most cells count a few certificates: 4 bytes)
//
// Scopes:
//
//	'o' org id (4 bytes)               the issuing organisation and each of its
//	                                   ancestors (a dept holds its units, the
//	                                   province everything)
//	'c' region (4) type (1)            a city and organisation type: the
//	                                   certificate's region (省直所 have the
//	                                   province code + "00") and 'u' 单位 or
//	                                   'd' 省直所
//	't' type (1)                       the whole province by organisation type
//
// Periods: 'A' all time (0x0000), 'D' day (days since 2000-01-01), 'M'
// month (year×12 + month−1), 'Y' year. A date range is a sum and difference
// of a few dozen periods at most (statsCover).
//
// Cells: the occupation and level of the certificate, and "***" with the
// level (every occupation of that level). The total of an occupation is the
// short run of its levels; the grand total the run of "***". So one Seek
// and a scan of one bucket's keys read a whole occupation × level table.
//
// bStatsOrgs lists, per region and type, the organisations that hold
// certificates there: the rows of a city's table.

// Statistics measures, in the order of the counter values.
const (
	statIssued = iota
	statValid
	statCancelled
	statSuperseded
	statMeasures
)

type statVec [statMeasures]int64

func (v *statVec) add(o statVec, sign int64) {
	for i := range v {
		v[i] += sign * o[i]
	}
}

// statMeasure is the measure a status is counted in.
func statMeasure(s CertStatus) int {
	switch s {
	case CertCancelled:
		return statCancelled
	case CertSuperseded:
		return statSuperseded
	}
	return statValid
}

// certVec is what one certificate adds to the counters.
func certVec(status CertStatus, registered bool) statVec {
	var v statVec
	if registered {
		v[statIssued] = 1
	}
	v[statMeasure(status)]++
	return v
}

// Scope and period kinds of the keys.
const (
	statScopeOrg  byte = 'o'
	statScopeCity byte = 'c'
	statScopeType byte = 't'

	statAll   byte = 'A'
	statDay   byte = 'D'
	statMonth byte = 'M'
	statYear  byte = 'Y'
)

// statAnyOcc is the occupation of the per-level totals.
var statAnyOcc = [3]byte{'*', '*', '*'}

// statTypeByte is an issuing organisation's type in the keys.
func statTypeByte(t OrgType) byte {
	switch t {
	case Unit:
		return 'u'
	case Direct:
		return 'd'
	}
	return 'x'
}

func statOrgScope(id uint64) []byte { return append([]byte{statScopeOrg}, scopeBytes(id)...) }

func statCityScope(region string, typ byte) []byte {
	return append(append([]byte{statScopeCity}, fixedWidth(region, 4)...), typ)
}

func statTypeScope(typ byte) []byte { return []byte{statScopeType, typ} }

// fixedWidth is s cut or padded with spaces to n bytes.
func fixedWidth(s string, n int) []byte {
	b := []byte(fmt.Sprintf("%-*.*s", n, n, s))
	if len(b) != n { // a multi-byte character cut by the format
		b = append(b[:0:0], strings.Repeat("?", n)...)
	}
	return b
}

func statOcc(code string) [3]byte {
	var o [3]byte
	copy(o[:], fixedWidth(code, 3))
	return o
}

// statOrigin is where a certificate was issued, as the counters see it.
type statOrigin struct {
	org    uint64
	path   []uint64
	region string
	typ    byte
}

// scopes are the scope keys a certificate of the origin counts in.
func (o statOrigin) scopes() [][]byte {
	out := make([][]byte, 0, len(o.path)+3)
	for _, id := range o.path {
		out = append(out, statOrgScope(id))
	}
	out = append(out, statOrgScope(o.org), statCityScope(o.region, o.typ), statTypeScope(o.typ))
	return out
}

// registryKey is the origin's key in bStatsOrgs.
func (o statOrigin) registryKey() []byte {
	return append(append(fixedWidth(o.region, 4), o.typ), itob(o.org)...)
}

// statOrigins finds and remembers the origins of certificates.
type statOrigins struct {
	tx    *bolt.Tx
	types map[uint64]byte
	index map[string]int32
	list  []statOrigin
}

func newStatOrigins(tx *bolt.Tx) *statOrigins {
	return &statOrigins{tx: tx, types: map[uint64]byte{}, index: map[string]int32{}}
}

// of returns the index of c's origin. The organisation type is the issuing
// organisation's; path and region are the certificate's, as issued.
func (so *statOrigins) of(c *Certificate) (int32, error) {
	var kb [64]byte
	k := binary.BigEndian.AppendUint64(kb[:0], c.OrgID)
	k = append(k, c.Region...)
	for _, id := range c.OrgPath {
		k = binary.BigEndian.AppendUint64(k, id)
	}
	if i, ok := so.index[string(k)]; ok {
		return i, nil
	}
	typ, ok := so.types[c.OrgID]
	if !ok {
		org, err := orgTx(so.tx, c.OrgID)
		if err != nil {
			return 0, fmt.Errorf("statistics: issuing organisation %d of %s: %w", c.OrgID, c.Number, err)
		}
		typ = statTypeByte(org.Type)
		so.types[c.OrgID] = typ
	}
	i := int32(len(so.list))
	so.list = append(so.list, statOrigin{org: c.OrgID, path: append([]uint64(nil), c.OrgPath...), region: c.Region, typ: typ})
	so.index[string(k)] = i
	return i, nil
}

// statFine is the finest grain the counters distinguish.
type statFine struct {
	origin int32
	day    uint16
	occ    [3]byte
	level  byte
}

func fineOf(origin int32, c *Certificate) statFine {
	return statFine{origin: origin, day: dayNumber(c.IssueDate), occ: statOcc(c.Occupation), level: byte('0' + c.Level)}
}

// statTails are the period and cell parts of the keys a certificate of the
// given day, occupation and level counts in, each packed into the low 7
// bytes of a uint64 so that their order is the keys' order.
func statTails(day uint16, occ [3]byte, level byte) [8]uint64 {
	y, m, _ := dayEpoch.AddDate(0, 0, int(day)).Date()
	periods := [4][3]byte{
		{statAll, 0, 0},
		{statDay, byte(day >> 8), byte(day)},
		{statMonth, byte(statMonthIndex(y, m) >> 8), byte(statMonthIndex(y, m))},
		{statYear, byte(y >> 8), byte(y)},
	}
	var out [8]uint64
	for i, p := range periods {
		out[2*i] = packTail(p, occ, level)
		out[2*i+1] = packTail(p, statAnyOcc, level)
	}
	return out
}

func statMonthIndex(y int, m time.Month) int { return y*12 + int(m) - 1 }

func packTail(p [3]byte, occ [3]byte, level byte) uint64 {
	return uint64(p[0])<<48 | uint64(p[1])<<40 | uint64(p[2])<<32 | uint64(occ[0])<<24 | uint64(occ[1])<<16 | uint64(occ[2])<<8 | uint64(level)
}

func appendTail(b []byte, t uint64) []byte {
	return append(b, byte(t>>48), byte(t>>40), byte(t>>32), byte(t>>24), byte(t>>16), byte(t>>8), byte(t))
}

// encodeStat is a counter value; every figure must fit in 32 bits.
func encodeStat(v statVec) ([]byte, error) {
	out := make([]byte, 0, statMeasures)
	for _, n := range v {
		if n < 0 || n > 1<<32-1 {
			return nil, fmt.Errorf("statistics counter out of range: %v", v)
		}
		out = binary.AppendUvarint(out, uint64(n))
	}
	return out, nil
}

func decodeStat(b []byte) statVec {
	var v statVec
	for i := range v {
		n, w := binary.Uvarint(b)
		if w <= 0 {
			return statVec{}
		}
		v[i], b = int64(n), b[w:]
	}
	return v
}

// decodeStatV3 reads a counter value as schema 3 wrote it (4 × uint32,
// big-endian); the compact-layout migration converts them.
func decodeStatV3(b []byte) (statVec, bool) {
	var v statVec
	if len(b) != 4*statMeasures {
		return v, false
	}
	for i := range v {
		v[i] = int64(binary.BigEndian.Uint32(b[4*i:]))
	}
	return v, true
}

// statsAddTx counts a new certificate in its present status: issuance calls
// it (through statsAddManyTx) with registered true; a reissue (补办) calls it
// for the replacement with registered false, as the replacement keeps the
// original 发证日期 and is no new registration.
func statsAddTx(tx *bolt.Tx, c Certificate, registered bool) error {
	return statsAddManyTx(tx, []Certificate{c}, registered)
}

// statsAddManyTx is statsAddTx for many certificates at once (an approval
// of a batch): their contributions are summed before the counters are
// touched, so a thousand certificates of a few trades update a few hundred
// counters.
func statsAddManyTx(tx *bolt.Tx, certs []Certificate, registered bool) error {
	if len(certs) == 0 {
		return nil
	}
	origins := newStatOrigins(tx)
	fine := map[statFine]statVec{}
	for i := range certs {
		c := &certs[i]
		o, err := origins.of(c)
		if err != nil {
			return err
		}
		v := fine[fineOf(o, c)]
		v.add(certVec(c.Status, registered), 1)
		fine[fineOf(o, c)] = v
	}
	if err := statsRegisterTx(tx, origins); err != nil {
		return err
	}
	return statsApplyTx(tx, origins, fine)
}

// statsMoveTx moves a certificate from one status to another in the
// counters (注销, 激活, and the old certificate of a reissue becoming 已补办).
// Every status change goes through changeCertStatusTx, which calls it.
func statsMoveTx(tx *bolt.Tx, c Certificate, from, to CertStatus) error {
	if statMeasure(from) == statMeasure(to) {
		return nil
	}
	origins := newStatOrigins(tx)
	o, err := origins.of(&c)
	if err != nil {
		return err
	}
	var v statVec
	v[statMeasure(from)]--
	v[statMeasure(to)]++
	return statsApplyTx(tx, origins, map[statFine]statVec{fineOf(o, &c): v})
}

// statsRegisterTx records the origins in bStatsOrgs.
func statsRegisterTx(tx *bolt.Tx, origins *statOrigins) error {
	b := tx.Bucket(bStatsOrgs)
	for _, o := range origins.list {
		k := o.registryKey()
		if b.Get(k) == nil {
			if err := b.Put(k, []byte{}); err != nil {
				return err
			}
		}
	}
	return nil
}

// statsApplyTx adds fine-grained changes to every counter they concern, in
// key order.
func statsApplyTx(tx *bolt.Tx, origins *statOrigins, fine map[statFine]statVec) error {
	delta := map[string]statVec{}
	var kb []byte
	for f, v := range fine {
		tails := statTails(f.day, f.occ, f.level)
		for _, sc := range origins.list[f.origin].scopes() {
			for _, t := range tails {
				kb = appendTail(append(kb[:0], sc...), t)
				d := delta[string(kb)]
				d.add(v, 1)
				delta[string(kb)] = d
			}
		}
	}
	keys := make([]string, 0, len(delta))
	for k := range delta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := tx.Bucket(bStats)
	for _, k := range keys {
		v := decodeStat(b.Get([]byte(k)))
		v.add(delta[k], 1)
		if v == (statVec{}) {
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
			continue
		}
		raw, err := encodeStat(v)
		if err != nil {
			return fmt.Errorf("statistics counter %x: %w", k, err)
		}
		if err := b.Put([]byte(k), raw); err != nil {
			return err
		}
	}
	return nil
}
