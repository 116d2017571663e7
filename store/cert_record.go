package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	bolt "go.etcd.io/bbolt"
)

// Certificate records (bCerts) are stored in a compact binary form: two
// million records take a third of their JSON size, and decoding one for a
// list row costs a fraction of json.Unmarshal. The key is the number, so the
// record does not repeat it, nor the occupation, level and region the number
// already holds (certificate numbers are YY RRRR OOO L SSSS, docs/numbering.md).
//
// Layout of format 1 (every integer a varint, every string its length as a
// uvarint and then its bytes):
//
//	0x01                      format
//	flags                     uvarint, certFlag* below
//	name, gender, ID number, work unit, phone
//	[occupation]              unless flagOccFromNumber
//	occupation name
//	[level]                   unless flagLevelFromNumber
//	org id, org name, len(org path), org path…
//	[region]                  unless flagRegionFromNumber
//	batch id
//	issue date                a day (flagIssueDay) or a time
//	status                    'v', 'c', 's', or 0 and the string
//	version, print count
//	[last printed]            a time, when flagLastPrinted
//	last printed by, replaces, replaced by
//	len(history), then each event: time, kind (a code, or 0 and the
//	                          string), username, org name, detail
//
// A time is its Unix seconds, nanoseconds and zone offset in seconds; it
// decodes as encoding/json decodes the RFC 3339 text the record held before
// (UTC for offset 0, the local zone when its offset matches, else a fixed
// zone), so a certificate reads the same in either form. Gender is a code
// for 男 and 女. A record that begins with '{' is JSON (written before the
// compact-layout migration; decodeCert still reads it).
const certFormat1 byte = 0x01

const (
	flagOccFromNumber uint64 = 1 << iota
	flagLevelFromNumber
	flagRegionFromNumber
	flagPrinted
	flagLastPrinted
	flagIssueDay
)

// eventKinds are the kinds of history events with a one-byte code (index+1).
var eventKinds = []string{"注册", "变更", "补办", "注销", "激活", "打印", "打印状态"}

var genders = []string{"男", "女"}

// encodeCert appends the record of c to buf.
func encodeCert(buf []byte, c *Certificate) ([]byte, error) {
	n := c.Number
	if len(n) != 14 {
		return nil, fmt.Errorf("certificate number %q is not 14 digits", n)
	}
	var flags uint64
	if c.Occupation == n[6:9] {
		flags |= flagOccFromNumber
	}
	if c.Level >= 0 && c.Level <= 9 && n[9] == byte('0'+c.Level) {
		flags |= flagLevelFromNumber
	}
	if c.Region == n[2:6] {
		flags |= flagRegionFromNumber
	}
	if c.Printed {
		flags |= flagPrinted
	}
	if !c.LastPrinted.IsZero() {
		flags |= flagLastPrinted
	}
	day, isDay := issueDayOf(c.IssueDate)
	if isDay {
		flags |= flagIssueDay
	}
	b := append(buf, certFormat1)
	b = binary.AppendUvarint(b, flags)
	b = appendString(b, c.Name)
	b = appendCode(b, c.Gender, genders)
	b = appendString(b, c.IDNumber)
	b = appendString(b, c.WorkUnit)
	b = appendString(b, c.Phone)
	if flags&flagOccFromNumber == 0 {
		b = appendString(b, c.Occupation)
	}
	b = appendString(b, c.OccupationName)
	if flags&flagLevelFromNumber == 0 {
		b = binary.AppendVarint(b, int64(c.Level))
	}
	b = binary.AppendUvarint(b, c.OrgID)
	b = appendString(b, c.OrgName)
	b = binary.AppendUvarint(b, uint64(len(c.OrgPath)))
	for _, id := range c.OrgPath {
		b = binary.AppendUvarint(b, id)
	}
	if flags&flagRegionFromNumber == 0 {
		b = appendString(b, c.Region)
	}
	b = binary.AppendUvarint(b, c.BatchID)
	if isDay {
		b = binary.AppendUvarint(b, day)
	} else {
		b = appendRecTime(b, c.IssueDate)
	}
	switch c.Status {
	case CertValid, CertCancelled, CertSuperseded:
		b = append(b, statusCode(c.Status))
	default:
		b = appendString(append(b, 0), string(c.Status))
	}
	b = binary.AppendVarint(b, int64(c.Version))
	b = binary.AppendVarint(b, int64(c.PrintCount))
	if flags&flagLastPrinted != 0 {
		b = appendRecTime(b, c.LastPrinted)
	}
	b = appendString(b, c.LastPrintedBy)
	b = appendString(b, c.Replaces)
	b = appendString(b, c.ReplacedBy)
	b = binary.AppendUvarint(b, uint64(len(c.History)))
	for i := range c.History {
		e := &c.History[i]
		b = appendRecTime(b, e.Time)
		b = appendCode(b, e.Kind, eventKinds)
		b = appendString(b, e.Username)
		b = appendString(b, e.OrgName)
		b = appendString(b, e.Detail)
	}
	return b, nil
}

// errCertRecord is a record that does not decode.
var errCertRecord = errors.New("certificate record is damaged")

// decodeCert reads the record raw of the certificate number into c, which
// it overwrites entirely. Strings are copied out of raw.
func decodeCert(number, raw []byte, c *Certificate) error {
	*c = Certificate{}
	if len(raw) > 0 && raw[0] == '{' {
		return json.Unmarshal(raw, c)
	}
	if len(raw) == 0 || raw[0] != certFormat1 {
		return fmt.Errorf("%w: unknown format", errCertRecord)
	}
	if len(number) != 14 {
		return fmt.Errorf("%w: key %q is not a certificate number", errCertRecord, number)
	}
	d := recDecoder{b: raw[1:]}
	// The strings of one record share one allocation.
	d.arena = make([]byte, 0, len(raw))
	c.Number = d.intern(number)
	flags := d.uvarint()
	c.Name = d.str()
	c.Gender = d.code(genders)
	c.IDNumber = d.str()
	c.WorkUnit = d.str()
	c.Phone = d.str()
	if flags&flagOccFromNumber != 0 {
		c.Occupation = c.Number[6:9]
	} else {
		c.Occupation = d.str()
	}
	c.OccupationName = d.str()
	if flags&flagLevelFromNumber != 0 {
		c.Level = int(c.Number[9] - '0')
	} else {
		c.Level = int(d.varint())
	}
	c.OrgID = d.uvarint()
	c.OrgName = d.str()
	if n := d.count(); n > 0 {
		c.OrgPath = make([]uint64, n)
		for i := range c.OrgPath {
			c.OrgPath[i] = d.uvarint()
		}
	}
	if flags&flagRegionFromNumber != 0 {
		c.Region = c.Number[2:6]
	} else {
		c.Region = d.str()
	}
	c.BatchID = d.uvarint()
	if flags&flagIssueDay != 0 {
		c.IssueDate = dayTime(d.uvarint())
	} else {
		c.IssueDate = d.time()
	}
	switch st := d.byte(); st {
	case 'v':
		c.Status = CertValid
	case 'c':
		c.Status = CertCancelled
	case 's':
		c.Status = CertSuperseded
	default:
		c.Status = CertStatus(d.str())
	}
	c.Version = int(d.varint())
	c.Printed = flags&flagPrinted != 0
	c.PrintCount = int(d.varint())
	if flags&flagLastPrinted != 0 {
		c.LastPrinted = d.time()
	}
	c.LastPrintedBy = d.str()
	c.Replaces = d.str()
	c.ReplacedBy = d.str()
	if n := d.count(); n > 0 {
		c.History = make([]CertEvent, n)
		for i := range c.History {
			e := &c.History[i]
			e.Time = d.time()
			e.Kind = d.code(eventKinds)
			e.Username = d.str()
			e.OrgName = d.str()
			e.Detail = d.str()
		}
	}
	if d.err != nil || len(d.b) != 0 {
		return fmt.Errorf("%w: certificate %s", errCertRecord, number)
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendCode writes the index+1 of s in codes, or 0 and s.
func appendCode(b []byte, s string, codes []string) []byte {
	for i, c := range codes {
		if s == c {
			return append(b, byte(i+1))
		}
	}
	return appendString(append(b, 0), s)
}

func appendRecTime(b []byte, t time.Time) []byte {
	_, off := t.Zone()
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	return binary.AppendVarint(b, int64(off))
}

// issueDayOf is the day number (days since 2000-01-01) of a time that is
// midnight China time, written with China's offset, as IssueDay makes them.
func issueDayOf(t time.Time) (uint64, bool) {
	if _, off := t.Zone(); off != 8*3600 || t.Before(dayEpoch) {
		return 0, false
	}
	d := IssueDay(t)
	if !d.Equal(t) {
		return 0, false
	}
	y, m, dd := d.Date()
	n := time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Sub(dayEpoch).Hours() / 24
	return uint64(n), true
}

// dayTime is midnight China time of day n, as encoding/json reads it back.
func dayTime(n uint64) time.Time {
	t := time.Date(2000, 1, 1+int(n), 0, 0, 0, 0, cst)
	return asJSONReads(t, 8*3600)
}

// asJSONReads places t in the location time.Parse gives a time written
// with offset off: UTC for 0, the local zone when it had that offset then,
// else a fixed zone.
func asJSONReads(t time.Time, off int) time.Time {
	if off == 0 {
		return t.UTC()
	}
	if _, lo := t.In(time.Local).Zone(); lo == off {
		return t.In(time.Local)
	}
	return t.In(fixedZone(off))
}

var fixedZones sync.Map // offset => *time.Location

func fixedZone(off int) *time.Location {
	if l, ok := fixedZones.Load(off); ok {
		return l.(*time.Location)
	}
	l, _ := fixedZones.LoadOrStore(off, time.FixedZone("", off))
	return l.(*time.Location)
}

// recDecoder reads a record; the first error sticks.
type recDecoder struct {
	b     []byte
	arena []byte
	err   error
}

func (d *recDecoder) fail() {
	if d.err == nil {
		d.err = errCertRecord
	}
	d.b = nil
}

func (d *recDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recDecoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// count is a length that the rest of the record can hold.
func (d *recDecoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *recDecoder) str() string {
	n := d.count()
	if d.err != nil {
		return ""
	}
	s := d.intern(d.b[:n])
	d.b = d.b[n:]
	return s
}

// intern copies p into the record's arena and returns it as a string
// sharing the arena's memory (the arena is never written again where a
// string points).
func (d *recDecoder) intern(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	if cap(d.arena)-len(d.arena) < len(p) {
		d.arena = make([]byte, 0, max(len(p), 256))
	}
	at := len(d.arena)
	d.arena = append(d.arena, p...)
	return unsafeString(d.arena[at:len(d.arena)])
}

func (d *recDecoder) code(codes []string) string {
	c := d.byte()
	switch {
	case c == 0:
		return d.str()
	case int(c) <= len(codes):
		return codes[c-1]
	}
	d.fail()
	return ""
}

func (d *recDecoder) time() time.Time {
	sec := d.varint()
	nsec := d.uvarint()
	off := d.varint()
	if d.err != nil || nsec >= 1e9 || off < -24*3600 || off > 24*3600 {
		d.fail()
		return time.Time{}
	}
	return asJSONReads(time.Unix(sec, int64(nsec)), int(off))
}

// getCert reads the certificate number from b (ErrNotFound when absent).
func getCert(b *bolt.Bucket, number []byte, c *Certificate) error {
	raw := b.Get(number)
	if raw == nil {
		return ErrNotFound
	}
	return decodeCert(number, raw, c)
}

// putCert writes c's record.
func putCert(b *bolt.Bucket, c *Certificate) error {
	raw, err := encodeCert(nil, c)
	if err != nil {
		return err
	}
	return b.Put([]byte(c.Number), raw)
}

// unsafeString is b as a string without a copy; b must not change after.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
