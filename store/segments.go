package store

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Certificate numbers (docs/numbering.md): YY year of issue + RRRR region of the
// issuing organisation + OOO occupation + L level + SSSS serial, 14 digits.
// The first 10 digits are the segment's 证书代码. A segment is created when
// first needed with the range 0001–9999; a new year has new segments, so each
// year starts from the start of its range with no job to run. Allocation
// happens inside the transaction that issues the certificates, so a failed
// approval leaves no hole.

// Default range of a new segment.
const (
	SegmentStart = 1
	SegmentEnd   = 9999
)

// Segment is one 证书代码 with its range and the last serial issued.
type Segment struct {
	Code       string    `json:"code"` // 10 digits
	Year       int       `json:"year"` // e.g. 2026
	Region     string    `json:"region"`
	Occupation string    `json:"occupation"`
	Level      int       `json:"level"`
	Start      int       `json:"start"`
	End        int       `json:"end"`
	Current    int       `json:"current"` // last serial issued; Start-1 when none
	Issued     int       `json:"issued"`
	Updated    time.Time `json:"updated"`
}

// SegmentCode builds the 10-digit 证书代码.
func SegmentCode(year int, region, occupation string, level int) string {
	return fmt.Sprintf("%02d%s%s%d", year%100, region, occupation, level)
}

// Remaining is how many numbers the segment can still issue.
func (sg Segment) Remaining() int { return sg.End - sg.Current }

// allocateTx reserves n consecutive serials in the segment of the given
// year, region, occupation and level, creating it if needed, and returns the
// first number's serial and the segment.
func allocateTx(tx *bolt.Tx, year int, region, occupation string, level, n int, now time.Time) (int, Segment, error) {
	b := tx.Bucket(bSegments)
	code := SegmentCode(year, region, occupation, level)
	var sg Segment
	switch err := getJSON(b, []byte(code), &sg); err {
	case nil:
	case ErrNotFound:
		sg = Segment{Code: code, Year: year, Region: region, Occupation: occupation, Level: level,
			Start: SegmentStart, End: SegmentEnd, Current: SegmentStart - 1}
	default:
		return 0, Segment{}, err
	}
	if sg.Current+n > sg.End {
		return 0, sg, invalid("", fmt.Sprintf("证书号段 %s 的号码不足：还可发 %d 个，本次需要 %d 个。请省厅在「号段维护」中调整号段范围后再审核。",
			code, sg.Remaining(), n))
	}
	first := sg.Current + 1
	sg.Current += n
	sg.Issued += n
	sg.Updated = now
	if err := putJSON(b, []byte(code), sg); err != nil {
		return 0, sg, err
	}
	return first, sg, nil
}

// SegmentFilter selects segments for 号段维护.
type SegmentFilter struct {
	Year       int
	Occupation string
	Level      int
	Region     string
}

// Segments lists the segments that have issued certificates, newest year
// first, then by code. There are at most a few thousand a year.
func (s *Store) Segments(f SegmentFilter) ([]Segment, error) {
	var out []Segment
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bSegments).Cursor()
		var prefix []byte
		if f.Year > 0 {
			prefix = []byte(fmt.Sprintf("%02d", f.Year%100))
		}
		for k, v := c.Seek(prefix); k != nil && (prefix == nil || string(k[:2]) == string(prefix)); k, v = c.Next() {
			var sg Segment
			if err := jsonUnmarshal(v, &sg); err != nil {
				return err
			}
			switch {
			case sg.Issued == 0:
			case f.Year > 0 && sg.Year != f.Year:
			case f.Occupation != "" && sg.Occupation != f.Occupation:
			case f.Level > 0 && sg.Level != f.Level:
			case f.Region != "" && sg.Region != f.Region:
			default:
				out = append(out, sg)
			}
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Year != out[j].Year {
			return out[i].Year > out[j].Year
		}
		return out[i].Code < out[j].Code
	})
	return out, err
}

// Segment returns one segment by its code.
func (s *Store) Segment(code string) (Segment, error) {
	var sg Segment
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bSegments), []byte(code), &sg) })
	return sg, err
}

// RaiseSegment raises a segment's current serial and/or range end (province,
// segment.manage). Neither may be lowered; the current serial stays within
// the range; the end stays at most 9999.
func (s *Store) RaiseSegment(a Actor, code string, current, end int) (Segment, error) {
	var sg Segment
	err := s.db.Update(func(tx *bolt.Tx) error {
		u, own, err := actorTx(tx, a)
		if err != nil {
			return err
		}
		if own.Type != Province || !u.Can(own.Type, CapSegmentManage) {
			return ErrForbidden
		}
		if err := getJSON(tx.Bucket(bSegments), []byte(code), &sg); err != nil {
			return err
		}
		switch {
		case current < sg.Current:
			return invalid("current", "当前号只能调高，不能低于 "+strconv.Itoa(sg.Current))
		case end < sg.End:
			return invalid("end", "号段终止号只能调高，不能低于 "+strconv.Itoa(sg.End))
		case end > SegmentEnd:
			return invalid("end", "号段终止号不能超过 9999")
		case current > end:
			return invalid("current", "当前号不能超过号段终止号")
		}
		if current == sg.Current && end == sg.End {
			return invalid("", "没有需要保存的修改")
		}
		detail := fmt.Sprintf("当前号 %04d → %04d，终止号 %04d → %04d", sg.Current, current, sg.End, end)
		sg.Current, sg.End, sg.Updated = current, end, s.Now()
		if err := putJSON(tx.Bucket(bSegments), []byte(code), sg); err != nil {
			return err
		}
		return s.logTx(tx, a, ActSegmentRaise, code, detail)
	})
	return sg, err
}
