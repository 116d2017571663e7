package store

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"certreg/idcard"
)

// The signed payload of a certificate's QR code (docs/integrity.md). It
// travels in the fragment of the verification link (…/verify?n=&t=#PAYLOAD),
// which browsers never send to the server, so the verification page can
// check it with no connection at all: assets/verify.js decodes exactly this
// format. Binary, then base64url without padding:
//
//	0      format (1)
//	1–4    key id
//	5–10   number, 14 digits as a 48-bit integer
//	11–12  issue date, days since 1970-01-01 (China time)
//	13–14  signing date, days since 1970-01-01 (China time)
//	15     level (1–5)
//	16–20  masked ID number: the first 6 digits as 24 bits, then the
//	       three digits before the check character × 11 + the check
//	       character (X = 10) as 16 bits
//	       then uvarint-length-prefixed UTF-8: version as decimal, holder
//	       name, occupation name, issuing organisation code
//	last 64 Ed25519 signature over "certreg-cert-v1" 0x00 and every byte
//	       before it
//
// A typical payload is about 110 bytes (150 characters).

// PayloadFormat is the version of the payload layout.
const PayloadFormat = 1

// payloadDomain separates these signatures from any other use of the key.
const payloadDomain = "certreg-cert-v1\x00"

// CertPayload is what a certificate's QR code says, signed.
type CertPayload struct {
	KeyID      string // 8 hexadecimal digits
	Number     string
	Name       string
	MaskedID   string // 342102********0029
	Occupation string // name
	Level      int
	IssueDate  time.Time // midnight China time
	SignedOn   time.Time // midnight China time
	OrgCode    string    // issuing organisation
	Version    int
}

// payloadDay is t's calendar day in China counted from 1970-01-01.
func payloadDay(t time.Time) (uint16, error) {
	y, m, d := t.In(cst).Date()
	n := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
	if n < 0 || n > 0xFFFF {
		return 0, fmt.Errorf("date %04d-%02d-%02d out of range", y, m, d)
	}
	return uint16(n), nil
}

// dayOf is midnight China time of a day number.
func dayOf(n uint16) time.Time { return time.Date(1970, 1, 1+int(n), 0, 0, 0, 0, cst) }

// encode writes the payload's signed part.
func (p CertPayload) encode() ([]byte, error) {
	kid, err := hex.DecodeString(p.KeyID)
	if err != nil || len(kid) != 4 {
		return nil, fmt.Errorf("payload: key id %q", p.KeyID)
	}
	num, err := strconv.ParseUint(p.Number, 10, 64)
	if err != nil || len(p.Number) != 14 {
		return nil, fmt.Errorf("payload: number %q", p.Number)
	}
	issued, err := payloadDay(p.IssueDate)
	if err != nil {
		return nil, err
	}
	signed, err := payloadDay(p.SignedOn)
	if err != nil {
		return nil, err
	}
	if p.Level < 1 || p.Level > 5 {
		return nil, fmt.Errorf("payload: level %d", p.Level)
	}
	head, tail, err := splitMasked(p.MaskedID)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 128)
	b = append(b, PayloadFormat)
	b = append(b, kid...)
	b = append(b, byte(num>>40), byte(num>>32), byte(num>>24), byte(num>>16), byte(num>>8), byte(num))
	b = binary.BigEndian.AppendUint16(b, issued)
	b = binary.BigEndian.AppendUint16(b, signed)
	b = append(b, byte(p.Level))
	b = append(b, byte(head>>16), byte(head>>8), byte(head))
	b = binary.BigEndian.AppendUint16(b, tail)
	for _, s := range []string{strconv.Itoa(p.Version), p.Name, p.Occupation, p.OrgCode} {
		if len(s) > 255 {
			return nil, errors.New("payload: text too long")
		}
		b = appendStr(b, s)
	}
	return b, nil
}

// splitMasked packs the visible parts of a masked ID number.
func splitMasked(m string) (uint32, uint16, error) {
	if len(m) != 18 || m[6:14] != "********" {
		return 0, 0, fmt.Errorf("payload: masked ID %q", m)
	}
	head, err := strconv.ParseUint(m[:6], 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("payload: masked ID %q", m)
	}
	mid, err := strconv.ParseUint(m[14:17], 10, 16)
	if err != nil || strings.ContainsAny(m[:6]+m[14:17], "+-") {
		return 0, 0, fmt.Errorf("payload: masked ID %q", m)
	}
	check := uint64(10)
	if m[17] != 'X' {
		if m[17] < '0' || m[17] > '9' {
			return 0, 0, fmt.Errorf("payload: masked ID %q", m)
		}
		check = uint64(m[17] - '0')
	}
	return uint32(head), uint16(mid*11 + check), nil
}

func joinMasked(head uint32, tail uint16) string {
	check := strconv.Itoa(int(tail % 11))
	if tail%11 == 10 {
		check = "X"
	}
	return fmt.Sprintf("%06d********%03d%s", head, tail/11, check)
}

// signPayload encodes and signs a payload, base64url without padding.
func signPayload(p CertPayload, priv ed25519.PrivateKey) (string, error) {
	b, err := p.encode()
	if err != nil {
		return "", err
	}
	sig := ed25519.Sign(priv, append([]byte(payloadDomain), b...))
	return base64.RawURLEncoding.EncodeToString(append(b, sig...)), nil
}

// PayloadStatus is what a verification concluded.
type PayloadStatus int

const (
	// PayloadGenuine: signed by a known key within its validity.
	PayloadGenuine PayloadStatus = iota
	// PayloadInvalid: the signature does not match (changed, truncated, forged).
	PayloadInvalid
	// PayloadUnknownKey: signed by a key this registry never published.
	PayloadUnknownKey
)

// Label is the Chinese verdict the verification page shows.
func (s PayloadStatus) Label() string {
	switch s {
	case PayloadGenuine:
		return "真实有效且未被篡改"
	case PayloadUnknownKey:
		return "未知密钥签发"
	}
	return "签名无效（可能被篡改）"
}

// decodePayload reads a payload without verifying it.
func decodePayload(s string) (CertPayload, []byte, []byte, error) {
	var p CertPayload
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return p, nil, nil, errors.New("payload: not base64url")
	}
	if len(raw) < 21+4+ed25519.SignatureSize || raw[0] != PayloadFormat {
		return p, nil, nil, errors.New("payload: too short or unknown format")
	}
	body, sig := raw[:len(raw)-ed25519.SignatureSize], raw[len(raw)-ed25519.SignatureSize:]
	p.KeyID = hex.EncodeToString(body[1:5])
	var num uint64
	for _, c := range body[5:11] {
		num = num<<8 | uint64(c)
	}
	p.Number = fmt.Sprintf("%014d", num)
	p.IssueDate = dayOf(binary.BigEndian.Uint16(body[11:]))
	p.SignedOn = dayOf(binary.BigEndian.Uint16(body[13:]))
	p.Level = int(body[15])
	p.MaskedID = joinMasked(uint32(body[16])<<16|uint32(body[17])<<8|uint32(body[18]), binary.BigEndian.Uint16(body[19:]))
	rest := body[21:]
	var texts [4]string
	for i := range texts {
		n, k := binary.Uvarint(rest)
		if k <= 0 || uint64(len(rest)-k) < n {
			return p, nil, nil, errors.New("payload: truncated")
		}
		texts[i] = string(rest[k : k+int(n)])
		if !utf8.ValidString(texts[i]) {
			return p, nil, nil, errors.New("payload: not UTF-8")
		}
		rest = rest[k+int(n):]
	}
	if len(rest) != 0 {
		return p, nil, nil, errors.New("payload: trailing bytes")
	}
	if p.Version, err = strconv.Atoi(texts[0]); err != nil {
		return p, nil, nil, errors.New("payload: version")
	}
	p.Name, p.Occupation, p.OrgCode = texts[1], texts[2], texts[3]
	return p, body, sig, nil
}

// VerifyPayload checks a payload against the published keys: the key must
// be known, the signature must match, and the signing date must lie in the
// key's validity. It is what assets/verify.js does in the browser; the
// server uses it in tests.
func VerifyPayload(s string, keys []SigningKey) (CertPayload, PayloadStatus) {
	p, body, sig, err := decodePayload(s)
	if err != nil {
		return p, PayloadInvalid
	}
	for _, k := range keys {
		if k.ID != p.KeyID {
			continue
		}
		if len(k.Public) != ed25519.PublicKeySize || !ed25519.Verify(k.Public, append([]byte(payloadDomain), body...), sig) {
			return p, PayloadInvalid
		}
		if p.SignedOn.Before(IssueDay(k.NotBefore)) || (!k.NotAfter.IsZero() && p.SignedOn.After(IssueDay(k.NotAfter))) {
			return p, PayloadInvalid
		}
		return p, PayloadGenuine
	}
	return p, PayloadUnknownKey
}

// payloadOf is what a certificate's QR code says of it on a given day.
func payloadOf(c *Certificate, orgCode, keyID string, now time.Time) CertPayload {
	return CertPayload{KeyID: keyID, Number: c.Number, Name: c.Name, MaskedID: idcard.Mask(c.IDNumber), Occupation: c.OccupationName,
		Level: c.Level, IssueDate: c.IssueDate, SignedOn: now, OrgCode: orgCode, Version: c.Version}
}

// PayloadDay is the day number the payload uses for t (days since
// 1970-01-01 in China), for the verification page's key validity.
func PayloadDay(t time.Time) int {
	n, _ := payloadDay(t)
	return int(n)
}
