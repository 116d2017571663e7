package handlers

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"certreg/files"
	"certreg/store"
)

// Demo batches used by the tables (demo/batches.go).
const (
	demoDraft    = "2026年第6期钢筋工培训班"
	demoDraft2   = "2026年第5期架子工培训班（补训）"
	demoPending  = "2026年第4期砌筑工培训班"
	demoApproved = "2026年第2期混凝土工培训班"
	demoRejected = "2026年第3期焊工培训班"
)

func TestBatchScenarios(t *testing.T) {
	e := newEnv(t)
	w := e.w
	draft := itoa(batchID(t, w, "demo-unit", demoDraft))
	draft2 := itoa(batchID(t, w, "demo-unit", demoDraft2))
	pending := itoa(batchID(t, w, "demo-unit", demoPending))
	approved := itoa(batchID(t, w, "demo-unit", demoApproved))
	rejected := itoa(batchID(t, w, "demo-unit", demoRejected))
	directDraft := itoa(batchID(t, w, "demo-direct", "2026年秋季木工培训班"))
	b, _ := w.Store.Batch(w.Actor(t, "demo-unit"), parseUint(draft))
	file := b.Files[0].Hash
	img := b.Images()[0].Hash
	cands, _ := w.Store.BatchCandidates(w.Actor(t, "demo-unit"), b.ID, 0, 20)
	cand := itoa(cands[0].ID)
	fullID := cands[0].IDNumber
	get, post := http.MethodGet, http.MethodPost
	okRaw := url.Values{"name": {"周立新"}, "id_number": {testPerson(100)[1]}, "work_unit": {"安徽建工集团"},
		"occupation": {"011"}, "level": {"5"}, "phone": {""}, "remark": {""}}

	runScenarios(t, e, []scenario{
		// Lists: tabs with counts, search, paging, rows fragment.
		{name: "anonymous list redirects", method: get, path: "/batches", status: http.StatusSeeOther},
		{name: "unit draft tab", user: "demo-unit", method: get, path: "/batches", status: 200,
			want:   []string{"我的批次", demoDraft, demoDraft2, `待提交<span class="count">2</span>`, `审核中<span class="count">2</span>`, `审核不通过<span class="count">1</span>`, "下载名单模板"},
			absent: []string{demoPending, demoApproved}},
		{name: "unit review tab", user: "demo-unit", method: get, path: "/batches?tab=review", status: 200,
			want: []string{demoPending, "2026年第3期电工培训班", "主管部门审核中", "省厅审核中"}, absent: []string{demoDraft}},
		{name: "unit approved tab", user: "demo-unit", method: get, path: "/batches?tab=approved", status: 200, want: []string{demoApproved}},
		{name: "unit rejected tab with reason and checkboxes", user: "demo-unit", method: get, path: "/batches?tab=rejected", status: 200,
			want: []string{demoRejected, "身份证号与培训签到表不一致", `name="id"`, "移回待提交", "2 不通过"}},
		{name: "search by name", user: "demo-unit", method: get, path: "/batches?tab=draft&q=" + url.QueryEscape("钢筋"), status: 200,
			want: []string{demoDraft}, absent: []string{demoDraft2}},
		{name: "search by date range", user: "demo-unit", method: get, path: "/batches?tab=draft&from=2026-11-27&to=2026-11-28", status: 200,
			want: []string{demoDraft2}, absent: []string{demoDraft}},
		{name: "search without match", user: "demo-unit", method: get, path: "/batches?tab=draft&q=nothing", status: 200, want: []string{"没有符合条件的批次"}},
		{name: "list as htmx page fragment", user: "demo-unit", method: get, path: "/batches", htmx: true, status: 200,
			want: []string{demoDraft, "batch-table"}, absent: []string{"<html", "<nav class=\"nav\""}},
		{name: "clerk with batch.manage lists", user: "hfjg-clerk", method: get, path: "/batches", status: 200, want: []string{demoDraft}},
		{name: "other unit sees none of them", user: "hfcj-admin", method: get, path: "/batches", status: 200,
			want: []string{"暂无待提交的批次"}, absent: []string{demoDraft, demoDraft2}},
		{name: "other unit review tab empty", user: "hfcj-admin", method: get, path: "/batches?tab=review", status: 200,
			want: []string{"我的批次", "暂无审核中的批次"}, absent: []string{demoPending}},
		{name: "direct lists its own", user: "demo-direct", method: get, path: "/batches", status: 200,
			want: []string{"2026年秋季木工培训班"}, absent: []string{demoDraft}},
		{name: "dept has no 我的批次", user: "demo-dept", method: get, path: "/batches", status: 403},
		{name: "province has no 我的批次", user: "demo-province", method: get, path: "/batches/new", status: 403},
		{name: "unit menu links batches", user: "demo-unit", method: get, path: "/", status: 200, want: []string{`href="/batches"`, "新建批次"}},

		// The batch page and its scope.
		{name: "unit opens its draft with full IDs", user: "demo-unit", method: get, path: "/batches/" + draft, status: 200,
			want: []string{demoDraft, fullID, "提交审核", "删除批次", "添加人员", "重新导入名单", `data-confirm=`}},
		{name: "materials tab", user: "demo-unit", method: get, path: "/batches/" + draft + "?tab=materials", status: 200,
			want: []string{"培训计划及课时安排.pdf", "PDF 文档", "/materials/" + img + "?inline=1", "还可上传 1 个"}},
		{name: "review log tab", user: "demo-unit", method: get, path: "/batches/" + rejected + "?tab=log", status: 200,
			want: []string{"创建批次", "提交审核", "审核不通过", "合肥市城乡建设局", "王建国", "签到表扫描件不清晰"}},
		{name: "rejected shows reason and marks", user: "demo-unit", method: get, path: "/batches/" + rejected, status: 200,
			want: []string{"审核不通过", "签到表上无本人签名", "移回待提交", "编辑"}},
		{name: "pending is read-only", user: "demo-unit", method: get, path: "/batches/" + pending, status: 200,
			want: []string{"审核期间批次只读"}, absent: []string{"提交审核</button>", "删除批次", "添加人员", "修改名称"}},
		{name: "approved is read-only", user: "demo-unit", method: get, path: "/batches/" + approved, status: 200,
			want: []string{"批次已审核通过"}, absent: []string{"添加人员", "修改名称"}},
		{name: "other unit gets 404", user: "hfcj-admin", method: get, path: "/batches/" + draft, status: 404, absent: []string{demoDraft}},
		{name: "other unit cannot download a material", user: "hfcj-admin", method: get, path: "/batches/" + draft + "/materials/" + file, status: 404},
		{name: "other unit cannot read a candidate", user: "hfcj-admin", method: get, path: "/batches/" + draft + "/candidates/" + cand, htmx: true, status: 404},
		{name: "another dept gets 404", user: "wh-dept", method: get, path: "/batches/" + draft, status: 404},
		{name: "another dept cannot download", user: "wh-dept", method: get, path: "/batches/" + draft + "/materials/" + file, status: 404},
		{name: "the unit's dept reads it", user: "demo-dept", method: get, path: "/batches/" + pending, status: 200,
			want: []string{demoPending, "合肥建工职业技能培训学校"}, absent: []string{"删除批次", "修改名称"}},
		// A draft is the unit's own until it is submitted.
		{name: "the dept cannot read a draft", user: "demo-dept", method: get, path: "/batches/" + draft, status: 404, absent: []string{demoDraft, fullID}},
		{name: "the province cannot read a draft", user: "demo-province", method: get, path: "/batches/" + draft, status: 404, absent: []string{demoDraft, fullID}},
		{name: "the dept cannot download a draft's material", user: "demo-dept", method: get, path: "/batches/" + draft + "/materials/" + file, status: 404},
		{name: "the dept cannot read a draft's candidate", user: "demo-dept", method: get, path: "/batches/" + draft + "/candidates/" + cand, htmx: true, status: 404, absent: []string{fullID}},
		{name: "province reads a unit's batch", user: "ah-reviewer", method: get, path: "/batches/" + approved, status: 200,
			want: []string{demoApproved, "合肥建工职业技能培训学校", "审核通过"}, absent: []string{"删除批次", "添加人员"}},
		{name: "a 省直所 cannot see a unit's batch", user: "demo-direct", method: get, path: "/batches/" + draft, status: 404},
		{name: "unit cannot see a 省直所's batch", user: "demo-unit", method: get, path: "/batches/" + directDraft, status: 404},
		{name: "unknown batch", user: "demo-unit", method: get, path: "/batches/99999", status: 404},
		{name: "material of another batch", user: "demo-unit", method: get, path: "/batches/" + draft2 + "/materials/" + file, status: 404},
		{name: "bad material name", user: "demo-unit", method: get, path: "/batches/" + draft + "/materials/..%2fregistry.db", status: 404},

		// The wizard's first page and the template.
		{name: "wizard step 1", user: "demo-unit", method: get, path: "/batches/new", status: 200,
			want: []string{"新建批次", "批次名称", `type="file"`, "本单位可登记的职业（工种）", "钢筋工", `name="_csrf"`}},

		// Writes by the owner, refused ones first.
		{name: "rename to empty", user: "demo-unit", method: post, path: "/batches/" + draft + "/rename", form: url.Values{"name": {" "}},
			status: 422, want: []string{"请填写批次名称"}},
		{name: "rename to a taken name keeps the input", user: "demo-unit", method: post, path: "/batches/" + draft + "/rename", form: url.Values{"name": {demoDraft2}},
			status: 422, want: []string{"已有名为", `value="` + demoDraft2 + `"`}},
		{name: "rename a pending batch", user: "demo-unit", method: post, path: "/batches/" + pending + "/rename", form: url.Values{"name": {"新名"}},
			status: 422, want: []string{"批次当前为「主管部门审核中」，不能修改名称"}},
		{name: "other unit renames", user: "hfcj-admin", method: post, path: "/batches/" + draft + "/rename", form: url.Values{"name": {"抢"}}, status: 404},
		{name: "dept cannot use the owner's routes", user: "demo-dept", method: post, path: "/batches/" + draft + "/rename", form: url.Values{"name": {"x"}}, status: 403},
		{name: "rename", user: "demo-unit", method: post, path: "/batches/" + draft + "/rename", form: url.Values{"name": {"2026年第6期钢筋工培训班（修订）"}}, status: http.StatusSeeOther, location: "/batches/" + draft},
		{name: "renamed", user: "demo-unit", method: get, path: "/batches/" + draft, status: 200, want: []string{"2026年第6期钢筋工培训班（修订）"}},

		{name: "add an invalid candidate keeps input", user: "demo-unit", method: post, path: "/batches/" + draft + "/candidates",
			form:   url.Values{"name": {"钱多多"}, "id_number": {"34010219900101123"}, "work_unit": {""}, "occupation": {"018"}, "level": {"5"}},
			status: 422, want: []string{"身份证号应为 18 位", "工作单位", "不能为空", "不在本单位可登记的职业（工种）范围内", `value="钱多多"`, `value="34010219900101123"`}},
		// U+2EBF0 (CJK Extension I) is an ideograph no embedded font has: the
		// certificate could not print it, so the name is refused at once.
		{name: "add a name the certificate cannot print", user: "demo-unit", method: post, path: "/batches/" + draft + "/candidates",
			form:   url.Values{"name": {"王\U0002EBF0"}, "id_number": {okRaw.Get("id_number")}, "work_unit": {"x"}, "occupation": {okRaw.Get("occupation")}, "level": {okRaw.Get("level")}},
			status: 422, want: []string{"2EBF0）无法打印"}},
		{name: "add a duplicate", user: "demo-unit", method: post, path: "/batches/" + draft + "/candidates",
			form:   url.Values{"name": {cands[0].Name}, "id_number": {fullID}, "work_unit": {"x"}, "occupation": {cands[0].OccupationCode}, "level": {fmt.Sprint(cands[0].Level)}},
			status: 422, want: []string{"只能登记一次"}},
		{name: "add to a pending batch", user: "demo-unit", method: post, path: "/batches/" + pending + "/candidates", form: okRaw,
			status: 422, want: []string{"不能添加合格人员"}},
		{name: "add", user: "demo-unit", method: post, path: "/batches/" + draft + "/candidates", form: okRaw, status: http.StatusSeeOther, location: "/batches/" + draft},
		{name: "added", user: "demo-unit", method: get, path: "/batches/" + draft, status: 200, want: []string{"周立新", `<span class="count" id="cand-count">13</span>`}},

		{name: "edit row fragment", user: "demo-unit", method: get, path: "/batches/" + draft + "/candidates/" + cand + "/edit", htmx: true, status: 200,
			want: []string{`class="editing"`, `name="id_number"`, fullID, `hx-include="closest tr"`}, absent: []string{"<html"}},
		{name: "edit page without htmx", user: "demo-unit", method: get, path: "/batches/" + draft + "/candidates/" + cand + "/edit", status: 200,
			want: []string{"修改合格人员", "<html", fullID}},
		{name: "row fragment", user: "demo-unit", method: get, path: "/batches/" + draft + "/candidates/" + cand, htmx: true, status: 200,
			want: []string{`<tr id="cand-` + cand + `"`, fullID, "编辑"}, absent: []string{"<html"}},
		{name: "edit a pending batch's candidate", user: "demo-unit", method: get, path: "/batches/" + pending + "/candidates/1/edit", status: 422,
			want: []string{"批次当前为「主管部门审核中」，不能修改合格人员"}},
		{name: "edit as another unit", user: "hfcj-admin", method: get, path: "/batches/" + draft + "/candidates/" + cand + "/edit", htmx: true, status: 404},

		{name: "delete a pending batch", user: "demo-unit", method: post, path: "/batches/" + pending + "/delete", status: 422, want: []string{"不能删除"}},
		{name: "delete a rejected batch", user: "demo-unit", method: post, path: "/batches/" + rejected + "/delete", status: 422, want: []string{"只能删除待提交的批次"}},
		{name: "reopen a draft", user: "demo-unit", method: post, path: "/batches/reopen", form: url.Values{"id": {draft}}, status: 422, want: []string{"不能移回待提交"}},
		{name: "reopen nothing selected", user: "demo-unit", method: post, path: "/batches/reopen", status: 422, want: []string{"请先勾选"}},
		{name: "reopen another unit's", user: "hfcj-admin", method: post, path: "/batches/reopen", form: url.Values{"id": {rejected}}, status: 404},
		{name: "submit as another unit", user: "hfcj-admin", method: post, path: "/batches/" + draft + "/submit", status: 404},
		{name: "submit a pending batch", user: "demo-unit", method: post, path: "/batches/" + pending + "/submit", status: 422, want: []string{"不能提交审核"}},
		{name: "reopen the rejected batch", user: "demo-unit", method: post, path: "/batches/reopen", form: url.Values{"id": {rejected}}, status: http.StatusSeeOther, location: "/batches?tab=draft"},
		{name: "moved back to draft", user: "demo-unit", method: get, path: "/batches", status: 200, want: []string{demoRejected, `审核不通过<span class="count">0</span>`, `待提交<span class="count">3</span>`}},
		{name: "a moved-back batch shows the last reason", user: "demo-unit", method: get, path: "/batches/" + rejected, status: 200, want: []string{"上次审核不通过的原因", "提交审核"}},
		{name: "submit the draft", user: "demo-unit", method: post, path: "/batches/" + draft + "/submit", status: http.StatusSeeOther, location: "/batches/" + draft},
		{name: "submitted to the dept", user: "demo-unit", method: get, path: "/batches/" + draft, status: 200, want: []string{"主管部门审核中", "已提交主管部门审核"}},
		{name: "delete the other draft", user: "demo-unit", method: post, path: "/batches/" + draft2 + "/delete", status: http.StatusSeeOther, location: "/batches?tab=draft"},
		{name: "deleted", user: "demo-unit", method: get, path: "/batches/" + draft2, status: 404},
		{name: "direct submits to the province", user: "demo-direct", method: post, path: "/batches/" + directDraft + "/submit", status: http.StatusSeeOther, location: "/batches/" + directDraft},
		{name: "direct's batch at the province", user: "demo-direct", method: get, path: "/batches/" + directDraft, status: 200, want: []string{"省厅审核中", "已提交省厅审核"}},
	})
}

func TestBatchCandidateFragments(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-unit")
	id := itoa(batchID(t, e.w, "demo-unit", demoDraft))
	cands, _ := e.w.Store.BatchCandidates(e.w.Actor(t, "demo-unit"), parseUint(id), 0, 20)
	first, second := cands[0], cands[1]
	form := func(name, phone string) url.Values {
		return url.Values{"name": {name}, "id_number": {first.IDNumber}, "gender": {""}, "work_unit": {first.WorkUnit},
			"occupation": {first.OccupationCode}, "level": {fmt.Sprint(first.Level)}, "phone": {phone}, "remark": {""}}
	}
	// An invalid add (htmx) answers the add form only, with its errors.
	r := c.postHTMX("/batches/"+id+"/candidates", url.Values{"name": {""}, "id_number": {first.IDNumber}, "work_unit": {"x"}, "occupation": {"011"}, "level": {"5"}}, nil)
	if r.status != 422 || !strings.Contains(r.body, `id="cand-add"`) || !strings.Contains(r.body, "不能为空") || strings.Contains(r.body, "<html") || strings.Contains(r.body, "page-head") {
		t.Fatalf("invalid add: %d\n%s", r.status, r.body)
	}
	// A valid add (htmx) redirects to the batch page.
	r = c.postHTMX("/batches/"+id+"/candidates", url.Values{"name": {"钱立"}, "id_number": {testPerson(300)[1]}, "work_unit": {"x"}, "occupation": {"011"}, "level": {"4"}}, nil)
	if r.status != 204 || r.header.Get("HX-Redirect") != "/batches/"+id {
		t.Fatalf("add: %d %v", r.status, r.header)
	}
	// Invalid edit: the edit row comes back with its error, 422, no layout.
	r = c.postHTMX("/batches/"+id+"/candidates/"+itoa(first.ID), form(first.Name, "99"), nil)
	if r.status != 422 || !strings.Contains(r.body, `class="editing"`) || !strings.Contains(r.body, "不是有效的手机号码") || strings.Contains(r.body, "<html") {
		t.Fatalf("invalid edit: %d\n%s", r.status, r.body)
	}
	// Valid edit: the row, with a toast.
	r = c.postHTMX("/batches/"+id+"/candidates/"+itoa(first.ID), form(first.Name, "13800138001"), nil)
	if r.status != 200 || !strings.Contains(r.body, "13800138001") || strings.Contains(r.body, "editing") || !strings.Contains(r.header.Get("HX-Trigger"), "toast") {
		t.Fatalf("edit: %d\n%s", r.status, r.body)
	}
	if !regexp.MustCompile(`<td class="muted">1</td>`).MatchString(r.body) {
		t.Errorf("edited row lost its position:\n%s", r.body)
	}
	// Remove: an empty row and the count out of band.
	r = c.postHTMX("/batches/"+id+"/candidates/"+itoa(second.ID)+"/delete", nil, nil)
	if r.status != 200 || !strings.Contains(r.body, `id="cand-count" hx-swap-oob="true">12<`) || strings.Contains(r.body, "<tr") {
		t.Fatalf("remove: %d\n%s", r.status, r.body)
	}
	// The list rows fragment for the filter form.
	r = c.do(http.MethodGet, "/batches?tab=draft&q="+url.QueryEscape("架子"), nil, map[string]string{"HX-Request": "true", "HX-Target": "batch-table"})
	if r.status != 200 || !strings.HasPrefix(strings.TrimSpace(r.body), `<div id="batch-table">`) || !strings.Contains(r.body, demoDraft2) || strings.Contains(r.body, "filters") {
		t.Fatalf("rows fragment: %d\n%.500s", r.status, r.body)
	}
	if !strings.Contains(r.header.Get("Vary"), "HX-Request") {
		t.Error("no Vary: HX-Request")
	}
	// A refused htmx removal (batch under review) is a toast, not a swap.
	pending := itoa(batchID(t, e.w, "demo-unit", demoPending))
	pc, _ := e.w.Store.BatchCandidates(e.w.Actor(t, "demo-unit"), parseUint(pending), 0, 1)
	r = c.postHTMX("/batches/"+pending+"/candidates/"+itoa(pc[0].ID)+"/delete", nil, nil)
	if r.status != 422 || r.header.Get("HX-Reswap") != "none" || !strings.Contains(r.header.Get("HX-Trigger"), "toast") {
		t.Fatalf("refused removal: %d %v", r.status, r.header)
	}
}

func TestBatchDownloads(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-unit")
	r := c.get("/batches/template.xlsx")
	if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "spreadsheetml") ||
		!strings.Contains(r.header.Get("Content-Disposition"), "attachment; filename=") ||
		!strings.Contains(r.header.Get("Content-Disposition"), "filename*=UTF-8''%E5%90%88%E6%A0%BC") {
		t.Fatalf("template: %d %v", r.status, r.header)
	}
	f, err := excelize.OpenReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("template does not open: %v", err)
	}
	occs, _ := f.GetRows("职业列表")
	f.Close()
	joined := fmt.Sprint(occs)
	if !strings.Contains(joined, "钢筋工") || strings.Contains(joined, "木工") {
		t.Errorf("template occupations not the unit's scope: %s", joined)
	}

	id := batchID(t, e.w, "demo-unit", demoDraft)
	b, _ := e.w.Store.Batch(e.w.Actor(t, "demo-unit"), id)
	doc, img := b.Docs()[0], b.Images()[0]
	r = c.get("/batches/" + itoa(id) + "/materials/" + doc.Hash)
	if r.status != 200 || r.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") ||
		!strings.Contains(r.header.Get("Content-Disposition"), "filename*=UTF-8''"+rfc5987(doc.Name)) ||
		r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(r.body, "%PDF") {
		t.Fatalf("document download: %d %v", r.status, r.header)
	}
	// A document never comes inline, an image only when asked for.
	if r = c.get("/batches/" + itoa(id) + "/materials/" + doc.Hash + "?inline=1"); !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("document inline: %v", r.header.Get("Content-Disposition"))
	}
	if r = c.get("/batches/" + itoa(id) + "/materials/" + img.Hash + "?inline=1"); r.status != 200 || r.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "inline;") {
		t.Errorf("image preview: %d %v", r.status, r.header)
	}
	if r = c.get("/batches/" + itoa(id) + "/materials/" + img.Hash); !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("image download: %v", r.header.Get("Content-Disposition"))
	}
}

func TestBatchWizardAndUploads(t *testing.T) {
	e := newEnv(t)
	w := e.w
	c := e.login("demo-unit")
	base := batchCounts(t, w, "demo-unit")
	unchanged := func(what string) {
		t.Helper()
		now := batchCounts(t, w, "demo-unit")
		for k, v := range base {
			if now[k] != v {
				t.Fatalf("%s: counter %s moved %d → %d", what, k, v, now[k])
			}
		}
	}
	bad := append([]string(nil), testPerson(2)...)
	bad[1] = bad[1][:16] + "x" + bad[1][17:] // a letter inside the number
	wb := candidateWorkbook(t, testPerson(1), bad, testPerson(3))

	// Step 1 with errors: listed by row and column, annotated workbook offered.
	r := c.multipart("/batches/new", url.Values{"name": {"上传测试批次"}}, []upload{{"file", "名单.xlsx", wb}}, nil)
	if r.status != 422 || !strings.Contains(r.body, "第 3 行") || !strings.Contains(r.body, ">B3<") || !strings.Contains(r.body, "只能由数字组成") ||
		!strings.Contains(r.body, `value="上传测试批次"`) || !strings.Contains(r.body, "下载标注错误的名单") {
		t.Fatalf("step 1 with errors: %d\n%s", r.status, r.body)
	}
	unchanged("step 1 with errors")
	href := regexp.MustCompile(`href="(/batches/annotated\.xlsx\?ref=[0-9a-f]{64})"`).FindStringSubmatch(r.body)
	if href == nil {
		t.Fatal("no annotated link")
	}
	ann := c.get(href[1])
	af, err := excelize.OpenReader(strings.NewReader(ann.body))
	if ann.status != 200 || err != nil {
		t.Fatalf("annotated: %d %v", ann.status, err)
	}
	comments, _ := af.GetComments(af.GetSheetList()[0])
	af.Close()
	if len(comments) != 1 || comments[0].Cell != "B3" || !strings.Contains(commentText(comments[0]), "只能由数字组成") {
		t.Fatalf("annotated comments %+v", comments)
	}
	// Another user of the same unit cannot fetch it.
	if r := e.login("hfjg-clerk").get(href[1]); r.status != 404 {
		t.Fatalf("clerk fetches demo-unit's staged workbook: %d", r.status)
	}

	// File-level problems.
	for name, tc := range map[string]struct {
		file upload
		msg  string
	}{
		"not xlsx": {upload{"file", "名单.xlsx", pngOf(t, 4, 4, 1)}, "不是 Excel"},
		"empty":    {upload{"file", "名单.xlsx", nil}, "请选择填写好的"},
		"wrong head": {upload{"file", "名单.xlsx", func() []byte {
			f := excelize.NewFile()
			f.SetSheetRow("Sheet1", "A1", &[]string{"名字"})
			b, _ := f.WriteToBuffer()
			return b.Bytes()
		}()}, "没有找到表头"},
		"no rows": {upload{"file", "名单.xlsx", candidateWorkbook(t)}, "没有合格人员数据"},
	} {
		r := c.multipart("/batches/new", url.Values{"name": {"文件问题"}}, []upload{tc.file}, nil)
		if r.status != 422 || !strings.Contains(r.body, tc.msg) {
			t.Errorf("%s: %d, want %q\n%.1500s", name, r.status, tc.msg, r.body)
		}
	}
	// A taken name with a good list: step 2, the list kept, the name marked.
	if r := c.multipart("/batches/new", url.Values{"name": {demoDraft}}, []upload{{"file", "名单.xlsx", candidateWorkbook(t, testPerson(1))}}, nil); r.status != 422 ||
		!strings.Contains(r.body, "已有名为") || !strings.Contains(r.body, `id="step2-form"`) || !strings.Contains(r.body, `name="ref" value="`) {
		t.Errorf("taken name at step 1: %d", r.status)
	}

	// Step 1 passes: step 2 carries the staged workbook.
	good := candidateWorkbook(t, testPerson(1), testPerson(3), testPerson(5))
	r = c.multipart("/batches/new", url.Values{"name": {"上传测试批次"}}, []upload{{"file", "名单.xlsx", good}}, map[string]string{"HX-Request": "true"})
	if r.status != 200 || !strings.Contains(r.body, "名单检查通过") || strings.Contains(r.body, "<html") {
		t.Fatalf("step 1 ok (htmx): %d\n%s", r.status, r.body)
	}
	ref := regexp.MustCompile(`name="ref" value="([0-9a-f]{64})"`).FindStringSubmatch(r.body)[1]
	confirm := func(files ...upload) resp {
		return c.multipart("/batches", url.Values{"name": {"上传测试批次"}, "ref": {ref}, "file_name": {"名单.xlsx"}}, files, nil)
	}

	// Refused materials: 422 with a message, nothing saved.
	many := make([]upload, 21)
	for i := range many {
		many[i] = upload{"images", fmt.Sprintf("图%d.png", i), pngOf(t, 4, 4, i)}
	}
	for name, tc := range map[string]struct {
		files []upload
		msg   string
	}{
		"png that is a zip":   {[]upload{{"images", "照片.png", zipBytes(t)}}, "内容是ZIP 压缩包，与扩展名 .png 不符"},
		"pdf that is a jpeg":  {[]upload{{"docs", "计划.pdf", jpegOf(t)}}, "内容是JPEG 图片，与扩展名 .pdf 不符"},
		"image over 2 MB":     {[]upload{{"images", "大图.png", bigPNG(t)}}, "超过每个图片 2 MB 的上限"},
		"too many images":     {many, "最多上传 20 张图片"},
		"three documents":     {[]upload{{"docs", "a.pdf", []byte("%PDF-a")}, {"docs", "b.pdf", []byte("%PDF-b")}, {"docs", "c.pdf", []byte("%PDF-c")}}, "最多上传 2 个文档"},
		"an executable":       {[]upload{{"docs", "setup.exe", []byte("MZ....")}}, "不支持"},
		"one good, one bad":   {[]upload{{"images", "好.png", pngOf(t, 8, 8, 99)}, {"images", "坏.jpg", pngOf(t, 8, 8, 98)}}, "与扩展名 .jpg 不符"},
		"more files than fit": {append(many, many[:2]...), "一次选择了 23 个文件"},
	} {
		r := confirm(tc.files...)
		if r.status != 422 || !strings.Contains(r.body, tc.msg) || !strings.Contains(r.body, `id="files-error"`) {
			t.Errorf("%s: %d, want %q\n%.2000s", name, r.status, tc.msg, r.body)
		}
		unchanged(name)
	}
	if _, err := w.Store.ReadFile(hashOf(t, pngOf(t, 8, 8, 99))); err == nil {
		t.Error("a good file of a refused upload was written")
	}

	// Someone else cannot confirm with this user's staged workbook.
	clerk := e.login("hfjg-clerk")
	if r := clerk.multipart("/batches", url.Values{"name": {"冒用"}, "ref": {ref}}, nil, nil); r.status != 422 || !strings.Contains(r.body, "已过期或不存在") {
		t.Fatalf("clerk confirms another user's workbook: %d", r.status)
	}

	// Confirmation: the batch with its materials, in 待提交.
	r = confirm(upload{"images", "签到表.png", pngOf(t, 64, 48, 1)}, upload{"images", "现场.jpg", jpegOf(t)}, upload{"docs", "培训计划.pdf", []byte("%PDF-1.4 plan")})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/batches/") {
		t.Fatalf("confirm: %d\n%s", r.status, r.body)
	}
	id := batchID(t, w, "demo-unit", "上传测试批次")
	b, _ := w.Store.Batch(w.Actor(t, "demo-unit"), id)
	if b.State != store.BatchDraft || b.Count != 3 || len(b.Images()) != 2 || len(b.Docs()) != 1 {
		t.Fatalf("created %+v", b)
	}
	if now := batchCounts(t, w, "demo-unit"); now[store.TabDraft] != base[store.TabDraft]+1 {
		t.Fatalf("draft counter %d", now[store.TabDraft])
	}
	// The same name again is refused at confirmation.
	if r := confirm(); r.status != 422 || !strings.Contains(r.body, "已有名为") {
		t.Fatalf("confirm twice: %d", r.status)
	}

	// Materials on the batch page: a disguised file refused, good ones added.
	if r := c.multipart("/batches/"+itoa(id)+"/materials", nil, []upload{{"images", "伪装.png", zipBytes(t)}}, nil); r.status != 422 || !strings.Contains(r.body, "与扩展名 .png 不符") {
		t.Fatalf("disguised material: %d", r.status)
	}
	if r := c.multipart("/batches/"+itoa(id)+"/materials", nil, []upload{{"docs", "名单.xlsx", good}}, nil); r.status != http.StatusSeeOther {
		t.Fatalf("second document: %d\n%s", r.status, r.body)
	}
	if r := c.multipart("/batches/"+itoa(id)+"/materials", nil, []upload{{"docs", "第三个.pdf", []byte("%PDF-3")}}, nil); r.status != 422 || !strings.Contains(r.body, "已有 2 个") {
		t.Fatalf("third document: %d", r.status)
	}
	if r := e.login("hfcj-admin").multipart("/batches/"+itoa(id)+"/materials", nil, []upload{{"docs", "x.pdf", []byte("%PDF-x")}}, nil); r.status != 404 {
		t.Fatalf("other unit uploads: %d", r.status)
	}
	pdf := b.Docs()[0]
	if r := c.post("/batches/"+itoa(id)+"/materials/"+pdf.Hash+"/delete", nil); r.status != http.StatusSeeOther {
		t.Fatalf("remove material: %d", r.status)
	}

	// Re-import: a bad list changes nothing, a good one replaces it.
	r = c.multipart("/batches/"+itoa(id)+"/import", nil, []upload{{"file", "新名单.xlsx", wb}}, nil)
	if r.status != 422 || !strings.Contains(r.body, ">B3<") || !strings.Contains(r.body, "原名单未作改动") || !strings.Contains(r.body, "&amp;batch="+itoa(id)) {
		t.Fatalf("bad re-import: %d\n%s", r.status, r.body)
	}
	if nb, _ := w.Store.Batch(w.Actor(t, "demo-unit"), id); nb.Count != 3 {
		t.Fatalf("count after bad re-import %d", nb.Count)
	}
	r = c.multipart("/batches/"+itoa(id)+"/import", nil, []upload{{"file", "新名单.xlsx", candidateWorkbook(t, testPerson(11), testPerson(13), testPerson(15), testPerson(17))}}, nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("re-import: %d\n%s", r.status, r.body)
	}
	if nb, _ := w.Store.Batch(w.Actor(t, "demo-unit"), id); nb.Count != 4 {
		t.Fatalf("count after re-import %d", nb.Count)
	}
	// A person of a batch under review cannot be imported by another unit.
	if _, err := w.Store.SubmitBatch(w.Actor(t, "demo-unit"), id); err != nil {
		t.Fatal(err)
	}
	other := e.login("hfcj-admin")
	r = other.multipart("/batches/new", url.Values{"name": {"别的单位"}}, []upload{{"file", "名单.xlsx", candidateWorkbook(t, testPerson(11))}}, nil)
	if r.status != 422 || !strings.Contains(r.body, "正在其他批次中审核") || strings.Contains(r.body, "上传测试批次") {
		t.Fatalf("person under review elsewhere: %d\n%s", r.status, r.body)
	}
}

func hashOf(t *testing.T, b []byte) string {
	t.Helper()
	return files.Bytes("x", b).Hash
}

var _ = bytes.NewReader

// commentText is a comment's text, plain or in runs.
func commentText(c excelize.Comment) string {
	s := c.Text
	for _, r := range c.Paragraph {
		s += r.Text
	}
	return s
}
