package store_test

import (
	"errors"
	"strings"
	"testing"

	"certreg/fixture"
	"certreg/store"
)

// underReview returns the demo unit's batch in the given review state.
func underReview(t *testing.T, w *fixture.World, state store.BatchState) store.Batch {
	t.Helper()
	list, _, err := w.Store.Batches(w.Actor(t, "demo-unit"), store.BatchFilter{Tab: store.TabReview, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range list {
		if b.State == state {
			return b
		}
	}
	t.Fatalf("the demo unit has no batch in %s", state)
	return store.Batch{}
}

func stateOf(t *testing.T, w *fixture.World, id uint64) store.BatchState {
	t.Helper()
	b, err := w.Store.Batch(w.Actor(t, "demo-province"), id)
	if err != nil {
		t.Fatal(err)
	}
	return b.State
}

// Only the reviewer of the batch's current state moves it: the dept while
// 主管部门审核中, the province while 省厅审核中. Anyone else in scope gets
// ErrForbidden, anyone outside ErrNotFound, and the batch does not move.
func TestOnlyTheCurrentReviewerMovesABatch(t *testing.T) {
	w := fixture.Demo(t)
	atDept := underReview(t, w, store.BatchPendingDept)
	atProv := underReview(t, w, store.BatchPendingProvince)
	for _, tc := range []struct {
		who  string
		b    store.Batch
		want error
	}{
		{"demo-province", atDept, store.ErrForbidden},
		{"demo-dept", atProv, store.ErrForbidden},
		{"demo-unit", atDept, store.ErrForbidden},
		{"demo-unit", atProv, store.ErrForbidden},
		{"wh-dept", atDept, store.ErrNotFound},
		{"demo-direct", atProv, store.ErrNotFound},
	} {
		a := w.Actor(t, tc.who)
		if _, err := w.Store.ApproveBatch(a, tc.b.ID); !errors.Is(err, tc.want) {
			t.Errorf("%s approves %s: %v, want %v", tc.who, tc.b.State, err, tc.want)
		}
		if _, err := w.Store.RejectBatch(a, tc.b.ID, "材料不全", nil); !errors.Is(err, tc.want) {
			t.Errorf("%s rejects %s: %v, want %v", tc.who, tc.b.State, err, tc.want)
		}
		if got := stateOf(t, w, tc.b.ID); got != tc.b.State {
			t.Fatalf("%s moved the batch to %s", tc.who, got)
		}
	}
	if _, err := w.Store.ApproveBatch(w.Actor(t, "demo-dept"), atDept.ID); err != nil {
		t.Fatalf("the dept approves its unit's batch: %v", err)
	}
	if got := stateOf(t, w, atDept.ID); got != store.BatchPendingProvince {
		t.Fatalf("after the dept's approval: %s", got)
	}
}

// A rejection needs a reason; a batch with a candidate marked 不通过
// cannot be approved until the mark is cleared.
func TestRejectReasonAndMarksBlockApproval(t *testing.T) {
	w := fixture.Demo(t)
	dept := w.Actor(t, "demo-dept")
	b := underReview(t, w, store.BatchPendingDept)
	for _, reason := range []string{"", "   ", strings.Repeat("长", 201)} {
		_, err := w.Store.RejectBatch(dept, b.ID, reason, nil)
		var ve *store.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.Message, "原因") {
			t.Errorf("reject with reason %q (%d characters): %v", reason[:min(len(reason), 9)], len([]rune(reason)), err)
		}
	}
	if got := stateOf(t, w, b.ID); got != store.BatchPendingDept {
		t.Fatalf("a refused rejection moved the batch to %s", got)
	}
	cands, err := w.Store.BatchCandidates(dept, b.ID, 0, 2)
	if err != nil || len(cands) == 0 {
		t.Fatalf("candidates: %v", err)
	}
	if _, err := w.Store.MarkCandidate(dept, b.ID, cands[0].ID, true, "身份证号与材料不符"); err != nil {
		t.Fatal(err)
	}
	_, err = w.Store.ApproveBatch(dept, b.ID)
	var ve *store.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Message, "有 1 名合格人员被标记为审核不通过") {
		t.Fatalf("approval with one marked candidate: %v", err)
	}
	if _, err := w.Store.MarkCandidate(w.Actor(t, "demo-province"), b.ID, cands[0].ID, false, ""); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("the province cleared the dept's mark: %v", err)
	}
	if _, err := w.Store.MarkCandidate(dept, b.ID, cands[0].ID, false, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.ApproveBatch(dept, b.ID); err != nil {
		t.Fatalf("approval after the mark was cleared: %v", err)
	}
}
