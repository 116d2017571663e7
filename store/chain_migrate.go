package store

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// startChainTx is the migration that starts the hash chain on a database
// written before it existed: every existing log entry is linked to its
// predecessor in id order (an entry is rewritten only to add its Prev;
// entries removed by retention before are the chain's anchor, with the
// zero hash), and the current content hash of every certificate is logged
// in entries of 10,000 by the system. On a new database it only records the
// empty head. It does nothing once the head exists.
func startChainTx(tx *bolt.Tx) error {
	meta := tx.Bucket(bMeta)
	if meta.Get(metaChainHead) != nil {
		return nil
	}
	head := ChainHead{}
	b := tx.Bucket(bLog)
	c := b.Cursor()
	type rewrite struct {
		k, v []byte
	}
	var rewrites []rewrite
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var e LogEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("log entry %d: %w", btoi(k), err)
		}
		if head.ID == 0 && e.ID > 1 {
			// Retention removed the entries before this one.
			if err := meta.Put(metaChainAnchor, ChainHead{ID: e.ID - 1}.bytes()); err != nil {
				return err
			}
		}
		e.Prev = hex.EncodeToString(head.Hash[:])
		raw, err := json.Marshal(e)
		if err != nil {
			return err
		}
		rewrites = append(rewrites, rewrite{append([]byte(nil), k...), raw})
		head = ChainHead{ID: e.ID, Hash: entryHash(&e)}
	}
	b.FillPercent = 0.9
	for _, r := range rewrites {
		if err := b.Put(r.k, r.v); err != nil {
			return err
		}
	}
	if err := meta.Put(metaChainHead, head.bytes()); err != nil {
		return err
	}
	// The certificates as they are now.
	const perEntry = 10000
	now := time.Now()
	rows := make([]byte, 0, perEntry*sealRowLen)
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		if err := addSealsTx(tx, rows); err != nil {
			return err
		}
		rows = make([]byte, 0, perEntry*sealRowLen)
		return sealPendingTx(tx, now, "证书内容哈希基线")
	}
	err := tx.Bucket(bCerts).ForEach(func(k, v []byte) error {
		var cert Certificate
		if err := decodeCert(k, v, &cert); err != nil {
			return fmt.Errorf("certificate %s: %w", k, err)
		}
		var err error
		if rows, err = sealRow(rows, &cert); err != nil {
			return err
		}
		if len(rows) == perEntry*sealRowLen {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}
