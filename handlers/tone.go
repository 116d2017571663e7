package handlers

import "certreg/store"

// tones are the tag colours (app.css .tag ok/warn/err/info) of batch and
// business states: approved green, rejected red, waiting for a reviewer
// amber; a batch still with its unit blue. A state not listed (a withdrawn
// business) is plain grey.
var tones = map[any]string{
	store.BatchDraft: "info", store.BatchApproved: "ok", store.BatchRejected: "err",
	store.BatchPendingDept: "warn", store.BatchPendingProvince: "warn",
	store.BizApproved: "ok", store.BizRejected: "err",
	store.BizPendingDept: "warn", store.BizPendingProvince: "warn",
}

// tone is the tag colour of a batch's or a business's state.
func tone(state any) string { return tones[state] }
