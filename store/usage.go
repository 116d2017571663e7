package store

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// What keeps an organisation or an occupation from being deleted: DeleteOrg
// calls orgCertificatesTx and orgBatchesTx, the occupation edits
// candidatesUseOccupationTx and certificatesUseOccupationTx. Each returns a
// Chinese reason, or "".

func orgCertificatesTx(tx *bolt.Tx, orgID uint64) string {
	if n := btoi(tx.Bucket(bCertCount).Get(key(field1(ixAll), scopeBytes(orgID)))); n > 0 {
		return fmt.Sprintf("该机构有 %d 张证书", n)
	}
	return ""
}

func orgBatchesTx(tx *bolt.Tx, orgID uint64) string {
	if n := orgBatchCountTx(tx, orgID); n > 0 {
		return fmt.Sprintf("该机构有 %d 个批次", n)
	}
	return ""
}

func certificatesUseOccupationTx(tx *bolt.Tx, code string, level int) string {
	// The province holds every certificate; its occupation and level
	// counters answer without a scan.
	prov := tx.Bucket(bMeta).Get([]byte("province_id"))
	if prov == nil {
		return ""
	}
	cnt := tx.Bucket(bCertCount)
	sc := scopeBytes(btoi(prov))
	if level == 0 {
		if n := btoi(cnt.Get(key(field1(ixOcc), sc, []byte(code)))); n > 0 {
			return fmt.Sprintf("已有 %d 张证书使用", n)
		}
		return ""
	}
	// Per occupation and level there is no counter: walk this occupation's
	// index entries only and read their summaries.
	rc := newRunCursor(tx.Bucket(bCertIx))
	prefix := key(field1(ixOcc), sc, []byte(code))
	n := 0
	for k, v := rc.seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = rc.next() {
		if ol := sumOccLevel(v); ol != noOccLevel && int(ol%10) == level {
			n++
		}
	}
	if n > 0 {
		return fmt.Sprintf("已有 %d 张证书使用", n)
	}
	return ""
}

// candidatesUseOccupationTx reports whether a candidate of any batch has the
// occupation (at level, or any level when level is 0). It reads only the
// keys of the candidates' duplicate index (batch id | ID number 0x00
// occupation level), never a record: deleting an occupation is a rare act of
// the province.
func candidatesUseOccupationTx(tx *bolt.Tx, code string, level int) string {
	want := []byte(code)
	n := 0
	c := tx.Bucket(bCandidateKey).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		hk := k[8:]
		i := bytes.IndexByte(hk, 0)
		if i < 0 || len(hk) != i+1+len(want)+1 || !bytes.Equal(hk[i+1:i+1+len(want)], want) {
			continue
		}
		if level == 0 || hk[len(hk)-1] == byte('0'+level) {
			n++
		}
	}
	if n > 0 {
		return fmt.Sprintf("仍有 %d 名批次中的合格人员使用", n)
	}
	return ""
}
