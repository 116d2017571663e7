package auth

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// Period is the TOTP time step (RFC 6238).
const Period = 30

// Step returns the TOTP time step of t.
func Step(t time.Time) uint64 { return uint64(t.Unix()) / Period }

// Code returns the 6-digit code of secret at t.
func Code(secret string, t time.Time) string {
	c, err := hotp.GenerateCodeCustom(secret, Step(t), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return ""
	}
	return c
}

// MatchStep checks code against steps cur-1..cur+1 and returns the matched
// step. The caller must refuse a step at or below the user's last used step
// (the library itself accepts a code twice).
func MatchStep(secret, code string, now time.Time) (uint64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	cur := Step(now)
	matched, found := uint64(0), false
	for _, s := range []uint64{cur - 1, cur, cur + 1} {
		want, err := hotp.GenerateCodeCustom(secret, s, hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		// Compare all three so timing does not tell which one matched.
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && !found {
			matched, found = s, true
		}
	}
	return matched, found
}

// Enrolment is a new TOTP secret with what the page shows.
type Enrolment struct {
	Secret string // base32
	URL    string // otpauth://
	QR     string // data: URL of a PNG
}

// NewEnrolment creates a secret for account at issuer with its QR code.
func NewEnrolment(issuer, account string) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: Period, Digits: otp.DigitsSix})
	if err != nil {
		return Enrolment{}, err
	}
	return enrolmentFor(key)
}

// EnrolmentFor rebuilds the QR code of a pending secret.
func EnrolmentFor(issuer, account, secret string) (Enrolment, error) {
	u := fmt.Sprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s&period=30&digits=6&algorithm=SHA1",
		pathEscape(issuer), pathEscape(account), secret, pathEscape(issuer))
	key, err := otp.NewKeyFromURL(u)
	if err != nil {
		return Enrolment{}, err
	}
	return enrolmentFor(key)
}

func enrolmentFor(key *otp.Key) (Enrolment, error) {
	img, err := key.Image(240, 240)
	if err != nil {
		return Enrolment{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL(),
		QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

func pathEscape(s string) string {
	r := strings.NewReplacer("%", "%25", " ", "%20", ":", "%3A", "/", "%2F", "?", "%3F", "&", "%26", "#", "%23", "=", "%3D")
	return r.Replace(s)
}

// ValidSecret reports whether s is usable base32.
func ValidSecret(s string) bool {
	_, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(s))
	return err == nil && len(s) >= 16
}

// RecoveryCodes returns n new one-time codes (shown once) and their hashes
// (stored).
func RecoveryCodes(n int) (codes, hashes []string) {
	const alphabet = "23456789abcdefghjkmnpqrstuvwxyz"
	for i := 0; i < n; i++ {
		b := make([]byte, 10)
		for j := range b {
			b[j] = alphabet[randInt(len(alphabet))]
		}
		code := string(b[:5]) + "-" + string(b[5:])
		codes = append(codes, code)
		hashes = append(hashes, HashRecovery(code))
	}
	return codes, hashes
}

// HashRecovery normalises a typed recovery code and hashes it. The codes carry
// about 50 bits of randomness, so a fast hash is adequate.
func HashRecovery(code string) string {
	code = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(code), " ", ""))
	if len(code) == 10 {
		code = code[:5] + "-" + code[5:]
	}
	h := sha256.Sum256([]byte("recovery:" + code))
	return hex.EncodeToString(h[:])
}
