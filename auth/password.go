// Package auth owns the credentials: password policy and argon2id hashing,
// TOTP codes with replay protection by time step, recovery codes, random
// tokens and the per-address login rate limit.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters. The defaults follow OWASP's
// recommendation (19 MiB, 2 passes); tests lower them.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// Cost is used for new hashes; stored hashes carry their own parameters.
var Cost = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// HashPassword returns an encoded argon2id hash of pw.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	p := Cost
	sum := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum)), nil
}

// CheckPassword reports whether pw matches the encoded hash.
func CheckPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when the user does not exist, so that an
// unknown user costs the same time as a wrong password.
var dummyHash, _ = HashPassword("dummy-password-for-timing")

// BurnTime spends the time of one password check.
func BurnTime(pw string) { CheckPassword(dummyHash, pw) }

// ErrWeakPassword explains a refused password in Chinese.
var ErrWeakPassword = errors.New("密码应为 8–64 位，并至少包含大写字母、小写字母、数字、符号中的三类")

// CheckPolicy applies docs/accounts.md: 8–64 characters (not bytes), at least
// 3 of 4 classes (upper, lower, digit, symbol), not containing the username.
func CheckPolicy(pw, username string) error {
	n := utf8.RuneCountInString(pw)
	if n < 8 || n > 64 {
		return ErrWeakPassword
	}
	var upper, lower, digit, symbol bool
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		default:
			symbol = true
		}
	}
	classes := 0
	for _, b := range []bool{upper, lower, digit, symbol} {
		if b {
			classes++
		}
	}
	if classes < 3 {
		return ErrWeakPassword
	}
	if username != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(username)) {
		return errors.New("密码不能包含用户名")
	}
	return nil
}

// RandomPassword returns an initial password that satisfies the policy.
func RandomPassword() string {
	const (
		upper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		lower  = "abcdefghijkmnpqrstuvwxyz"
		digits = "23456789"
		syms   = "#%+=@"
	)
	sets := []string{upper, lower, digits, syms, upper + lower + digits, upper + lower + digits, lower + digits, upper + lower + digits, lower, digits, upper, lower}
	out := make([]byte, len(sets))
	for i, set := range sets {
		out[i] = set[randInt(len(set))]
	}
	return string(out)
}

func randInt(n int) int {
	var b [1]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic(err)
		}
		if int(b[0]) < 256-256%n {
			return int(b[0]) % n
		}
	}
}

// Token returns a random URL-safe token of n random bytes.
func Token(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's random source failing is not recoverable
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
