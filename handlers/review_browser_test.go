package handlers

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"certreg/fixture"
	"certreg/store"
)

// The whole path: demo-unit submits, demo-dept marks then unmarks a
// candidate and approves, demo-province approves, the numbers appear.
func TestBrowserBatchTravelsToCertificates(t *testing.T) {
	w := fixture.Demo(t)
	b := newBrowser(t, w)
	draft, err := w.Store.CreateBatch(w.Actor(t, "demo-unit"), store.NewBatch{Name: "2026年第9期砌筑工培训班", Candidates: candidates(4, 77)})
	if err != nil {
		t.Fatal(err)
	}
	id := itoa(draft.ID)

	b.login("demo-unit", store.DemoPassword)
	b.open("/batches/" + id)
	b.do(chromedp.Click(chromedp.CSS("#submit-batch")))
	b.confirm()
	b.do(chromedp.WaitVisible(chromedp.CSS(".tag.warn")))
	b.logout()

	b.login("demo-dept", store.DemoPassword)
	b.open("/reviews/batches")
	b.shot("review-list")
	if !strings.Contains(b.text("#review-table"), "2026年第9期砌筑工培训班") {
		t.Fatal("batch not in the dept's list")
	}
	b.open("/reviews/batches/" + id)
	// Move down with the keyboard to the second candidate, mark it.
	b.do(chromedp.KeyEvent(kb.ArrowDown), chromedp.WaitVisible(chromedp.CSS(`#cand-list li:nth-child(2) .cand-item.active`)))
	b.do(chromedp.WaitVisible(chromedp.CSS("#mark-note")),
		chromedp.SendKeys(chromedp.CSS("#mark-note"), "身份证复印件模糊"),
		chromedp.Click(chromedp.CSS(`.mark-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#cand-list .cand-item.failed`)),
		chromedp.WaitVisible(chromedp.CSS(`#approve-btn[disabled]`)))
	b.shot("review-marked")
	// Clear it again: approval becomes possible.
	b.do(chromedp.Click(chromedp.CSS(`.mark-box button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#approve-btn:not([disabled])`)))
	b.do(chromedp.Click(chromedp.CSS("#approve-btn")))
	b.confirm()
	b.do(chromedp.WaitVisible(chromedp.CSS(".alert.info")))
	b.logout()

	b.login("demo-province", store.DemoPassword)
	b.open("/reviews/batches/" + id)
	b.do(chromedp.Click(chromedp.CSS("#approve-btn")))
	b.confirm()
	b.do(chromedp.WaitVisible(chromedp.CSS(".alert.ok")))
	b.open("/reviews/batches/" + id + "?tab=certs")
	got := b.text(".content")
	certs, _ := w.Store.BatchCertificates(w.Org(t, "demo-province"), draft.ID)
	if len(certs) != 4 {
		t.Fatalf("%d certificates", len(certs))
	}
	for _, c := range certs {
		if !strings.Contains(got, c.Number) {
			t.Fatalf("number %s not shown: %q", c.Number, got)
		}
	}
	b.shot("review-certs")
}
