package store

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/data"
)

// CertStatus is 有效, 已注销 or 已补办 (superseded by a reissue).
type CertStatus string

const (
	CertValid      CertStatus = "valid"
	CertCancelled  CertStatus = "cancelled"
	CertSuperseded CertStatus = "superseded"
)

// Label is the Chinese name of the status.
func (s CertStatus) Label() string {
	switch s {
	case CertValid:
		return "有效"
	case CertCancelled:
		return "已注销"
	case CertSuperseded:
		return "已补办"
	}
	return string(s)
}

// CertEvent is one line of a certificate's history: its registration by a
// batch, every business on it, status changes and printing.
type CertEvent struct {
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"` // 注册, 变更, 补办, 注销, 激活, 打印
	Username string    `json:"username,omitempty"`
	OrgName  string    `json:"org_name,omitempty"`
	Detail   string    `json:"detail,omitempty"`
}

// Certificate is an issued 职业培训合格证.
type Certificate struct {
	Number         string      `json:"number"`
	Name           string      `json:"name"`
	Gender         string      `json:"gender"`
	IDNumber       string      `json:"id_number"`
	WorkUnit       string      `json:"work_unit"`
	Phone          string      `json:"phone,omitempty"`
	Occupation     string      `json:"occupation"` // 3-digit code
	OccupationName string      `json:"occupation_name"`
	Level          int         `json:"level"`
	OrgID          uint64      `json:"org_id"` // the issuing organisation (unit or 省直所)
	OrgName        string      `json:"org_name"`
	OrgPath        []uint64    `json:"org_path,omitempty"` // its ancestors
	Region         string      `json:"region"`
	BatchID        uint64      `json:"batch_id,omitempty"`
	IssueDate      time.Time   `json:"issue_date"` // midnight China time of the day of issue
	Status         CertStatus  `json:"status"`
	Version        int         `json:"version"`
	Printed        bool        `json:"printed,omitempty"`     // 打印状态: printed, or marked printed by hand
	PrintCount     int         `json:"print_count,omitempty"` // times printed through the system
	LastPrinted    time.Time   `json:"last_printed,omitempty"`
	LastPrintedBy  string      `json:"last_printed_by,omitempty"`
	Replaces       string      `json:"replaces,omitempty"`    // the number this reissue replaced
	ReplacedBy     string      `json:"replaced_by,omitempty"` // the reissue's number
	History        []CertEvent `json:"history,omitempty"`
}

// LevelName is the display name of the level.
func (c Certificate) LevelName() string { return data.LevelName(c.Level) }

// PrintLabel is the Chinese print status.
func (c Certificate) PrintLabel() string {
	if c.Printed {
		return "已打印"
	}
	return "未打印"
}

// Scopes are the organisations whose scope holds the certificate: the
// issuing one and its ancestors.
func (c Certificate) Scopes() []uint64 { return append(append([]uint64(nil), c.OrgPath...), c.OrgID) }

// cst is China Standard Time; dates of issue and monthly counters use it.
var cst = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// IssueDay is midnight China time of t's day.
func IssueDay(t time.Time) time.Time {
	y, m, d := t.In(cst).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, cst)
}

// Holder is one person to certify, as approved in a batch.
type Holder struct {
	Name, Gender, IDNumber, WorkUnit, Phone string
	Occupation                              string
	Level                                   int
}

// IssueRequest asks for certificates for the holders of one batch of one
// organisation.
type IssueRequest struct {
	OrgID    uint64
	BatchID  uint64
	Holders  []Holder
	Username string // who approved
	Detail   string // e.g. the batch name, for the history
}

// issueFailAfter, when positive, makes issueTx fail after writing that many
// certificates (tests of all-or-nothing).
var issueFailAfter int

// issueTx creates the certificates of a request inside the caller's
// transaction: numbers from the segments of the day's year, the holder index,
// the scope and batch indexes and the counters. Any error leaves the caller
// to roll the whole transaction back: nothing is written, no serial moves.
func (s *Store) issueTx(tx *bolt.Tx, req IssueRequest) ([]Certificate, error) {
	return s.issueAtTx(tx, req, s.Now())
}

// issueAtTx is issueTx at a given moment (the demo issues in the past).
func (s *Store) issueAtTx(tx *bolt.Tx, req IssueRequest, now time.Time) ([]Certificate, error) {
	org, err := orgTx(tx, req.OrgID)
	if err != nil {
		return nil, fmt.Errorf("issuing org %d: %w", req.OrgID, err)
	}
	if org.Type != Unit && org.Type != Direct {
		return nil, fmt.Errorf("org %d of type %s cannot issue: %w", org.ID, org.Type, ErrForbidden)
	}
	day := IssueDay(now)
	year := day.Year()
	// The registration line names the approving organisation.
	approver := org.Name
	if req.Username != "" {
		if id := tx.Bucket(bUserName).Get([]byte(strings.ToLower(req.Username))); id != nil {
			var u User
			if getJSON(tx.Bucket(bUsers), id, &u) == nil {
				if o, err := orgTx(tx, u.OrgID); err == nil {
					approver = o.Name
				}
			}
		}
	}
	occNames := map[string]string{}
	// Group by segment so each segment's serials are consecutive, in the
	// order the holders came.
	type group struct {
		occ   string
		level int
		idx   []int
	}
	var groups []*group
	byCode := map[string]*group{}
	seen := map[string]bool{}
	holders := tx.Bucket(bCertHolder)
	for i, h := range req.Holders {
		hk := holderKey(h.IDNumber, h.Occupation, h.Level)
		if seen[string(hk)] {
			return nil, invalid("", fmt.Sprintf("%s（%s）在本批次中重复", h.Name, h.IDNumber))
		}
		seen[string(hk)] = true
		if num := holders.Get(hk); num != nil {
			return nil, invalid("", fmt.Sprintf("%s 已持有同职业（工种）同等级的有效证书 %s", h.Name, num))
		}
		if _, ok := occNames[h.Occupation]; !ok {
			var o Occupation
			if err := getJSON(tx.Bucket(bOccupations), []byte(h.Occupation), &o); err != nil {
				return nil, fmt.Errorf("occupation %s: %w", h.Occupation, err)
			}
			occNames[h.Occupation] = o.Name
		}
		code := SegmentCode(year, org.Region, h.Occupation, h.Level)
		g := byCode[code]
		if g == nil {
			g = &group{occ: h.Occupation, level: h.Level}
			byCode[code] = g
			groups = append(groups, g)
		}
		g.idx = append(g.idx, i)
	}
	certs := make([]Certificate, len(req.Holders))
	path := append(append([]uint64(nil), org.Path...), org.ID)
	// Numbers first: order lists the certificates in the order they are
	// written, each segment's serials consecutive.
	order := make([]int, 0, len(req.Holders))
	for _, g := range groups {
		first, sg, err := allocateTx(tx, year, org.Region, g.occ, g.level, len(g.idx), now)
		if err != nil {
			return nil, err
		}
		for j, i := range g.idx {
			h := req.Holders[i]
			certs[i] = Certificate{Number: fmt.Sprintf("%s%04d", sg.Code, first+j), Name: h.Name, Gender: h.Gender, IDNumber: h.IDNumber,
				WorkUnit: h.WorkUnit, Phone: h.Phone, Occupation: h.Occupation, OccupationName: occNames[h.Occupation], Level: h.Level,
				OrgID: org.ID, OrgName: org.Name, OrgPath: org.Path, Region: org.Region, BatchID: req.BatchID,
				IssueDate: day, Status: CertValid, Version: 1,
				History: []CertEvent{{Time: now, Kind: "注册", Username: req.Username, OrgName: approver, Detail: req.Detail}}}
			order = append(order, i)
		}
	}
	// The records' JSON and the index entries are computed on other
	// goroutines (they read only certs) while this one writes: the records
	// chunk by chunk as they are encoded, then the index.
	var (
		plan    *newCertIndex
		planErr error
		planned = make(chan struct{})
	)
	recentAfter := recentAfterTx(tx)
	go func() {
		defer close(planned)
		plan, planErr = planNewCertIndex(certs, recentAfter)
	}()
	const chunk = 50
	raws := make([][]byte, len(order))
	encErrs := make([]error, len(order))
	// The certificates' seal rows (number, content hash) for the log entry
	// of the transaction, in write order (chain.go).
	seals := make([]byte, len(order)*sealRowLen)
	chunks := make([]chan struct{}, (len(order)+chunk-1)/chunk)
	for c := range chunks {
		chunks[c] = make(chan struct{})
	}
	const encoders = 2 // encoder e encodes chunks e, e+encoders, ...
	for e := 0; e < encoders; e++ {
		go func() {
			for c := e; c < len(chunks); c += encoders {
				for k := c * chunk; k < min((c+1)*chunk, len(order)); k++ {
					raws[k], encErrs[k] = encodeCert(nil, &certs[order[k]])
					if encErrs[k] == nil {
						_, encErrs[k] = sealRow(seals[k*sealRowLen:k*sealRowLen], &certs[order[k]])
					}
				}
				close(chunks[c])
			}
		}()
	}
	defer func() { // on an early return too: nothing outlives the call
		for _, ch := range chunks {
			<-ch
		}
		<-planned
	}()
	tx.Bucket(bCerts).FillPercent = 0.9
	certsB := tx.Bucket(bCerts)
	batch := tx.Bucket(bCertBatch)
	written := 0
	for c, ch := range chunks {
		<-ch
		for k := c * chunk; k < min((c+1)*chunk, len(order)); k++ {
			cert := &certs[order[k]]
			if encErrs[k] != nil {
				return nil, encErrs[k]
			}
			num := []byte(cert.Number)
			if err := certsB.Put(num, raws[k]); err != nil {
				return nil, err
			}
			if req.BatchID != 0 { // as reissues and bulk loads: no batch, no batch index
				if err := putIndexFill(batch, key(itob(req.BatchID), num)); err != nil {
					return nil, err
				}
			}
			if err := holders.Put(holderKey(cert.IDNumber, cert.Occupation, cert.Level), num); err != nil {
				return nil, err
			}
			written++
			if issueFailAfter > 0 && written >= issueFailAfter {
				return nil, fmt.Errorf("injected failure after %d certificates", written)
			}
		}
	}
	<-planned
	if planErr != nil {
		return nil, planErr
	}
	if err := addSealsTx(tx, seals); err != nil {
		return nil, err
	}
	if err := plan.writeTx(tx); err != nil {
		return nil, err
	}
	if err := statsAddManyTx(tx, certs, true); err != nil { // batch issuance is 注册
		return nil, err
	}
	month := day.Format("200601")
	for _, id := range path {
		if _, err := incr(tx, counterValidOrg(id), int64(len(certs))); err != nil {
			return nil, err
		}
		if _, err := incr(tx, counterIssuedMonth(id, month), int64(len(certs))); err != nil {
			return nil, err
		}
	}
	return certs, nil
}

func putIndexFill(b *bolt.Bucket, k []byte) error {
	b.FillPercent = 0.9
	return b.Put(k, nil)
}

// putCertTx stores a certificate record (its indexes are the caller's) and
// queues its content hash for the log entry of the transaction (chain.go).
func (s *Store) putCertTx(tx *bolt.Tx, c Certificate) error {
	if err := putCert(tx.Bucket(bCerts), &c); err != nil {
		return err
	}
	return sealCertTx(tx, &c)
}

// counterIssuedMonth counts certificates issued by an organisation and its
// subordinates in one month (YYYYMM, China time).
func counterIssuedMonth(orgID uint64, month string) string {
	return fmt.Sprintf("issued|%d|%s", orgID, month)
}

// IssuedPerMonth returns the certificates issued by an organisation and its
// subordinates in each of the last n months up to now, oldest first, from
// the counters.
func (s *Store) IssuedPerMonth(orgID uint64, n int) ([]MonthCount, error) {
	now := s.Now().In(cst)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, cst).AddDate(0, -(n - 1), 0)
	out := make([]MonthCount, n)
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCounters)
		for i := range out {
			m := first.AddDate(0, i, 0)
			out[i] = MonthCount{Month: m, Count: btoi(c.Get([]byte(counterIssuedMonth(orgID, m.Format("200601")))))}
		}
		return nil
	})
	return out, err
}

// MonthCount is the number of certificates issued in one month.
type MonthCount struct {
	Month time.Time
	Count uint64
}

// Certificate returns a certificate that viewer's scope contains; any other
// number is ErrNotFound.
func (s *Store) Certificate(viewer Org, number string) (Certificate, error) {
	var c Certificate
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := getCert(tx.Bucket(bCerts), []byte(number), &c); err != nil {
			return err
		}
		if !certInScope(viewer, c) {
			return ErrNotFound
		}
		return nil
	})
	return c, err
}

func certInScope(viewer Org, c Certificate) bool {
	if c.OrgID == viewer.ID {
		return true
	}
	for _, id := range c.OrgPath {
		if id == viewer.ID {
			return true
		}
	}
	return false
}

// BatchCertificates lists the certificates issued by a batch, by number.
func (s *Store) BatchCertificates(viewer Org, batchID uint64) ([]Certificate, error) {
	var out []Certificate
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := itob(batchID)
		c := tx.Bucket(bCertBatch).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var cert Certificate
			if err := getCert(tx.Bucket(bCerts), k[8:], &cert); err != nil {
				return err
			}
			if !certInScope(viewer, cert) {
				return ErrNotFound
			}
			out = append(out, cert)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, err
}

// Certificates returns one page of the certificate library of the actor's
// scope (docs/certificates.md): a unit or 省直所 its own, a dept its units', the
// province all; q.OrgID narrows it to an organisation inside that scope
// (anything else is ErrNotFound). Every filter is answered from bCertIx.
func (s *Store) Certificates(a Actor, q CertQuery) (CertPage, error) {
	return s.certificates(a, q, MaxCertPage)
}

// MaxExportRows is the most rows one export of the library holds.
const MaxExportRows = 50000

// CertificatesForExport returns every certificate of the library that q
// selects, in its order and ignoring its paging; more than MaxExportRows is
// a validation error asking for a narrower query.
func (s *Store) CertificatesForExport(a Actor, q CertQuery) ([]Certificate, error) {
	q.Offset, q.Limit = 0, MaxExportRows+1
	page, err := s.certificates(a, q, MaxExportRows+1)
	if err != nil {
		return nil, err
	}
	if len(page.Certs) > MaxExportRows {
		return nil, invalid("", fmt.Sprintf("查询结果超过 %d 条，不能一次导出，请增加查询条件后再导出", MaxExportRows))
	}
	return page.Certs, nil
}

func (s *Store) certificates(a Actor, q CertQuery, maxLimit int) (CertPage, error) {
	var page CertPage
	u, own, err := s.actorView(a)
	if err != nil {
		return page, err
	}
	if !u.Can(own.Type, CapCertView) {
		return page, ErrForbidden
	}
	scope := own.ID
	if q.OrgID != 0 && q.OrgID != own.ID {
		o, err := s.Org(q.OrgID)
		if err != nil || !own.Contains(o) {
			return page, ErrNotFound
		}
		scope = o.ID
	}
	f, err := q.normalise(scope, maxLimit)
	if err != nil {
		return page, err
	}
	if maxLimit > MaxCertPage {
		f.budget = exportBudget
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		page, err = queryCertsTx(tx, f)
		return err
	})
	return page, err
}

// PublicCertificate returns a certificate by number for the public
// verification page, which decides what of it to show.
func (s *Store) PublicCertificate(number string) (Certificate, error) {
	var c Certificate
	if len(number) != 14 {
		return c, ErrNotFound
	}
	err := s.db.View(func(tx *bolt.Tx) error { return getCert(tx.Bucket(bCerts), []byte(number), &c) })
	return c, err
}
