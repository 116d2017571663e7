package store_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certreg/fixture"
	"certreg/store"
)

// signOne signs one certificate of the demo unit and returns it with its
// payload.
func signOne(t *testing.T, w *fixture.World, i int) (store.Certificate, string) {
	t.Helper()
	c := issued(t, w, "demo-unit", 1, 300+i)[0]
	p, err := w.Store.SignCertificates([]store.Certificate{c})
	if err != nil {
		t.Fatal(err)
	}
	return c, p[0]
}

func publicKeys(t *testing.T, st *store.Store) []store.SigningKey {
	t.Helper()
	keys, err := st.PublicKeys()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// A signed payload verifies with the published keys and says what the
// certificate says: number, holder, masked ID, occupation, level, issue
// date, issuing organisation's code, version and key.
func TestSignedPayloadRoundTrip(t *testing.T) {
	w := fixture.Demo(t)
	c, payload := signOne(t, w, 1)
	keys := publicKeys(t, w.Store)
	if len(keys) != 1 || !keys[0].Active() || len(keys[0].Public) != 32 || len(keys[0].ID) != 8 {
		t.Fatalf("keys after first use: %+v", keys)
	}
	p, status := store.VerifyPayload(payload, keys)
	if status != store.PayloadGenuine || status.Label() != "真实有效且未被篡改" {
		t.Fatalf("status %v", status)
	}
	want := store.CertPayload{KeyID: keys[0].ID, Number: c.Number, Name: c.Name, MaskedID: c.IDNumber[:6] + "********" + c.IDNumber[14:],
		Occupation: "砌筑工", Level: 5, OrgCode: w.Org(t, "demo-unit").Code, Version: 1}
	if p.KeyID != want.KeyID || p.Number != want.Number || p.Name != want.Name || p.MaskedID != want.MaskedID ||
		p.Occupation != want.Occupation || p.Level != want.Level || p.OrgCode != want.OrgCode || p.Version != want.Version {
		t.Fatalf("payload says %+v, want %+v", p, want)
	}
	if p.IssueDate.Format("2006-01-02") != "2026-11-28" || p.SignedOn.Format("2006-01-02") != "2026-11-28" {
		t.Fatalf("dates %s %s", p.IssueDate, p.SignedOn)
	}
	// Compact: it must fit a QR code of a printable size with the link.
	if len(payload) > 170 {
		t.Fatalf("payload of %d characters", len(payload))
	}
	// An ID number ending in X keeps it.
	cx := c
	cx.IDNumber = "11010519491231002X"
	p2, err := w.Store.SignCertificates([]store.Certificate{cx})
	if err != nil {
		t.Fatal(err)
	}
	if got, st := store.VerifyPayload(p2[0], keys); st != store.PayloadGenuine || got.MaskedID != "110105********002X" {
		t.Fatalf("X check character: %q %v", got.MaskedID, st)
	}
}

// flip changes one byte of a payload's body.
func flip(t *testing.T, payload string, at int) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw[at] ^= 0x01
	return base64.RawURLEncoding.EncodeToString(raw)
}

// Forgeries: any changed byte (a field or the signature), a payload signed
// by another key under the same key id or under an unknown one, and a
// truncated payload are not genuine.
func TestForgedPayloadsFail(t *testing.T) {
	w := fixture.Demo(t)
	_, payload := signOne(t, w, 2)
	keys := publicKeys(t, w.Store)
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	// Every byte: the key id names an unknown key, anything else breaks the
	// signature (a field, the format byte, the signature itself).
	for i := range raw {
		forged := flip(t, payload, i)
		_, st := store.VerifyPayload(forged, keys)
		want := store.PayloadInvalid
		if i >= 1 && i <= 4 {
			want = store.PayloadUnknownKey
		}
		if st != want {
			t.Fatalf("byte %d changed: %v, want %v", i, st, want)
		}
	}
	// Another key: same key id with a signature of a key we never
	// published, and a key id nobody published.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	body := raw[:len(raw)-64]
	sig := ed25519.Sign(other, append([]byte("certreg-cert-v1\x00"), body...))
	if _, st := store.VerifyPayload(base64.RawURLEncoding.EncodeToString(append(append([]byte(nil), body...), sig...)), keys); st != store.PayloadInvalid {
		t.Fatalf("signed by another key under our key id: %v", st)
	}
	unknown := append([]byte(nil), body...)
	copy(unknown[1:5], []byte{0xde, 0xad, 0xbe, 0xef})
	sig = ed25519.Sign(other, append([]byte("certreg-cert-v1\x00"), unknown...))
	if _, st := store.VerifyPayload(base64.RawURLEncoding.EncodeToString(append(unknown, sig...)), keys); st != store.PayloadUnknownKey || st.Label() != "未知密钥签发" {
		t.Fatalf("signed by an unknown key: %v", st)
	}
	// Truncated anywhere, or empty, or not base64.
	for _, cut := range []int{1, 2, 10, 64, len(payload) / 2, len(payload) - 1} {
		if _, st := store.VerifyPayload(payload[:len(payload)-cut], keys); st != store.PayloadInvalid || st.Label() != "签名无效（可能被篡改）" {
			t.Fatalf("truncated by %d: %v", cut, st)
		}
	}
	for _, bad := range []string{"", "!!!", payload + "A"} {
		if _, st := store.VerifyPayload(bad, keys); st != store.PayloadInvalid {
			t.Fatalf("%q: %v", bad, st)
		}
	}
}

// Rotation: the old key's validity ends, a new key signs from then on, and
// both certificates verify with the published keys; only a province
// administrator rotates, with a reason.
func TestKeyRotationKeepsOldCertificatesVerifiable(t *testing.T) {
	w := fixture.Demo(t)
	_, before := signOne(t, w, 3)
	first := publicKeys(t, w.Store)[0]
	for _, u := range []string{"demo-dept", "demo-unit", "ah-reviewer"} {
		if _, err := w.Store.RotateSigningKey(w.Actor(t, u), "测试"); !errors.Is(err, store.ErrForbidden) {
			t.Fatalf("%s rotated: %v", u, err)
		}
	}
	var ve *store.ValidationError
	if _, err := w.Store.RotateSigningKey(w.Actor(t, "demo-province"), " "); !errors.As(err, &ve) {
		t.Fatalf("rotation without a reason: %v", err)
	}
	w.Clock.Advance(40 * 24 * time.Hour)
	k, err := w.Store.RotateSigningKey(w.Actor(t, "demo-province"), "年度轮换")
	if err != nil {
		t.Fatal(err)
	}
	_, after := signOne(t, w, 4)
	keys := publicKeys(t, w.Store)
	if len(keys) != 2 || keys[0].ID != k.ID || !keys[0].Active() || keys[1].ID != first.ID || keys[1].Active() ||
		!keys[1].NotAfter.Equal(w.Clock.Now()) || !keys[0].NotBefore.Equal(w.Clock.Now()) {
		t.Fatalf("keys after rotation: %+v", keys)
	}
	for name, p := range map[string]string{"before": before, "after": after} {
		if _, st := store.VerifyPayload(p, keys); st != store.PayloadGenuine {
			t.Fatalf("certificate signed %s the rotation: %v", name, st)
		}
	}
	if p, _ := store.VerifyPayload(after, keys); p.KeyID != k.ID {
		t.Fatalf("signed after rotation with key %s, want %s", p.KeyID, k.ID)
	}
	e := lastEntry(t, w.Store, w.Org(t, "demo-province").ID, store.ActSigningRotate)
	if !strings.Contains(e.Detail, first.ID) || !strings.Contains(e.Detail, k.ID) || !strings.Contains(e.Detail, "年度轮换") {
		t.Fatalf("rotation log: %+v", e)
	}
	verifyOK(t, w.Store)
}

// The private key is never in the database, a backup or the data
// directory in the clear, and the key-encryption key is outside the data
// directory: a restored backup verifies old certificates but cannot sign
// until the province rotates.
func TestPrivateKeyStaysOutOfBackups(t *testing.T) {
	w := fixture.Demo(t)
	_, payload := signOne(t, w, 5)
	seed := store.SigningSeedForTest(w.Store)
	if len(seed) != 32 {
		t.Fatal("no key loaded")
	}
	kekFile := filepath.Clean(w.Dir) + ".signing-kek"
	kekText, err := os.ReadFile(kekFile)
	if err != nil {
		t.Fatalf("the key-encryption key is not beside the data directory: %v", err)
	}
	kek, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(kekText)))
	if err != nil || len(kek) != 32 {
		t.Fatalf("key-encryption key file %q (%v)", kekText, err)
	}
	// What a backup must never hold: the seed, the encrypted private key
	// files and the key-encryption key, raw or as written in its file.
	secrets := [][]byte{seed, kek, bytes.TrimSpace(kekText)}
	sealed, _ := filepath.Glob(filepath.Join(w.Dir, store.SigningDir, "*.key"))
	if len(sealed) != 1 {
		t.Fatalf("encrypted private keys: %v", sealed)
	}
	if b, err := os.ReadFile(sealed[0]); err != nil {
		t.Fatal(err)
	} else {
		secrets = append(secrets, b)
	}
	if st, _ := w.Store.SigningStatus(); !st.Ready || !strings.Contains(w.Store.KEKSource(), kekFile) {
		t.Fatalf("status %+v, source %s", st, w.Store.KEKSource())
	}
	// Nothing under the data directory holds the seed in the clear.
	err = filepath.Walk(w.Dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, seed) {
			t.Errorf("%s holds the private key in the clear", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Store.WriteBackup(w.Actor(t, "demo-province"), &buf); err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	entries := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		if strings.HasPrefix(h.Name, store.SigningDir+"/") || strings.Contains(h.Name, "kek") {
			t.Fatalf("the backup holds %s", h.Name)
		}
		for i, secret := range secrets {
			if bytes.Contains(b, secret) {
				t.Fatalf("the backup's %s holds secret %d (seed, key-encryption key, its text, the sealed key)", h.Name, i)
			}
		}
		entries++
	}
	if entries < 3 {
		t.Fatalf("the backup has %d entries", entries)
	}
	dir := filepath.Join(t.TempDir(), "restored")
	if err := store.Restore(bytes.NewReader(buf.Bytes()), dir); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Now = w.Clock.Now
	keys := publicKeys(t, st)
	if _, s := store.VerifyPayload(payload, keys); s != store.PayloadGenuine {
		t.Fatalf("restored keys do not verify an old certificate: %v", s)
	}
	status, err := st.SigningStatus()
	if err != nil || status.Ready || !strings.Contains(status.Problem, "restored.signing-kek 不存在") || status.Active.ID != keys[0].ID {
		t.Fatalf("restored: %+v (%v)", status, err)
	}
	var se *store.SigningError
	if _, err := st.SignCertificates([]store.Certificate{{Number: "26340101250001"}}); !errors.As(err, &se) || !strings.Contains(err.Error(), "轮换") {
		t.Fatalf("signing on the restored copy: %v", err)
	}
	if r, err := st.VerifyChain(nil); err != nil || !r.OK() {
		t.Fatalf("the restored chain: %+v (%v)", r.Findings, err)
	}
	k, err := st.RotateSigningKey(w.Actor(t, "demo-province"), "从备份恢复")
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := st.SigningStatus(); !status.Ready || status.Active.ID != k.ID {
		t.Fatalf("after rotation: %+v", status)
	}
	if len(publicKeys(t, st)) != 2 {
		t.Fatal("rotation lost the old public key")
	}
}

// The key-encryption key may come from the environment instead of a file;
// a wrong one leaves signing unavailable with the reason, and no file is
// created beside the data directory.
func TestKEKFromTheEnvironment(t *testing.T) {
	t.Setenv(store.KEKEnv, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	w := fixture.Demo(t)
	signOne(t, w, 6)
	if _, err := os.Stat(filepath.Clean(w.Dir) + ".signing-kek"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a key file was created although the environment holds the key: %v", err)
	}
	if !strings.Contains(w.Store.KEKSource(), store.KEKEnv) {
		t.Fatal(w.Store.KEKSource())
	}
	w.Store.Close()
	t.Setenv(store.KEKEnv, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{8}, 32)))
	st, err := store.Open(w.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	status, err := st.SigningStatus()
	if err != nil || status.Ready || !strings.Contains(status.Problem, "解密") {
		t.Fatalf("wrong key-encryption key: %+v (%v)", status, err)
	}
}
