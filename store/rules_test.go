package store_test

import (
	"errors"
	"strings"
	"testing"

	"certreg/candidate"
	"certreg/fixture"
	"certreg/store"
)

// ID numbers whose check digit was computed by hand (GB 11643: weights
// 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11 indexes "10X98765432"),
// so these tests do not lean on the check-digit code they test.
const (
	// 3·7+4·9+0·10+1·5+0·8+2·4+1·2+9·1+9·6+0·3+0·7+3·9+0·10+7·5+1·8+2·4+3·2
	// = 219; 219 mod 11 = 10 → "2". 17th digit 3 (odd): 男.
	idMan = "340102199003071232"
	// GB 11643's own example: 1·7+1·9+0·10+1·5+0·8+5·4+1·2+9·1+4·6+9·3+1·7
	// +2·9+3·10+1·5+0·8+0·4+2·2 = 167; 167 mod 11 = 2 → "X". 17th digit 2: 女.
	idWomanX = "11010519491231002X"
	// 3·7+4·9+1·10+2·5+2·8+5·4+1·2+9·1+8·6+5·3+0·7+6·9+1·10+5·5+0·8+0·4
	// +2·2 = 280; 280 mod 11 = 5 → "7". 17th digit 2: 女.
	idWoman = "341225198506150027"
)

func rawOf(name, id, gender string) candidate.Raw {
	return candidate.Raw{Name: name, IDNumber: id, Gender: gender, WorkUnit: "合肥建工集团", Occupation: "012", Level: "5"}
}

// Online candidates with hand-checked ID numbers: accepted with the right
// gender, refused with any other last character.
func TestFixedIDNumbersOnline(t *testing.T) {
	w := fixture.Demo(t)
	a := w.Actor(t, "demo-unit")
	b := newDraft(t, w, "demo-unit", "固定身份证号测试", people(0, 1))
	for _, tc := range []struct{ name, id, gender, stored string }{
		{"张固定", idMan, "男", idMan},
		{"李固定", strings.ToLower(idWomanX), "女", idWomanX},
		{"王固定", idWoman, "", idWoman},
	} {
		c, err := w.Store.AddCandidate(a, b.ID, rawOf(tc.name, tc.id, tc.gender))
		if err != nil {
			t.Fatalf("%s %s refused: %v", tc.name, tc.id, err)
		}
		if c.IDNumber != tc.stored {
			t.Errorf("%s stored as %s, want %s", tc.id, c.IDNumber, tc.stored)
		}
		want := "男"
		if tc.id != idMan {
			want = "女"
		}
		if c.Gender != want {
			t.Errorf("%s: gender %q, want %q", tc.id, c.Gender, want)
		}
	}
	for i, bad := range []string{"340102199003071230", "340102199003071233", "34010219900307123X", "110105194912310020", "341225198506150028"} {
		_, err := w.Store.AddCandidate(a, b.ID, rawOf("赵错误"+string(rune('甲'+i)), bad, ""))
		var ce *store.CandidateError
		if !errors.As(err, &ce) || !strings.Contains(ce.Fields()[candidate.ColIDNumber], "校验位") {
			t.Errorf("%s (wrong check digit) accepted or wrong message: %v", bad, err)
		}
	}
	// The gender must match the 17th digit.
	_, err := w.Store.AddCandidate(a, b.ID, rawOf("钱不符", "340102199003071232", "女"))
	var ce *store.CandidateError
	if !errors.As(err, &ce) || ce.Fields()["性别"] == "" {
		t.Errorf("gender 女 for an odd 17th digit accepted: %v", err)
	}
}

// A batch is checked against the unit's scope at submission, not only at
// import: a pair removed from the scope after the import blocks the submit
// with a message naming it, and the batch stays a draft.
func TestSubmitRechecksCurrentScope(t *testing.T) {
	for _, who := range []string{"unit", "dept"} {
		t.Run(who+" narrows", func(t *testing.T) {
			w := fixture.Demo(t)
			unit := w.Actor(t, "demo-unit")
			b := newDraft(t, w, "demo-unit", "范围收窄测试", people(0, 2)) // 砌筑工 (012) 五级
			var err error
			if who == "unit" {
				_, err = w.Store.RemoveOwnScope(unit, store.Scope{"012": {5}})
			} else {
				_, err = w.Store.RemoveOwnScope(w.Actor(t, "demo-dept"), store.Scope{"012": {5}})
			}
			if err != nil {
				t.Fatal(err)
			}
			if sc, _ := w.Store.EffectiveScope(w.Org(t, "demo-unit")); sc.Has("012", 5) {
				t.Fatal("the unit still holds 012 level 5")
			}
			_, err = w.Store.SubmitBatch(unit, b.ID)
			var ie *store.ImportError
			if !errors.As(err, &ie) || len(ie.Errors) != 2 {
				t.Fatalf("submit after the scope narrowed: %v, want both candidates refused", err)
			}
			for _, re := range ie.Errors {
				if !strings.Contains(re.Message, "已不在本单位可登记的职业（工种）范围内") || !strings.Contains(re.Message, "砌筑工") {
					t.Errorf("row %d: %q", re.Row, re.Message)
				}
			}
			got, err := w.Store.Batch(unit, b.ID)
			if err != nil || got.State != store.BatchDraft {
				t.Fatalf("batch state %s (%v), want draft", got.State, err)
			}
			views, err := w.Store.BatchCandidates(unit, b.ID, 0, 10)
			if err != nil || len(views) != 2 || !strings.Contains(views[0].Problem, "已不在") {
				t.Fatalf("the batch page does not show the problem: %v %+v", err, views)
			}
			if who == "unit" {
				// Given back by the dept, the same batch goes through.
				prov := w.Actor(t, "demo-dept")
				sc, _ := w.Store.EffectiveScope(w.Org(t, "demo-unit"))
				sc["012"] = append(sc["012"], 5)
				if _, err := w.Store.SetScope(prov, w.Org(t, "demo-unit").ID, sc); err != nil {
					t.Fatal(err)
				}
				got, err := w.Store.SubmitBatch(unit, b.ID)
				if err != nil || got.State != store.BatchPendingDept {
					t.Fatalf("submit with the scope restored: %s %v", got.State, err)
				}
			}
		})
	}
}
