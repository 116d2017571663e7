package store

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"certreg/candidate"
	"certreg/data"
	"certreg/idcard"
)

// Candidate is one person of a batch: a qualified trainee to be certified.
type Candidate struct {
	ID             uint64 `json:"id"`
	Rev            uint64 `json:"rev,omitempty"` // see revision.go
	Row            int    `json:"row,omitempty"` // row of the imported sheet, 0 when added online
	Name           string `json:"name"`
	IDNumber       string `json:"id_number"`
	Gender         string `json:"gender"`
	WorkUnit       string `json:"work_unit"`
	OccupationCode string `json:"occupation"`
	OccupationName string `json:"occupation_name"`
	Level          int    `json:"level"`
	Phone          string `json:"phone,omitempty"`
	Remark         string `json:"remark,omitempty"`
}

// LevelName is the display name of the level.
func (c Candidate) LevelName() string { return data.LevelName(c.Level) }

// Raw is the candidate as a form shows it (for editing).
func (c Candidate) Raw() candidate.Raw {
	return candidate.Raw{Name: c.Name, IDNumber: c.IDNumber, Gender: c.Gender, WorkUnit: c.WorkUnit,
		Occupation: c.OccupationCode, Level: strconv.Itoa(c.Level), Phone: c.Phone, Remark: c.Remark}
}

func fromChecked(c candidate.Candidate) Candidate {
	return Candidate{Row: c.Row, Name: c.Name, IDNumber: c.IDNumber, Gender: c.Gender, WorkUnit: c.WorkUnit,
		OccupationCode: c.OccupationCode, OccupationName: c.OccupationName, Level: c.Level, Phone: c.Phone, Remark: c.Remark}
}

// CandidateView is a candidate as a batch page shows it.
type CandidateView struct {
	Candidate
	Seq     int    // position in the batch, from 1
	Mark    *Mark  // the reviewer's mark, if any
	Problem string // a rule it breaks now (only for editable batches)
}

// ImportError lists the candidates that break a rule; nothing was saved.
type ImportError struct {
	Errors  []candidate.RowError
	Summary string
}

func (e *ImportError) Error() string {
	if e.Summary != "" {
		return e.Summary
	}
	return fmt.Sprintf("名单中有 %d 处错误，未保存", len(e.Errors))
}

// CandidateError lists the fields of one candidate (an online edit) that
// break a rule; nothing was saved.
type CandidateError struct {
	Errors []candidate.FieldError
}

func (e *CandidateError) Error() string {
	var parts []string
	for _, fe := range e.Errors {
		parts = append(parts, "「"+fe.Column+"」"+fe.Message)
	}
	return strings.Join(parts, "；")
}

// Fields maps a column header to its message(s).
func (e *CandidateError) Fields() map[string]string {
	m := map[string]string{}
	for _, fe := range e.Errors {
		if m[fe.Column] != "" {
			m[fe.Column] += "；"
		}
		m[fe.Column] += fe.Message
	}
	return m
}

// SheetScope is what the organisation may certify, as the candidate rules
// need it: the catalogue's occupations (by code) with the levels of the
// organisation's scope.
func (s *Store) SheetScope(orgID uint64) (candidate.Scope, error) {
	var sc candidate.Scope
	err := s.db.View(func(tx *bolt.Tx) error {
		org, err := orgTx(tx, orgID)
		if err != nil {
			return err
		}
		sc, err = sheetScopeTx(tx, org)
		return err
	})
	return sc, err
}

func sheetScopeTx(tx *bolt.Tx, org Org) (candidate.Scope, error) {
	var sc candidate.Scope
	err := tx.Bucket(bOccupations).ForEach(func(k, v []byte) error {
		var o Occupation
		if err := jsonUnmarshal(v, &o); err != nil {
			return err
		}
		var levels []int
		for _, l := range o.Levels {
			if org.Type == Province || org.Scope.Has(o.Code, l) {
				levels = append(levels, l)
			}
		}
		if len(levels) > 0 {
			sc.Occupations = append(sc.Occupations, candidate.Occupation{Code: o.Code, Name: o.Name, Levels: levels})
		}
		return nil
	})
	return sc, err
}

// CheckImported applies to a list read from a workbook (candidate.Import, done
// by the caller outside any transaction) the import rules that need the
// database: no valid certificate already held, no candidate in another
// batch under review (batchID is the batch being re-imported, 0 for a new
// one). Candidates that break one move to res.Errors. Nothing is saved.
func (s *Store) CheckImported(a Actor, batchID uint64, res *candidate.Result) error {
	return s.db.View(func(tx *bolt.Tx) error {
		org, err := orgTx(tx, a.OrgID)
		if err != nil {
			return err
		}
		names := map[uint64]string{}
		res.Refuse(func(c candidate.Candidate) (string, string) {
			return dbRulesTx(tx, org.ID, batchID, c.IDNumber, c.OccupationCode, c.Level, names)
		})
		return nil
	})
}

// dbRulesTx applies the rules that need the database to one checked
// candidate: no valid certificate for the same occupation and level, and
// not in another batch under review. It returns the column and message of
// the first rule broken, or "", "". names caches batch names.
func dbRulesTx(tx *bolt.Tx, orgID, batchID uint64, idNumber, occ string, level int, names map[uint64]string) (string, string) {
	hk := holderKey(idNumber, occ, level)
	if num := tx.Bucket(bCertHolder).Get(hk); num != nil {
		return candidate.ColIDNumber, fmt.Sprintf("已持有该职业（工种）和等级的有效证书（证书编号 %s），不能重复登记", num)
	}
	if v := tx.Bucket(bUnderReview).Get(hk); v != nil && btoi(v) != batchID {
		other := btoi(v)
		name, ok := names[other]
		if !ok {
			if b, err := getBatchTx(tx, other); err == nil && b.OrgID == orgID {
				name = b.Name // another organisation's batch stays anonymous
			}
			names[other] = name
		}
		if name != "" {
			return candidate.ColIDNumber, fmt.Sprintf("该人员的同一职业（工种）和等级正在本单位批次「%s」中审核，不能重复登记", name)
		}
		return candidate.ColIDNumber, "该人员的同一职业（工种）和等级正在其他批次中审核，不能重复登记"
	}
	return "", ""
}

// rowErr builds a candidate.RowError with its cell name in the template's
// column order.
func rowErr(row int, column, msg string) candidate.RowError {
	return (&candidate.Result{}).RowError(row, column, msg)
}

// putCandidatesTx checks a whole list with every rule (the import's, the
// database's, no duplicate inside the list) and adds it to the batch. Any
// error is an *ImportError and the caller's transaction must roll back.
func (s *Store) putCandidatesTx(tx *bolt.Tx, org Org, b *Batch, in []candidate.Candidate) error {
	if b.Count+len(in) > MaxBatchCandidates {
		return invalid("file", fmt.Sprintf("一个批次最多 %d 名合格人员", MaxBatchCandidates))
	}
	sc, err := sheetScopeTx(tx, org)
	if err != nil {
		return err
	}
	var errs []candidate.RowError
	seen := make(map[string]int, len(in))
	names := map[uint64]string{}
	out := make([]Candidate, 0, len(in))
	for i, sc0 := range in {
		row := sc0.Row
		if row == 0 {
			row = i + 1
		}
		raw := fromChecked(sc0).Raw()
		c, ferrs := candidate.CheckRaw(raw, sc)
		for _, fe := range ferrs {
			errs = append(errs, rowErr(row, fe.Column, fe.Message))
		}
		if len(ferrs) > 0 {
			continue
		}
		hk := string(holderKey(c.IDNumber, c.OccupationCode, c.Level))
		if first, ok := seen[hk]; ok {
			errs = append(errs, rowErr(row, candidate.ColIDNumber, fmt.Sprintf("与第 %d 行重复：同一身份证号、同一职业（工种）和等级只能登记一次", first)))
			continue
		}
		seen[hk] = row
		if col, msg := dbRulesTx(tx, org.ID, b.ID, c.IDNumber, c.OccupationCode, c.Level, names); msg != "" {
			errs = append(errs, rowErr(row, col, msg))
			continue
		}
		nc := fromChecked(c)
		nc.Row = sc0.Row
		out = append(out, nc)
	}
	if len(errs) > 0 {
		return &ImportError{Errors: errs}
	}
	cb, kb := tx.Bucket(bCandidates), tx.Bucket(bCandidateKey)
	cb.FillPercent = 0.9
	for _, c := range out {
		b.NextCand++
		c.ID = b.NextCand
		if err := putJSON(cb, key(itob(b.ID), itob(c.ID)), c); err != nil {
			return err
		}
		if err := kb.Put(key(itob(b.ID), holderKey(c.IDNumber, c.OccupationCode, c.Level)), itob(c.ID)); err != nil {
			return err
		}
	}
	b.Count += len(out)
	return nil
}

// ReplaceCandidates replaces the whole list of a draft or rejected batch by
// a re-imported one, with the rules of CreateBatch. Reviewer marks of the
// old list go with it.
func (s *Store) ReplaceCandidates(a Actor, id uint64, in []candidate.Candidate) (Batch, error) {
	var b Batch
	err := s.db.Update(func(tx *bolt.Tx) error {
		var org Org
		var err error
		if b, org, err = ownBatchTx(tx, a, id, "重新导入名单"); err != nil {
			return err
		}
		if len(in) == 0 {
			return invalid("file", "名单中没有合格人员")
		}
		old := b.Count
		for _, bk := range [][]byte{bCandidates, bCandidateKey, bCandidateMarks} {
			if err := deletePrefix(tx.Bucket(bk), itob(id)); err != nil {
				return err
			}
		}
		b.Count, b.Marked = 0, 0
		if err := s.putCandidatesTx(tx, org, &b, in); err != nil {
			return err
		}
		b.Updated = s.Now()
		if err := putBatchTx(tx, b); err != nil {
			return err
		}
		return s.logTx(tx, a, ActBatchImport, b.Name, fmt.Sprintf("原 %d 名，现 %d 名", old, b.Count))
	})
	return b, err
}

// checkOneTx applies every rule to one candidate typed online for batch b;
// self is the candidate being edited (0 when adding).
func (s *Store) checkOneTx(tx *bolt.Tx, org Org, b Batch, self uint64, in candidate.Raw) (Candidate, error) {
	sc, err := sheetScopeTx(tx, org)
	if err != nil {
		return Candidate{}, err
	}
	c, ferrs := candidate.CheckRaw(in, sc)
	if len(ferrs) > 0 {
		return Candidate{}, &CandidateError{Errors: ferrs}
	}
	fail := func(col, msg string) (Candidate, error) {
		return Candidate{}, &CandidateError{Errors: []candidate.FieldError{{Column: col, Message: msg}}}
	}
	kb := tx.Bucket(bCandidateKey)
	if v := kb.Get(key(itob(b.ID), holderKey(c.IDNumber, c.OccupationCode, c.Level))); v != nil && btoi(v) != self {
		return fail(candidate.ColIDNumber, "本批次已有此人的同一职业（工种）和等级，同一身份证号、同一职业（工种）和等级只能登记一次")
	}
	// The same ID number must carry the same name throughout the batch.
	prefix := key(itob(b.ID), []byte(c.IDNumber), []byte{0})
	cur := kb.Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		if btoi(v) == self {
			continue
		}
		var other Candidate
		if err := getJSON(tx.Bucket(bCandidates), key(itob(b.ID), v), &other); err != nil {
			return Candidate{}, err
		}
		if other.Name != c.Name {
			return fail(candidate.ColName, fmt.Sprintf("本批次中该身份证号的姓名为「%s」，与填写的「%s」不一致", other.Name, c.Name))
		}
	}
	if col, msg := dbRulesTx(tx, org.ID, b.ID, c.IDNumber, c.OccupationCode, c.Level, map[uint64]string{}); msg != "" {
		return fail(col, msg)
	}
	return fromChecked(c), nil
}

// AddCandidate adds one candidate typed online to a draft or rejected
// batch, with the rules of the import. A broken rule is a *CandidateError.
func (s *Store) AddCandidate(a Actor, batchID uint64, in candidate.Raw) (Candidate, error) {
	var c Candidate
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, org, err := ownBatchTx(tx, a, batchID, "添加合格人员")
		if err != nil {
			return err
		}
		if b.Count >= MaxBatchCandidates {
			return invalid("", fmt.Sprintf("一个批次最多 %d 名合格人员", MaxBatchCandidates))
		}
		if c, err = s.checkOneTx(tx, org, b, 0, in); err != nil {
			return err
		}
		b.NextCand++
		c.ID = b.NextCand
		if err := putJSON(tx.Bucket(bCandidates), key(itob(b.ID), itob(c.ID)), c); err != nil {
			return err
		}
		if err := tx.Bucket(bCandidateKey).Put(key(itob(b.ID), holderKey(c.IDNumber, c.OccupationCode, c.Level)), itob(c.ID)); err != nil {
			return err
		}
		b.Count++
		b.Updated = s.Now()
		if err := putBatchTx(tx, b); err != nil {
			return err
		}
		return s.logTx(tx, a, ActCandidateAdd, b.Name, c.Name+" "+idcard.Mask(c.IDNumber))
	})
	return c, err
}

// UpdateCandidate changes one candidate of a draft or rejected batch, with
// the rules of the import. A reviewer's mark on it stays until the batch is
// submitted again.
func (s *Store) UpdateCandidate(a Actor, batchID, candID, rev uint64, in candidate.Raw) (Candidate, error) {
	var c Candidate
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, org, err := ownBatchTx(tx, a, batchID, "修改合格人员")
		if err != nil {
			return err
		}
		var old Candidate
		ck := key(itob(b.ID), itob(candID))
		if err := getJSON(tx.Bucket(bCandidates), ck, &old); err != nil {
			return fmt.Errorf("candidate %d of batch %d: %w", candID, b.ID, err)
		}
		if err := nextRev("合格人员", &old.Rev, rev); err != nil {
			return err
		}
		if c, err = s.checkOneTx(tx, org, b, candID, in); err != nil {
			return err
		}
		c.ID, c.Row, c.Rev = old.ID, old.Row, old.Rev
		kb := tx.Bucket(bCandidateKey)
		if err := kb.Delete(key(itob(b.ID), holderKey(old.IDNumber, old.OccupationCode, old.Level))); err != nil {
			return err
		}
		if err := kb.Put(key(itob(b.ID), holderKey(c.IDNumber, c.OccupationCode, c.Level)), itob(c.ID)); err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bCandidates), ck, c); err != nil {
			return err
		}
		b.Updated = s.Now()
		if err := putBatchTx(tx, b); err != nil {
			return err
		}
		return s.logTx(tx, a, ActCandidateEdit, b.Name, c.Name+" "+idcard.Mask(c.IDNumber))
	})
	return c, err
}

// RemoveCandidate removes one candidate (and its mark) from a draft or
// rejected batch.
func (s *Store) RemoveCandidate(a Actor, batchID, candID uint64) (Batch, error) {
	var b Batch
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if b, _, err = ownBatchTx(tx, a, batchID, "删除合格人员"); err != nil {
			return err
		}
		var c Candidate
		ck := key(itob(b.ID), itob(candID))
		if err := getJSON(tx.Bucket(bCandidates), ck, &c); err != nil {
			return fmt.Errorf("candidate %d of batch %d: %w", candID, b.ID, err)
		}
		if err := tx.Bucket(bCandidates).Delete(ck); err != nil {
			return err
		}
		if err := tx.Bucket(bCandidateKey).Delete(key(itob(b.ID), holderKey(c.IDNumber, c.OccupationCode, c.Level))); err != nil {
			return err
		}
		marks := tx.Bucket(bCandidateMarks)
		if marks.Get(ck) != nil {
			if err := marks.Delete(ck); err != nil {
				return err
			}
			b.Marked--
		}
		b.Count--
		b.Updated = s.Now()
		if err := putBatchTx(tx, b); err != nil {
			return err
		}
		return s.logTx(tx, a, ActCandidateRemove, b.Name, c.Name+" "+idcard.Mask(c.IDNumber))
	})
	return b, err
}

// BatchCandidates returns one page of a batch's candidates in list order,
// with reviewer marks and, for an editable batch, the rule each breaks now.
func (s *Store) BatchCandidates(a Actor, id uint64, offset, limit int) ([]CandidateView, error) {
	if limit <= 0 || limit > MaxBatchCandidates {
		limit = 20
	}
	var out []CandidateView
	err := s.db.View(func(tx *bolt.Tx) error {
		b, owner, err := batchForTx(tx, a, id)
		if err != nil {
			return err
		}
		prefix := itob(id)
		c := tx.Bucket(bCandidates).Cursor()
		seq := 0
		names := map[uint64]string{}
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			seq++
			if seq <= offset {
				continue
			}
			var cv CandidateView
			if err := jsonUnmarshal(v, &cv.Candidate); err != nil {
				return err
			}
			cv.Seq = seq
			if cv.Mark, err = markTx(tx, id, cv.ID); err != nil {
				return err
			}
			if b.State.Editable() {
				cv.Problem = problemTx(tx, owner, b, cv.Candidate, names)
			}
			out = append(out, cv)
		}
		return nil
	})
	return out, err
}

// BatchCandidate returns one candidate of a batch the actor may see.
func (s *Store) BatchCandidate(a Actor, batchID, candID uint64) (CandidateView, error) {
	var cv CandidateView
	err := s.db.View(func(tx *bolt.Tx) error {
		b, owner, err := batchForTx(tx, a, batchID)
		if err != nil {
			return err
		}
		if err := getJSON(tx.Bucket(bCandidates), key(itob(batchID), itob(candID)), &cv.Candidate); err != nil {
			return fmt.Errorf("candidate %d of batch %d: %w", candID, batchID, err)
		}
		// Its position: the keys before it (no decoding).
		prefix, self := itob(batchID), key(itob(batchID), itob(candID))
		c := tx.Bucket(bCandidates).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.Compare(k, self) <= 0; k, _ = c.Next() {
			cv.Seq++
		}
		if cv.Mark, err = markTx(tx, batchID, candID); err != nil {
			return err
		}
		if b.State.Editable() {
			cv.Problem = problemTx(tx, owner, b, cv.Candidate, map[uint64]string{})
		}
		return nil
	})
	return cv, err
}

// problemTx names a rule a saved candidate breaks now (the scope narrowed,
// a certificate was issued, another batch went under review), or "".
func problemTx(tx *bolt.Tx, owner Org, b Batch, c Candidate, names map[uint64]string) string {
	if owner.Type != Province && !owner.Scope.Has(c.OccupationCode, c.Level) {
		return fmt.Sprintf("「%s %s」已不在本单位可登记的职业（工种）范围内", c.OccupationName, c.LevelName())
	}
	if _, msg := dbRulesTx(tx, owner.ID, b.ID, c.IDNumber, c.OccupationCode, c.Level, names); msg != "" {
		return msg
	}
	return ""
}

// batchProblemsTx lists up to max candidates of the batch that break a rule
// now, by position.
func (s *Store) batchProblemsTx(tx *bolt.Tx, owner Org, b Batch, max int) ([]candidate.RowError, error) {
	var out []candidate.RowError
	prefix := itob(b.ID)
	cur := tx.Bucket(bCandidates).Cursor()
	seq := 0
	names := map[uint64]string{}
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		seq++
		var c Candidate
		if err := jsonUnmarshal(v, &c); err != nil {
			return nil, err
		}
		if p := problemTx(tx, owner, b, c, names); p != "" {
			out = append(out, candidate.RowError{Row: seq, Message: c.Name + "：" + p})
			if len(out) == max {
				break
			}
		}
	}
	return out, nil
}
