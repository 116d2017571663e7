package handlers

import (
	"testing"

	"certreg/fixture"
	"certreg/store"
)

// The province's pages open in a real browser at 1366×768 with their
// heading; with SCREENSHOTS set each is saved as a picture to look at.
func TestBrowserProvincePages(t *testing.T) {
	w := fixture.Demo(t)
	b := newBrowser(t, w)
	b.login("demo-province", store.DemoPassword)
	for name, p := range map[string]string{"p-home": "/", "p-reviews": "/reviews/batches", "p-reviews-done": "/reviews/batches?tab=done", "p-segments": "/segments",
		"p-certs": "/certificates", "p-occ": "/admin/occupations", "p-users": "/admin/users", "p-logs": "/logs", "p-system": "/settings?tab=system"} {
		b.open(p)
		if h := b.text(".content h1"); h == "" {
			t.Errorf("%s: no heading", p)
		}
		b.shot(name)
	}
	list, _, _ := w.Store.ReviewBatches(w.Actor(t, "demo-province"), store.ReviewFilter{Tab: store.ReviewPending})
	if len(list) > 0 {
		b.open("/reviews/batches/" + itoa(list[0].Batch.ID))
		b.shot("p-review")
		b.open("/reviews/batches/" + itoa(list[0].Batch.ID) + "?tab=materials&img=1")
		b.shot("p-review-materials")
	}
}
