package store

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The lists of businesses, each read from its index: 已申请业务 (bBizOrg),
// the reviewers' 待审核 and 已审核 per kind (bBizQueue, bBizReviewed), the
// province's 业务总览 (bBizOverview), 业务打印 (bBizPrint) and a
// certificate's businesses (bBizCert). Filters on kind and state are
// answered from the index values; the records of the page only are decoded,
// except for a text search, which decodes the rows of the index range it
// walks (one organisation's or reviewer's own, never the whole bucket).

// BizFilter selects businesses in a list.
type BizFilter struct {
	Kind     BizKind  // "" = all
	State    BizState // "" = all
	Q        string   // certificate number or holder name contains
	OrgID    uint64   // overview: one applying organisation (0 = all)
	From, To time.Time
	Offset   int
	Limit    int
}

func (f *BizFilter) limits() {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 20
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	f.Q = strings.TrimSpace(f.Q)
}

// matchText matches the search text as people type it: a number (full-width
// digits too) or a name (spaces and middle-dot variants ignored).
func (f BizFilter) matchText(b Business) bool {
	if f.Q == "" {
		return true
	}
	num, name := NormalizeNumber(f.Q), NormalizeName(f.Q)
	return (num != "" && (strings.Contains(b.Number, num) || strings.Contains(b.NewNumber, num))) ||
		(name != "" && (strings.Contains(NormalizeName(b.Old.Name), name) || strings.Contains(NormalizeName(b.New.Name), name)))
}

func (f BizFilter) inRange(t time.Time) bool {
	return (f.From.IsZero() || !t.Before(f.From)) && (f.To.IsZero() || t.Before(f.To))
}

// BizPage is one page of a list with whether more follow.
type BizPage struct {
	Items   []Business
	Total   int // rows matching (lists that count); -1 when not counted
	HasMore bool
}

// AppliedBusinesses lists the businesses the actor's organisation applied
// for, newest first (已申请业务).
func (s *Store) AppliedBusinesses(a Actor, f BizFilter) (BizPage, error) {
	f.limits()
	var page BizPage
	err := s.db.View(func(tx *bolt.Tx) error {
		_, own, err := applicantTx(tx, a)
		if err != nil {
			return err
		}
		prefix := itob(own.ID)
		c := tx.Bucket(bBizOrg).Cursor()
		k, v := seekLast(c, prefix)
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
			if (f.Kind != "" && bizKindOf(v[0]) != f.Kind) || (f.State != "" && bizStateOf(v[1]) != f.State) {
				continue
			}
			if !f.inRange(time.UnixMilli(int64(btoi(k[8:16])))) {
				continue
			}
			if err := collect(tx, &page, f, btoi(k[16:24])); err != nil {
				return err
			}
		}
		return nil
	})
	return page, err
}

// collect counts one index row and decodes it if it is on the page (or
// needed for the text filter).
func collect(tx *bolt.Tx, page *BizPage, f BizFilter, id uint64) error {
	if f.Q == "" && (page.Total < f.Offset || len(page.Items) >= f.Limit) {
		page.Total++
		page.HasMore = page.Total > f.Offset+f.Limit
		return nil
	}
	b, err := getBusinessTx(tx, id)
	if err != nil {
		return err
	}
	if !f.matchText(b) {
		return nil
	}
	if page.Total >= f.Offset && len(page.Items) < f.Limit {
		page.Items = append(page.Items, b)
	}
	page.Total++
	page.HasMore = page.Total > f.Offset+f.Limit
	return nil
}

// seekLast places c on the last key with prefix (or returns nil).
func seekLast(c *bolt.Cursor, prefix []byte) ([]byte, []byte) {
	end := append(append([]byte(nil), prefix...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	if k, _ := c.Seek(end); k == nil {
		return c.Last()
	}
	return c.Prev()
}

// ReviewBusinesses lists one kind of business for the actor's organisation
// as reviewer: waiting for its review, oldest first, or reviewed by it,
// newest first.
func (s *Store) ReviewBusinesses(a Actor, kind BizKind, tab ReviewTab, f BizFilter) (BizPage, error) {
	f.limits()
	if !ValidBizKind(kind) {
		return BizPage{}, fmt.Errorf("review list of kind %q: %w", kind, ErrNotFound)
	}
	var page BizPage
	err := s.db.View(func(tx *bolt.Tx) error {
		_, own, err := reviewerTx(tx, a)
		if err != nil {
			return err
		}
		prefix := key(itob(own.ID), []byte{kind.code()})
		if tab == ReviewDone {
			c := tx.Bucket(bBizReviewed).Cursor()
			k, v := seekLast(c, prefix)
			for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
				if f.State != "" && bizStateOf(v[0]) != f.State {
					continue
				}
				if !f.inRange(time.UnixMilli(int64(btoi(k[9:17])))) {
					continue
				}
				if err := collect(tx, &page, f, btoi(k[17:25])); err != nil {
					return err
				}
			}
			return nil
		}
		c := tx.Bucket(bBizQueue).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if !f.inRange(time.UnixMilli(int64(btoi(k[9:17])))) {
				continue
			}
			if err := collect(tx, &page, f, btoi(k[17:25])); err != nil {
				return err
			}
		}
		return nil
	})
	return page, err
}

// OverviewRow is one row of the 业务总览: a business, or a batch's
// registration (Batch set, Business zero).
type OverviewRow struct {
	Kind     BizKind
	State    BizState
	Business Business
	Batch    *Batch
	Org      Org
	Created  time.Time
}

// BusinessOverview lists every business of every organisation and every
// batch registration, newest first (业务总览: the province, business.overview).
// Filters: kind, state, applying organisation and date of application; the
// page is found by walking the overview index, decoding only its rows.
func (s *Store) BusinessOverview(a Actor, f BizFilter) ([]OverviewRow, bool, error) {
	f.limits()
	return s.businessOverview(a, f)
}

// MaxBizExportRows is the most rows one export of the 业务总览 holds.
const MaxBizExportRows = 20000

// bizExportCap is MaxBizExportRows, lowered by tests.
var bizExportCap = MaxBizExportRows

// BusinessOverviewExport returns every row of the 业务总览 that f selects
// (ignoring its paging), in the list's order, in one walk of the index;
// more than MaxBizExportRows is a validation error asking for narrower
// filters.
func (s *Store) BusinessOverviewExport(a Actor, f BizFilter) ([]OverviewRow, error) {
	f.Offset, f.Limit = 0, bizExportCap
	rows, more, err := s.businessOverview(a, f)
	if err != nil {
		return nil, err
	}
	if more {
		return nil, invalid("", fmt.Sprintf("筛选结果超过 %d 条，不能一次导出，请缩小日期范围或增加筛选条件后再导出", bizExportCap))
	}
	return rows, nil
}

// LogBizExport records an export of the 业务总览 in the operation log: how
// many rows, with which filters.
func (s *Store) LogBizExport(a Actor, rows int, filter string) error {
	return s.Log(a, ActBizExport, fmt.Sprintf("%d 条", rows), filter, true)
}

func (s *Store) businessOverview(a Actor, f BizFilter) ([]OverviewRow, bool, error) {
	var rows []OverviewRow
	more := false
	err := s.db.View(func(tx *bolt.Tx) error {
		u, own, err := actorTx(tx, a)
		if err != nil {
			return err
		}
		if own.Type != Province || !u.Can(own.Type, CapBusinessOverview) {
			return ErrForbidden
		}
		c := tx.Bucket(bBizOverview).Cursor()
		var k, v []byte
		if f.To.IsZero() {
			k, v = c.Last()
		} else {
			if k, _ = c.Seek(itob(uint64(f.To.UnixMilli()))); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		}
		skip := f.Offset
		orgs := map[uint64]Org{}
		for ; k != nil; k, v = c.Prev() {
			at := time.UnixMilli(int64(btoi(k[:8])))
			if !f.From.IsZero() && at.Before(f.From) {
				break
			}
			kind, st, orgID := bizKindOf(v[0]), bizStateOf(v[1]), btoi(v[2:10])
			if (f.Kind != "" && kind != f.Kind) || (f.State != "" && st != f.State) || (f.OrgID != 0 && orgID != f.OrgID) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			if len(rows) == f.Limit {
				more = true
				return nil
			}
			row := OverviewRow{Kind: kind, State: st, Created: at}
			id := btoi(k[9:17])
			if k[8] == 'G' {
				b, err := getBatchTx(tx, id)
				if err != nil {
					return err
				}
				row.Batch = &b
			} else if row.Business, err = getBusinessTx(tx, id); err != nil {
				return err
			}
			o, ok := orgs[orgID]
			if !ok {
				if o, err = orgTx(tx, orgID); err != nil {
					return err
				}
				orgs[orgID] = o
			}
			row.Org = o
			rows = append(rows, row)
		}
		return nil
	})
	return rows, more, err
}

// Business returns a business the actor's organisation may see (its own, or
// one below it).
func (s *Store) Business(a Actor, id uint64) (Business, error) {
	var b Business
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		b, err = businessForTx(tx, a, id)
		return err
	})
	return b, err
}

// BusinessProof returns a proof image of a business the actor may see and
// the path of its content.
func (s *Store) BusinessProof(a Actor, id uint64, hash string) (StoredFile, string, error) {
	b, err := s.Business(a, id)
	if err != nil {
		return StoredFile{}, "", err
	}
	f, ok := b.Image(hash)
	if !ok {
		return StoredFile{}, "", fmt.Errorf("proof of business %d: %w", id, ErrNotFound)
	}
	p, err := s.FilePath(hash)
	if err != nil {
		return StoredFile{}, "", err
	}
	return f, p, nil
}

// CertificateBusinesses returns every business of a certificate that viewer
// may see, oldest first, and the open one (if any).
func (s *Store) CertificateBusinesses(viewer Org, number string) ([]Business, *Business, error) {
	var out []Business
	var open *Business
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := []byte(number)
		c := tx.Bucket(bBizCert).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Next() {
			b, err := getBusinessTx(tx, btoi(k[len(prefix):]))
			if err != nil {
				return err
			}
			if b.inScope(viewer.ID) {
				out = append(out, b)
				if b.State.Open() {
					bb := b
					open = &bb
				}
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, open, err
}

// OpenBusinesses returns, for each of numbers that has an open business, that
// business's kind and state (for the 申请业务 list).
func (s *Store) OpenBusinesses(numbers []string) (map[string]Business, error) {
	out := map[string]Business{}
	err := s.db.View(func(tx *bolt.Tx) error {
		open := tx.Bucket(bBizOpen)
		for _, n := range numbers {
			if id := open.Get([]byte(n)); id != nil {
				b, err := getBusinessTx(tx, btoi(id))
				if err != nil {
					return err
				}
				out[n] = b
			}
		}
		return nil
	})
	return out, err
}

// BizPrintPage is a page of the 业务打印 list: certificates with the business
// that put them there.
type BizPrintPage struct {
	Certs    []Certificate
	Business map[string]Business // by certificate number
	Total    int
}

// BusinessPrints lists the actor's organisation's certificates whose name
// or ID change or reissue was approved and which were not printed since.
func (s *Store) BusinessPrints(a Actor, offset, limit int) (BizPrintPage, error) {
	if limit <= 0 || limit > 200 {
		limit = 20
	}
	page := BizPrintPage{Business: map[string]Business{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		u, own, err := actorTx(tx, a)
		if err != nil {
			return err
		}
		if (own.Type != Unit && own.Type != Direct) || !u.Can(own.Type, CapCertPrint) {
			return ErrForbidden
		}
		prefix := itob(own.ID)
		c := tx.Bucket(bBizPrint).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			page.Total++
			if page.Total <= offset || len(page.Certs) >= limit {
				continue
			}
			var cert Certificate
			if err := getCert(tx.Bucket(bCerts), k[8:], &cert); err != nil {
				return err
			}
			b, err := getBusinessTx(tx, btoi(v))
			if err != nil {
				return err
			}
			page.Certs = append(page.Certs, cert)
			page.Business[cert.Number] = b
		}
		return nil
	})
	return page, err
}

// BizQueueCounts returns how many businesses of each kind wait for the
// organisation's review, from the counters.
func (s *Store) BizQueueCounts(orgID uint64) (map[BizKind]uint64, error) {
	out := map[BizKind]uint64{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCounters)
		for _, k := range BizKinds {
			out[k] = btoi(c.Get([]byte(counterBizQueue(orgID, k))))
		}
		return nil
	})
	return out, err
}

// BizStateCounts returns how many of the organisation's own businesses are in
// each state, from the counters.
func (s *Store) BizStateCounts(orgID uint64) (map[BizState]uint64, error) {
	out := map[BizState]uint64{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCounters)
		for _, st := range BizStates {
			out[st] = btoi(c.Get([]byte(counterBizOrg(orgID, st))))
		}
		return nil
	})
	return out, err
}

// ApplicableCertificates is the 申请业务 list: the actor's own organisation's
// valid certificates, for a user holding business.apply (cert.view is not
// needed to apply for a business on one's own certificates).
func (s *Store) ApplicableCertificates(a Actor, q CertQuery) (CertPage, error) {
	var page CertPage
	err := s.db.View(func(tx *bolt.Tx) error {
		if _, _, err := applicantTx(tx, a); err != nil {
			return err
		}
		q.OrgID, q.Status = 0, CertValid
		f, err := q.normalise(a.OrgID, MaxCertPage)
		if err != nil {
			return err
		}
		page, err = queryCertsTx(tx, f)
		return err
	})
	return page, err
}
