package handlers

import (
	"testing"

	"certreg/store"
)

// The states' tag colours are the stylesheet's: a business's state has the
// colour of the batch state of the same meaning.
func TestStateTone(t *testing.T) {
	for st, want := range map[any]string{
		store.BatchDraft: "info", store.BatchPendingDept: "warn", store.BatchPendingProvince: "warn",
		store.BatchApproved: "ok", store.BatchRejected: "err",
		store.BizPendingDept: "warn", store.BizPendingProvince: "warn", store.BizApproved: "ok",
		store.BizRejected: "err", store.BizWithdrawn: "",
	} {
		if got := tone(st); got != want {
			t.Errorf("%v: tone %q, want %q", st, got, want)
		}
	}
}
