package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// incr adds delta to a named counter inside tx and returns the new value.
func incr(tx *bolt.Tx, name string, delta int64) (uint64, error) {
	b := tx.Bucket(bCounters)
	v := int64(btoi(b.Get([]byte(name)))) + delta
	if v < 0 {
		return 0, fmt.Errorf("counter %s would go below zero", name)
	}
	return uint64(v), b.Put([]byte(name), itob(uint64(v)))
}

// counterValidOrg is the number of valid certificates issued by an
// organisation and its subordinates; it is kept in the same transaction as
// every change of a certificate's status.
func counterValidOrg(orgID uint64) string { return fmt.Sprintf("valid|%d", orgID) }

// ValidCertificates returns the total of valid certificates of an
// organisation and its subordinates, from the counter.
func (s *Store) ValidCertificates(orgID uint64) (uint64, error) {
	var n uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		n = btoi(tx.Bucket(bCounters).Get([]byte(counterValidOrg(orgID))))
		return nil
	})
	return n, err
}

// holderKey is the key of bCertHolder and of the batch holder index: the same
// person may hold one valid certificate per occupation and level.
func holderKey(idNumber, occupation string, level int) []byte {
	return key([]byte(idNumber), []byte{0}, []byte(occupation), []byte{byte('0' + level)})
}
