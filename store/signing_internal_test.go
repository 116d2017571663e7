package store

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"
)

// A key vouches only for what it signed during its validity: a payload
// whose signing date lies outside it (a retired key used after its
// replacement, or backdated before its creation) is not genuine.
func TestPayloadOutsideItsKeysValidityFails(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	from := time.Date(2026, 1, 10, 9, 0, 0, 0, cst)
	until := time.Date(2026, 6, 30, 17, 0, 0, 0, cst)
	keys := []SigningKey{{ID: "0a0b0c0d", Public: pub, NotBefore: from, NotAfter: until}}
	p := CertPayload{KeyID: "0a0b0c0d", Number: "26340101250001", Name: "王喆", MaskedID: "340102********0036", Occupation: "砌筑工",
		Level: 5, IssueDate: from, OrgCode: "34010001", Version: 2}
	for _, tc := range []struct {
		signed time.Time
		want   PayloadStatus
	}{
		{from, PayloadGenuine},                   // the day it was created
		{until, PayloadGenuine},                  // the day it was replaced
		{from.AddDate(0, 0, -1), PayloadInvalid}, // before it existed
		{until.AddDate(0, 0, 1), PayloadInvalid}, // after its replacement
	} {
		p.SignedOn = tc.signed
		s, err := signPayload(p, priv)
		if err != nil {
			t.Fatal(err)
		}
		if _, got := VerifyPayload(s, keys); got != tc.want {
			t.Errorf("signed on %s: %v, want %v", tc.signed.Format("2006-01-02"), got, tc.want)
		}
	}
}
