package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// chain is the check's sixth area (docs/integrity.md): VerifyChain's
// findings, with the anchor files of opt.AnchorDir, and the published
// signing keys. A fault names the log record or certificate concerned, and
// the bucket it lies in.
func (c *checker) chain() error {
	r := c.r
	t0 := time.Now()
	a := &r.Areas[AreaChain]
	a.Ran, a.ItemZh, a.ItemEn = true, "条日志记录、证书与锚点", "log records, certificates and anchors"
	var files []ChainAnchor
	if c.opt.AnchorDir != "" {
		var err error
		if files, err = ReadAnchorFiles(c.opt.AnchorDir); err != nil {
			r.fault(AreaChain, "anchor-files", "锚点文件无法读取："+err.Error(), "anchor files cannot be read: "+err.Error())
		}
	}
	var cr ChainReport
	err := protect(func() error {
		return c.db.View(func(tx *bolt.Tx) error {
			if err := verifyChainTx(tx, files, &cr); err != nil {
				return err
			}
			checkSigningKeysTx(tx, r)
			return nil
		})
	}, func(msg string) {
		r.fault(AreaChain, "fault", "读取数据库时出错（文件已损坏）："+msg, "reading the database failed (the file is damaged): "+msg)
	})
	if err != nil {
		return err
	}
	for _, f := range cr.Findings {
		r.fault(AreaChain, "chain", f.Zh, f.En)
	}
	if cr.Omitted > 0 {
		r.fault(AreaChain, "chain-omitted", fmt.Sprintf("哈希链另有 %d 处不符未列出", cr.Omitted), fmt.Sprintf("%d more chain findings not listed", cr.Omitted))
	}
	if c.opt.AnchorDir != "" && len(files) == 0 && r.Areas[AreaChain].Faults == 0 {
		r.note(AreaChain, "anchor-files", "目录 "+c.opt.AnchorDir+" 中没有锚点文件", "no anchor files in "+c.opt.AnchorDir)
	}
	a.Checked = int64(cr.Entries + cr.Certificates + cr.Anchors)
	a.Elapsed = time.Since(t0)
	return nil
}

// checkSigningKeysTx checks the published signing keys: each decodes, sits
// under the id its public key gives, and the key in use is one of them and
// the only one without an end of validity.
func checkSigningKeysTx(tx *bolt.Tx, r *CheckReport) {
	var active []string
	_ = tx.Bucket(bSigningKeys).ForEach(func(k, v []byte) error {
		var sk SigningKey
		if err := json.Unmarshal(v, &sk); err != nil {
			r.fault(AreaChain, "signing-key", fmt.Sprintf("signing_keys 中的签名公钥 %s 无法读取：%v", readableBytes(k), err),
				fmt.Sprintf("signing key %s of signing_keys does not decode: %v", readableBytes(k), err))
			return nil
		}
		h := sha256.Sum256(sk.Public)
		if len(sk.Public) != 32 || !bytes.Equal(k, h[:4]) || sk.ID != hex.EncodeToString(k) {
			r.fault(AreaChain, "signing-key", fmt.Sprintf("signing_keys 中的签名公钥 %s 与其编号不符（公钥被替换）", readableBytes(k)),
				fmt.Sprintf("signing key %s of signing_keys does not match its id (public key replaced)", readableBytes(k)))
		}
		if sk.Active() {
			active = append(active, sk.ID)
		}
		return nil
	})
	id := tx.Bucket(bMeta).Get(metaSigningActive)
	switch {
	case id == nil && len(active) == 0:
	case len(active) != 1 || hex.EncodeToString(id) != active[0]:
		r.fault(AreaChain, "signing-active", fmt.Sprintf("使用中的签名密钥（meta signing_active = %x）与 signing_keys 中未停用的密钥 %v 不符", id, active),
			fmt.Sprintf("the signing key in use (meta signing_active = %x) does not match the keys of signing_keys still valid %v", id, active))
	}
}
