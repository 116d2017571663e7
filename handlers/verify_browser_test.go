package handlers

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"certreg/fixture"
	"certreg/store"
)

// evalAwait evaluates a JavaScript expression whose value is a promise and
// returns what it resolves to.
func evalAwait[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, func(p *runtime.EvaluateParams) { p.AwaitPromise = new(true) }))
	if err != nil {
		b.t.Fatalf("eval %s: %v", js, err)
	}
	return v
}

// goOffline cuts the browser off the network, its service worker included,
// and stops the server: nothing the page asks for can come from it.
func (b *browser) goOffline() {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: new(true),
			MatchedNetworkConditions:    []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
		}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
	if err := b.env.app.Shutdown(); err != nil {
		b.t.Fatal(err)
	}
}

// tamper changes one byte of a payload (after decoding) and encodes it
// again.
func tamper(t *testing.T, payload string, at int, x byte) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw[at] ^= x
	return base64.RawURLEncoding.EncodeToString(raw)
}

// A phone that opened the verification page once checks a printed
// certificate's QR code without a connection: online the page shows the
// signature verdict and the current status; offline (the network blocked
// for the page and its service worker, the server stopped) the kept page
// still says 真实有效且未被篡改 for the genuine payload, 签名无效（可能被篡改）
// for one with a changed byte, and 未知密钥签发 for one under a key nobody
// published. The Ed25519 fallback (for browsers without WebCrypto's) agrees
// with Go's implementation.
func TestBrowserVerifiesSignedQRCodeOffline(t *testing.T) {
	w := fixture.Demo(t)
	b := newBrowser(t, w)
	var ct store.Certificate
	for _, c := range b.env.certsOf("demo-unit") {
		if c.Status == store.CertValid {
			ct = c
			break
		}
	}
	payloads, err := w.Store.SignCertificates([]store.Certificate{ct})
	if err != nil {
		t.Fatal(err)
	}
	payload := payloads[0]
	link := b.base + "/verify?" + url.Values{"n": {ct.Number}, "t": {verifyToken(b.env.srv.certs.verifyKey, ct.Number)}}.Encode() + "#" + payload

	// Online, the first visit.
	b.open(strings.TrimPrefix(link, b.base))
	b.waitFor("the signature verdict", `document.getElementById('offline-check').dataset.status === 'genuine'`)
	if got := b.text("#sig-verdict"); got != "真实有效且未被篡改" {
		t.Fatalf("verdict %q", got)
	}
	fields := b.text("#sig-fields")
	for _, want := range []string{ct.Number, ct.Name, maskedByRule(ct.IDNumber), ct.OccupationName, ct.LevelName(), w.Org(t, "demo-unit").Code} {
		if !strings.Contains(fields, want) {
			t.Errorf("the verified fields lack %q: %q", want, fields)
		}
	}
	if got := b.text("#verify-status"); !strings.Contains(got, "有效") {
		t.Fatalf("online status %q", got)
	}
	if got := b.text("#sig-online"); !strings.Contains(got, "当前有效，与二维码内容一致") {
		t.Fatalf("online note %q", got)
	}
	if impl := evalAwait[string](b, `Promise.resolve(document.getElementById('offline-check').dataset.impl)`); impl != "webcrypto" {
		t.Errorf("Chromium verified with %q, want its WebCrypto Ed25519", impl)
	}
	b.shot("verify-online")
	// The service worker has taken the page and its assets.
	b.waitFor("the service worker", `navigator.serviceWorker.controller !== null || !document.getElementById('offline-ready').hidden`)
	if !evalAwait[bool](b, `caches.match('/verify').then(function (r) { return !!r; })`) {
		t.Fatal("the page is not kept for offline use")
	}

	b.do(chromedp.Navigate("about:blank"))
	b.goOffline()
	// Offline: the same link opens the kept page, which checks the payload.
	b.do(chromedp.Navigate(link))
	if evalAwait[bool](b, `fetch('/healthz').then(function () { return true; }, function () { return false; })`) {
		t.Fatal("the network is still reachable")
	}
	b.waitFor("the offline verdict", `document.getElementById('offline-check').dataset.status === 'genuine'`)
	if got := b.text("#sig-verdict"); got != "真实有效且未被篡改" {
		t.Fatalf("offline verdict %q", got)
	}
	if got := b.text("#sig-online"); !strings.Contains(got, "离线核验") {
		t.Fatalf("offline note %q", got)
	}
	if n := evalAwait[int](b, `Promise.resolve(document.querySelectorAll('#verify-result').length)`); n != 0 {
		t.Fatal("the offline page shows a server answer")
	}
	b.shot("verify-offline-genuine")

	// A changed byte of the holder's name: invalid.
	nameAt := 21 + 2 // after the version text (one digit and its length)
	// (A new code in the same page changes only the fragment.)
	b.eval(`location.hash = ` + jsString(tamper(t, payload, nameAt+1, 0x01)))
	b.waitFor("the tampered verdict", `document.getElementById('offline-check').dataset.status === 'invalid'`)
	if got := b.text("#sig-verdict"); got != "签名无效（可能被篡改）" {
		t.Fatalf("tampered verdict %q", got)
	}
	b.shot("verify-offline-tampered")
	// A key id nobody published: unknown key.
	b.eval(`location.hash = ` + jsString(tamper(t, payload, 2, 0x40)))
	b.waitFor("the unknown-key verdict", `document.getElementById('offline-check').dataset.status === 'unknown'`)
	if got := b.text("#sig-verdict"); got != "未知密钥签发" {
		t.Fatalf("unknown key verdict %q", got)
	}
	// A truncated payload: invalid.
	b.eval(`location.hash = ` + jsString(payload[:len(payload)-10]))
	b.waitFor("the truncated verdict", `document.getElementById('offline-check').dataset.status === 'invalid'`)

	// The fallback implementation, forced, on the real payload and on
	// forgeries, and on vectors: RFC 8032 test 1 and messages of every
	// SHA-512 padding case signed by Go.
	for _, tc := range []struct {
		p    string
		want string
	}{{payload, "genuine"}, {tamper(t, payload, nameAt+1, 0x01), "invalid"}, {tamper(t, payload, len(payload)*3/4-5, 0x80), "invalid"}} {
		got := evalAwait[string](b, `certregVerify.payload(`+jsString(tc.p)+`, true).then(function (r) { return r.status + '/' + r.impl; })`)
		if got != tc.want+"/fallback" {
			t.Fatalf("fallback on %q: %s, want %s", tc.p, got, tc.want)
		}
	}
	type vector struct{ pub, msg, sig string }
	vectors := []vector{{"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
		"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"}}
	priv := ed25519.NewKeyFromSeed([]byte("certreg browser test seed 32 by!"))
	for _, n := range []int{1, 111, 112, 127, 128, 300} {
		msg := []byte(strings.Repeat("证", n)[:n])
		vectors = append(vectors, vector{hex.EncodeToString(priv.Public().(ed25519.PublicKey)), hex.EncodeToString(msg), hex.EncodeToString(ed25519.Sign(priv, msg))})
	}
	for i, v := range vectors {
		for _, force := range []string{"true", "false"} {
			call := fmt.Sprintf("certregVerify.ed25519(%s, %s, %%s, %s)", jsString(v.pub), jsString(v.msg), force)
			if !evalAwait[bool](b, fmt.Sprintf(call, jsString(v.sig))) {
				t.Fatalf("vector %d (fallback %s) does not verify", i, force)
			}
			bad := []byte(v.sig)
			if bad[10] == '0' {
				bad[10] = '1'
			} else {
				bad[10] = '0'
			}
			if evalAwait[bool](b, fmt.Sprintf(call, jsString(string(bad)))) {
				t.Fatalf("vector %d (fallback %s): a changed signature verifies", i, force)
			}
		}
	}
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
