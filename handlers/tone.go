package handlers

import "certreg/store"

// tone is the tag colour (app.css .tag ok/warn/err/info) of a batch's or a
// business's state: approved green, rejected red, waiting for a reviewer
// amber; a batch still with its unit blue, a withdrawn business plain grey.
func tone(state any) string {
	switch st := state.(type) {
	case store.BatchState:
		switch st {
		case store.BatchApproved:
			return "ok"
		case store.BatchRejected:
			return "err"
		case store.BatchPendingDept, store.BatchPendingProvince:
			return "warn"
		}
		return "info"
	case store.BizState:
		switch st {
		case store.BizApproved:
			return "ok"
		case store.BizRejected:
			return "err"
		case store.BizPendingDept, store.BizPendingProvince:
			return "warn"
		}
	}
	return ""
}
