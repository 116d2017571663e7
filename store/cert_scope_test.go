package store_test

import (
	"errors"
	"testing"

	"certreg/fixture"
	"certreg/store"
)

// A certificate is visible to its issuing organisation and the
// organisations above it; to anyone else it does not exist.
func TestCertificateDetailScope(t *testing.T) {
	w := fixture.Demo(t)
	unit := w.Org(t, "demo-unit")
	page, err := w.Store.Certificates(w.Actor(t, "demo-unit"), store.CertQuery{Limit: 1})
	if err != nil || len(page.Certs) == 0 || page.Certs[0].OrgID != unit.ID {
		t.Fatalf("a certificate of demo-unit: %v", err)
	}
	number := page.Certs[0].Number
	for who, visible := range map[string]bool{
		"demo-unit": true, "hfjg-clerk": true, "demo-dept": true, "demo-province": true,
		"hfcj-admin": false, "wh-dept": false, "demo-direct": false,
	} {
		_, err := w.Store.Certificate(w.Org(t, who), number)
		if visible && err != nil {
			t.Errorf("%s cannot see its certificate: %v", who, err)
		}
		if !visible && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s sees a certificate outside its scope: %v", who, err)
		}
	}
}
