package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// statsRebuild computes every statistics counter from the certificates of
// the database, with the same origins, periods and cells as statsAddTx, and
// hands them to emit in ascending key order: the counters of bStats, then
// the keys of bStatsOrgs. A certificate counts as registered unless it
// replaces another (a reissue).
func statsRebuild(tx *bolt.Tx, emitCount func(k, v []byte) error, emitOrg func(k []byte) error) error {
	sb := newStatsBuilder(tx)
	var cert Certificate
	err := tx.Bucket(bCerts).ForEach(func(k, v []byte) error {
		if err := decodeCert(k, v, &cert); err != nil {
			return fmt.Errorf("certificate %s: %w", k, err)
		}
		return sb.add(&cert)
	})
	if err != nil {
		return err
	}
	return sb.emit(emitCount, emitOrg)
}

// statsBuilder sums certificates into the finest cells of the counters;
// emit then spreads them over every scope, period and cell (statsRebuild,
// and the check, which feeds it the certificates it reads anyway).
type statsBuilder struct {
	origins *statOrigins
	fine    map[statFine]statVec
}

func newStatsBuilder(tx *bolt.Tx) *statsBuilder {
	return &statsBuilder{origins: newStatOrigins(tx), fine: map[statFine]statVec{}}
}

// add counts one certificate (only its number, occupation, level,
// organisation, path, region, issue date, status and Replaces are read).
func (sb *statsBuilder) add(c *Certificate) error {
	o, err := sb.origins.of(c)
	if err != nil {
		return err
	}
	f := fineOf(o, c)
	sum := sb.fine[f]
	sum.add(certVec(c.Status, c.Replaces == ""), 1)
	sb.fine[f] = sum
	return nil
}

// emit hands every counter to emitCount and every origin to emitOrg, each
// in ascending key order.
func (sb *statsBuilder) emit(emitCount func(k, v []byte) error, emitOrg func(k []byte) error) error {
	scopes, one := sb.spread()
	var kb []byte
	var err error
	for _, sc := range scopes {
		if kb, err = one(sc, kb, emitCount); err != nil {
			return err
		}
	}
	return sb.emitOrigins(emitOrg)
}

// emitConcurrently is emit with the scopes shared out among n goroutines,
// each handing its counters, in ascending order, to its own emitCount(i).
func (sb *statsBuilder) emitConcurrently(n int, emitCount func(i int) func(k, v []byte) error, emitOrg func(k []byte) error) error {
	scopes, one := sb.spread()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			emit := emitCount(i)
			var kb []byte
			for j := i; j < len(scopes) && errs[i] == nil; j += n {
				kb, errs[i] = one(scopes[j], kb, emit)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return sb.emitOrigins(emitOrg)
}

// spread lists the scopes, ascending, and returns the function that emits
// one scope's counters (each scope sums the fine cells of its origins over
// every period and cell); it may run on several goroutines at once.
func (sb *statsBuilder) spread() ([]string, func(sc string, kb []byte, emit func(k, v []byte) error) ([]byte, error)) {
	origins, fine := sb.origins, sb.fine
	// The fine entries of each origin, and the origins of each scope.
	type entry struct {
		f statFine
		v statVec
	}
	byOrigin := make([][]entry, len(origins.list))
	for f, v := range fine {
		byOrigin[f.origin] = append(byOrigin[f.origin], entry{f, v})
	}
	sb.fine = nil
	scopeOrigins := map[string][]int32{}
	for i, o := range origins.list {
		for _, sc := range o.scopes() {
			scopeOrigins[string(sc)] = append(scopeOrigins[string(sc)], int32(i))
		}
	}
	scopes := make([]string, 0, len(scopeOrigins))
	for sc := range scopeOrigins {
		scopes = append(scopes, sc)
	}
	slices.Sort(scopes)
	return scopes, func(sc string, kb []byte, emit func(k, v []byte) error) ([]byte, error) {
		agg := map[uint64]statVec{}
		for _, o := range scopeOrigins[sc] {
			for _, e := range byOrigin[o] {
				for _, t := range statTails(e.f.day, e.f.occ, e.f.level) {
					v := agg[t]
					v.add(e.v, 1)
					agg[t] = v
				}
			}
		}
		tails := make([]uint64, 0, len(agg))
		for t := range agg {
			tails = append(tails, t)
		}
		slices.Sort(tails)
		for _, t := range tails {
			raw, err := encodeStat(agg[t])
			if err != nil {
				return kb, err
			}
			kb = appendTail(append(kb[:0], sc...), t)
			if err := emit(kb, raw); err != nil {
				return kb, err
			}
		}
		return kb, nil
	}
}

// emitOrigins hands every origin's registry key to emitOrg, ascending.
func (sb *statsBuilder) emitOrigins(emitOrg func(k []byte) error) error {
	regs := make([][]byte, 0, len(sb.origins.list))
	for _, o := range sb.origins.list {
		regs = append(regs, o.registryKey())
	}
	slices.SortFunc(regs, bytes.Compare)
	for i, k := range regs {
		if i > 0 && bytes.Equal(k, regs[i-1]) {
			continue
		}
		if err := emitOrg(k); err != nil {
			return err
		}
	}
	return nil
}

// rebuildStatsTx replaces the statistics counters by ones computed from the
// certificates, inside one transaction: the migration that introduces them
// (and re-running it changes nothing).
func rebuildStatsTx(tx *bolt.Tx) error {
	for _, name := range [][]byte{bStats, bStatsOrgs} {
		if err := resetBucketTx(tx, name); err != nil {
			return err
		}
	}
	counts, orgs := tx.Bucket(bStats), tx.Bucket(bStatsOrgs)
	counts.FillPercent, orgs.FillPercent = 0.9, 0.9
	return statsRebuild(tx,
		func(k, v []byte) error { return counts.Put(append([]byte(nil), k...), v) },
		func(k []byte) error { return orgs.Put(k, []byte{}) })
}

// rebuildStats is rebuildStatsTx for a database loaded in bulk: computed in
// one read transaction and written in large sorted transactions, as
// BulkLoadCertificates writes everything else.
func (s *Store) rebuildStats() error {
	counts, orgs := newArena(0), newArena(0)
	err := s.db.View(func(tx *bolt.Tx) error {
		return statsRebuild(tx,
			func(k, v []byte) error { counts.add(k, v); return nil },
			func(k []byte) error { orgs.add(k, nil); return nil })
	})
	if err != nil {
		return fmt.Errorf("rebuild statistics: %w", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bStats, bStatsOrgs} {
			if err := resetBucketTx(tx, name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.appendSorted(bStats, counts); err != nil {
		return err
	}
	return s.appendSorted(bStatsOrgs, orgs)
}

// resetBucketTx replaces a bucket by an empty one.
func resetBucketTx(tx *bolt.Tx, name []byte) error {
	if tx.Bucket(name) != nil {
		if err := tx.DeleteBucket(name); err != nil {
			return err
		}
	}
	_, err := tx.CreateBucket(name)
	return err
}
