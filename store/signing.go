package store

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/files"
)

// Certificate signing keys (docs/integrity.md). The province signs the QR
// payload of every printed certificate with an Ed25519 key:
//
//   - the public half of every key ever used, with its validity (from its
//     creation to its replacement), is in the database (bSigningKeys), so
//     backups carry it and the verification page publishes it;
//   - the private half is a file under <data>/signing/, encrypted with
//     AES-256-GCM under a key-encryption key (KEK) that is never in the data
//     directory: the environment variable CERTREG_SIGNING_KEK, or else a
//     file beside the data directory (<data>.signing-kek, or the -signing-kek
//     flag), created with the first key. The database alone, a backup, or the
//     data directory alone cannot sign;
//   - backups hold the database and uploaded files only, never signing/;
//   - rotation (系统设置, province administrator) creates a new key and ends
//     the old key's validity; old keys stay published, so certificates
//     printed before keep verifying. Losing the private key or the KEK (a
//     restore from backup, a new server) means rotating, nothing more.

// KEKEnv is the environment variable that may hold the key-encryption key:
// 32 bytes in base64 or 64 hexadecimal digits.
const KEKEnv = "CERTREG_SIGNING_KEK"

// SigningDir is the folder of encrypted private keys inside the data
// directory.
const SigningDir = "signing"

// SigningKey is the public half of a signing key and its validity.
type SigningKey struct {
	ID        string    `json:"id"`     // 8 hexadecimal digits
	Public    []byte    `json:"public"` // Ed25519, 32 bytes
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after,omitzero"` // zero while in use
	CreatedBy string    `json:"created_by"`
	Reason    string    `json:"reason,omitempty"` // why it was created (rotation)
}

// Active reports whether the key is the one in use.
func (k SigningKey) Active() bool { return k.NotAfter.IsZero() }

// PublicBase64 is the public key in base64 (standard alphabet).
func (k SigningKey) PublicBase64() string { return base64.StdEncoding.EncodeToString(k.Public) }

// Fingerprint is the SHA-256 of the public key in groups of four hexadecimal
// digits, for reading aloud and comparing with a printed list.
func (k SigningKey) Fingerprint() string {
	h := sha256.Sum256(k.Public)
	x := strings.ToUpper(hex.EncodeToString(h[:16]))
	var groups []string
	for i := 0; i < len(x); i += 4 {
		groups = append(groups, x[i:i+4])
	}
	return strings.Join(groups, " ")
}

// signer holds the private key in use, read once.
type signer struct {
	mu      sync.Mutex
	kekFile string
	loaded  bool
	keyID   string
	priv    ed25519.PrivateKey
	problem string // why signing is unavailable (Chinese), "" when ready
}

// SetSigningKEKFile sets the file holding the key-encryption key (the
// -signing-kek flag); call it before the first signature. The default is
// <data dir>.signing-kek beside the data directory.
func (s *Store) SetSigningKEKFile(path string) {
	s.signing.mu.Lock()
	defer s.signing.mu.Unlock()
	s.signing.kekFile = path
	s.signing.loaded = false
}

func defaultKEKFile(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Clean(dir) + ".signing-kek"
}

// KEKSource says where the key-encryption key comes from, for 系统设置.
func (s *Store) KEKSource() string {
	if os.Getenv(KEKEnv) != "" {
		return "环境变量 " + KEKEnv
	}
	s.signing.mu.Lock()
	defer s.signing.mu.Unlock()
	return "文件 " + s.signing.kekFile
}

// readKEK reads the key-encryption key; create makes the file when there
// is neither the variable nor the file.
func (s *Store) readKEK(create bool) ([]byte, error) {
	if v := strings.TrimSpace(os.Getenv(KEKEnv)); v != "" {
		k, err := parseKEK(v)
		if err != nil {
			return nil, fmt.Errorf("环境变量 %s 应为 32 字节密钥的 base64 或 64 位十六进制", KEKEnv)
		}
		return k, nil
	}
	path := s.signing.kekFile
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		if err := writeNewFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n")); err != nil {
			return nil, fmt.Errorf("无法创建密钥加密密钥文件 %s：%w", path, err)
		}
		return k, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("密钥加密密钥文件 %s 不存在", path)
	}
	if err != nil {
		return nil, fmt.Errorf("无法读取密钥加密密钥文件 %s：%w", path, err)
	}
	k, err := parseKEK(strings.TrimSpace(string(raw)))
	if err != nil {
		return nil, fmt.Errorf("密钥加密密钥文件 %s 格式不正确", path)
	}
	return k, nil
}

func parseKEK(v string) ([]byte, error) {
	for _, dec := range []func(string) ([]byte, error){base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString} {
		if k, err := dec(v); err == nil && len(k) == 32 {
			return k, nil
		}
	}
	return nil, errors.New("not a 32-byte key")
}

// writeNewFile writes a file that must not exist yet, synced, mode 0600.
func writeNewFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return files.SyncDir(filepath.Dir(path))
}

const sealedKeyMagic = "CRSK1\x00"

func keyAAD(id string, pub ed25519.PublicKey) []byte {
	return append([]byte("certreg signing key v1\x00"+id+"\x00"), pub...)
}

func (s *Store) privateKeyFile(id string) string { return filepath.Join(s.dir, SigningDir, id+".key") }

// sealPrivateKey writes the encrypted private key file.
func (s *Store) sealPrivateKey(kek []byte, id string, priv ed25519.PrivateKey) error {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	pub := priv.Public().(ed25519.PublicKey)
	out := append([]byte(sealedKeyMagic), nonce...)
	out = gcm.Seal(out, nonce, priv.Seed(), keyAAD(id, pub))
	return writeNewFile(s.privateKeyFile(id), out)
}

// openPrivateKey reads and decrypts a private key, checking it against its
// published public half.
func (s *Store) openPrivateKey(kek []byte, k SigningKey) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(s.privateKeyFile(k.ID))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("签名私钥文件 %s 不在本服务器上（例如从备份恢复或更换了服务器）", s.privateKeyFile(k.ID))
	}
	if err != nil {
		return nil, fmt.Errorf("无法读取签名私钥文件：%w", err)
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(raw) < len(sealedKeyMagic)+gcm.NonceSize() || string(raw[:len(sealedKeyMagic)]) != sealedKeyMagic {
		return nil, errors.New("签名私钥文件格式不正确")
	}
	raw = raw[len(sealedKeyMagic):]
	seed, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], keyAAD(k.ID, k.Public))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("签名私钥无法用当前的密钥加密密钥解密（密钥加密密钥不对或已更换）")
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if !bytes.Equal(priv.Public().(ed25519.PublicKey), k.Public) {
		return nil, errors.New("签名私钥与公布的公钥不符")
	}
	return priv, nil
}

var metaSigningActive = []byte("signing_active")

// PublicKeys returns every signing key ever used, newest first.
func (s *Store) PublicKeys() ([]SigningKey, error) {
	var out []SigningKey
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bSigningKeys).ForEach(func(_, v []byte) error {
			var k SigningKey
			if err := jsonUnmarshal(v, &k); err != nil {
				return err
			}
			out = append(out, k)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].NotBefore.After(out[j].NotBefore) })
	return out, err
}

func activeKeyTx(tx *bolt.Tx) (SigningKey, error) {
	var k SigningKey
	id := tx.Bucket(bMeta).Get(metaSigningActive)
	if id == nil {
		return k, ErrNotFound
	}
	return k, getJSON(tx.Bucket(bSigningKeys), id, &k)
}

// newKeyPair makes a key pair whose id no key in the database has.
func newKeyPair(tx *bolt.Tx) (string, ed25519.PrivateKey, error) {
	for {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", nil, err
		}
		h := sha256.Sum256(pub)
		if tx.Bucket(bSigningKeys).Get(h[:4]) == nil {
			return hex.EncodeToString(h[:4]), priv, nil
		}
	}
}

// SigningStatus is the state of signing, for 系统设置.
type SigningStatus struct {
	Active  SigningKey
	Ready   bool
	Problem string // why certificates cannot be signed now (Chinese)
}

// EnsureSigningKey creates the first signing key if there is none (at the
// first start, or first use), and loads the one in use; a key that cannot
// be loaded leaves signing unavailable with the reason in SigningStatus.
func (s *Store) EnsureSigningKey() error {
	s.signing.mu.Lock()
	defer s.signing.mu.Unlock()
	return s.loadSignerLocked()
}

func (s *Store) loadSignerLocked() error {
	sg := s.signing
	if sg.loaded {
		return nil
	}
	var active SigningKey
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		active, err = activeKeyTx(tx)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		_, err := s.createKeyLocked(Actor{Username: "系统"}, "首次启动时创建", false)
		var ve *ValidationError
		if errors.As(err, &ve) {
			sg.loaded, sg.keyID, sg.priv, sg.problem = true, "", nil, ve.Message
			return nil
		}
		return err
	}
	if err != nil {
		return err
	}
	sg.loaded, sg.keyID, sg.priv, sg.problem = true, active.ID, nil, ""
	kek, err := s.readKEK(false)
	if err == nil {
		sg.priv, err = s.openPrivateKey(kek, active)
	}
	if err != nil {
		sg.problem = err.Error()
	}
	return nil
}

// createKeyLocked makes a new key, writes its private half, and makes it
// the key in use in one transaction that ends the previous key's validity
// and logs it. rotation requires a province administrator.
func (s *Store) createKeyLocked(a Actor, reason string, rotation bool) (SigningKey, error) {
	kek, err := s.readKEK(true)
	if err != nil {
		return SigningKey{}, &ValidationError{Message: "无法创建签名密钥：" + err.Error()}
	}
	var k SigningKey
	var priv ed25519.PrivateKey
	var written string
	err = s.db.Update(func(tx *bolt.Tx) error {
		if rotation {
			org, err := orgTx(tx, a.OrgID)
			if err != nil {
				return err
			}
			if org.Type != Province || !actorIsAdminTx(tx, a) {
				return ErrForbidden
			}
		}
		now := s.Now()
		old, err := activeKeyTx(tx)
		switch {
		case err == nil:
			if !rotation {
				return nil // another start created it meanwhile
			}
			old.NotAfter = now
			if err := putJSON(tx.Bucket(bSigningKeys), mustHex(old.ID), old); err != nil {
				return err
			}
		case !errors.Is(err, ErrNotFound):
			return err
		}
		var id string
		if id, priv, err = newKeyPair(tx); err != nil {
			return err
		}
		k = SigningKey{ID: id, Public: priv.Public().(ed25519.PublicKey), NotBefore: now, CreatedBy: a.Username, Reason: reason}
		// The private half is written (and synced) before the transaction
		// that publishes it commits; a failed commit leaves an unused file.
		if err := s.sealPrivateKey(kek, id, priv); err != nil {
			return fmt.Errorf("write signing key: %w", err)
		}
		written = s.privateKeyFile(id)
		if err := putJSON(tx.Bucket(bSigningKeys), mustHex(id), k); err != nil {
			return err
		}
		if err := tx.Bucket(bMeta).Put(metaSigningActive, mustHex(id)); err != nil {
			return err
		}
		act, detail := ActSigningCreate, "密钥 "+id+"，指纹 "+k.Fingerprint()
		if rotation {
			act, detail = ActSigningRotate, fmt.Sprintf("密钥 %s 停用，新密钥 %s（指纹 %s）。原因：%s", old.ID, id, k.Fingerprint(), reason)
		}
		orgID := a.OrgID
		if orgID == 0 {
			orgID = provinceIDTx(tx)
		}
		return appendLogTx(tx, &LogEntry{Time: now, UserID: a.UserID, Username: a.Username, OrgID: orgID, IP: a.IP,
			Action: act, Target: "证书签名密钥", OK: true, Detail: detail})
	})
	if err != nil {
		if written != "" {
			os.Remove(written)
		}
		return SigningKey{}, err
	}
	if k.ID == "" { // created by someone else meanwhile
		s.signing.loaded = false
		return SigningKey{}, s.loadSignerLocked()
	}
	s.signing.loaded, s.signing.keyID, s.signing.priv, s.signing.problem = true, k.ID, priv, ""
	return k, nil
}

func mustHex(id string) []byte {
	b, err := hex.DecodeString(id)
	if err != nil {
		panic("signing key id " + id)
	}
	return b
}

// RotateSigningKey replaces the key in use by a new one (province
// administrator, with a reason). The old key's validity ends now; it stays
// published so that certificates printed before keep verifying.
func (s *Store) RotateSigningKey(a Actor, reason string) (SigningKey, error) {
	reason, err := checkReason(reason, "轮换")
	if err != nil {
		return SigningKey{}, err
	}
	s.signing.mu.Lock()
	defer s.signing.mu.Unlock()
	return s.createKeyLocked(a, reason, true)
}

// SigningStatus returns the key in use and whether it can sign here.
func (s *Store) SigningStatus() (SigningStatus, error) {
	s.signing.mu.Lock()
	defer s.signing.mu.Unlock()
	if err := s.loadSignerLocked(); err != nil {
		return SigningStatus{}, err
	}
	var st SigningStatus
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		st.Active, err = activeKeyTx(tx)
		return err
	})
	st.Ready, st.Problem = s.signing.priv != nil, s.signing.problem
	return st, err
}

// SigningError says why certificates cannot be signed now (Chinese).
type SigningError struct{ Reason string }

func (e *SigningError) Error() string {
	return "证书签名密钥不可用：" + e.Reason + "。请省厅管理员在「设置 → 系统设置」中轮换证书签名密钥后再打印。"
}

// SignCertificates returns the signed QR payload of each certificate, in
// order (docs/integrity.md), signed today with the key in use.
func (s *Store) SignCertificates(certs []Certificate) ([]string, error) {
	s.signing.mu.Lock()
	if err := s.loadSignerLocked(); err != nil {
		s.signing.mu.Unlock()
		return nil, err
	}
	keyID, priv, problem := s.signing.keyID, s.signing.priv, s.signing.problem
	s.signing.mu.Unlock()
	if priv == nil {
		return nil, &SigningError{Reason: problem}
	}
	codes := map[uint64]string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, c := range certs {
			if _, ok := codes[c.OrgID]; ok {
				continue
			}
			o, err := orgTx(tx, c.OrgID)
			if err != nil {
				return fmt.Errorf("issuing org of %s: %w", c.Number, err)
			}
			codes[c.OrgID] = o.Code
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A signature takes some 20 µs: a print of 500 signs on every
	// processor, so that signing adds little to the time of a print.
	now := s.Now()
	out := make([]string, len(certs))
	workers := min(runtime.GOMAXPROCS(0), (len(certs)+63)/64)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(certs); i += workers {
				var err error
				if out[i], err = signPayload(payloadOf(&certs[i], codes[certs[i].OrgID], keyID, now), priv); err != nil {
					errs[w] = fmt.Errorf("sign %s: %w", certs[i].Number, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
