package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"certreg/candidate"
	"certreg/idcard"
	"certreg/store"
)

var testNames = []string{"张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏", "徐强", "孙悦"}

// candidates builds n valid candidates for occupation 012 (砌筑工) 五级;
// seed keeps ID numbers apart between batches.
func candidates(n, seed int) []candidate.Candidate {
	out := make([]candidate.Candidate, n)
	for i := range out {
		id := idcard.Make("340104", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, seed*200+i), i%1000)
		out[i] = candidate.Candidate{Row: i + 2, Name: testNames[i%len(testNames)], IDNumber: id, Gender: idcard.Gender(id),
			WorkUnit: "合肥建工集团有限公司", OccupationCode: "012", OccupationName: "砌筑工", Level: 5}
	}
	return out
}

// submitted creates and submits a batch of n candidates for username's
// organisation.
func submitted(t *testing.T, e *env, username, name string, n, seed int) store.Batch {
	t.Helper()
	a := e.w.Actor(t, username)
	b, err := e.w.Store.CreateBatch(a, store.NewBatch{Name: name, Candidates: candidates(n, seed)})
	if err != nil {
		t.Fatalf("create batch: %v", err)
	}
	if b, err = e.w.Store.SubmitBatch(a, b.ID); err != nil {
		t.Fatalf("submit batch: %v", err)
	}
	return b
}

func TestReviewScenarios(t *testing.T) {
	e := newEnv(t)
	unitBatch := submitted(t, e, "demo-unit", "2026年第一期砌筑工", 5, 1)
	directBatch := submitted(t, e, "demo-direct", "省直所第一期", 3, 2)
	ub, db := itoa(unitBatch.ID), itoa(directBatch.ID)
	cands, err := e.w.Store.BatchCandidates(e.w.Actor(t, "demo-dept"), unitBatch.ID, 0, 10)
	if err != nil || len(cands) != 5 {
		t.Fatalf("candidates: %v %d", err, len(cands))
	}
	c1 := itoa(cands[0].ID)
	validBefore, _ := e.w.Store.ValidCertificates(e.w.Org(t, "demo-province").ID)
	seg, _ := e.w.Store.Segment("2634010125")
	get, post := http.MethodGet, http.MethodPost
	runScenarios(t, e, []scenario{
		{name: "dept pending list", user: "demo-dept", method: get, path: "/reviews/batches", status: 200,
			want: []string{"2026年第一期砌筑工", "合肥建工职业技能培训学校"}, absent: []string{"省直所第一期"}},
		{name: "other dept sees nothing", user: "wh-dept", method: get, path: "/reviews/batches", status: 200,
			absent: []string{"2026年第一期砌筑工"}, want: []string{"暂无待审核的批次"}},
		{name: "other dept cannot open it", user: "wh-dept", method: get, path: "/reviews/batches/" + ub, status: 404},
		{name: "other dept cannot approve it", user: "wh-dept", method: post, path: "/reviews/batches/" + ub + "/approve", status: 404},
		{name: "province sees the 省直所 batch", user: "demo-province", method: get, path: "/reviews/batches", status: 200,
			want: []string{"省直所第一期"}, absent: []string{"2026年第一期砌筑工"}},
		{name: "province cannot approve before the dept", user: "demo-province", method: post, path: "/reviews/batches/" + ub + "/approve", status: 422,
			want: []string{"主管部门审核中", "不在本机构的审核中"}},
		{name: "unit has no review", user: "demo-unit", method: get, path: "/reviews/batches", status: 403},
		{name: "unit cannot approve its own", user: "demo-unit", method: post, path: "/reviews/batches/" + ub + "/approve", status: 403},
		{name: "review workspace", user: "demo-dept", method: get, path: "/reviews/batches/" + ub, status: 200,
			want: []string{"cand-list", cands[0].IDNumber, "审核通过", "审核不通过"}},
		{name: "candidate details fragment", user: "demo-dept", method: get, path: "/reviews/batches/" + ub + "/candidates/" + c1, htmx: true, status: 200,
			want: []string{cands[0].IDNumber, "标记为不通过"}, absent: []string{"<html"}},
		{name: "mark a candidate", user: "demo-dept", method: post, path: "/reviews/batches/" + ub + "/candidates/" + c1 + "/mark",
			form: url.Values{"failed": {"1"}, "note": {"身份证复印件不清晰"}}, status: 200, want: []string{"清除不通过标记", "1 人标记为不通过", `hx-swap-oob`}},
		{name: "approve refused while marked", user: "demo-dept", method: post, path: "/reviews/batches/" + ub + "/approve", status: 422,
			want: []string{"不能审核通过"}},
		{name: "reject needs a reason", user: "demo-dept", method: post, path: "/reviews/batches/" + ub + "/reject", form: url.Values{"reason": {" "}}, status: 422},
		{name: "clear the mark", user: "demo-dept", method: post, path: "/reviews/batches/" + ub + "/candidates/" + c1 + "/mark",
			form: url.Values{"failed": {"0"}}, status: 200, want: []string{"标记为不通过", "未标记不通过人员"}},
		{name: "dept approves", user: "demo-dept", method: post, path: "/reviews/batches/" + ub + "/approve", status: http.StatusSeeOther, location: "/reviews/batches/" + ub},
		{name: "dept approves twice", user: "demo-dept", method: post, path: "/reviews/batches/" + ub + "/approve", status: 422,
			want: []string{"省厅审核中", "不在本机构的审核中"}},
		{name: "dept done list", user: "demo-dept", method: get, path: "/reviews/batches?tab=done", status: 200, want: []string{"2026年第一期砌筑工", "审核通过"}},
		{name: "province approves the unit batch", user: "demo-province", method: post, path: "/reviews/batches/" + ub + "/approve", status: http.StatusSeeOther, location: "/reviews/batches/" + ub},
		{name: "approved batch shows certificates", user: "demo-province", method: get, path: "/reviews/batches/" + ub + "?tab=certs", status: 200,
			want: []string{fmt.Sprintf("2634010125%04d", seg.Current+1), fmt.Sprintf("2634010125%04d", seg.Current+5)}},
		{name: "province rejects the 省直所 batch", user: "demo-province", method: post, path: "/reviews/batches/" + db + "/reject",
			form: url.Values{"reason": {"材料不全，请补充培训记录"}}, status: http.StatusSeeOther, location: "/reviews/batches?tab=done"},
		{name: "log shows all rounds", user: "demo-province", method: get, path: "/reviews/batches/" + ub + "?tab=log", status: 200,
			want: []string{"主管部门审核中", "省厅审核中", "审核通过"}},
	})
	if n, _ := e.w.Store.ValidCertificates(e.w.Org(t, "demo-province").ID); n != validBefore+5 {
		t.Fatalf("valid certificates %d, want %d", n, validBefore+5)
	}
}

func TestReviewListsAndFilters(t *testing.T) {
	e := newEnv(t)
	before, _, err := e.w.Store.ReviewCounts(e.w.Actor(t, "demo-dept"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		submitted(t, e, "demo-unit", fmt.Sprintf("批次%d", i), 2, 10+i)
		e.w.Clock.Advance(time.Hour)
	}
	submitted(t, e, "hfcj-admin", "城建技工批次", 1, 20)
	c := e.login("demo-dept")
	r := c.get("/reviews/batches?org=" + itoa(e.w.Org(t, "hfcj-admin").ID))
	if !strings.Contains(r.body, "城建技工批次") || strings.Contains(r.body, "批次1") {
		t.Fatalf("org filter:\n%s", r.body)
	}
	r = c.htmx("/reviews/batches?q=批次2")
	if !strings.Contains(r.body, "批次2") || strings.Contains(r.body, "批次1") {
		t.Fatal("name filter")
	}
	if !strings.Contains(c.get("/reviews/batches").body, fmt.Sprintf(`id="pending-count">%d<`, before+4)) {
		t.Fatal("pending count")
	}
}
