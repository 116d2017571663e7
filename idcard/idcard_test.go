package idcard

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// refCheck is an independent implementation of ISO 7064 MOD 11-2 as written
// in GB 11643-1999: weight of position i (1-based from the left) is
// 2^(18-i) mod 11, and the check value is (12 - sum mod 11) mod 11, with 10
// written as X.
func refCheck(body17 string) byte {
	sum := 0
	w := 1
	// Walk from the right: the rightmost body digit has weight 2^1.
	for i := 16; i >= 0; i-- {
		w = w * 2 % 11
		sum += int(body17[i]-'0') * w
	}
	v := (12 - sum%11) % 11
	if v == 10 {
		return 'X'
	}
	return byte('0' + v)
}

func build(body17 string) string { return body17 + string(refCheck(body17)) }

// withBadCheck returns id with a different, still well-formed, last character.
func withBadCheck(id string) string {
	last := id[17]
	for _, c := range []byte("0123456789X") {
		if c != last {
			return id[:17] + string(c)
		}
	}
	panic("unreachable")
}

func TestRefCheckKnownNumber(t *testing.T) {
	// The example number of GB 11643-1999 itself.
	if got := build("11010519491231002"); got != "11010519491231002X" {
		t.Fatalf("reference algorithm: got %s", got)
	}
}

func TestValidate(t *testing.T) {
	future := time.Now().AddDate(1, 0, 0).Format("20060102")
	valid1 := build("34210219900101002")
	valid2 := build("11010519491231002") // check digit X
	validOld := build("11010119000101001")
	tests := []struct {
		name string
		in   string // raw input; Normalize is applied first
		want error
		msg  string // substring of Error()
	}{
		{"valid", valid1, nil, ""},
		{"valid with X", valid2, nil, ""},
		{"valid 1900-01-01", validOld, nil, ""},
		{"lower-case x", strings.ToLower(valid2), nil, ""},
		{"full-width digits", toFullWidth(valid1), nil, ""},
		{"full-width X", toFullWidth(valid2), nil, ""},
		{"spaces tabs NBSP ideographic", " " + valid1[:6] + "\u3000" + valid1[6:14] + "\t" + valid1[14:] + "\u00a0", nil, ""},
		{"wrong check digit", withBadCheck(valid1), ErrCheckDigit, "校验位错误"},
		{"bad date 0230", build("34210219900230002"), ErrBirthDate, "19900230"},
		{"bad month 13", build("34210219901301002"), ErrBirthDate, "不是有效日期"},
		{"year before 1900", build("34210218991231002"), ErrBirthDate, "1900"},
		{"future date", build("342102" + future + "002"), ErrBirthDate, "晚于今天"},
		{"15 digits", "342102900101002", ErrLegacy15, "15 位旧身份证号不受支持，请填写 18 位身份证号"},
		{"17 digits", valid1[:17], ErrLength, "18 位"},
		{"19 digits", valid1 + "1", ErrLength, "18 位"},
		{"empty", "", ErrLength, "为空"},
		{"letter inside", valid1[:5] + "A" + valid1[6:], ErrChars, "数字"},
		{"X not last", "X" + valid1[1:], ErrChars, "数字"},
		{"Chinese chars 18 runes", strings.Repeat("中", 18), ErrChars, "数字"},
		{"hyphen", valid1[:6] + "-" + valid1[7:], ErrChars, "数字"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(Normalize(tc.in))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate(%q) = %v, want nil", tc.in, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Validate(%q) = %v, want %v", tc.in, err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("message %q does not contain %q", err.Error(), tc.msg)
			}
		})
	}
}

func TestValidateTodayIsAccepted(t *testing.T) {
	defer func(f func() time.Time) { now = f }(now)
	now = func() time.Time { return time.Date(2024, 3, 1, 0, 30, 0, 0, cst) }
	if err := Validate(build("34210220240301002")); err != nil {
		t.Fatalf("born today: %v", err)
	}
	if err := Validate(build("34210220240302002")); !errors.Is(err, ErrBirthDate) {
		t.Fatalf("born tomorrow: %v", err)
	}
	// 2024-02-29 is a real date (leap year); 2023-02-29 is not.
	if err := Validate(build("34210220240229002")); err != nil {
		t.Fatalf("leap day: %v", err)
	}
	if err := Validate(build("34210220230229002")); !errors.Is(err, ErrBirthDate) {
		t.Fatalf("2023-02-29: %v", err)
	}
}

func TestValidateExpectsNormalised(t *testing.T) {
	id := build("11010519491231002")
	if err := Validate(strings.ToLower(id)); !errors.Is(err, ErrChars) {
		t.Fatalf("raw lower-case x: %v", err)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  110105 19491231002x ", "11010519491231002X"},
		{"１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"},
		{"１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"},
		{"\u3000110105\t1949\u00a01231\r\n002X\u200b\ufeff", "11010519491231002X"},
		{"abc", "abc"},
	}
	for _, tc := range tests {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Normalize(Normalize(tc.in)); got != Normalize(tc.in) {
			t.Errorf("Normalize not idempotent on %q", tc.in)
		}
	}
}

func TestGenderAndBirthDate(t *testing.T) {
	birth := time.Date(1985, 7, 9, 0, 0, 0, 0, time.UTC)
	for seq := 0; seq < 20; seq++ {
		id := Make("320102", birth, seq)
		if id != build(id[:17]) {
			t.Fatalf("Make(%d) = %s: wrong check digit", seq, id)
		}
		if err := Validate(id); err != nil {
			t.Fatalf("Make(%d) = %s: %v", seq, id, err)
		}
		want := "女"
		if seq%2 == 1 {
			want = "男"
		}
		if g := Gender(id); g != want {
			t.Fatalf("Gender(%s) = %s, want %s", id, g, want)
		}
		d, ok := BirthDate(id)
		if !ok || d.Year() != 1985 || d.Month() != 7 || d.Day() != 9 {
			t.Fatalf("BirthDate(%s) = %v, %v", id, d, ok)
		}
	}
	if g := Gender("123"); g != "" {
		t.Errorf("Gender(short) = %q", g)
	}
	if _, ok := BirthDate(build("34210219900230002")); ok {
		t.Errorf("BirthDate accepted 0230")
	}
	if _, ok := BirthDate("342102900101002"); ok {
		t.Errorf("BirthDate accepted 15 digits")
	}
	if got := Make("110101", birth, 1123); got[14:17] != "123" {
		t.Errorf("Make seq modulo: %s", got)
	}
}

func TestMakePanicsOnBadRegion(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	Make("11010", time.Now(), 1)
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"342102199001010029", "342102********0029"},
		{"11010519491231002X", "110105********002X"},
		{"", ""},
		{"123", "***"},
		{"12345678", "12****78"},
		{"342102900101002", "342*********002"},
		{"中文姓名测试", "中****试"},
	}
	for _, tc := range tests {
		if got := Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{" 13812345678 ", "138****5678"},
		{"", ""},
		{"110", "***"},
		{"0551-1234567", "055******567"},
		{"12345678", "12****78"},
	}
	for _, tc := range tests {
		if got := MaskPhone(tc.in); got != tc.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestMaskRevealsLittle checks for every length that masking keeps the
// length and never reveals more than 10 characters or more than half.
func TestMaskRevealsLittle(t *testing.T) {
	for n := 0; n <= 40; n++ {
		s := strings.Repeat("7", n)
		for _, m := range []string{Mask(s), MaskPhone(s)} {
			shown := strings.Count(m, "7")
			if utf8.RuneCountInString(m) != n {
				t.Errorf("n=%d: masked length %d", n, len(m))
			}
			if shown > 10 || (n != 18 && n != 11 && shown*2 > n) {
				t.Errorf("n=%d: %q reveals %d characters", n, m, shown)
			}
		}
	}
}

func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune('０' + (r - '0'))
		case r == 'X':
			b.WriteRune('Ｘ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		"342102199001010029", "11010519491231002x", "１１０１０５１９４９１２３１００２Ｘ",
		"342102900101002", " 3421 0219 9002 3000 2X ", "", "\xff\xfe", "中文", "\u3000\u00a0\t",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if Normalize(n) != n {
			t.Fatalf("Normalize not idempotent: %q -> %q -> %q", s, n, Normalize(n))
		}
		err := Validate(n)
		_ = Mask(s)
		_ = MaskPhone(s)
		_ = Gender(s)
		_, _ = BirthDate(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if len(n) != 18 || utf8.RuneCountInString(n) != 18 {
			t.Fatalf("accepted %q of length %d", n, len(n))
		}
		if refCheck(n[:17]) != n[17] {
			t.Fatalf("accepted %q with a wrong check digit", n)
		}
		if _, ok := BirthDate(n); !ok {
			t.Fatalf("accepted %q without a birth date", n)
		}
		if g := Gender(n); g != "男" && g != "女" {
			t.Fatalf("accepted %q without a gender", n)
		}
		if m := Mask(n); m != n[:6]+"********"+n[14:] {
			t.Fatalf("Mask(%q) = %q", n, m)
		}
	})
}
