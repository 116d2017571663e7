package auth

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The password rule: 8–64 characters (characters, not bytes), with 3 of the
// 4 classes. Each boundary is tried on both sides.
func TestPasswordLengthBoundaries(t *testing.T) {
	pad := func(prefix string, n int, r string) string {
		return prefix + strings.Repeat(r, n-len([]rune(prefix)))
	}
	for _, tc := range []struct {
		pw string
		ok bool
	}{
		{pad("Ab1#", 7, "x"), false},
		{pad("Ab1#", 8, "x"), true},
		{pad("Ab1#", 64, "x"), true},
		{pad("Ab1#", 65, "x"), false},
		// Chinese characters count one each (3 bytes in UTF-8).
		{pad("Ab1", 7, "密"), false},
		{pad("Ab1", 8, "密"), true},
		{pad("Ab1", 64, "密"), true},
		{pad("Ab1", 65, "密"), false},
	} {
		if n := len([]rune(tc.pw)); n != 7 && n != 8 && n != 64 && n != 65 {
			t.Fatalf("test password of %d characters", n)
		}
		err := CheckPolicy(tc.pw, "")
		if (err == nil) != tc.ok {
			t.Errorf("%d characters (%d bytes) %q: err=%v, want ok=%v", len([]rune(tc.pw)), len(tc.pw), tc.pw, err, tc.ok)
		}
		if err != nil && err != ErrWeakPassword {
			t.Errorf("%q: %v, want the policy message", tc.pw, err)
		}
	}
	if !strings.Contains(ErrWeakPassword.Error(), "8–64") {
		t.Errorf("message does not state the rule: %s", ErrWeakPassword)
	}
}

// Three of four classes: every pair of classes is refused, every triple
// accepted, at a valid length.
func TestPasswordClasses(t *testing.T) {
	classes := map[string]string{"upper": "ABCD", "lower": "abcd", "digit": "1234", "symbol": "#$%&"}
	names := []string{"upper", "lower", "digit", "symbol"}
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			pw := classes[names[i]] + classes[names[j]]
			if CheckPolicy(pw, "") == nil {
				t.Errorf("two classes %s+%s accepted: %q", names[i], names[j], pw)
			}
			for k := j + 1; k < len(names); k++ {
				pw3 := classes[names[i]] + classes[names[j]] + classes[names[k]]
				if err := CheckPolicy(pw3, ""); err != nil {
					t.Errorf("three classes %s+%s+%s refused: %v", names[i], names[j], names[k], err)
				}
			}
		}
	}
}

// rfcSecret is RFC 6238's SHA1 seed, the ASCII bytes "12345678901234567890",
// in the base32 form authenticator apps take.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// RFC 6238 appendix B, SHA1 column: the published 8-digit values; a 6-digit
// code is their last six digits (the same truncated value modulo 10^6).
var rfc6238SHA1 = []struct {
	unix int64
	code string
}{
	{59, "94287082"},
	{1111111109, "07081804"},
	{1111111111, "14050471"},
	{1234567890, "89005924"},
	{2000000000, "69279037"},
	{20000000000, "65353130"},
}

func TestTOTPMatchesRFC6238Vectors(t *testing.T) {
	for _, v := range rfc6238SHA1 {
		at := time.Unix(v.unix, 0)
		want := v.code[2:]
		if got := Code(rfcSecret, at); got != want {
			t.Errorf("T=%d: code %s, want %s (RFC 6238, SHA1)", v.unix, got, want)
		}
		step, ok := MatchStep(rfcSecret, want, at)
		if !ok || step != uint64(v.unix/30) {
			t.Errorf("T=%d: MatchStep(%s) = %d, %v; want step %d", v.unix, want, step, ok, v.unix/30)
		}
		if _, ok := MatchStep(rfcSecret, want, at.Add(90*time.Second)); ok {
			t.Errorf("T=%d: code accepted three steps later", v.unix)
		}
	}
}

// refHOTP is RFC 4226 written out with the standard library: HMAC-SHA1 of
// the 8-byte big-endian counter, dynamic truncation, modulo 10^6.
func refHOTP(key []byte, counter uint64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", bin%1_000_000)
}

func TestReferenceHOTPMatchesRFC4226(t *testing.T) {
	// RFC 4226 appendix D, secret "12345678901234567890", counters 0–9.
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for c, w := range want {
		if got := refHOTP([]byte("12345678901234567890"), uint64(c)); got != w {
			t.Fatalf("reference HOTP counter %d: %s, want %s", c, got, w)
		}
	}
}

// What enrolment tells the app (SHA1, 6 digits, 30 s) is what login checks:
// codes of a fresh secret equal the reference computation from the URL.
func TestEnrolmentAlgorithmMatchesLogin(t *testing.T) {
	en, err := NewEnrolment("合格证登记系统", "demo-unit")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(en.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Fatalf("enrolment URL %s: want algorithm=SHA1 digits=6 period=30", en.URL)
	}
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(q.Get("secret")))
	if err != nil {
		t.Fatal(err)
	}
	for _, unix := range []int64{59, 1_700_000_000, 1_795_000_015} {
		at := time.Unix(unix, 0)
		want := refHOTP(key, uint64(unix/30))
		if got := Code(en.Secret, at); got != want {
			t.Errorf("T=%d: login code %s, the app computes %s", unix, got, want)
		}
		if _, ok := MatchStep(en.Secret, want, at); !ok {
			t.Errorf("T=%d: the app's code %s refused", unix, want)
		}
	}
	again, err := EnrolmentFor("合格证登记系统", "demo-unit", en.Secret)
	if err != nil || !strings.Contains(again.URL, "algorithm=SHA1") {
		t.Fatalf("rebuilt enrolment: %v %s", err, again.URL)
	}
}
