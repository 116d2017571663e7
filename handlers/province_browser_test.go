package handlers

import (
	"fmt"
	"testing"

	"certreg/fixture"
	"certreg/store"
)

// The province's pages open in a real browser at 1366×768, each with its own
// heading and its own data from the demo world (so the error page, which has
// a heading too, fails the test); with SCREENSHOTS set each is saved as a
// picture to look at.
func TestBrowserProvincePages(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	pending, _, err := w.Store.ReviewBatches(prov, store.ReviewFilter{Tab: store.ReviewPending})
	if err != nil || len(pending) == 0 {
		t.Fatalf("the demo province has no batch to review: %v", err)
	}
	done, _, err := w.Store.ReviewBatches(prov, store.ReviewFilter{Tab: store.ReviewDone})
	if err != nil || len(done) == 0 {
		t.Fatalf("the demo province has reviewed no batch: %v", err)
	}
	segs, err := w.Store.Segments(store.SegmentFilter{})
	if err != nil || len(segs) == 0 {
		t.Fatalf("no segments: %v", err)
	}
	// The newest certificate heads the default list.
	certs, err := w.Store.Certificates(prov, store.CertQuery{Sort: store.SortDate, Limit: 1})
	if err != nil || len(certs.Certs) == 0 {
		t.Fatalf("no certificates: %v", err)
	}
	valid, err := w.Store.ValidCertificates(w.Org(t, "demo-province").ID)
	if err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, w)
	b.login("demo-province", store.DemoPassword)
	for _, p := range []struct {
		shot, path, heading string
		want                []string
	}{
		{"p-home", "/", "首页", []string{"待审核批次", "近 6 个月发证数量", w.Org(t, "demo-province").Code}},
		{"p-reviews", "/reviews/batches", "批次审核", []string{"审核通过即生成证书编号", pending[0].Batch.Name}},
		{"p-reviews-done", "/reviews/batches?tab=done", "批次审核", []string{done[0].Batch.Name}},
		{"p-segments", "/segments", "号段维护", []string{segs[0].Code}},
		{"p-certs", "/certificates", "证书库", []string{certs.Certs[0].Number, certs.Certs[0].Name}},
		{"p-occ", "/admin/occupations", "职业（工种）目录", []string{"砌筑工", "钢筋工", "建筑起重机械安装拆卸工"}},
		{"p-users", "/admin/users", "用户与权限", []string{"demo-dept", "demo-unit", "ah-reviewer"}},
		{"p-logs", "/logs", "操作日志", []string{"登录成功", "demo-province"}},
		{"p-system", "/settings?tab=system", "设置", []string{"数据备份", "下载热备份"}},
	} {
		b.visit(p.path, p.heading, p.want...)
		b.shot(p.shot)
	}
	if got := b.textOf("/", "#valid-total"); got != fmt.Sprint(valid) {
		t.Errorf("home: valid total %q, want %d", got, valid)
	}

	// The review page of a pending batch: its candidates, the first one's
	// details, and its materials with the image viewer.
	pb := pending[0].Batch
	cands, err := w.Store.BatchCandidates(prov, pb.ID, 0, 1)
	if err != nil || len(cands) == 0 {
		t.Fatalf("candidates of %s: %v", pb.Name, err)
	}
	b.visit("/reviews/batches/"+itoa(pb.ID), pb.Name, "审核通过", "审核不通过", cands[0].Name, cands[0].IDNumber)
	b.shot("p-review")
	if len(pb.Images()) == 0 {
		t.Fatalf("%s has no images to review", pb.Name)
	}
	img := pb.Images()[0]
	b.visit("/reviews/batches/"+itoa(pb.ID)+"?tab=materials&img=1", pb.Name, img.Name, fmt.Sprintf("1 / %d", len(pb.Images())))
	b.waitImagesLoaded("#image-viewer img", 1)
	b.shot("p-review-materials")
}

// textOf opens path and returns the text of sel.
func (b *browser) textOf(path, sel string) string {
	b.t.Helper()
	b.open(path)
	return b.text(sel)
}
