package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"certreg/assets"
	"certreg/auth"
	"certreg/data"
	"certreg/idcard"
	"certreg/store"
)

// Public verification (docs/certificates.md): anyone may check a certificate by
// its number and the holder's name, or through the QR code printed on it,
// which carries an unguessable token (HMAC-SHA256 of the number under a key
// kept in the database). A wrong name, a wrong token and an unknown number
// get the very same answer, and every client address is limited to a few
// lookups a minute, so the page never tells whether a number exists.
//
// The QR code also carries the certificate's signed payload in the link's
// fragment (docs/integrity.md), which the server never receives: the page
// embeds the province's public keys and assets/verify.js checks the payload
// in the browser, online or, through the service worker /verify-sw.js,
// offline. /verify/keys publishes the keys with their validity.

// certState is what the certificate handlers keep between requests.
type certState struct {
	verifyKey []byte
	limiter   *auth.Limiter
	publicURL string
}

func newCertState(cfg Config) (*certState, error) {
	key, err := cfg.Store.SecretKey("verify")
	if err != nil {
		return nil, err
	}
	n := cfg.VerifyLimit
	if n == 0 {
		n = 20
	}
	return &certState{verifyKey: key, limiter: auth.NewLimiter(n, time.Minute, cfg.Now), publicURL: strings.TrimRight(cfg.PublicURL, "/")}, nil
}

// verifyToken is the token of a certificate's QR link: 16 characters
// (96 bits) of base64url HMAC-SHA256 of the number.
func verifyToken(key []byte, number string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(number))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:16]
}

// VerifyToken is the token of a certificate's QR link under key (make load
// builds the links it requests with it).
func VerifyToken(key []byte, number string) string { return verifyToken(key, number) }

// validToken compares in constant time.
func validToken(key []byte, number, token string) bool {
	return len(token) == 16 && hmac.Equal([]byte(verifyToken(key, number)), []byte(token))
}

// orgDisplay names an organisation for people, "名称 代码"; fallback when it
// cannot be read.
func (s *Server) orgDisplay(id uint64, fallback string) string {
	if d, ok := s.st.OrgDisplay(id); ok {
		return d
	}
	return fallback
}

// msgNoPublicURL explains why nothing with a QR code can be printed yet.
const msgNoPublicURL = "证书上的二维码需要本系统的公开访问地址：请省厅管理员在「设置 → 系统设置」中填写“公开访问地址”后再打印。"

// publicURL is the address verification links and QR codes open: the
// -public-url flag, else the province's setting, else "" (not set). It never
// comes from a request header, which the client chooses.
func (s *Server) publicURL() (string, error) {
	if s.certs.publicURL != "" {
		return s.certs.publicURL, nil
	}
	st, err := s.st.Settings()
	return st.PublicURL, err
}

// verifyURL is the public address a certificate's online lookup opens under
// base (from publicURL).
func (s *Server) verifyURL(base, number string) string {
	return base + "/verify?" + url.Values{"n": {number}, "t": {verifyToken(s.certs.verifyKey, number)}}.Encode()
}

// unsignedQR prints the online lookup alone, as before certificates were
// signed. Only the benchmark that measures what signing costs sets it.
var unsignedQR bool

// signedVerifyURLs are the links the QR codes of certificates carry: the
// online lookup with the signed payload as fragment. A *store.SigningError
// says why nothing can be signed now.
func (s *Server) signedVerifyURLs(base string, certs []store.Certificate) ([]string, error) {
	if unsignedQR {
		out := make([]string, len(certs))
		for i, c := range certs {
			out[i] = s.verifyURL(base, c.Number)
		}
		return out, nil
	}
	payloads, err := s.st.SignCertificates(certs)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(certs))
	for i, c := range certs {
		out[i] = s.verifyURL(base, c.Number) + "#" + payloads[i]
	}
	return out, nil
}

// sigKey is a published key as the page's script reads it: validity as
// payload day numbers (until: null while in use).
type sigKey struct {
	ID    string `json:"id"`
	Pub   string `json:"pub"`
	From  int    `json:"from"`
	Until *int   `json:"until"`
}

// sigData is embedded in the verification page for assets/verify.js.
type sigData struct {
	Keys   []sigKey          `json:"keys"`
	Levels map[string]string `json:"levels"`
}

func (s *Server) sigData() (sigData, error) {
	keys, err := s.st.PublicKeys()
	if err != nil {
		return sigData{}, err
	}
	d := sigData{Keys: []sigKey{}, Levels: map[string]string{}}
	for _, k := range keys {
		sk := sigKey{ID: k.ID, Pub: k.PublicBase64(), From: store.PayloadDay(k.NotBefore)}
		if !k.Active() {
			u := store.PayloadDay(k.NotAfter)
			sk.Until = &u
		}
		d.Keys = append(d.Keys, sk)
	}
	for _, l := range data.Levels() {
		d.Levels[strconv.Itoa(l.Code)] = l.Name
	}
	return d, nil
}

// verifyResult is what the page shows of a certificate: never the full ID.
type verifyResult struct {
	Number, Name, MaskedID, Occupation, Level, Issuer, ReplacedBy string
	IssueDate                                                     time.Time
	Status                                                        store.CertStatus
	Version                                                       int
}

type verifyData struct {
	Result   *verifyResult
	NotFound bool
	Limited  bool
	ViaQR    bool
	Form     map[string]string
	Sig      sigData
}

// Lookup names what the server answered, for the page's script: form (no
// lookup: also the copy the service worker keeps), result, notfound or
// limited.
func (d verifyData) Lookup() string {
	switch {
	case d.Limited:
		return "limited"
	case d.NotFound:
		return "notfound"
	case d.Result != nil:
		return "result"
	}
	return "form"
}

// renderVerify renders the verification page with the published keys.
func (s *Server) renderVerify(c *fiber.Ctx, status int, title string, d verifyData, errs map[string]string) error {
	var err error
	if d.Sig, err = s.sigData(); err != nil {
		return err
	}
	return s.render(c, status, tplVerify, title, d, errs)
}

func (s *Server) verifyPage(c *fiber.Ctx) error {
	n, t := store.NormalizeNumber(c.Query("n")), strings.TrimSpace(c.Query("t"))
	if n == "" && t == "" {
		return s.renderVerify(c, fiber.StatusOK, "证书查询", verifyData{}, nil)
	}
	return s.verifyLookup(c, n, func(cert store.Certificate) bool { return validToken(s.certs.verifyKey, cert.Number, t) }, true)
}

func (s *Server) verifySubmit(c *fiber.Ctx) error {
	n := store.NormalizeNumber(c.FormValue("number"))
	name := store.NormalizeName(c.FormValue("name"))
	if n == "" || name == "" {
		return s.renderVerify(c, fiber.StatusUnprocessableEntity, "证书查询", verifyData{Form: map[string]string{"number": n, "name": c.FormValue("name")}},
			map[string]string{"": "请填写证书编号和持证人姓名。"})
	}
	return s.verifyLookup(c, n, func(cert store.Certificate) bool {
		return hmac.Equal([]byte(store.NormalizeName(cert.Name)), []byte(name))
	}, false)
}

// verifyLookup answers one lookup: the certificate when match accepts it,
// and otherwise one answer for every kind of miss.
func (s *Server) verifyLookup(c *fiber.Ctx, number string, match func(store.Certificate) bool, qr bool) error {
	if !s.certs.limiter.Allow("verify|" + c.IP()) {
		return s.renderVerify(c, fiber.StatusTooManyRequests, "证书查询", verifyData{Limited: true}, nil)
	}
	cert, err := s.st.PublicCertificate(number)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil || !match(cert) {
		return s.renderVerify(c, fiber.StatusOK, "证书查询", verifyData{NotFound: true}, nil)
	}
	r := &verifyResult{Number: cert.Number, Name: cert.Name, MaskedID: idcard.Mask(cert.IDNumber), Occupation: cert.OccupationName,
		Level: cert.LevelName(), Issuer: s.orgDisplay(cert.OrgID, cert.OrgName), IssueDate: cert.IssueDate, Status: cert.Status,
		ReplacedBy: cert.ReplacedBy, Version: cert.Version}
	return s.renderVerify(c, fiber.StatusOK, "证书查询结果", verifyData{Result: r, ViaQR: qr}, nil)
}

type verifyKeysData struct {
	Keys []store.SigningKey
}

// verifyKeys publishes the province's certificate signing keys with their
// validity, for anyone who wants to check a QR code with other tools.
func (s *Server) verifyKeys(c *fiber.Ctx) error {
	keys, err := s.st.PublicKeys()
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, tplVerifyKeys, "证书签名公钥", verifyKeysData{Keys: keys}, nil)
}

// verifyServiceWorker serves the service worker that keeps the verification
// page for offline use. It lives at the root so that its scope can be
// /verify; it is never cached by the HTTP cache, so a new version takes
// over at the next visit.
func (s *Server) verifyServiceWorker(c *fiber.Ctx) error {
	b, err := assets.FS.ReadFile("verify-sw.js")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(b)
}
