package auth

import (
	"strings"
	"testing"
	"time"
)

func TestPasswordPolicy(t *testing.T) {
	for pw, ok := range map[string]bool{
		"Demo#2026pass":            true,
		"abcdefgh":                 false, // one class
		"abcdefg1":                 false, // two classes
		"Abcdefg1":                 true,
		"abc#efg1":                 true,
		"Ab1#":                     false, // short
		strings.Repeat("Ab1#", 17): false, // 68 > 64
		"密码密码Ab1#":                 true,  // Chinese counts as symbol class, runes counted
		"ADMIN#2026x":              true,
	} {
		if err := CheckPolicy(pw, ""); (err == nil) != ok {
			t.Errorf("%q: err=%v, want ok=%v", pw, err, ok)
		}
	}
	if err := CheckPolicy("Xadmin#2026", "admin"); err == nil {
		t.Error("password containing the username accepted")
	}
}

func TestHashAndCheck(t *testing.T) {
	Cost = Params{Memory: 64, Time: 1, Threads: 1}
	long := strings.Repeat("长", 40) + "Ab1#" // 124 bytes: beyond bcrypt's 72
	h, err := HashPassword(long)
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, long) || CheckPassword(h, long[:len(long)-1]) || CheckPassword(h, strings.Repeat("长", 40)) {
		t.Fatal("argon2id check wrong")
	}
	if CheckPassword("garbage", "x") || CheckPassword("$argon2id$v=19$m=64,t=1,p=1$$", "") {
		t.Fatal("malformed hash accepted")
	}
	h2, _ := HashPassword(long)
	if h == h2 {
		t.Fatal("salt not random")
	}
	if err := CheckPolicy(RandomPassword(), ""); err != nil {
		t.Fatalf("random password fails policy: %v", err)
	}
}

func TestMatchStepWindow(t *testing.T) {
	const secret = "DEMODEMODEMODEMO"
	now := time.Date(2026, 11, 28, 10, 0, 15, 0, time.UTC)
	cur := Step(now)
	for delta, ok := range map[int]bool{-2: false, -1: true, 0: true, 1: true, 2: false} {
		code := Code(secret, now.Add(time.Duration(delta)*Period*time.Second))
		step, matched := MatchStep(secret, code, now)
		if matched != ok {
			t.Errorf("delta %d: matched=%v", delta, matched)
		}
		if matched && step != uint64(int64(cur)+int64(delta)) {
			t.Errorf("delta %d: step %d", delta, step)
		}
	}
	if _, ok := MatchStep(secret, "12345", now); ok {
		t.Error("5 digits accepted")
	}
	if _, ok := MatchStep(secret, "abcdef", now); ok {
		t.Error("letters accepted")
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes := RecoveryCodes(10)
	if len(codes) != 10 || len(hashes) != 10 {
		t.Fatal("want 10")
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if seen[c] || len(c) != 11 || c[5] != '-' {
			t.Errorf("code %q", c)
		}
		seen[c] = true
		if HashRecovery(strings.ToUpper(c)) != hashes[i] || HashRecovery(strings.ReplaceAll(c, "-", "")) != hashes[i] || HashRecovery(" "+c+" ") != hashes[i] {
			t.Errorf("normalisation of %q", c)
		}
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLimiter(3, time.Minute, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if !l.Allow("a") {
			t.Fatal("refused early")
		}
	}
	if l.Allow("a") {
		t.Fatal("4th allowed")
	}
	if !l.Allow("b") {
		t.Fatal("other key limited")
	}
	now = now.Add(61 * time.Second)
	if !l.Allow("a") {
		t.Fatal("window did not slide")
	}
}

func TestEnrolmentQR(t *testing.T) {
	en, err := NewEnrolment("合格证登记系统", "demo-unit")
	if err != nil {
		t.Fatal(err)
	}
	if !ValidSecret(en.Secret) || !strings.HasPrefix(en.QR, "data:image/png;base64,") || !strings.Contains(en.URL, "otpauth://totp/") {
		t.Fatalf("%+v", en)
	}
	again, err := EnrolmentFor("合格证登记系统", "demo-unit", en.Secret)
	if err != nil || again.Secret != en.Secret {
		t.Fatalf("rebuild: %v %s", err, again.Secret)
	}
}
