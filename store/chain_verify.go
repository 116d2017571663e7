package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ChainFinding is one fault the chain check found, naming the log record or
// the certificate concerned.
type ChainFinding struct {
	LogID  uint64 // the log record named (0: none)
	Number string // the certificate named ("": none)
	Zh, En string
}

// ChainReport is what VerifyChain found.
type ChainReport struct {
	Entries      int // log records whose link was verified
	Certificates int // certificates compared with their last logged hash
	Archived     int // certificate hashes kept from removed records
	Anchors      int // daily anchors (recorded and from files) compared
	Head         ChainHead
	Findings     []ChainFinding
	// Omitted counts the findings beyond maxChainFindings.
	Omitted int
}

// OK reports whether nothing was found.
func (r *ChainReport) OK() bool { return len(r.Findings) == 0 }

// maxChainFindings bounds the findings listed; the first is the one that
// matters, the rest help to see how far a change goes.
const maxChainFindings = 50

func (r *ChainReport) add(logID uint64, number, zh, en string) {
	if len(r.Findings) >= maxChainFindings {
		r.Omitted++
		return
	}
	r.Findings = append(r.Findings, ChainFinding{LogID: logID, Number: number, Zh: zh, En: en})
}

// VerifyChain verifies the operation log's hash chain and every
// certificate against it (docs/integrity.md), in one read transaction:
//
//   - every record links to its predecessor's hash, from the anchor left by
//     retention (or the zero hash) to the head kept in the database; a record
//     whose content no longer matches the hash its successor recorded is
//     named, as is a missing record;
//   - every record's certificate hash table matches the hash it carries;
//   - the archive of hashes from removed records matches the digest the
//     newest log.prune record carries;
//   - every certificate's current content hashes to the last hash logged
//     for it; a certificate without one, and a logged one that no longer
//     exists, are named;
//   - the daily anchors recorded in the database, and those read from
//     anchorFiles (kept outside it), lie on the chain.
func (s *Store) VerifyChain(anchorFiles []ChainAnchor) (ChainReport, error) {
	var r ChainReport
	err := s.db.View(func(tx *bolt.Tx) error { return verifyChainTx(tx, anchorFiles, &r) })
	return r, err
}

type sealRef struct {
	logID uint64
	hash  [32]byte
}

func verifyChainTx(tx *bolt.Tx, anchorFiles []ChainAnchor, r *ChainReport) error {
	meta := tx.Bucket(bMeta)
	head := readHead(meta.Get(metaChainHead))
	anchor := chainAnchorTx(tx)
	r.Head = head

	// Anchors to compare, by record id.
	var anchors []ChainAnchor
	err := tx.Bucket(bChainAnchors).ForEach(func(k, v []byte) error {
		var a ChainAnchor
		if err := json.Unmarshal(v, &a); err != nil {
			r.add(0, "", fmt.Sprintf("chain_anchors 中的每日锚点 %s 无法读取（被改动）", readableBytes(k)), fmt.Sprintf("daily anchor %s of chain_anchors does not decode (altered)", readableBytes(k)))
			return nil
		}
		anchors = append(anchors, a)
		return nil
	})
	if err != nil {
		return err
	}
	anchors = append(anchors, anchorFiles...)
	hashAt := map[uint64][32]byte{}
	for _, a := range anchors {
		hashAt[a.ID] = [32]byte{}
	}
	if _, ok := hashAt[anchor.ID]; ok {
		hashAt[anchor.ID] = anchor.Hash
	}

	// 1. The chain, and the seal tables folded in record order.
	seals := map[string]sealRef{}
	prev, want := anchor.Hash, anchor.ID+1
	var last *LogEntry
	newestArchive := ""
	var newestArchiveID uint64
	logSeal := tx.Bucket(bLogSeal)
	c := tx.Bucket(bLog).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		id := btoi(k)
		var e LogEntry
		if err := json.Unmarshal(v, &e); err != nil || e.ID != id {
			r.add(id, "", fmt.Sprintf("操作日志记录 #%d 无法读取或编号不符（被改动）", id),
				fmt.Sprintf("log record #%d does not decode or carries another id (altered)", id))
			// Resume the chain from what the next record says.
			last, prev, want = nil, [32]byte{}, id+1
			continue
		}
		switch {
		case id < want:
			r.add(id, "", fmt.Sprintf("操作日志记录 #%d 早于链的起点 #%d（日志被改动）", id, want),
				fmt.Sprintf("log record #%d precedes the start of the chain at #%d (log altered)", id, want))
		case id > want:
			r.add(want, "", fmt.Sprintf("操作日志记录 #%d–#%d 缺失（被删除）", want, id-1),
				fmt.Sprintf("log records #%d–#%d are missing (deleted)", want, id-1))
		case !equalHex(e.Prev, prev):
			if last != nil {
				r.add(last.ID, "", fmt.Sprintf("操作日志记录 #%d 的内容与下一条记录 #%d 保存的哈希不符：记录 #%d 被改动（或 #%d 的哈希字段被改动）", last.ID, id, last.ID, id),
					fmt.Sprintf("log record #%d does not match the hash the next record #%d holds: #%d was altered (or the hash field of #%d)", last.ID, id, last.ID, id))
			} else {
				r.add(id, "", fmt.Sprintf("操作日志记录 #%d 与链的起点（归档锚点 #%d）不符：记录 #%d 或锚点被改动", id, anchor.ID, id),
					fmt.Sprintf("log record #%d does not link to the chain's start (archive anchor #%d): #%d or the anchor was altered", id, anchor.ID, id))
			}
		}
		h := entryHash(&e)
		if _, ok := hashAt[id]; ok {
			hashAt[id] = h
		}
		// The record's certificate hash table.
		rows := logSeal.Get(k)
		switch {
		case e.Seal == "" && rows != nil:
			r.add(id, "", fmt.Sprintf("操作日志记录 #%d 本无证书哈希表，oplog_seal 中却有一份（被插入）", id),
				fmt.Sprintf("log record #%d has no certificate hash table, yet oplog_seal holds one (inserted)", id))
		case e.Seal != "" && (rows == nil || !equalHex(e.Seal, sha256.Sum256(rows))):
			r.add(id, "", fmt.Sprintf("操作日志记录 #%d 的证书哈希表（oplog_seal）与记录不符（被改动或删除）", id),
				fmt.Sprintf("log record #%d: its certificate hash table in oplog_seal does not match the record (altered or deleted)", id))
		}
		// The rows are used even when the table was altered: its
		// certificates are then compared with what it says now, rather
		// than all named as unlogged.
		if rows != nil {
			err := sealRows(rows, func(number string, hash []byte) error {
				var ref sealRef
				ref.logID = id
				copy(ref.hash[:], hash)
				seals[number] = ref
				return nil
			})
			if err != nil {
				r.add(id, "", fmt.Sprintf("操作日志记录 #%d 的证书哈希表（oplog_seal）格式错误", id), fmt.Sprintf("log record #%d: malformed certificate hash table in oplog_seal", id))
			}
		}
		if e.Action == ActLogPrune && e.Archive != "" {
			newestArchive, newestArchiveID = e.Archive, id
		}
		r.Entries++
		prev, want = h, id+1
		last = &e
	}
	switch {
	case last == nil && head.ID > anchor.ID:
		r.add(head.ID, "", fmt.Sprintf("操作日志记录 #%d–#%d 全部缺失（被删除）", anchor.ID+1, head.ID),
			fmt.Sprintf("log records #%d–#%d are all missing (deleted)", anchor.ID+1, head.ID))
	case last != nil && head.ID > last.ID:
		r.add(last.ID+1, "", fmt.Sprintf("操作日志最后的记录 #%d–#%d 缺失（被删除）", last.ID+1, head.ID),
			fmt.Sprintf("the last log records #%d–#%d are missing (deleted)", last.ID+1, head.ID))
	case last != nil && head.ID < last.ID:
		r.add(head.ID+1, "", fmt.Sprintf("操作日志记录 #%d–#%d 不在链上（绕过系统写入）", head.ID+1, last.ID),
			fmt.Sprintf("log records #%d–#%d are not on the chain (written around the application)", head.ID+1, last.ID))
	case last != nil && prev != head.Hash:
		r.add(last.ID, "", fmt.Sprintf("操作日志最后一条记录 #%d 与数据库保存的链头哈希不符：记录 #%d 被改动", last.ID, last.ID),
			fmt.Sprintf("the last log record #%d does not match the head hash kept in the database: #%d was altered", last.ID, last.ID))
	}
	// Seal tables without a record.
	sc := logSeal.Cursor()
	for k, _ := sc.First(); k != nil; k, _ = sc.Next() {
		if tx.Bucket(bLog).Get(k) == nil {
			r.add(btoi(k), "", fmt.Sprintf("oplog_seal 中的证书哈希表 #%d 没有对应的操作日志记录（被插入或记录被删除）", btoi(k)),
				fmt.Sprintf("certificate hash table #%d of oplog_seal has no log record (inserted, or its record deleted)", btoi(k)))
		}
	}

	// 2. The archive of hashes from removed records: its digest, and the
	// rows under the seals of the live records.
	var sum ltHash
	archived := map[string]sealRef{}
	err = tx.Bucket(bSealArchive).ForEach(func(k, v []byte) error {
		sum.add(archiveElement(string(k), v))
		if len(k) != 14 || len(v) != 8+32 {
			r.add(0, string(k), fmt.Sprintf("seal_archive 中证书 %s 的归档哈希格式错误", readableBytes(k)), fmt.Sprintf("certificate %s: malformed archived hash in seal_archive", readableBytes(k)))
			return nil
		}
		var ref sealRef
		ref.logID = btoi(v[:8])
		copy(ref.hash[:], v[8:])
		archived[string(k)] = ref
		r.Archived++
		return nil
	})
	if err != nil {
		return err
	}
	d := sum.digest()
	switch {
	case len(archived) > 0 && newestArchive == "":
		r.add(0, "", "证书哈希归档（seal_archive）没有对应的日志归档记录（归档被插入，或归档记录被删除）",
			"the archive of certificate hashes (seal_archive) has no log.prune record vouching for it (inserted, or the record deleted)")
	case newestArchive != "" && !equalHex(newestArchive, d):
		r.add(newestArchiveID, "", fmt.Sprintf("证书哈希归档（seal_archive）与最近一次日志归档记录 #%d 不符（归档被改动）", newestArchiveID),
			fmt.Sprintf("the archive of certificate hashes (seal_archive) does not match the newest log.prune record #%d (archive altered)", newestArchiveID))
	}
	if st := meta.Get(metaArchiveSum); (st != nil || len(archived) > 0) && !bytes.Equal(st, sum.bytes()) {
		r.add(0, "", "证书哈希归档（seal_archive）的摘要状态与归档内容不符", "the digest state of seal_archive does not match its rows")
	}
	for n, ref := range archived {
		if _, ok := seals[n]; !ok {
			seals[n] = ref
		}
	}

	// 3. Every certificate against its last logged hash.
	err = tx.Bucket(bCerts).ForEach(func(k, v []byte) error {
		number := string(k)
		r.Certificates++
		var cert Certificate
		if err := decodeCert(k, v, &cert); err != nil {
			r.add(0, number, fmt.Sprintf("证书 %s 的记录无法读取（被改动）", number), fmt.Sprintf("certificate %s does not decode (altered)", number))
			delete(seals, number)
			return nil
		}
		ref, ok := seals[number]
		delete(seals, number)
		switch h := CertHash(&cert); {
		case !ok:
			r.add(0, number, fmt.Sprintf("证书 %s 在操作日志中没有内容哈希（绕过系统写入）", number),
				fmt.Sprintf("certificate %s has no content hash in the log (written around the application)", number))
		case h != ref.hash:
			r.add(ref.logID, number, fmt.Sprintf("证书 %s 的当前内容与操作日志记录 #%d 中最后记录的哈希不符（证书记录被改动）", number, ref.logID),
				fmt.Sprintf("certificate %s does not match the last hash logged for it in record #%d (record altered)", number, ref.logID))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for number, ref := range seals {
		r.add(ref.logID, number, fmt.Sprintf("证书 %s 记录在操作日志 #%d 中，但数据库中已没有该证书（证书记录被删除）", number, ref.logID),
			fmt.Sprintf("certificate %s is logged in record #%d but no longer exists (record deleted)", number, ref.logID))
	}
	err = tx.Bucket(bSealPending).ForEach(func(k, v []byte) error {
		err := sealRows(v, func(number string, _ []byte) error {
			r.add(0, number, fmt.Sprintf("证书 %s 的变更没有记入操作日志（seal_pending 中仍有待记录的哈希）", number),
				fmt.Sprintf("a change of certificate %s was not logged (its hash is still in seal_pending)", number))
			return nil
		})
		if err != nil {
			r.add(0, "", fmt.Sprintf("seal_pending 中的 %s 格式错误", readableBytes(k)), fmt.Sprintf("malformed entry %s in seal_pending", readableBytes(k)))
		}
		return nil
	})
	if err != nil {
		return err
	}

	// 4. The anchors lie on the chain.
	for _, a := range anchors {
		where := "每日锚点 " + a.Day
		whereEn := "daily anchor " + a.Day
		if a.File != "" {
			where, whereEn = "锚点文件 "+a.File, "anchor file "+a.File
		}
		h, ok := hashAt[a.ID]
		switch {
		case a.ID > head.ID:
			r.add(a.ID, "", fmt.Sprintf("%s 记录 #%d 晚于当前链头 #%d：其后的日志被删除或数据库被回退", where, a.ID, head.ID),
				fmt.Sprintf("%s names record #%d beyond the head #%d: later records were removed or the database rolled back", whereEn, a.ID, head.ID))
			continue
		case a.ID < anchor.ID || (a.ID == 0 && anchor.ID == 0):
			continue // removed by retention since (or the empty log)
		case !ok:
			continue
		}
		r.Anchors++
		if !equalHex(a.Hash, h) {
			r.add(a.ID, "", fmt.Sprintf("%s 与日志不符：记录 #%d 及之前的日志被改写", where, a.ID),
				fmt.Sprintf("%s does not match the log: records up to #%d were rewritten", whereEn, a.ID))
		}
	}
	return nil
}
