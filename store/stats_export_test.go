package store

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Test-only doors into the statistics counters.

// StatsCountersForTest returns the statistics buckets as they are: counter
// keys (hex) with their values, and the organisation registry.
func (s *Store) StatsCountersForTest() (map[string]string, map[string]bool) {
	counts, orgs := map[string]string{}, map[string]bool{}
	_ = s.db.View(func(tx *bolt.Tx) error {
		_ = tx.Bucket(bStats).ForEach(func(k, v []byte) error { counts[fmt.Sprintf("%x", k)] = fmt.Sprintf("%x", v); return nil })
		return tx.Bucket(bStatsOrgs).ForEach(func(k, v []byte) error { orgs[fmt.Sprintf("%x", k)] = true; return nil })
	})
	return counts, orgs
}

// StatsRebuiltForTest computes the counters from the certificates as the
// migration does, without storing them.
func (s *Store) StatsRebuiltForTest() (map[string]string, map[string]bool, error) {
	counts, orgs := map[string]string{}, map[string]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return statsRebuild(tx,
			func(k, v []byte) error { counts[fmt.Sprintf("%x", k)] = fmt.Sprintf("%x", v); return nil },
			func(k []byte) error { orgs[fmt.Sprintf("%x", k)] = true; return nil })
	})
	return counts, orgs, err
}

// RebuildStatsForTest runs the statistics migration again.
func (s *Store) RebuildStatsForTest() error { return s.db.Update(rebuildStatsTx) }

// DropStatsForTest empties the statistics buckets and sets the schema
// version back to before the statistics, as a database of an older binary.
func (s *Store) DropStatsForTest() error {
	before := -1
	for i, m := range migrations {
		if strings.HasSuffix(runtime.FuncForPC(reflect.ValueOf(m).Pointer()).Name(), ".rebuildStatsTx") {
			before = i
		}
	}
	if before < 0 {
		return fmt.Errorf("no statistics migration")
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bStats, bStatsOrgs} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put([]byte("schema"), itob(uint64(before)))
	})
}

// ReissueForTest does what a 补办 does to the counters and indexes: a new
// certificate from the current year's segment that keeps the old one's
// issue date, and the old one becoming 已补办.
func (s *Store) ReissueForTest(number string) (Certificate, error) {
	var nc Certificate
	err := s.db.Update(func(tx *bolt.Tx) error {
		var old Certificate
		if err := getCert(tx.Bucket(bCerts), []byte(number), &old); err != nil {
			return err
		}
		now := s.Now()
		first, sg, err := allocateTx(tx, now.In(cst).Year(), old.Region, old.Occupation, old.Level, 1, now)
		if err != nil {
			return err
		}
		ev := CertEvent{Time: now, Kind: "补办"}
		if err := s.changeCertStatusTx(tx, &old, CertSuperseded, ev); err != nil {
			return err
		}
		nc = old
		nc.Number, nc.Status, nc.Version, nc.Replaces, nc.ReplacedBy = fmt.Sprintf("%s%04d", sg.Code, first), CertValid, 1, old.Number, ""
		nc.History = []CertEvent{ev}
		old.ReplacedBy = nc.Number
		if err := s.putCertTx(tx, old); err != nil {
			return err
		}
		if err := s.putCertTx(tx, nc); err != nil {
			return err
		}
		if err := reindexCertTx(tx, nil, &nc); err != nil {
			return err
		}
		if err := tx.Bucket(bCertHolder).Put(holderKey(nc.IDNumber, nc.Occupation, nc.Level), []byte(nc.Number)); err != nil {
			return err
		}
		for _, id := range nc.Scopes() {
			if _, err := incr(tx, counterValidOrg(id), 1); err != nil {
				return err
			}
		}
		return statsAddTx(tx, nc, false)
	})
	return nc, err
}

// StatTerm is a period of a covered range, for tests.
type StatTerm struct {
	Kind byte // 'A', 'Y', 'M' or 'D'
	N    int  // year, month index (year×12 + month−1) or day number
	Sign int64
}

// StatsCoverForTest is statsCover.
func StatsCoverForTest(from, to, end int) []StatTerm {
	var out []StatTerm
	for _, t := range statsCover(from, to, end) {
		out = append(out, StatTerm{Kind: t.period[0], N: int(t.period[1])<<8 | int(t.period[2]), Sign: t.sign})
	}
	return out
}

// DayNumberForTest is the day number of t (days since 2000-01-01, China
// time).
func DayNumberForTest(t time.Time) int { return int(dayNumber(t)) }
