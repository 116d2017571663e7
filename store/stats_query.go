package store

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/data"
)

// StatsFilter selects the certificates the statistics count; every field
// may be combined with the others.
type StatsFilter struct {
	From, To   time.Time // issue-date range, whole days in China time; zero: open
	Occupation string    // 3-digit code; "": every occupation
	Level      int       // 1–5; 0: every level
	OrgType    OrgType   // Unit or Direct; "": both
}

// StatsView is one of the views of 统计分析.
type StatsView string

const (
	StatsByOrg   StatsView = "org"   // per city (chart) and per organisation (table)
	StatsByTrade StatsView = "trade" // occupation × level
	StatsByMonth StatsView = "month" // monthly trend
)

// StatsQuery asks for one view of the statistics.
type StatsQuery struct {
	StatsFilter
	View StatsView
	// Region is the city chosen in the province's chart (a prefecture code,
	// or the province's code + "00" for the 省直所); "" for none.
	Region string
	// OrgID narrows the trade and month views to one organisation of the
	// caller's scope; 0 for none.
	OrgID uint64
}

// StatsFigures are the four measures (see stats.go).
type StatsFigures struct {
	Issued, Valid, Cancelled, Superseded int64
}

func (f *StatsFigures) add(v statVec) {
	f.Issued += v[statIssued]
	f.Valid += v[statValid]
	f.Cancelled += v[statCancelled]
	f.Superseded += v[statSuperseded]
}

// Plus returns the sum of two sets of figures.
func (f StatsFigures) Plus(o StatsFigures) StatsFigures {
	return StatsFigures{f.Issued + o.Issued, f.Valid + o.Valid, f.Cancelled + o.Cancelled, f.Superseded + o.Superseded}
}

// Zero reports whether every figure is 0.
func (f StatsFigures) Zero() bool { return f == StatsFigures{} }

// StatsCity is one bar of the province's chart.
type StatsCity struct {
	Region string // 4 digits
	Name   string // 合肥市, or 省直属 for the 省直所
	StatsFigures
}

// StatsOrgRow is one training organisation of a table.
type StatsOrgRow struct {
	Org Org
	StatsFigures
}

// StatsCrossRow is one occupation of the occupation × level table.
type StatsCrossRow struct {
	Code, Name string
	Cells      []StatsFigures // one per level of StatsCross.Levels
	Total      StatsFigures
}

// StatsCross is the occupation × level table with its totals.
type StatsCross struct {
	Levels  []data.Level
	Rows    []StatsCrossRow // occupations with at least one certificate
	Columns []StatsFigures  // per level
	Total   StatsFigures
}

// StatsMonth is one month of the trend.
type StatsMonth struct {
	Month time.Time // the first day, China time
	StatsFigures
}

// StatsReport is what a view shows.
type StatsReport struct {
	Query StatsQuery
	// Cities: the province's chart, every city of the province and then
	// the 省直所 (view org).
	Cities []StatsCity
	// RegionName names Query.Region.
	RegionName string
	// Orgs: the organisations of the chosen city (province) or the dept's
	// units (view org), most certificates first.
	Orgs     []StatsOrgRow
	OrgTotal StatsFigures
	// Focus is the organisation Query.OrgID names (trade and month views).
	Focus Org
	Cross StatsCross   // view trade
	Trend []StatsMonth // view month
	// TrendCut: the range had more months than the trend shows (the last
	// MaxTrendMonths are shown).
	TrendCut bool
	// Total: every certificate of the view's scope under the filters.
	Total StatsFigures
}

// MaxTrendMonths is the most months a trend shows.
const MaxTrendMonths = 120

// DirectRegionName is how the statistics name the region of the 省直所.
const DirectRegionName = "省直属"

// StatsCities lists the regions of the province's chart: its cities and
// then the 省直所' region.
func StatsCities(province Org) []StatsCity {
	var out []StatsCity
	for _, c := range data.Cities(province.Region[:2]) {
		out = append(out, StatsCity{Region: c.Code, Name: c.Name})
	}
	return append(out, StatsCity{Region: province.Region, Name: DirectRegionName})
}

// StatsOccupations is the occupation catalogue by code, as the statistics'
// filter offers it, from the store's memory (org_cache.go) rather than
// decoded on every request.
func (s *Store) StatsOccupations() ([]Occupation, error) {
	all, err := s.catalog()
	return slices.Clone(all), err
}

// Stats answers one view of 统计分析 for the caller: the province over the
// whole province, a dept over its units. Every figure is read from the
// counters of stats.go.
func (s *Store) Stats(a Actor, q StatsQuery) (StatsReport, error) {
	rep := StatsReport{Query: q}
	// The actor, organisations and occupation names come from the store's
	// memory (org_cache.go): a view decodes no record.
	u, own, err := s.actorView(a)
	if err != nil {
		return rep, err
	}
	if !u.Can(own.Type, CapStatsView) || (own.Type != Province && own.Type != Dept) {
		return rep, ErrForbidden
	}
	f, err := q.normalise(s.Now())
	if err != nil {
		return rep, err
	}
	orgs, err := s.orgSnap()
	if err != nil {
		return rep, err
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		r := &statsReader{cur: tx.Bucket(bStats).Cursor(), level: f.level}
		if f.occ != nil {
			r.occ = f.occ[:]
		}
		cities := StatsCities(own)
		if own.Type == Province && q.Region != "" {
			i := slices.IndexFunc(cities, func(c StatsCity) bool { return c.Region == q.Region })
			if i < 0 {
				return invalid("region", "所选地市不在本省")
			}
			rep.RegionName = cities[i].Name
		}
		if own.Type != Province {
			q.Region, rep.Query.Region = "", ""
		}
		if q.OrgID != 0 {
			p := orgs.byID[q.OrgID]
			if p == nil || p.ID == own.ID || !own.Contains(*p) {
				return ErrNotFound
			}
			o := copyOrg(p)
			if q.View != StatsByOrg { // the organisation view lists them all
				rep.Focus = o
			}
		}
		switch q.View {
		case StatsByTrade:
			scopes := f.viewScopes(own, q.Region, rep.Focus)
			names, err := s.catalog()
			if err != nil {
				return err
			}
			rep.Cross = statsCross(r, scopes, f.terms, names)
			rep.Total = rep.Cross.Total
			return nil
		case StatsByMonth:
			scopes := f.viewScopes(own, q.Region, rep.Focus)
			rep.Trend, rep.TrendCut = statsTrend(r, scopes, f, s.Now())
			for _, m := range rep.Trend {
				rep.Total = rep.Total.Plus(m.StatsFigures)
			}
			return nil
		}
		var rows []Org
		if own.Type == Province {
			for _, c := range cities {
				var v statVec
				for _, typ := range f.types {
					sc := statCityScope(c.Region, typ)
					if r.has(sc) {
						r.add(&v, sc, f.terms)
					}
				}
				c.add(v)
				rep.Cities = append(rep.Cities, c)
				rep.Total = rep.Total.Plus(c.StatsFigures)
			}
			if q.Region == "" {
				return nil
			}
			if rows, err = statsRegionOrgsTx(tx, orgs, q.Region, f.types); err != nil {
				return err
			}
		} else {
			if rows, err = statsChildrenTx(tx, orgs, own.ID); err != nil {
				return err
			}
			rows = slices.DeleteFunc(rows, func(o Org) bool { return !slices.Contains(f.types, statTypeByte(o.Type)) })
		}
		for _, o := range rows {
			var v statVec
			r.add(&v, statOrgScope(o.ID), f.terms)
			row := StatsOrgRow{Org: o}
			row.add(v)
			rep.Orgs = append(rep.Orgs, row)
			rep.OrgTotal = rep.OrgTotal.Plus(row.StatsFigures)
		}
		slices.SortStableFunc(rep.Orgs, func(a, b StatsOrgRow) int {
			if a.Issued != b.Issued {
				return int(b.Issued - a.Issued)
			}
			if a.Valid != b.Valid {
				return int(b.Valid - a.Valid)
			}
			return strings.Compare(a.Org.Code, b.Org.Code)
		})
		if own.Type != Province {
			rep.Total = rep.OrgTotal
		}
		return nil
	})
	return rep, err
}

// statsFilter is a query's filter as keys and periods.
type statsFilter struct {
	occ      *[3]byte
	level    byte
	types    []byte // the organisation types counted
	terms    []statTerm
	from, to int // day numbers; to < from when nothing can match
	end      int // the last day any certificate can have
}

func (q StatsQuery) normalise(now time.Time) (statsFilter, error) {
	var f statsFilter
	switch {
	case q.Level < 0 || q.Level > 5:
		return f, invalid("level", "等级无效")
	case q.Occupation != "" && (len(q.Occupation) != 3 || strings.Trim(q.Occupation, "0123456789") != ""):
		return f, invalid("occupation", "职业（工种）无效")
	case !q.From.IsZero() && !q.To.IsZero() && IssueDay(q.From).After(IssueDay(q.To)):
		return f, invalid("to", "结束日期不能早于开始日期")
	}
	switch q.View {
	case StatsByOrg, StatsByTrade, StatsByMonth:
	default:
		return f, invalid("view", "统计视图无效")
	}
	switch q.OrgType {
	case "":
		f.types = []byte{statTypeByte(Unit), statTypeByte(Direct)}
	case Unit, Direct:
		f.types = []byte{statTypeByte(q.OrgType)}
	default:
		return f, invalid("type", "机构类型无效")
	}
	if q.Occupation != "" {
		o := statOcc(q.Occupation)
		f.occ = &o
	}
	if q.Level != 0 {
		f.level = byte('0' + q.Level)
	}
	// Nothing is issued after today; a year's margin keeps a clock set
	// back a little from losing anything.
	f.end = int(dayNumber(time.Date(now.In(cst).Year()+1, 12, 31, 12, 0, 0, 0, cst)))
	f.from, f.to = 0, f.end
	if !q.From.IsZero() {
		f.from = int(dayNumber(q.From))
	}
	if !q.To.IsZero() {
		if IssueDay(q.To).Before(time.Date(2000, 1, 1, 0, 0, 0, 0, cst)) {
			f.to = -1
		} else {
			f.to = min(int(dayNumber(q.To)), f.end)
		}
	}
	f.terms = statsCover(f.from, f.to, f.end)
	return f, nil
}

// viewScopes are the counter scopes of the trade and month views: the
// organisation focused on, else the chosen city, else the caller's whole
// scope, each under the organisation-type filter.
func (f statsFilter) viewScopes(own Org, region string, focus Org) [][]byte {
	has := func(t OrgType) bool { return slices.Contains(f.types, statTypeByte(t)) }
	switch {
	case focus.ID != 0:
		if focus.Type == Dept && !has(Unit) || (focus.Type == Unit || focus.Type == Direct) && !has(focus.Type) {
			return nil
		}
		return [][]byte{statOrgScope(focus.ID)}
	case own.Type == Province && region != "":
		var out [][]byte
		for _, t := range f.types {
			out = append(out, statCityScope(region, t))
		}
		return out
	case own.Type == Province && len(f.types) == 1:
		return [][]byte{statTypeScope(f.types[0])}
	case own.Type == Province:
		return [][]byte{statOrgScope(own.ID)}
	case !has(Unit): // a dept holds units only
		return nil
	}
	return [][]byte{statOrgScope(own.ID)}
}

// statsRegionOrgsTx lists the organisations of the given types that hold
// certificates of a region.
func statsRegionOrgsTx(tx *bolt.Tx, orgs *orgSnapshot, region string, types []byte) ([]Org, error) {
	var out []Org
	c := tx.Bucket(bStatsOrgs).Cursor()
	for _, typ := range types {
		prefix := append(fixedWidth(region, 4), typ)
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			o, err := orgs.get(btoi(k[len(prefix):]))
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// statsChildrenTx is childrenTx with the organisations taken from memory.
func statsChildrenTx(tx *bolt.Tx, orgs *orgSnapshot, parent uint64) ([]Org, error) {
	var out []Org
	prefix := itob(parent)
	c := tx.Bucket(bOrgChildren).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		o, err := orgs.get(btoi(k[8:]))
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b Org) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

// get is a copy of one organisation of the snapshot.
func (snap *orgSnapshot) get(id uint64) (Org, error) {
	o, ok := snap.byID[id]
	if !ok {
		return Org{}, fmt.Errorf("organisation %d: %w", id, ErrNotFound)
	}
	return copyOrg(o), nil
}

// statsReader reads counters for one occupation and level filter.
type statsReader struct {
	cur   *bolt.Cursor
	occ   []byte // nil: every occupation
	level byte   // 0: every level
	kb    []byte
}

// has reports whether a scope holds any certificate.
func (r *statsReader) has(scope []byte) bool {
	r.kb = append(append(r.kb[:0], scope...), statAll)
	k, _ := r.cur.Seek(r.kb)
	return k != nil && bytes.HasPrefix(k, r.kb)
}

// add adds a scope's figures over the periods to sum: one Seek per period
// and, without a level, the short run of that occupation's (or the
// totals') levels.
func (r *statsReader) add(sum *statVec, scope []byte, terms []statTerm) {
	occ := r.occ
	if occ == nil {
		occ = statAnyOcc[:]
	}
	for _, t := range terms {
		r.kb = append(append(append(r.kb[:0], scope...), t.period[:]...), occ...)
		if r.level != 0 {
			r.kb = append(r.kb, r.level)
			if k, v := r.cur.Seek(r.kb); k != nil && bytes.Equal(k, r.kb) {
				sum.add(decodeStat(v), t.sign)
			}
			continue
		}
		for k, v := r.cur.Seek(r.kb); k != nil && bytes.HasPrefix(k, r.kb); k, v = r.cur.Next() {
			sum.add(decodeStat(v), t.sign)
		}
	}
}

// statsCrossTx reads the occupation × level table of the scopes: one Seek
// and one scan of a period's cells per scope and period.
func statsCross(r *statsReader, scopes [][]byte, terms []statTerm, catalog []Occupation) StatsCross {
	cross := StatsCross{Levels: data.Levels()}
	cells := map[[4]byte]statVec{}
	for _, sc := range scopes {
		for _, t := range terms {
			prefix := append(append(r.kb[:0], sc...), t.period[:]...)
			if r.occ != nil {
				prefix = append(prefix, r.occ...)
			}
			r.kb = prefix
			for k, v := r.cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = r.cur.Next() {
				var cell [4]byte
				copy(cell[:], k[len(k)-4:])
				if cell[0] == '*' || (r.level != 0 && cell[3] != r.level) {
					continue
				}
				sum := cells[cell]
				sum.add(decodeStat(v), t.sign)
				cells[cell] = sum
			}
		}
	}
	names := make(map[string]string, len(catalog))
	for _, o := range catalog {
		names[o.Code] = o.Name
	}
	rows := map[string]*StatsCrossRow{}
	cross.Columns = make([]StatsFigures, len(cross.Levels))
	for cell, v := range cells {
		if v == (statVec{}) {
			continue
		}
		code := string(cell[:3])
		row := rows[code]
		if row == nil {
			row = &StatsCrossRow{Code: code, Name: names[code], Cells: make([]StatsFigures, len(cross.Levels))}
			if row.Name == "" {
				row.Name = code
			}
			rows[code] = row
		}
		i := slices.IndexFunc(cross.Levels, func(l data.Level) bool { return byte('0'+l.Code) == cell[3] })
		if i < 0 {
			continue
		}
		row.Cells[i].add(v)
		row.Total.add(v)
		cross.Columns[i].add(v)
		cross.Total.add(v)
	}
	for _, row := range rows {
		cross.Rows = append(cross.Rows, *row)
	}
	slices.SortFunc(cross.Rows, func(a, b StatsCrossRow) int { return strings.Compare(a.Code, b.Code) })
	return cross
}

// statsTrend reads the figures of every month of the range: from the first
// month the scopes hold (or the range's start) to the range's end (or this
// month).
func statsTrend(r *statsReader, scopes [][]byte, f statsFilter, now time.Time) ([]StatsMonth, bool) {
	if len(scopes) == 0 || f.to < f.from {
		return nil, false
	}
	from, to := f.from, f.to
	if from == 0 {
		first := -1
		for _, sc := range scopes {
			prefix := append(append(r.kb[:0], sc...), statDay)
			r.kb = prefix
			if k, _ := r.cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
				d := int(k[len(prefix)])<<8 | int(k[len(prefix)+1])
				if first < 0 || d < first {
					first = d
				}
			}
		}
		if first < 0 {
			return nil, false
		}
		from = max(from, first)
	}
	if to >= f.end { // an open end: up to this month
		y, m, _ := now.In(cst).Date()
		to = dayOfDate(y, m+1, 1) - 1
	}
	if to < from {
		return nil, false
	}
	start, stop := monthOfDay(from), monthOfDay(to)
	cut := false
	if stop-start+1 > MaxTrendMonths {
		start, cut = stop-MaxTrendMonths+1, true
		from = monthStartDay(start)
	}
	var out []StatsMonth
	for mi := start; mi <= stop; mi++ {
		first, last := monthStartDay(mi), monthStartDay(mi+1)-1
		lo, hi := max(from, first), min(to, last)
		terms := []statTerm{periodTerm(statMonth, mi, 1)}
		if lo != first || hi != last { // only the range's first and last months can be partial
			terms = statsCover(lo, hi, f.end)
		}
		var v statVec
		for _, sc := range scopes {
			r.add(&v, sc, terms)
		}
		m := StatsMonth{Month: time.Date(mi/12, time.Month(mi%12+1), 1, 0, 0, 0, 0, cst)}
		m.add(v)
		out = append(out, m)
	}
	return out, cut
}
