package store

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// BulkLoadCertificates writes n certificates made by gen(i) with everything
// issuance keeps (records, library indexes and counters, holder and batch
// indexes, valid, monthly and statistics counters, segments), as sorted
// keys appended in large transactions. A certificate that replaces another
// (Replaces set) counts as a reissue, any other as registered. It is for loading many certificates at once into a
// database that holds none of their numbers: the old system's records, or
// the two-million-certificate store of the benchmarks. gen must give
// ascending numbers; each certificate's OrgID and OrgPath must name existing
// organisations. Nothing is logged but the certificates' content hashes
// (chain.go), in entries of 50,000.
func (s *Store) BulkLoadCertificates(n int, gen func(i int) Certificate) error {
	if n <= 0 {
		return nil
	}
	// Records arrive in number order and go straight in, 32 MB at a time;
	// index keys are collected per field and sorted.
	recs := newArena(0)
	holders := newArena(n)
	batch := newArena(0)
	fields := map[byte]*arena{}
	for _, f := range ixFields {
		fields[f] = newArena(2 * n)
		fields[f].buf = make([]byte, 0, 2*n*32)
	}
	counts := map[string]int64{}
	named := map[string]int64{}
	type seg struct{ max, n int }
	segs := map[string]*seg{}
	prev := ""
	lastDay := uint16(0)
	seals := make([]byte, 0, n*sealRowLen)
	for i := 0; i < n; i++ {
		c := gen(i)
		if c.Number <= prev {
			return fmt.Errorf("bulk load: number %s after %s: numbers must ascend", c.Number, prev)
		}
		prev = c.Number
		lastDay = max(lastDay, dayNumber(c.IssueDate))
		raw, err := encodeCert(nil, &c)
		if err != nil {
			return err
		}
		recs.add([]byte(c.Number), raw)
		if seals, err = sealRow(seals, &c); err != nil {
			return err
		}
		if len(recs.buf) > 32<<20 {
			if err := s.appendSorted(bCerts, recs); err != nil {
				return err
			}
			recs = newArena(0)
		}
		// Every loaded certificate goes to the main ranges; the watermark is
		// raised to the last of their days before the entries are written.
		entries, cks, err := certIndex(&c, noRecent)
		if err != nil {
			return err
		}
		for _, e := range entries {
			fields[e.key[0]|0x20].add(e.key, e.val) // both cases of a field in one arena
		}
		for _, k := range cks {
			counts[string(k)]++
		}
		if c.Status == CertValid {
			holders.add(holderKey(c.IDNumber, c.Occupation, c.Level), []byte(c.Number))
		}
		if c.BatchID != 0 {
			batch.add(key(itob(c.BatchID), []byte(c.Number)), nil)
		}
		month := IssueDay(c.IssueDate).Format("200601")
		for _, id := range c.Scopes() {
			if c.Status == CertValid {
				named[counterValidOrg(id)]++
			}
			if c.Replaces == "" { // a reissue is no new registration (as reissueTx)
				named[counterIssuedMonth(id, month)]++
			}
		}
		serial, _ := strconv.Atoi(c.Number[10:])
		sg := segs[c.Number[:10]]
		if sg == nil {
			sg = &seg{}
			segs[c.Number[:10]] = sg
		}
		sg.max, sg.n = max(sg.max, serial), sg.n+1
	}

	// Sort the index arenas two at a time while the records go in.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for _, a := range append([]*arena{holders, batch}, mapValues(fields)...) {
		wg.Add(1)
		go func(a *arena) {
			defer wg.Done()
			sem <- struct{}{}
			a.sort()
			<-sem
		}(a)
	}
	if err := s.appendSorted(bCerts, recs); err != nil {
		wg.Wait()
		return err
	}
	wg.Wait()
	for _, a := range []*arena{holders} {
		for i := 1; i < a.len(); i++ {
			if bytes.Equal(a.key(i-1), a.key(i)) {
				return fmt.Errorf("bulk load: two valid certificates for one holder, occupation and level (%s)", a.val(i))
			}
		}
	}
	if err := s.appendSorted(bCertHolder, holders); err != nil {
		return err
	}
	if err := s.appendSorted(bCertBatch, batch); err != nil {
		return err
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		_, err := mergeRecentTx(tx, lastDay)
		return err
	}); err != nil {
		return err
	}
	for _, f := range ixFields {
		if err := s.appendRuns(fields[f]); err != nil {
			return err
		}
		fields[f] = nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		// In key order: a transaction's nodes split only at commit, so
		// random inserts into one node would move it again and again.
		if err := addCountsTx(tx, counts); err != nil {
			return err
		}
		for _, k := range sortedKeys(named) {
			if _, err := incr(tx, k, named[k]); err != nil {
				return err
			}
		}
		now := s.Now()
		for code, g := range segs {
			var sg Segment
			switch err := getJSON(tx.Bucket(bSegments), []byte(code), &sg); err {
			case nil:
			case ErrNotFound:
				year, _ := strconv.Atoi(code[:2])
				lv, _ := strconv.Atoi(code[9:10])
				sg = Segment{Code: code, Year: 2000 + year, Region: code[2:6], Occupation: code[6:9], Level: lv,
					Start: SegmentStart, End: SegmentEnd, Current: SegmentStart - 1}
			default:
				return err
			}
			sg.Current, sg.Issued, sg.Updated = max(sg.Current, g.max), sg.Issued+g.n, now
			if err := putJSON(tx.Bucket(bSegments), []byte(code), sg); err != nil {
				return err
			}
		}
		const perEntry = 50000 * sealRowLen
		for i := 0; i < len(seals); i += perEntry {
			if err := addSealsTx(tx, seals[i:min(i+perEntry, len(seals))]); err != nil {
				return err
			}
			if err := sealPendingTx(tx, now, "批量导入"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The statistics counters, from every certificate as the migration
	// builds them.
	return s.rebuildStats()
}

func sortedKeys(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func mapValues(m map[byte]*arena) []*arena {
	out := make([]*arena, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// appendRuns writes an arena's sorted index entries in transactions of
// about 32 MB. They are merged into the runs already there
// (cert_index_runs.go): a group may hold entries of certificates issued
// before, between the loaded ones, and runs must not overlap. Entries
// after a group's last run are appended as full runs.
func (s *Store) appendRuns(a *arena) error {
	const chunk = 32 << 20
	for i := 0; i < a.len(); {
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bCertIx)
			b.FillPercent = 1 // mostly appended in key order
			var ops []ixOp
			for size := 0; i < a.len() && size < chunk; i++ {
				ops = append(ops, ixOp{a.key(i), a.val(i)})
				size += len(a.key(i)) + sumLen
			}
			return applyIx(b, ops)
		})
		if err != nil {
			return fmt.Errorf("bulk load index: %w", err)
		}
	}
	return nil
}

// appendSorted writes an arena's sorted pairs in transactions of about
// 32 MB, with full pages as the keys arrive in order.
func (s *Store) appendSorted(bucket []byte, a *arena) error {
	const chunk = 32 << 20
	for i := 0; i < a.len(); {
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucket)
			b.FillPercent = 0.9
			if bytes.Equal(bucket, bCerts) {
				b.FillPercent = 1 // later numbers come after these
			}
			size := 0
			for ; i < a.len() && size < chunk; i++ {
				k, v := a.key(i), a.val(i)
				if v == nil {
					v = []byte{}
				}
				if err := b.Put(k, v); err != nil {
					return err
				}
				size += len(k) + len(v)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("bulk load %s: %w", bucket, err)
		}
	}
	return nil
}

// arena holds many key/value pairs in one buffer.
type arena struct {
	buf  []byte
	ents []arenaEnt
}

type arenaEnt struct {
	off    uint32
	kl, vl uint16
	big    uint32 // high bits of off for buffers past 4 GB
}

func newArena(n int) *arena { return &arena{ents: make([]arenaEnt, 0, n)} }

func (a *arena) add(k, v []byte) {
	off := len(a.buf)
	a.buf = append(append(a.buf, k...), v...)
	a.ents = append(a.ents, arenaEnt{off: uint32(off), big: uint32(uint64(off) >> 32), kl: uint16(len(k)), vl: uint16(len(v))})
}

func (a *arena) len() int { return len(a.ents) }

func (e arenaEnt) start() int { return int(uint64(e.big)<<32 | uint64(e.off)) }

func (a *arena) key(i int) []byte {
	e := a.ents[i]
	return a.buf[e.start() : e.start()+int(e.kl)]
}

func (a *arena) val(i int) []byte {
	e := a.ents[i]
	if e.vl == 0 {
		return nil
	}
	s := e.start() + int(e.kl)
	return a.buf[s : s+int(e.vl)]
}

func (a *arena) sort() {
	slices.SortFunc(a.ents, func(x, y arenaEnt) int {
		return bytes.Compare(a.buf[x.start():x.start()+int(x.kl)], a.buf[y.start():y.start()+int(y.kl)])
	})
}
