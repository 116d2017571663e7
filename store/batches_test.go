package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"certreg/candidate"
	"certreg/files"
	"certreg/fixture"
	"certreg/idcard"
	"certreg/sheets"
	"certreg/store"
)

// personID is a distinct valid ID for each i (outside the demo's Anhui
// regions, so it never collides with a seeded candidate); odd i is a man.
func personID(i int) string {
	return idcard.Make("110101", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/1000), i%1000)
}

// hanName is a distinct valid name for each i >= 0: 测试 and the digits of
// i as Chinese numerals (测试一二).
func hanName(i int) string {
	digits := []rune("零一二三四五六七八九")
	s := []rune("测试")
	for _, d := range strconv.Itoa(i) {
		s = append(s, digits[d-'0'])
	}
	return string(s)
}

// person is a valid candidate of 砌筑工 (012, in the scope of demo-unit,
// hfcj-admin and whpx-admin) at level 5.
func person(i int) candidate.Candidate {
	id := personID(i)
	return candidate.Candidate{Row: i + 2, Name: hanName(i), IDNumber: id, Gender: idcard.Gender(id),
		WorkUnit: "合肥建工集团", OccupationCode: "012", OccupationName: "砌筑工", Level: 5}
}

func people(from, n int) []candidate.Candidate {
	out := make([]candidate.Candidate, n)
	for i := range out {
		out[i] = person(from + i)
	}
	return out
}

// workbookOf writes candidate rows (as strings) under the template header.
func workbookOf(t testing.TB, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	header := candidate.Columns()
	if err := f.SetSheetRow("Sheet1", "A1", &header); err != nil {
		t.Fatal(err)
	}
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]any, len(header))
	for i, h := range header {
		vals[i] = h
	}
	if err := sw.SetRow("A1", vals); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, vals); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkWorkbook is the import as the create wizard runs it: the sheet's
// rules outside any transaction, then the database's.
func checkWorkbook(t testing.TB, w *fixture.World, a store.Actor, batchID uint64, wb []byte) (*candidate.Result, error) {
	t.Helper()
	sc, err := w.Store.SheetScope(a.OrgID)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sheets.Import(bytes.NewReader(wb), int64(len(wb)), sc)
	if err != nil {
		return nil, err
	}
	return res, w.Store.CheckImported(a, batchID, res)
}

func rowOf(c candidate.Candidate) []string {
	return []string{c.Name, c.IDNumber, c.Gender, c.WorkUnit, c.OccupationName, "五级/初级工", c.Phone, c.Remark}
}

func counts(t *testing.T, w *fixture.World, username string) map[store.BatchTab]uint64 {
	t.Helper()
	c, err := w.Store.BatchCounts(w.Actor(t, username))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantCounts(t *testing.T, w *fixture.World, username string, base map[store.BatchTab]uint64, delta map[store.BatchTab]int) {
	t.Helper()
	got := counts(t, w, username)
	for _, tab := range store.BatchTabs {
		want := int(base[tab.Tab]) + delta[tab.Tab]
		if int(got[tab.Tab]) != want {
			t.Errorf("%s tab %s: %d batches, want %d", username, tab.Label, got[tab.Tab], want)
		}
		// The counter equals what the list shows.
		list, total, err := w.Store.Batches(w.Actor(t, username), store.BatchFilter{Tab: tab.Tab, Limit: 200})
		if err != nil || total != want || len(list) != want {
			t.Errorf("%s tab %s lists %d of %d (%v), want %d", username, tab.Label, len(list), total, err, want)
		}
	}
}

func newDraft(t *testing.T, w *fixture.World, username, name string, cands []candidate.Candidate) store.Batch {
	t.Helper()
	b, err := w.Store.CreateBatch(w.Actor(t, username), store.NewBatch{Name: name, Candidates: cands})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return b
}

func TestDemoBatchesInEveryState(t *testing.T) {
	w := fixture.Demo(t)
	for user, want := range map[string]map[store.BatchTab]uint64{
		// Approved: one batch each above, and those that issued the demo
		// certificates (five of the unit's, two of the 省直所's).
		"demo-unit":   {store.TabDraft: 2, store.TabReview: 2, store.TabApproved: 6, store.TabRejected: 1},
		"demo-direct": {store.TabDraft: 1, store.TabReview: 1, store.TabApproved: 3, store.TabRejected: 1},
	} {
		wantCounts(t, w, user, want, nil)
	}
	list, _, _ := w.Store.Batches(w.Actor(t, "demo-unit"), store.BatchFilter{Tab: store.TabRejected})
	if len(list) != 1 || list[0].Marked != 2 || list[0].Reason == "" {
		t.Fatalf("rejected demo batch: %+v", list)
	}
	cands, err := w.Store.BatchCandidates(w.Actor(t, "demo-unit"), list[0].ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	marked := 0
	for _, c := range cands {
		if c.Mark != nil {
			marked++
		}
		if err := idcard.Validate(c.IDNumber); err != nil || c.Problem != "" {
			t.Errorf("demo candidate %s %s: %v %q", c.Name, c.IDNumber, err, c.Problem)
		}
	}
	if marked != 2 {
		t.Errorf("%d marked candidates", marked)
	}
	log, _ := w.Store.BatchLog(w.Actor(t, "demo-unit"), list[0].ID)
	if len(log) != 3 || log[2].Action != store.BatchReject || log[2].Reason == "" || log[2].OrgName != "合肥市城乡建设局" {
		t.Errorf("review log %+v", log)
	}
	// The dept's and the province's queues hold the pending demo batches.
	if q, n, _ := w.Store.ReviewQueue(w.Actor(t, "demo-dept"), 0, 20); n != 1 || len(q) != 1 || q[0].State != store.BatchPendingDept {
		t.Errorf("dept queue %d %+v", n, q)
	}
	if _, n, _ := w.Store.ReviewQueue(w.Actor(t, "demo-province"), 0, 20); n != 2 {
		t.Errorf("province queue %d", n)
	}
	// The demo's batches were made through the operations: the unit's log
	// has the creation of each of its 11 batches (six above, five that
	// issued its certificates).
	entries, _, _ := w.Store.Logs(store.LogFilter{OrgID: w.Org(t, "demo-unit").ID, Action: store.ActBatchCreate, Limit: 200})
	if len(entries) != 11 {
		t.Errorf("%d batch creations in the unit's log, want 11", len(entries))
	}
}

func TestInvalidImportSavesNothing(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Actor(t, "demo-unit")
	base := counts(t, w, "demo-unit")

	good := people(0, 3)
	bad := person(3)
	bad.OccupationCode, bad.OccupationName = "018", "木工" // not in demo-unit's scope
	dup := person(1)
	dup.Row = 9
	in := append(append(append([]candidate.Candidate{}, good...), bad), dup)
	_, err := w.Store.CreateBatch(unit, store.NewBatch{Name: "无效名单", Candidates: in})
	var ie *store.ImportError
	if !errors.As(err, &ie) || len(ie.Errors) != 2 {
		t.Fatalf("create with bad rows: %v", err)
	}
	if e := ie.Errors[0]; e.Row != 5 || e.Column != candidate.ColOccupation || e.Cell != "E5" || !strings.Contains(e.Message, "不在本单位") {
		t.Errorf("first error %+v", e)
	}
	if e := ie.Errors[1]; e.Row != 9 || !strings.Contains(e.Message, "与第 3 行重复") {
		t.Errorf("second error %+v", e)
	}
	wantCounts(t, w, "demo-unit", base, nil)
	// Nothing of it stayed: the name is free and the people can be used.
	b := newDraft(t, w, "demo-unit", "无效名单", good)
	if b.Count != 3 || b.State != store.BatchDraft {
		t.Fatalf("batch %+v", b)
	}
	wantCounts(t, w, "demo-unit", base, map[store.BatchTab]int{store.TabDraft: 1})

	// The same through the workbook: the rows with errors are listed and a
	// re-import of a bad list leaves the batch as it was.
	rows := [][]string{rowOf(person(10)), rowOf(person(11))}
	rows[1][1] = personID(11)[:17] + "0" // wrong check digit (unless it is 0)
	if personID(11)[17] == '0' {
		rows[1][1] = personID(11)[:17] + "1"
	}
	wb := workbookOf(t, rows)
	res, err := checkWorkbook(t, w, unit, b.ID, wb)
	if err != nil || res.OK() || len(res.Errors) != 1 || res.Errors[0].Cell != "B3" {
		t.Fatalf("check workbook: %v %+v", err, res)
	}
	if _, err := w.Store.ReplaceCandidates(unit, b.ID, append(people(20, 2), bad)); !errors.As(err, &ie) {
		t.Fatalf("replace with a bad row: %v", err)
	}
	after, _ := w.Store.BatchCandidates(unit, b.ID, 0, 100)
	if len(after) != 3 || after[0].IDNumber != good[0].IDNumber {
		t.Fatalf("candidates after refused re-import: %+v", after)
	}
	if got, _ := w.Store.Batch(unit, b.ID); got.Count != 3 {
		t.Fatalf("count after refused re-import %d", got.Count)
	}
	// A good re-import replaces the list.
	if got, err := w.Store.ReplaceCandidates(unit, b.ID, people(20, 5)); err != nil || got.Count != 5 {
		t.Fatalf("replace: %v %+v", err, got)
	}
	// Too many candidates.
	if _, err := w.Store.CreateBatch(unit, store.NewBatch{Name: "太多", Candidates: people(100, store.MaxBatchCandidates+1)}); err == nil {
		t.Fatal("5001 candidates accepted")
	}
	wantCounts(t, w, "demo-unit", base, map[store.BatchTab]int{store.TabDraft: 1})
}

func TestBatchLifecycleCountersAndLog(t *testing.T) {
	w := fixture.Demo(t)
	unit, dept, prov := w.Actor(t, "demo-unit"), w.Actor(t, "demo-dept"), w.Actor(t, "demo-province")
	base := counts(t, w, "demo-unit")
	queue := func(a store.Actor) uint64 {
		_, n, err := w.Store.ReviewQueue(a, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	dq, pq := queue(dept), queue(prov)

	b := newDraft(t, w, "demo-unit", "生命周期", people(0, 4))
	wantCounts(t, w, "demo-unit", base, map[store.BatchTab]int{store.TabDraft: 1})

	w.Clock.Advance(time.Hour)
	b, err := w.Store.SubmitBatch(unit, b.ID)
	if err != nil || b.State != store.BatchPendingDept || b.Round != 1 {
		t.Fatalf("submit: %v %+v", err, b)
	}
	wantCounts(t, w, "demo-unit", base, map[store.BatchTab]int{store.TabReview: 1})
	if queue(dept) != dq+1 || queue(prov) != pq {
		t.Fatal("dept queue not counted")
	}

	if b, err = w.Store.ApproveBatch(dept, b.ID); err != nil || b.State != store.BatchPendingProvince {
		t.Fatalf("dept approve: %v %+v", err, b)
	}
	wantCounts(t, w, "demo-unit", base, map[store.BatchTab]int{store.TabReview: 1})
	if queue(dept) != dq || queue(prov) != pq+1 {
		t.Fatal("queues after dept approval")
	}

	cands, _ := w.Store.BatchCandidates(prov, b.ID, 0, 10)
	if b, err = w.Store.MarkCandidate(prov, b.ID, cands[0].ID, true, "照片不清晰"); err != nil || b.Marked != 1 {
		t.Fatalf("mark: %v %+v", err, b)
	}
	if _, err := w.Store.ApproveBatch(prov, b.ID); err == nil {
		t.Fatal("approved with a marked candidate")
	}
	if _, err := w.Store.RejectBatch(prov, b.ID, "  ", nil); !isValidation(err) {
		t.Fatalf("reject without reason: %v", err)
	}
	if b, err = w.Store.RejectBatch(prov, b.ID, "资料不全", map[uint64]string{cands[1].ID: "缺少签到"}); err != nil || b.State != store.BatchRejected || b.Marked != 2 || b.Reason != "资料不全" {
		t.Fatalf("reject: %v %+v", err, b)
	}
	wantCounts(t, w, "demo-unit", base, map[store.BatchTab]int{store.TabRejected: 1})
	if queue(prov) != pq {
		t.Fatal("province queue after rejection")
	}
	// Rejected: editable, marks shown.
	if _, err := w.Store.RenameBatch(unit, b.ID, "生命周期（修改）"); err != nil {
		t.Fatalf("rename rejected: %v", err)
	}
	if _, err := w.Store.SubmitBatch(unit, b.ID); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("submit a rejected batch without moving it back: %v", err)
	}
	if n, err := w.Store.ReopenBatches(unit, []uint64{b.ID}); err != nil || n != 1 {
		t.Fatalf("reopen: %v", err)
	}
	wantCounts(t, w, "demo-unit", base, map[store.BatchTab]int{store.TabDraft: 1})
	if cv, _ := w.Store.BatchCandidates(unit, b.ID, 0, 10); cv[0].Mark == nil || cv[0].Mark.Note != "照片不清晰" {
		t.Fatal("mark lost when moved back to draft")
	}
	if b, err = w.Store.SubmitBatch(unit, b.ID); err != nil || b.Round != 2 || b.Marked != 0 {
		t.Fatalf("resubmit: %v %+v", err, b)
	}
	if cv, _ := w.Store.BatchCandidates(unit, b.ID, 0, 10); cv[0].Mark != nil {
		t.Fatal("marks not cleared by resubmission")
	}
	if _, err = w.Store.ApproveBatch(dept, b.ID); err != nil {
		t.Fatal(err)
	}
	if b, err = w.Store.ApproveBatch(prov, b.ID); err != nil || b.State != store.BatchApproved {
		t.Fatalf("province approve: %v %+v", err, b)
	}
	wantCounts(t, w, "demo-unit", base, map[store.BatchTab]int{store.TabApproved: 1})
	if queue(dept) != dq || queue(prov) != pq {
		t.Fatal("queues after approval")
	}

	log, err := w.Store.BatchLog(unit, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		got = append(got, fmt.Sprintf("%s:%s>%s@%s", e.Action, e.From, e.To, e.OrgName))
	}
	want := []string{
		"create:>draft@合肥建工职业技能培训学校",
		"submit:draft>pending_dept@合肥建工职业技能培训学校",
		"approve:pending_dept>pending_province@合肥市城乡建设局",
		"reject:pending_province>rejected@安徽省住房和城乡建设厅",
		"reopen:rejected>draft@合肥建工职业技能培训学校",
		"submit:draft>pending_dept@合肥建工职业技能培训学校",
		"approve:pending_dept>pending_province@合肥市城乡建设局",
		"approve:pending_province>approved@安徽省住房和城乡建设厅",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("review log:\n%s", strings.Join(got, "\n"))
	}
	if log[3].Reason != "资料不全" || log[3].Username != "demo-province" || log[3].UserName == "" || log[5].Round != 2 {
		t.Errorf("entries lack who or reason: %+v", log[3])
	}
	// Every move is in the operation log of the organisation that made it
	// (beside the demo batches' own lines).
	ops, _, _ := w.Store.Logs(store.LogFilter{OrgID: unit.OrgID, Action: store.ActBatchSubmit, Limit: 200})
	submits := 0
	for _, e := range ops {
		if strings.HasPrefix(e.Target, "生命周期") { // before and after the renaming
			submits++
		}
	}
	if submits != 2 {
		t.Errorf("%d submit lines of the batch in the operation log", submits)
	}
}

func isValidation(err error) bool {
	var ve *store.ValidationError
	return errors.As(err, &ve)
}

func TestMovesOutsideTheDiagramAreRefused(t *testing.T) {
	w := fixture.Demo(t)
	unit, dept, prov := w.Actor(t, "demo-unit"), w.Actor(t, "demo-dept"), w.Actor(t, "demo-province")
	direct := w.Actor(t, "demo-direct")
	otherDept := w.Actor(t, "wh-dept")
	draft := newDraft(t, w, "demo-unit", "草稿", people(0, 2))
	pending := newDraft(t, w, "demo-unit", "待审", people(10, 2))
	if _, err := w.Store.SubmitBatch(unit, pending.ID); err != nil {
		t.Fatal(err)
	}
	rejected := newDraft(t, w, "demo-unit", "退回", people(20, 2))
	if _, err := w.Store.SubmitBatch(unit, rejected.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.RejectBatch(dept, rejected.ID, "资料不全", nil); err != nil {
		t.Fatal(err)
	}
	directDraft := newDraft(t, w, "demo-direct", "省直所批次", []candidate.Candidate{{Name: "省直", IDNumber: personID(30), WorkUnit: "安徽建工", OccupationCode: "012", Level: 5}})

	type step struct {
		name string
		do   func() error
		want error // ErrConflict (state), ErrForbidden, ErrNotFound, or nil for a ValidationError
	}
	approve := func(a store.Actor, id uint64) func() error {
		return func() error { _, err := w.Store.ApproveBatch(a, id); return err }
	}
	reject := func(a store.Actor, id uint64) func() error {
		return func() error { _, err := w.Store.RejectBatch(a, id, "原因", nil); return err }
	}
	submit := func(a store.Actor, id uint64) func() error {
		return func() error { _, err := w.Store.SubmitBatch(a, id); return err }
	}
	reopen := func(a store.Actor, id uint64) func() error {
		return func() error { _, err := w.Store.ReopenBatches(a, []uint64{id}); return err }
	}
	for _, s := range []step{
		// A draft is the unit's own: its reviewers do not even see it.
		{"approve a draft", approve(dept, draft.ID), store.ErrNotFound},
		{"reject a draft", reject(dept, draft.ID), store.ErrNotFound},
		{"approve a rejected batch", approve(dept, rejected.ID), store.ErrConflict},
		{"reject a rejected batch", reject(dept, rejected.ID), store.ErrConflict},
		{"reopen a draft", reopen(unit, draft.ID), store.ErrConflict},
		{"submit twice", submit(unit, pending.ID), store.ErrConflict},
		{"reopen a pending batch", reopen(unit, pending.ID), store.ErrConflict},
		{"unit approves its own batch", approve(unit, pending.ID), store.ErrForbidden},
		{"province approves before the dept", approve(prov, pending.ID), store.ErrForbidden},
		{"another dept approves", approve(otherDept, pending.ID), store.ErrNotFound},
		{"another unit submits", submit(w.Actor(t, "hfcj-admin"), draft.ID), store.ErrNotFound},
		{"dept submits its unit's draft", submit(dept, draft.ID), store.ErrNotFound},
		{"dept renames its unit's rejected batch", func() error { _, err := w.Store.RenameBatch(dept, rejected.ID, "新名"); return err }, store.ErrForbidden},
		{"edit a pending batch", func() error { _, err := w.Store.RenameBatch(unit, pending.ID, "新名"); return err }, store.ErrConflict},
		{"add to a pending batch", func() error { _, err := w.Store.AddCandidate(unit, pending.ID, candidate.Raw{}); return err }, store.ErrConflict},
		{"delete a pending batch", func() error { return w.Store.DeleteBatch(unit, pending.ID) }, store.ErrConflict},
		{"dept approves a 省直所 batch", func() error {
			if _, err := w.Store.SubmitBatch(direct, directDraft.ID); err != nil {
				return err
			}
			_, err := w.Store.ApproveBatch(dept, directDraft.ID)
			return err
		}, store.ErrNotFound},
	} {
		t.Run(s.name, func(t *testing.T) {
			before := counts(t, w, "demo-unit")
			err := s.do()
			if err == nil || !errors.Is(err, s.want) {
				t.Fatalf("got %v, want %v", err, s.want)
			}
			var se *store.StateError
			if s.want == store.ErrConflict && (!errors.As(err, &se) || !strings.Contains(se.Error(), "批次当前为")) {
				t.Errorf("message %q", err)
			}
			after := counts(t, w, "demo-unit")
			for k, v := range before {
				if after[k] != v {
					t.Errorf("counter %s moved: %d → %d", k, v, after[k])
				}
			}
		})
	}
	// The 省直所's batch went straight to the province.
	if b, _ := w.Store.Batch(direct, directDraft.ID); b.State != store.BatchPendingProvince {
		t.Fatalf("省直所 batch in %s", b.State)
	}
	if _, err := w.Store.ApproveBatch(prov, directDraft.ID); err != nil {
		t.Fatalf("province approves 省直所 batch: %v", err)
	}
}

func TestBatchScope(t *testing.T) {
	w := fixture.Demo(t)
	b := newDraft(t, w, "demo-unit", "范围", people(0, 2))
	b, err := w.Store.AddBatchFiles(w.Actor(t, "demo-unit"), b.ID, []*files.Upload{files.Bytes("计划.pdf", []byte("%PDF-1.4 test"))})
	if err != nil {
		t.Fatal(err)
	}
	f := b.Files
	cands, _ := w.Store.BatchCandidates(w.Actor(t, "demo-unit"), b.ID, 0, 10)
	check := func(submitted bool) {
		for user, visible := range map[string]bool{
			"demo-unit": true, "hfjg-clerk": true, "demo-dept": submitted, "demo-province": submitted, "ah-reviewer": submitted,
			"hfcj-admin": false, "wh-dept": false, "whpx-admin": false, "demo-direct": false,
		} {
			a := w.Actor(t, user)
			_, err := w.Store.Batch(a, b.ID)
			_, _, ferr := w.Store.BatchFile(a, b.ID, f[0].Hash)
			_, cerr := w.Store.BatchCandidates(a, b.ID, 0, 10)
			_, lerr := w.Store.BatchLog(a, b.ID)
			_, oerr := w.Store.BatchCandidate(a, b.ID, cands[0].ID)
			for i, e := range []error{err, ferr, cerr, lerr, oerr} {
				if visible && e != nil {
					t.Errorf("%s cannot see (%d): %v", user, i, e)
				}
				if !visible && !errors.Is(e, store.ErrNotFound) {
					t.Errorf("%s sees another unit's batch (%d): %v", user, i, e)
				}
			}
			if !visible {
				if _, err := w.Store.RenameBatch(a, b.ID, "x"); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s renames: %v", user, err)
				}
				if _, err := w.Store.RemoveCandidate(a, b.ID, cands[0].ID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s removes a candidate: %v", user, err)
				}
				if err := w.Store.DeleteBatch(a, b.ID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s deletes: %v", user, err)
				}
				if list, _, _ := w.Store.Batches(a, store.BatchFilter{Tab: store.TabDraft, Name: "范围"}); len(list) != 0 {
					t.Errorf("%s lists it", user)
				}
			}
		}
	}
	// A draft is the unit's own until it is submitted; then its reviewers see it.
	check(false)
	if _, err := w.Store.SubmitBatch(w.Actor(t, "demo-unit"), b.ID); err != nil {
		t.Fatal(err)
	}
	check(true)
	// Superiors see but do not edit.
	if _, err := w.Store.RenameBatch(w.Actor(t, "demo-dept"), b.ID, "x"); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("dept renames: %v", err)
	}
	// A file of the batch is not reachable through another batch.
	other := newDraft(t, w, "demo-unit", "另一个", people(5, 1))
	if _, _, err := w.Store.BatchFile(w.Actor(t, "demo-unit"), other.ID, f[0].Hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("file through another batch: %v", err)
	}
}

func TestBatchNameRules(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Actor(t, "demo-unit")
	for name, msg := range map[string]string{
		"   ":                   "请填写批次名称",
		strings.Repeat("批", 51): "不能超过 50 个字",
		"2026年第4期砌筑工培训班":        "已有名为",
		" 2026年第4期砌筑工培训班 ":      "已有名为",
	} {
		_, err := w.Store.CreateBatch(unit, store.NewBatch{Name: name, Candidates: people(0, 1)})
		var ve *store.ValidationError
		if !errors.As(err, &ve) || ve.Field != "name" || !strings.Contains(ve.Message, msg) {
			t.Errorf("name %q: %v", name, err)
		}
	}
	newDraft(t, w, "demo-unit", strings.Repeat("批", 50), people(0, 1))
	// The same name in another organisation is fine.
	newDraft(t, w, "hfcj-admin", "2026年第4期砌筑工培训班", people(1, 1))
	b := newDraft(t, w, "demo-unit", "改名前", people(2, 1))
	if _, err := w.Store.RenameBatch(unit, b.ID, "2026年第6期钢筋工培训班"); !isValidation(err) {
		t.Errorf("rename to a taken name: %v", err)
	}
	if _, err := w.Store.RenameBatch(unit, b.ID, "改名后"); err != nil {
		t.Fatal(err)
	}
	// The old name is free again, the new one found by the search.
	newDraft(t, w, "demo-unit", "改名前", people(3, 1))
	if list, _, _ := w.Store.Batches(unit, store.BatchFilter{Tab: store.TabDraft, Name: "改名后"}); len(list) != 1 {
		t.Errorf("search by new name: %d", len(list))
	}
}

func TestCandidateRules(t *testing.T) {
	w := fixture.Demo(t)
	unit, other := w.Actor(t, "demo-unit"), w.Actor(t, "hfcj-admin")
	b := newDraft(t, w, "demo-unit", "在线编辑", people(0, 2))
	raw := func(i int) candidate.Raw {
		p := person(i)
		return candidate.Raw{Name: p.Name, IDNumber: p.IDNumber, WorkUnit: p.WorkUnit, Occupation: "砌筑工", Level: "5"}
	}
	fieldErr := func(err error, col, msg string) {
		t.Helper()
		var ce *store.CandidateError
		if !errors.As(err, &ce) || !strings.Contains(ce.Fields()[col], msg) {
			t.Errorf("want %s error %q, got %v", col, msg, err)
		}
	}
	// The rules of the import apply.
	bad := raw(5)
	bad.IDNumber = bad.IDNumber[:17] + "Y"
	bad.Level = "一级"
	bad.Phone = "123"
	_, err := w.Store.AddCandidate(unit, b.ID, bad)
	fieldErr(err, candidate.ColIDNumber, "只能由数字组成")
	fieldErr(err, candidate.ColPhone, "不是有效的手机号码")
	outside := raw(5)
	outside.Occupation = "木工"
	_, err = w.Store.AddCandidate(unit, b.ID, outside)
	fieldErr(err, candidate.ColOccupation, "不在本单位可登记的职业（工种）范围内")
	// Duplicate (ID, occupation, level) inside the batch; the same ID with
	// another level is fine, with another name is not.
	_, err = w.Store.AddCandidate(unit, b.ID, raw(0))
	fieldErr(err, candidate.ColIDNumber, "同一身份证号、同一职业（工种）和等级只能登记一次")
	lvl4 := raw(0)
	lvl4.Level = "四级/中级工"
	c4, err := w.Store.AddCandidate(unit, b.ID, lvl4)
	if err != nil {
		t.Fatal(err)
	}
	renamed := raw(0)
	renamed.Level, renamed.Name = "3", "别人"
	_, err = w.Store.AddCandidate(unit, b.ID, renamed)
	fieldErr(err, candidate.ColName, "不一致")
	// Editing into a duplicate is refused; editing itself is fine.
	back := raw(0)
	_, err = w.Store.UpdateCandidate(unit, b.ID, c4.ID, 0, back)
	fieldErr(err, candidate.ColIDNumber, "只能登记一次")
	lvl4.Phone = "13912345678"
	if c, err := w.Store.UpdateCandidate(unit, b.ID, c4.ID, 0, lvl4); err != nil || c.Phone != "13912345678" || c.Gender == "" {
		t.Fatalf("edit: %v %+v", err, c)
	}
	if got, _ := w.Store.Batch(unit, b.ID); got.Count != 3 {
		t.Fatalf("count %d", got.Count)
	}

	// A holder of a valid certificate for the same occupation and level.
	holderOf := func(i int) string {
		t.Helper()
		p := person(i)
		certs, err := w.Store.IssueForTest(store.IssueRequest{OrgID: w.Org(t, "hfcj-admin").ID, Username: "ah-reviewer",
			Holders: []store.Holder{{Name: p.Name, Gender: p.Gender, IDNumber: p.IDNumber, WorkUnit: p.WorkUnit, Occupation: "012", Level: 5}}})
		if err != nil {
			t.Fatal(err)
		}
		return certs[0].Number
	}
	held := holderOf(6)
	_, err = w.Store.AddCandidate(unit, b.ID, raw(6))
	fieldErr(err, candidate.ColIDNumber, "已持有该职业（工种）和等级的有效证书（证书编号 "+held+"）")
	if _, err := w.Store.CreateBatch(unit, store.NewBatch{Name: "持证", Candidates: people(6, 1)}); err == nil {
		t.Fatal("holder imported")
	}
	wb := workbookOf(t, [][]string{rowOf(person(6))})
	if res, err := checkWorkbook(t, w, unit, 0, wb); err != nil || res.OK() || !strings.Contains(res.Errors[0].Message, "有效证书") {
		t.Fatalf("workbook with a holder: %v %+v", err, res)
	}
	// The holder index is consulted at submission too.
	holderOf(1)
	if cv, _ := w.Store.BatchCandidates(unit, b.ID, 0, 10); !strings.Contains(cv[1].Problem, "有效证书") {
		t.Errorf("problem not shown: %+v", cv[1])
	}
	_, err = w.Store.SubmitBatch(unit, b.ID)
	var ie *store.ImportError
	if !errors.As(err, &ie) || len(ie.Errors) != 1 || ie.Errors[0].Row != 2 {
		t.Fatalf("submit with a holder: %v", err)
	}
	cands, _ := w.Store.BatchCandidates(unit, b.ID, 0, 10)
	if _, err := w.Store.RemoveCandidate(unit, b.ID, cands[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.SubmitBatch(unit, b.ID); err != nil {
		t.Fatalf("submit after removing the holder: %v", err)
	}

	// Under review: another unit cannot take the same person, occupation and
	// level (and is not told the batch's name); after the rejection it can.
	_, err = w.Store.CreateBatch(other, store.NewBatch{Name: "抢人", Candidates: people(0, 1)})
	if !errors.As(err, &ie) || !strings.Contains(ie.Errors[0].Message, "正在其他批次中审核") || strings.Contains(ie.Errors[0].Message, "在线编辑") {
		t.Fatalf("other unit imports a person under review: %v", err)
	}
	own := newDraft(t, w, "demo-unit", "本单位第二批", people(40, 1))
	_, err = w.Store.AddCandidate(unit, own.ID, raw(0))
	fieldErr(err, candidate.ColIDNumber, "正在本单位批次「在线编辑」中审核")
	if _, err := w.Store.RejectBatch(w.Actor(t, "demo-dept"), b.ID, "退回", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.CreateBatch(other, store.NewBatch{Name: "抢人", Candidates: people(0, 1)}); err != nil {
		t.Fatalf("after rejection: %v", err)
	}
	// Now the rejected batch cannot be resubmitted while the other unit's
	// batch with the same person is under review.
	if _, err := w.Store.ReopenBatches(unit, []uint64{b.ID}); err != nil {
		t.Fatal(err)
	}
	list, _, _ := w.Store.Batches(other, store.BatchFilter{Tab: store.TabDraft, Name: "抢人"})
	if _, err := w.Store.SubmitBatch(other, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.SubmitBatch(unit, b.ID); !errors.As(err, &ie) {
		t.Fatalf("resubmit with a person now under review elsewhere: %v", err)
	}
	// An empty batch cannot be submitted.
	empty := newDraft(t, w, "demo-unit", "将清空", people(50, 1))
	cv, _ := w.Store.BatchCandidates(unit, empty.ID, 0, 1)
	if _, err := w.Store.RemoveCandidate(unit, empty.ID, cv[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.SubmitBatch(unit, empty.ID); !isValidation(err) {
		t.Fatalf("submit empty: %v", err)
	}
}

func TestDeleteDraftOnly(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Actor(t, "demo-unit")
	base := counts(t, w, "demo-unit")
	b := newDraft(t, w, "demo-unit", "将删除", people(0, 3))
	if err := w.Store.DeleteBatch(unit, b.ID); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, w, "demo-unit", base, nil)
	if _, err := w.Store.Batch(unit, b.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted batch: %v", err)
	}
	// Its name and people are free again.
	newDraft(t, w, "demo-unit", "将删除", people(0, 3))
}

func TestMaterials(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Actor(t, "demo-unit")
	b := newDraft(t, w, "demo-unit", "资料", people(0, 1))
	pngs := make([]*files.Upload, 21)
	for i := range pngs {
		pngs[i] = files.Bytes(fmt.Sprintf("图%d.png", i), tinyPNG(t, i+1))
	}
	onDisk := func(u *files.Upload) bool {
		_, err := w.Store.ReadFile(u.Hash)
		return err == nil
	}
	// Too many: refused before anything is written.
	if _, err := w.Store.AddBatchFiles(unit, b.ID, pngs); !isValidation(err) || !strings.Contains(err.Error(), "最多上传 20 张图片") {
		t.Fatalf("21 images: %v", err)
	}
	if got, _ := w.Store.Batch(unit, b.ID); len(got.Files) != 0 || onDisk(pngs[0]) {
		t.Fatal("files saved after refusal")
	}
	got, err := w.Store.AddBatchFiles(unit, b.ID, pngs[:20])
	if err != nil || len(got.Images()) != 20 {
		t.Fatal(err)
	}
	for _, f := range got.Files {
		if content, err := w.Store.ReadFile(f.Hash); err != nil || len(content) != int(f.Size) {
			t.Fatalf("file %s not on disk: %v", f.Name, err)
		}
	}
	if _, err := w.Store.AddBatchFiles(unit, b.ID, pngs[20:]); !isValidation(err) || onDisk(pngs[20]) {
		t.Fatalf("21st image: %v", err)
	}
	docs := []*files.Upload{
		files.Bytes("a.pdf", []byte("%PDF-1.7 a")), files.Bytes("b.pdf", []byte("%PDF-1.7 b")), files.Bytes("c.pdf", []byte("%PDF-1.7 c")),
	}
	if _, err := w.Store.AddBatchFiles(unit, b.ID, docs); !isValidation(err) || !strings.Contains(err.Error(), "最多上传 2 个文档") {
		t.Fatalf("3 documents: %v", err)
	}
	if _, err := w.Store.AddBatchFiles(unit, b.ID, docs[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.AddBatchFiles(unit, b.ID, docs[:1]); !isValidation(err) || !strings.Contains(err.Error(), "请勿重复上传") {
		t.Fatalf("same file twice: %v", err)
	}
	got, err = w.Store.RemoveBatchFile(unit, b.ID, got.Files[0].Hash)
	if err != nil || len(got.Images()) != 19 || len(got.Docs()) != 1 {
		t.Fatalf("remove: %v %d %d", err, len(got.Images()), len(got.Docs()))
	}
	// With the create wizard's confirmation: a bad material refuses the
	// batch and writes nothing.
	base := counts(t, w, "demo-unit")
	_, err = w.Store.CreateBatch(unit, store.NewBatch{Name: "带资料", Candidates: people(3, 1),
		Uploads: []*files.Upload{files.Bytes("好.png", tinyPNG(t, 77)), files.Bytes("坏.png", []byte("PK\x03\x04"))}})
	if !isValidation(err) || onDisk(files.Bytes("好.png", tinyPNG(t, 77))) {
		t.Fatalf("create with a bad material: %v", err)
	}
	wantCounts(t, w, "demo-unit", base, nil)
	nb, err := w.Store.CreateBatch(unit, store.NewBatch{Name: "带资料", Candidates: people(3, 1),
		Uploads: []*files.Upload{files.Bytes("好.png", tinyPNG(t, 77)), files.Bytes("计划.pdf", []byte("%PDF-1.4 plan"))}})
	if err != nil || len(nb.Images()) != 1 || len(nb.Docs()) != 1 {
		t.Fatalf("create with materials: %v %+v", err, nb.Files)
	}
}

// One bad upload refuses the lot and writes nothing. (Each rule of a
// single file is tested in package files.)
func TestOneBadUploadRefusesAll(t *testing.T) {
	zipBytes := zipOf(t, map[string]string{"readme.txt": "hi"})
	w := fixture.Demo(t)
	b := newDraft(t, w, "demo-unit", "混合", people(0, 1))
	if _, err := w.Store.AddBatchFiles(w.Actor(t, "demo-unit"), b.ID, []*files.Upload{files.Bytes("好.png", tinyPNG(t, 9)), files.Bytes("坏.png", zipBytes)}); err == nil {
		t.Fatal("mixed uploads accepted")
	}
	if _, err := w.Store.ReadFile(files.Bytes("好.png", tinyPNG(t, 9)).Hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("good file of a refused upload was written: %v", err)
	}
}

func TestStagedWorkbookBelongsToItsUploader(t *testing.T) {
	w := fixture.Demo(t)
	unit, clerk := w.Actor(t, "demo-unit"), w.Actor(t, "hfjg-clerk")
	wb := workbookOf(t, [][]string{rowOf(person(1))})
	hash, err := w.Store.StageWorkbook(unit, files.Bytes("名单.xlsx", wb))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := w.Store.StagedWorkbook(unit, hash); err != nil || !bytes.Equal(got, wb) {
		t.Fatalf("staged: %v", err)
	}
	if _, err := w.Store.StagedWorkbook(clerk, hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user reads it: %v", err)
	}
	if _, err := w.Store.StagedWorkbook(unit, "../registry.db"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("path as hash: %v", err)
	}
	w.Clock.Advance(25 * time.Hour)
	if _, err := w.Store.StagedWorkbook(unit, hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired: %v", err)
	}
}

// BenchmarkImport5000 imports, validates and saves a workbook of 5,000
// candidates: the work of the create wizard's check and confirm.
func BenchmarkImport5000(b *testing.B) {
	w := fixture.Demo(b)
	unit := w.Actor(b, "demo-unit")
	rows := make([][]string, 5000)
	for i := range rows {
		rows[i] = rowOf(person(i))
		rows[i][6] = "13912345678"
	}
	wb := workbookOf(b, rows)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := checkWorkbook(b, w, unit, 0, wb)
		if err != nil || !res.OK() || len(res.Candidates) != 5000 {
			b.Fatalf("import: %v", err)
		}
		if _, err := w.Store.CreateBatch(unit, store.NewBatch{Name: fmt.Sprintf("基准%d", i), Candidates: res.Candidates}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBatchListFiltersAndPaging(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Actor(t, "demo-unit")
	for i := 0; i < 25; i++ {
		w.Clock.Advance(24 * time.Hour)
		name := fmt.Sprintf("分页批次%02d", i)
		if i%5 == 0 {
			name = fmt.Sprintf("Special %02d", i)
		}
		newDraft(t, w, "demo-unit", name, people(i, 1))
	}
	page1, total, err := w.Store.Batches(unit, store.BatchFilter{Tab: store.TabDraft, Limit: 10})
	if err != nil || total != 27 || len(page1) != 10 || page1[0].Name != "分页批次24" {
		t.Fatalf("page 1: %d of %d, first %q, %v", len(page1), total, page1[0].Name, err)
	}
	page3, _, _ := w.Store.Batches(unit, store.BatchFilter{Tab: store.TabDraft, Offset: 20, Limit: 10})
	if len(page3) != 7 {
		t.Fatalf("page 3: %d", len(page3))
	}
	byName, total, _ := w.Store.Batches(unit, store.BatchFilter{Tab: store.TabDraft, Name: "special"})
	if total != 5 || len(byName) != 5 {
		t.Fatalf("by name: %d", total)
	}
	from := fixture.Start.Add(10*24*time.Hour - time.Minute)
	to := fixture.Start.Add(14*24*time.Hour + time.Minute)
	byDate, total, _ := w.Store.Batches(unit, store.BatchFilter{Tab: store.TabDraft, From: from, To: to})
	if total != 5 || byDate[0].Name != "分页批次13" {
		t.Fatalf("by date: %d %+v", total, byDate)
	}
}
