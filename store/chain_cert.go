package store

import (
	"crypto/sha256"
	"encoding/binary"
)

// CertHash is the SHA-256 of a certificate's canonical form: every field of
// the decoded record, its history included, length-prefixed in a fixed
// order. It hashes what the certificate says, not how it is stored, so a
// change of the record encoding keeps every logged hash valid; a new field
// of Certificate or CertEvent must be added here (a test lists them).
func CertHash(c *Certificate) [32]byte {
	b := make([]byte, 0, 512+160*len(c.History))
	b = appendCertCanon(b, c)
	return sha256.Sum256(b)
}

func appendCertCanon(b []byte, c *Certificate) []byte {
	b = append(b, "certreg certificate v1\x00"...)
	b = appendStr(b, c.Number)
	b = appendStr(b, c.Name)
	b = appendStr(b, c.Gender)
	b = appendStr(b, c.IDNumber)
	b = appendStr(b, c.WorkUnit)
	b = appendStr(b, c.Phone)
	b = appendStr(b, c.Occupation)
	b = appendStr(b, c.OccupationName)
	b = binary.AppendVarint(b, int64(c.Level))
	b = binary.BigEndian.AppendUint64(b, c.OrgID)
	b = appendStr(b, c.OrgName)
	b = binary.AppendUvarint(b, uint64(len(c.OrgPath)))
	for _, id := range c.OrgPath {
		b = binary.BigEndian.AppendUint64(b, id)
	}
	b = appendStr(b, c.Region)
	b = binary.BigEndian.AppendUint64(b, c.BatchID)
	b = appendTime(b, c.IssueDate)
	b = appendStr(b, string(c.Status))
	b = binary.AppendVarint(b, int64(c.Version))
	b = appendBool(b, c.Printed)
	b = binary.AppendVarint(b, int64(c.PrintCount))
	b = appendTime(b, c.LastPrinted)
	b = appendStr(b, c.LastPrintedBy)
	b = appendStr(b, c.Replaces)
	b = appendStr(b, c.ReplacedBy)
	b = binary.AppendUvarint(b, uint64(len(c.History)))
	for _, ev := range c.History {
		b = appendTime(b, ev.Time)
		b = appendStr(b, ev.Kind)
		b = appendStr(b, ev.Username)
		b = appendStr(b, ev.OrgName)
		b = appendStr(b, ev.Detail)
	}
	return b
}
