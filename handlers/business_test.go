package handlers

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"certreg/fixture"
	"certreg/idcard"
	"certreg/store"
)

// bizWorld names the demo's businesses and certificates the tests use: the
// demo holds businesses in every state for demo-unit and demo-direct.
type bizWorld struct {
	unitPendingDept, unitPendingProv, unitRejected, unitWithdrawn store.Business
	unitNameChanged, unitReissued                                 store.Business
	directPending, directRejected                                 store.Business
	free                                                          store.Certificate // a valid demo-unit certificate without an open business
	directCert                                                    store.Certificate // a valid demo-direct certificate
}

func demoBizWorld(t *testing.T, w *fixture.World) bizWorld {
	t.Helper()
	var bw bizWorld
	list := func(user string) []store.Business {
		page, err := w.Store.AppliedBusinesses(w.Actor(t, user), store.BizFilter{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		return page.Items
	}
	for _, b := range list("demo-unit") {
		switch {
		case b.State == store.BizPendingDept && b.Kind == store.BizChange && b.New.Name != "":
			bw.unitPendingDept = b
		case b.State == store.BizPendingProvince:
			bw.unitPendingProv = b
		case b.State == store.BizRejected:
			bw.unitRejected = b
		case b.State == store.BizWithdrawn:
			bw.unitWithdrawn = b
		case b.State == store.BizApproved && b.Kind == store.BizChange:
			bw.unitNameChanged = b
		case b.State == store.BizApproved && b.Kind == store.BizReissue:
			bw.unitReissued = b
		}
	}
	for _, b := range list("demo-direct") {
		switch b.State {
		case store.BizPendingProvince:
			bw.directPending = b
		case store.BizRejected:
			bw.directRejected = b
		}
	}
	for name, b := range map[string]store.Business{"unit pending_dept": bw.unitPendingDept, "unit pending_province": bw.unitPendingProv,
		"unit rejected": bw.unitRejected, "unit withdrawn": bw.unitWithdrawn, "unit name change": bw.unitNameChanged,
		"unit reissue": bw.unitReissued, "direct pending": bw.directPending, "direct rejected": bw.directRejected} {
		if b.ID == 0 || len(b.Proofs) == 0 {
			t.Fatalf("the demo lacks a %s business", name)
		}
	}
	bw.free = freeCert(t, w, "demo-unit")
	bw.directCert = freeCert(t, w, "demo-direct")
	return bw
}

// freeCert is a valid certificate of the user's organisation without an
// open business.
func freeCert(t *testing.T, w *fixture.World, user string) store.Certificate {
	t.Helper()
	page, err := w.Store.Certificates(w.Actor(t, user), store.CertQuery{Status: store.CertValid, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var nums []string
	for _, c := range page.Certs {
		nums = append(nums, c.Number)
	}
	open, err := w.Store.OpenBusinesses(nums)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range page.Certs {
		if _, busy := open[c.Number]; !busy && c.OrgID == w.Org(t, user).ID {
			return c
		}
	}
	t.Fatalf("%s has no free certificate", user)
	return store.Certificate{}
}

// bizCase is one request of a business scenario: a scenario with extra
// headers (HX-Target) or files (a multipart post).
type bizCase struct {
	name   string
	user   string
	method string
	path   string
	form   url.Values
	files  []upload
	hdr    map[string]string
	status int
	want   []string
	absent []string
	check  func(t *testing.T, r resp)
}

func runBizCases(t *testing.T, e *env, table []bizCase) {
	t.Helper()
	clients := map[string]*client{}
	for _, bc := range table {
		t.Run(bc.name, func(t *testing.T) {
			c := clients[bc.user]
			if c == nil {
				c = e.login(bc.user)
				clients[bc.user] = c
			}
			var r resp
			switch {
			case bc.files != nil:
				r = c.multipart(bc.path, bc.form, bc.files, bc.hdr)
			case bc.method == http.MethodPost:
				form := bc.form
				if form == nil {
					form = url.Values{}
				}
				if c.csrf == "" {
					c.get("/")
				}
				form.Set("_csrf", c.csrf)
				r = c.do(http.MethodPost, bc.path, form, bc.hdr)
			default:
				r = c.do(http.MethodGet, bc.path, nil, bc.hdr)
			}
			if r.status != bc.status {
				t.Fatalf("%s %s as %s: status %d, want %d\n%.3000s", bc.method, bc.path, bc.user, r.status, bc.status, r.body)
			}
			want := bc.want
			if len(want) == 0 && bc.check == nil {
				// A refusal still says why, in Chinese, without internals.
				switch bc.status {
				case http.StatusForbidden:
					want = []string{"没有访问此页面的权限"}
				case http.StatusNotFound:
					want = []string{"您访问的页面或记录不存在"}
				default:
					if len(bc.absent) == 0 {
						t.Fatalf("row %q asserts nothing but its status", bc.name)
					}
				}
			}
			for _, w := range want {
				if !strings.Contains(r.body, w) {
					t.Errorf("answer lacks %q\n%.4000s", w, r.body)
				}
			}
			for _, a := range bc.absent {
				if strings.Contains(r.body, a) {
					t.Errorf("answer contains %q", a)
				}
			}
			if bc.check != nil {
				bc.check(t, r)
			}
		})
	}
}

func htmxTo(target string) map[string]string {
	return map[string]string{"HX-Request": "true", "HX-Target": target}
}

func location(want string) func(*testing.T, resp) {
	return func(t *testing.T, r resp) {
		t.Helper()
		if got := r.header.Get("Location"); got != want {
			t.Errorf("Location %q, want %q", got, want)
		}
	}
}

func pngBody(t *testing.T, r resp) {
	t.Helper()
	if !strings.HasPrefix(r.body, "\x89PNG") || r.header.Get("Content-Type") != "image/png" {
		t.Errorf("not a PNG: %q %q", r.header.Get("Content-Type"), r.body[:min(8, len(r.body))])
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "inline") {
		t.Errorf("headers: nosniff %q, disposition %q", r.header.Get("X-Content-Type-Options"), r.header.Get("Content-Disposition"))
	}
}

// Who sees and does what with the certificate businesses, across
// organisations: a unit only its own, a dept only its units' (never a
// 省直所's), the province everything; reviewers never apply, units never
// review, only the province has the overview.
func TestBusinessScenarios(t *testing.T) {
	e := newEnv(t)
	bw := demoBizWorld(t, e.w)
	get, post := http.MethodGet, http.MethodPost
	id := func(b store.Business) string { return itoa(b.ID) }
	proof := func(b store.Business) string { return "/business/" + id(b) + "/proofs/" + b.Proofs[0].Hash }
	unitOrg := e.w.Org(t, "demo-unit")
	runBizCases(t, e, []bizCase{
		// 申请业务
		{name: "unit lists its valid certificates", user: "demo-unit", method: get, path: "/business", status: 200,
			want:   []string{"申请业务", "本有效证书", "/business/new?kind=change&amp;n="},
			absent: []string{bw.unitReissued.Number + "</a>"}},
		{name: "a certificate with an open business shows it and offers nothing", user: "demo-unit", method: get, path: "/business?number=" + bw.unitPendingDept.Number, status: 200,
			want:   []string{"/business/applied/" + id(bw.unitPendingDept), "变更 · 待主管部门审核"},
			absent: []string{"/business/new?kind=change&amp;n=" + bw.unitPendingDept.Number}},
		{name: "a free certificate offers 变更 / 补办 / 注销", user: "demo-unit", method: get, path: "/business?number=" + bw.free.Number, status: 200,
			want: []string{"/business/new?kind=change&amp;n=" + bw.free.Number, "/business/new?kind=reissue&amp;n=" + bw.free.Number, "/business/new?kind=cancel&amp;n=" + bw.free.Number}},
		{name: "a superseded certificate is not listed", user: "demo-unit", method: get, path: "/business?number=" + bw.unitReissued.Number, status: 200,
			want: []string{"没有符合条件的有效证书"}},
		{name: "unit filters its certificates (table fragment)", user: "demo-unit", method: get, path: "/business?number=" + bw.free.Number, hdr: htmxTo("biz-cert-table"), status: 200,
			want: []string{`id="biz-cert-table"`, bw.free.Number, "共 <b>1</b> 本有效证书"}, absent: []string{"<html", bw.unitPendingDept.Number},
			check: func(t *testing.T, r resp) {
				if !strings.Contains(r.header.Get("HX-Push-Url"), "number="+bw.free.Number) {
					t.Errorf("push url %q", r.header.Get("HX-Push-Url"))
				}
			}},
		{name: "bad date in the certificate filter", user: "demo-unit", method: get, path: "/business?from=2026-13-45", status: 422, want: []string{"日期格式应为"}},
		{name: "another unit does not list them", user: "hfcj-admin", method: get, path: "/business?number=" + bw.free.Number, status: 200,
			want: []string{"没有符合条件的有效证书"}, absent: []string{bw.free.Number + "</a>"}},
		{name: "a dept cannot apply", user: "demo-dept", method: get, path: "/business", status: 403, want: []string{"没有访问此页面的权限"}},
		{name: "the province cannot apply", user: "demo-province", method: get, path: "/business", status: 403},
		{name: "a clerk without business.apply", user: "hfjg-clerk", method: get, path: "/business", status: 403},

		// The application form.
		{name: "change form shows old values and the exclusive rule", user: "demo-unit", method: get, path: "/business/new?kind=change&n=" + bw.free.Number, status: 200,
			want: []string{"申请变更", "原信息", bw.free.Name, bw.free.IDNumber, "姓名和身份证号不能在同一次申请中变更", `name="new_name"`, `name="new_id_number"`, `name="new_work_unit"`, `name="proofs"`, `data-exclusive="new_id_number"`}},
		{name: "kind choice without a kind", user: "demo-unit", method: get, path: "/business/new?n=" + bw.free.Number, status: 200,
			want: []string{"请选择业务类型", "choose-reissue"}, absent: []string{`name="proofs"`}},
		{name: "a certificate with an open business takes no application", user: "demo-unit", method: get, path: "/business/new?kind=cancel&n=" + bw.unitPendingDept.Number, status: 200,
			want: []string{"证书已有一项变更业务（待主管部门审核）", "/business/applied/" + id(bw.unitPendingDept)}, absent: []string{`name="proofs"`}},
		{name: "a superseded certificate takes no application", user: "demo-unit", method: get, path: "/business/new?kind=cancel&n=" + bw.unitReissued.Number, status: 200,
			want: []string{"证书当前为已补办状态"}, absent: []string{`name="proofs"`}},
		{name: "another organisation's certificate is not found", user: "demo-unit", method: get, path: "/business/new?kind=change&n=" + bw.directCert.Number, status: 404},
		{name: "a bad number is not found", user: "demo-unit", method: get, path: "/business/new?kind=change&n=12ab", status: 404},
		{name: "without proofs: 422, input kept", user: "demo-unit", method: post, path: "/business",
			form:   url.Values{"kind": {"change"}, "n": {bw.free.Number}, "new_work_unit": {"安徽新城建设有限公司"}},
			status: 422, want: []string{"请上传证明材料图片", `value="安徽新城建设有限公司"`}},
		{name: "姓名 and 身份证号 together: 422", user: "demo-unit", method: post, path: "/business",
			form:   url.Values{"kind": {"change"}, "n": {bw.free.Number}, "new_name": {"王新华"}, "new_id_number": {"340102199003150037"}},
			status: 422, want: []string{"姓名和身份证号不能在同一次申请中变更，请分两次申请", `value="王新华"`, `value="340102199003150037"`}},
		{name: "a bad new ID number: 422 on its field", user: "demo-unit", method: post, path: "/business",
			form:   url.Values{"kind": {"change"}, "n": {bw.free.Number}, "new_id_number": {"340102199003150038"}},
			status: 422, want: []string{"新身份证号", `class="field invalid"`}},
		{name: "reissue without reason: 422", user: "demo-unit", method: post, path: "/business",
			form: url.Values{"kind": {"reissue"}, "n": {bw.free.Number}}, status: 422, want: []string{"请填写补办原因"}},
		{name: "an unknown kind: 422 with the kind choice", user: "demo-unit", method: post, path: "/business",
			form: url.Values{"kind": {"rename"}, "n": {bw.free.Number}}, status: 422, want: []string{"请选择业务类型：变更、补办或注销", "choose-change"}},
		{name: "a second business on a certificate: 422", user: "demo-unit", method: post, path: "/business",
			form:   url.Values{"kind": {"cancel"}, "n": {bw.unitPendingDept.Number}, "reason": {"重复"}},
			status: 422, want: []string{"已有一项变更业务"}},
		{name: "too many proofs: 422", user: "demo-unit", method: post, path: "/business",
			form:   url.Values{"kind": {"reissue"}, "n": {bw.free.Number}, "reason": {"遗失"}},
			files:  manyProofs(t, 6),
			status: 422, want: []string{"一次选择了 6 个文件：证明材料最多 5 张图片", `遗失</textarea>`}},
		{name: "a proof over 200 KB: 422", user: "demo-unit", method: post, path: "/business",
			form:   url.Values{"kind": {"reissue"}, "n": {bw.free.Number}, "reason": {"遗失"}},
			files:  []upload{{"proofs", "扫描件.png", noisePNG(t, 300, 300)}},
			status: 422, want: []string{"图片「扫描件.png」大小为", "200 KB 的上限"}},
		{name: "a proof that is not an image: 422", user: "demo-unit", method: post, path: "/business",
			form:   url.Values{"kind": {"reissue"}, "n": {bw.free.Number}, "reason": {"遗失"}},
			files:  []upload{{"proofs", "申请表.png", []byte("%PDF-1.4 not an image")}},
			status: 422, want: []string{"申请表.png"}},
		{name: "another unit's certificate cannot be applied for", user: "demo-unit", method: post, path: "/business",
			form: url.Values{"kind": {"cancel"}, "n": {bw.directCert.Number}, "reason": {"x"}}, status: 404},
		{name: "a dept cannot post an application", user: "demo-dept", method: post, path: "/business",
			form: url.Values{"kind": {"cancel"}, "n": {bw.free.Number}, "reason": {"x"}}, status: 403},

		// 已申请业务 and a business's page.
		{name: "unit lists its businesses with reasons", user: "demo-unit", method: get, path: "/business/applied", status: 200,
			want:   []string{"已申请业务", bw.unitPendingDept.Number, bw.unitRejected.Number, "证明材料中缺少持证人本人签名", "待主管部门审核", "已撤回"},
			absent: []string{bw.directPending.Number}},
		{name: "state filter as a fragment", user: "demo-unit", method: get, path: "/business/applied?state=rejected", hdr: htmxTo("biz-table"), status: 200,
			want: []string{`id="biz-table"`, bw.unitRejected.Number}, absent: []string{"<html", bw.unitPendingDept.Number + "</a>"}},
		{name: "kind filter", user: "demo-unit", method: get, path: "/business/applied?kind=reissue", status: 200,
			want: []string{bw.unitReissued.Number}, absent: []string{bw.unitRejected.Number + "</a>"}},
		{name: "number search", user: "demo-unit", method: get, path: "/business/applied?q=" + bw.unitRejected.Number, status: 200,
			want: []string{bw.unitRejected.Number}, absent: []string{bw.unitPendingDept.Number + "</a>"}},
		{name: "another unit lists none of them", user: "hfcj-admin", method: get, path: "/business/applied", status: 200,
			want: []string{"还没有申请过证书业务"}, absent: []string{bw.unitPendingDept.Number}},
		{name: "its page: old → new, proofs, log, certificate, withdraw", user: "demo-unit", method: get, path: "/business/applied/" + id(bw.unitPendingDept), status: 200,
			want:   []string{"变更申请", bw.unitPendingDept.Old.Name, "王晓明", "不变", proof(bw.unitPendingDept), "提交申请", "撤回申请", "/certificates/" + bw.unitPendingDept.Number, unitOrg.Name},
			absent: []string{"修改后重新提交"}},
		{name: "the proof viewer", user: "demo-unit", method: get, path: "/business/applied/" + id(bw.unitPendingDept) + "?img=1", status: 200,
			want: []string{`id="image-viewer"`, "1 / 1"}},
		{name: "a rejected one can be corrected", user: "demo-unit", method: get, path: "/business/applied/" + id(bw.unitRejected), status: 200,
			want: []string{"修改后重新提交", "证明材料中缺少持证人本人签名", "撤回申请"}},
		{name: "a withdrawn one offers nothing", user: "demo-unit", method: get, path: "/business/applied/" + id(bw.unitWithdrawn), status: 200,
			want: []string{"该申请已撤回"}, absent: []string{"撤回申请</button>", "修改后重新提交"}},
		{name: "another unit of the dept: not found", user: "hfcj-admin", method: get, path: "/business/applied/" + id(bw.unitPendingDept), status: 404, want: []string{"不存在"}},
		{name: "a 省直所's business: not found for a unit", user: "demo-unit", method: get, path: "/business/applied/" + id(bw.directPending), status: 404},
		{name: "the correction form is prefilled", user: "demo-unit", method: get, path: "/business/applied/" + id(bw.unitRejected) + "/edit", status: 200,
			want: []string{"修改后重新提交注销申请", "持证人申请注销</textarea>", "不选择则保留现有图片", "/business/applied/" + id(bw.unitRejected) + "/resubmit"}},
		{name: "a pending one cannot be corrected", user: "demo-unit", method: get, path: "/business/applied/" + id(bw.unitPendingDept) + "/edit", status: 303,
			check: location("/business/applied/" + id(bw.unitPendingDept))},
		{name: "resubmission without a reason: 422", user: "demo-unit", method: post, path: "/business/applied/" + id(bw.unitRejected) + "/resubmit",
			form: url.Values{"reason": {" "}}, status: 422, want: []string{"请填写注销原因", "浏览器不会保留已选择的图片"}},
		{name: "another unit cannot resubmit", user: "hfcj-admin", method: post, path: "/business/applied/" + id(bw.unitRejected) + "/resubmit",
			form: url.Values{"reason": {"x"}}, status: 404},
		{name: "a withdrawn one cannot be withdrawn again", user: "demo-unit", method: post, path: "/business/applied/" + id(bw.unitWithdrawn) + "/withdraw",
			status: 422, want: []string{"该业务当前为「已撤回」，不能撤回申请"}},
		{name: "another unit cannot withdraw", user: "hfcj-admin", method: post, path: "/business/applied/" + id(bw.unitPendingDept) + "/withdraw", status: 404},
		{name: "a dept cannot withdraw", user: "demo-dept", method: post, path: "/business/applied/" + id(bw.unitPendingDept) + "/withdraw", status: 403},

		// Proof images.
		{name: "the applicant sees its proof", user: "demo-unit", method: get, path: proof(bw.unitPendingDept), status: 200, check: pngBody},
		{name: "its dept sees it", user: "demo-dept", method: get, path: proof(bw.unitPendingDept), status: 200, check: pngBody},
		{name: "the province sees it", user: "demo-province", method: get, path: proof(bw.unitPendingDept), status: 200, check: pngBody},
		{name: "another unit does not", user: "hfcj-admin", method: get, path: proof(bw.unitPendingDept), status: 404, absent: []string{"\x89PNG"}},
		{name: "another dept does not", user: "wh-dept", method: get, path: proof(bw.unitPendingDept), status: 404, absent: []string{"\x89PNG"}},
		{name: "a dept never sees a 省直所's", user: "demo-dept", method: get, path: proof(bw.directPending), status: 404, absent: []string{"\x89PNG"}},
		{name: "another 省直所 does not", user: "ahjg-admin", method: get, path: proof(bw.directPending), status: 404},
		{name: "a hash of another business is not found", user: "demo-unit", method: get, path: "/business/" + id(bw.unitRejected) + "/proofs/" + strings.Repeat("a", 64), status: 404},
		{name: "a clerk without business rights", user: "hfjg-clerk", method: get, path: proof(bw.unitPendingDept), status: 403},

		// 业务审核
		{name: "dept queue of changes", user: "demo-dept", method: get, path: "/reviews/business", status: 200,
			want:   []string{"变更管理", "补办管理", "注销管理", "待审核", bw.unitPendingDept.Number, "姓名：" + bw.unitPendingDept.Old.Name + " → 王晓明", unitOrg.Name + ` <span class="mono muted small">` + unitOrg.Code},
			absent: []string{bw.directPending.Number}},
		{name: "dept 已审核 of cancels", user: "demo-dept", method: get, path: "/reviews/business?kind=cancel&tab=done", status: 200,
			want: []string{bw.unitRejected.Number, "证明材料中缺少持证人本人签名"}},
		{name: "queue fragment", user: "demo-dept", method: get, path: "/reviews/business?kind=change&q=" + bw.unitPendingDept.Number, hdr: htmxTo("biz-table"), status: 200,
			want: []string{`id="biz-table"`, bw.unitPendingDept.Number}, absent: []string{"<html", "变更管理"},
			check: func(t *testing.T, r resp) {
				if u := r.header.Get("HX-Push-Url"); !strings.Contains(u, "kind=change") || !strings.Contains(u, "tab=pending") || !strings.Contains(u, "q="+bw.unitPendingDept.Number) {
					t.Errorf("push url %q", u)
				}
			}},
		{name: "bad date range: 422", user: "demo-dept", method: get, path: "/reviews/business?from=2026-05-01&to=2026-04-01", status: 422, want: []string{"结束日期不能早于开始日期"}},
		{name: "another dept's queue lacks it", user: "wh-dept", method: get, path: "/reviews/business", status: 200,
			want: []string{"暂无待审核的变更业务"}, absent: []string{bw.unitPendingDept.Number}},
		{name: "province queue holds the 省直所's and the dept-approved", user: "demo-province", method: get, path: "/reviews/business", status: 200,
			want: []string{bw.directPending.Number, bw.unitPendingProv.Number}, absent: []string{bw.unitPendingDept.Number}},
		{name: "units cannot review", user: "demo-unit", method: get, path: "/reviews/business", status: 403},
		{name: "the dept's review page", user: "demo-dept", method: get, path: "/reviews/business/" + id(bw.unitPendingDept), status: 200,
			want: []string{"变更审核", "/reviews/business/" + id(bw.unitPendingDept) + "/approve", "/reviews/business/" + id(bw.unitPendingDept) + "/reject", "审核不通过原因（必填）", proof(bw.unitPendingDept), "王晓明"}},
		{name: "the province only looks at a dept's business", user: "demo-province", method: get, path: "/reviews/business/" + id(bw.unitPendingDept), status: 200,
			want: []string{"本机构只能查看"}, absent: []string{"/approve"}},
		{name: "another dept: not found", user: "wh-dept", method: get, path: "/reviews/business/" + id(bw.unitPendingDept), status: 404},
		{name: "a dept never a 省直所's", user: "demo-dept", method: get, path: "/reviews/business/" + id(bw.directPending), status: 404},
		{name: "reject without a reason: 422", user: "demo-dept", method: post, path: "/reviews/business/" + id(bw.unitPendingDept) + "/reject",
			form: url.Values{"reason": {"  "}}, status: 422, want: []string{"请填写审核不通过的原因", "invalid-input"}},
		{name: "the province cannot approve what the dept holds", user: "demo-province", method: post, path: "/reviews/business/" + id(bw.unitPendingDept) + "/approve",
			status: 422, want: []string{"不在本机构的审核中"}},
		{name: "another dept cannot approve", user: "wh-dept", method: post, path: "/reviews/business/" + id(bw.unitPendingDept) + "/approve", status: 404},
		{name: "a unit cannot approve", user: "demo-unit", method: post, path: "/reviews/business/" + id(bw.unitPendingDept) + "/approve", status: 403},
		{name: "the dept approves", user: "demo-dept", method: post, path: "/reviews/business/" + id(bw.unitPendingDept) + "/approve", status: 303,
			check: location("/reviews/business?kind=change")},
		{name: "a second approval by the dept: 422", user: "demo-dept", method: post, path: "/reviews/business/" + id(bw.unitPendingDept) + "/approve",
			status: 422, want: []string{"该业务当前为「待省厅审核」，不在本机构的审核中"}},
		{name: "the province rejects with a reason", user: "demo-province", method: post, path: "/reviews/business/" + id(bw.unitPendingDept) + "/reject",
			form: url.Values{"reason": {"证明材料不清晰"}}, status: 303, check: location("/reviews/business?kind=change")},
		{name: "the unit sees the rejection", user: "demo-unit", method: get, path: "/business/applied/" + id(bw.unitPendingDept), status: 200,
			want: []string{"证明材料不清晰", "修改后重新提交"}},

		// 业务总览
		{name: "the province's overview", user: "demo-province", method: get, path: "/business/overview", status: 200,
			want: []string{"业务总览", "注册", bw.unitPendingProv.Number, bw.directPending.Number, unitOrg.Name + ` <span class="mono muted small">` + unitOrg.Code, "/business/overview/export", "/reviews/batches/"}},
		{name: "registrations only (fragment)", user: "demo-province", method: get, path: "/business/overview?kind=register", hdr: htmxTo("biz-table"), status: 200,
			want: []string{`id="biz-table"`, " 人</span>"}, absent: []string{"<html", bw.directPending.Number}},
		{name: "one organisation", user: "demo-province", method: get, path: "/business/overview?org=" + itoa(e.w.Org(t, "demo-direct").ID), status: 200,
			want: []string{bw.directPending.Number}, absent: []string{bw.unitPendingProv.Number}},
		{name: "organisations as 名称 代码", user: "demo-province", method: get, path: "/business/overview", status: 200,
			want: []string{">" + unitOrg.Name + " " + unitOrg.Code + "</option>"}},
		{name: "a bad organisation: 422", user: "demo-province", method: get, path: "/business/overview?org=abc", status: 422, want: []string{"申请机构无效"}},
		{name: "a business from the overview", user: "demo-province", method: get, path: "/business/overview/" + id(bw.directRejected), status: 200,
			want: []string{"请说明重复取证的证书编号", proof(bw.directRejected), "业务总览"}, absent: []string{"撤回申请"}},
		{name: "the export", user: "demo-province", method: get, path: "/business/overview/export?kind=cancel", status: 200,
			check: func(t *testing.T, r resp) {
				if !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
					t.Errorf("not a download: %q", r.header.Get("Content-Disposition"))
				}
				f, err := excelize.OpenReader(strings.NewReader(r.body))
				if err != nil {
					t.Fatalf("not a workbook: %v", err)
				}
				defer f.Close()
				rows, _ := f.GetRows("业务总览")
				if len(rows) < 3 || !strings.Contains(rows[0][0], "业务类型：注销") || rows[1][0] != "业务类型" || rows[1][3] != "申请机构" {
					t.Fatalf("workbook rows %q", rows)
				}
				all := fmt.Sprint(rows[2:])
				if !strings.Contains(all, bw.unitRejected.Number) || !strings.Contains(all, "证明材料中缺少持证人本人签名") ||
					!strings.Contains(all, unitOrg.Name+" "+unitOrg.Code) || strings.Contains(all, bw.unitRejected.Old.IDNumber) || strings.Contains(all, "变更") {
					t.Errorf("workbook rows %s", all)
				}
			}},
		{name: "the export is in the operation log", user: "demo-province", method: get, path: "/logs", status: 200,
			want: []string{"导出业务总览", "kind=cancel"}},
		{name: "an export with a bad date: 422 on the overview", user: "demo-province", method: get, path: "/business/overview/export?from=2026-02-30", status: 422,
			want: []string{"请修正筛选条件：开始日期格式应为 2026-01-31", "业务总览"}},
		{name: "a later page of the overview", user: "demo-province", method: get, path: "/business/overview?kind=cancel&page=2", hdr: htmxTo("biz-table"), status: 200,
			want: []string{"没有业务", `href="/business/overview?kind=cancel"`}, absent: []string{"<html"}},
		{name: "a dept has no overview", user: "demo-dept", method: get, path: "/business/overview", status: 403},
		{name: "a province reviewer without business.overview", user: "ah-reviewer", method: get, path: "/business/overview", status: 403},
		{name: "a unit has no overview", user: "demo-unit", method: get, path: "/business/overview/" + id(bw.unitRejected), status: 403},
		{name: "a dept cannot export", user: "demo-dept", method: get, path: "/business/overview/export", status: 403},

		// 业务打印
		{name: "unit's print list", user: "demo-unit", method: get, path: "/business/print", status: 200,
			want: []string{"业务打印", bw.unitNameChanged.Number, bw.unitReissued.NewNumber, `name="back" value="/business/print"`, "打印所选"}},
		{name: "print list after a print (table fragment)", user: "demo-unit", method: get, path: "/business/print", hdr: htmxTo("cert-table"), status: 200,
			want: []string{`id="cert-table"`, bw.unitNameChanged.Number}, absent: []string{"<html"}},
		{name: "printing nothing comes back to 业务打印", user: "demo-unit", method: post, path: "/certificates/print",
			form: url.Values{"back": {"/business/print"}, "format": {""}}, status: 422, want: []string{"请先勾选要处理的证书", "业务打印"}},
		{name: "another unit's list lacks them", user: "hfcj-admin", method: get, path: "/business/print", status: 200,
			want: []string{"没有待打印的证书"}, absent: []string{bw.unitNameChanged.Number}},
		{name: "a dept has no print list", user: "demo-dept", method: get, path: "/business/print", status: 403},
		{name: "marked printed, it leaves the list", user: "demo-unit", method: post, path: "/certificates/printed",
			form: url.Values{"back": {"/business/print"}, "n": {bw.unitNameChanged.Number}, "printed": {"1"}}, status: 303, check: location("/business/print")},
		{name: "the list without it", user: "demo-unit", method: get, path: "/business/print", status: 200,
			want: []string{bw.unitReissued.NewNumber}, absent: []string{bw.unitNameChanged.Number}},

		// The certificate's page.
		{name: "a certificate's businesses and the start buttons", user: "demo-unit", method: get, path: "/certificates/" + bw.free.Number, status: 200,
			want: []string{"证书业务", "start-change", "/business/new?kind=reissue&amp;n=" + bw.free.Number, "没有变更、补办或注销申请"}},
		{name: "with an open business: its link", user: "demo-unit", method: get, path: "/certificates/" + bw.unitRejected.Number, status: 200,
			want: []string{"open-biz-link", "/business/applied/" + id(bw.unitRejected), "证明材料中缺少持证人本人签名", "审核不通过"}, absent: []string{"start-change"}},
		{name: "a reissued certificate: its history", user: "demo-unit", method: get, path: "/certificates/" + bw.unitReissued.Number, status: 200,
			want: []string{"补办为新证书 " + bw.unitReissued.NewNumber, "证书遗失，持证人已登报声明作废"}, absent: []string{"start-change"}},
		{name: "the dept sees the history with review links", user: "demo-dept", method: get, path: "/certificates/" + bw.unitRejected.Number, status: 200,
			want: []string{"/reviews/business/" + id(bw.unitRejected)}, absent: []string{"start-change", "open-biz-link\" href=\"/business/applied"}},

		// Home and menu.
		{name: "dept home: businesses to review per kind", user: "demo-dept", method: get, path: "/", status: 200,
			want: []string{"待审核变更业务", "待审核补办业务", "待审核注销业务", "/reviews/business?kind=cancel"}},
		{name: "unit home: quick actions and counts", user: "demo-unit", method: get, path: "/", status: 200,
			want: []string{"发起证书业务", "查看已申请业务", "审核中的业务", "审核不通过的业务", "/business/applied?state=rejected"}},

		// Withdrawing a pending one frees the certificate and empties the queue.
		{name: "the unit withdraws", user: "demo-unit", method: post, path: "/business/applied/" + id(bw.unitPendingProv) + "/withdraw", status: 303,
			check: location("/business/applied/" + id(bw.unitPendingProv))},
		{name: "withdrawn, its certificate takes a new application", user: "demo-unit", method: get, path: "/business?number=" + bw.unitPendingProv.Number, status: 200,
			want: []string{"/business/new?kind=change&amp;n=" + bw.unitPendingProv.Number}},
		{name: "the province's queue lacks it", user: "demo-province", method: get, path: "/reviews/business", status: 200,
			want: []string{bw.directPending.Number}, absent: []string{bw.unitPendingProv.Number}},
	})
}

// The longest matching menu entry is the active one.
func TestBusinessMenuActiveEntry(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-unit")
	for path, want := range map[string]string{"/business": "申请业务", "/business/applied": "已申请业务", "/business/print": "业务打印",
		"/business/new?n=x": "申请业务"} {
		r := c.get(path)
		nav := r.body[strings.Index(r.body, "<nav"):strings.Index(r.body, "</nav>")]
		if n := strings.Count(nav, `class="active"`); n != 1 {
			t.Errorf("%s: %d active entries", path, n)
		}
		i := strings.Index(nav, `class="active"`)
		if i < 0 || !strings.Contains(nav[i:i+200], want+"</a>") {
			t.Errorf("%s: active entry is not %s: %.200s", path, want, nav[max(i, 0):])
		}
	}
	nav := e.login("demo-province").get("/")
	for _, want := range []string{`href="/reviews/business"`, `href="/business/overview"`} {
		if !strings.Contains(nav.body, want) {
			t.Errorf("province menu lacks %s", want)
		}
	}
	if strings.Contains(nav.body, `href="/business/print"`) {
		t.Error("province menu offers 业务打印")
	}
}

// A unit applies through the multipart form with a proof image: the
// business exists with that image, which the page and the proof route serve.
func TestBusinessApplicationUpload(t *testing.T) {
	e := newEnv(t)
	cert := freeCert(t, e.w, "demo-unit")
	c := e.login("demo-unit")
	img := pngOf(t, 320, 200, 9)
	r := c.multipart("/business", url.Values{"kind": {"change"}, "n": {cert.Number}, "new_name": {"王新华"}, "reason": {"姓名录入错误"}},
		[]upload{{"proofs", "申请表.png", img}}, nil)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/business/applied/") {
		t.Fatalf("apply: %d %q\n%.2000s", r.status, r.header.Get("Location"), r.body)
	}
	id := strings.TrimPrefix(r.header.Get("Location"), "/business/applied/")
	b, err := e.w.Store.Business(e.w.Actor(t, "demo-unit"), parseUint(id))
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != store.BizChange || b.New.Name != "王新华" || b.Reason != "姓名录入错误" || b.State != store.BizPendingDept || len(b.Proofs) != 1 ||
		b.Proofs[0].Name != "申请表.png" || b.Proofs[0].Width != 320 {
		t.Fatalf("business %+v", b)
	}
	page := c.get("/business/applied/" + id)
	for _, want := range []string{"已提交证书 " + cert.Number + " 的变更申请，等待主管部门审核。", "王新华", "申请表.png", "320×200"} {
		if want == "已提交证书 "+cert.Number+" 的变更申请，等待主管部门审核。" {
			if !strings.Contains(page.body, `data-message="`+want+`"`) {
				t.Errorf("no flash %q", want)
			}
			continue
		}
		if !strings.Contains(page.body+c.get("/business/applied/"+id+"?img=1").body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	got := c.get("/business/" + id + "/proofs/" + b.Proofs[0].Hash)
	if got.status != 200 || !bytes.Equal([]byte(got.body), img) {
		t.Fatalf("proof: %d, %d bytes", got.status, len(got.body))
	}
	// A JPEG and a PNG replace it on resubmission after a rejection.
	if _, err := e.w.Store.RejectBusiness(e.w.Actor(t, "demo-dept"), b.ID, "请补充身份证复印件"); err != nil {
		t.Fatal(err)
	}
	r = c.multipart("/business/applied/"+id+"/resubmit", url.Values{"new_name": {"王新华"}, "reason": {"姓名录入错误，已补充材料"}},
		[]upload{{"proofs", "申请表.jpg", jpegOf(t)}, {"proofs", "身份证.png", pngOf(t, 100, 60, 3)}}, nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("resubmit: %d\n%.2000s", r.status, r.body)
	}
	b, _ = e.w.Store.Business(e.w.Actor(t, "demo-unit"), b.ID)
	if b.State != store.BizPendingDept || b.Round != 2 || len(b.Proofs) != 2 || b.Proofs[0].MIME != "image/jpeg" {
		t.Fatalf("after resubmission %+v", b)
	}
	// A new ID number is checked like an import row (the gender must agree).
	other := freeCert(t, e.w, "demo-unit")
	wrong := idcard.Make("340102", other.IssueDate.AddDate(-30, 0, 0), 1)
	if idcard.Gender(wrong) == other.Gender {
		wrong = idcard.Make("340102", other.IssueDate.AddDate(-30, 0, 0), 2)
	}
	r = c.multipart("/business", url.Values{"kind": {"change"}, "n": {other.Number}, "new_id_number": {wrong}},
		[]upload{{"proofs", "申请表.png", img}}, nil)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "性别") || !strings.Contains(r.body, `value="`+wrong+`"`) {
		t.Fatalf("wrong gender: %d\n%.2000s", r.status, r.body)
	}
}

// The public page names the new number of a superseded certificate.
func TestVerifySupersededNamesTheNewNumber(t *testing.T) {
	e := newEnv(t)
	bw := demoBizWorld(t, e.w)
	r := e.client().post("/verify", url.Values{"number": {bw.unitReissued.Number}, "name": {bw.unitReissued.Old.Name}})
	if r.status != 200 || !strings.Contains(r.body, "已补办") || !strings.Contains(r.body, bw.unitReissued.NewNumber) {
		t.Fatalf("verify: %d\n%.2000s", r.status, r.body)
	}
}

func manyProofs(t *testing.T, n int) []upload {
	out := make([]upload, n)
	for i := range out {
		out[i] = upload{"proofs", "图" + itoa(uint64(i+1)) + ".png", pngOf(t, 20, 20, i)}
	}
	return out
}

// noisePNG is a PNG of w×h random pixels (which do not compress).
func noisePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	x := uint32(88172645)
	for i := range img.Pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		img.Pix[i] = byte(x)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
