package store

import (
	"bytes"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// Test doors for the check's tests: they damage a database on purpose.

// BucketNames lists every declared bucket.
func BucketNames() []string {
	out := make([]string, len(allBuckets))
	for i, b := range allBuckets {
		out[i] = string(b)
	}
	return out
}

// DerivedSet names a derived set: its bucket, the key prefix it owns and
// whether its values are counters.
type DerivedSet struct {
	Bucket, Prefix string
	Counter        bool
	// Runs: the bucket stores the set's entries in runs.
	Runs bool
}

// DerivedSets lists the check's table of derived sets.
func DerivedSets() []DerivedSet {
	var out []DerivedSet
	for _, d := range derivedSets(newCheckWorld(nil, nil)) {
		out = append(out, DerivedSet{Bucket: string(d.bucket), Prefix: string(d.prefix), Counter: d.counter, Runs: d.runs})
	}
	return out
}

// UpdateBucketForTest runs fn on a bucket in a write transaction.
func (s *Store) UpdateBucketForTest(name string, fn func(b *bolt.Bucket) error) error {
	return s.db.Update(func(tx *bolt.Tx) error { return fn(tx.Bucket([]byte(name))) })
}

// DumpForTest copies every key and value of a bucket whose key starts with
// prefix.
func (s *Store) DumpForTest(name, prefix string) map[string]string {
	out := map[string]string{}
	_ = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(name)).Cursor()
		for k, v := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, v = c.Next() {
			out[string(k)] = string(v)
		}
		return nil
	})
	return out
}

// EntriesForTest is DumpForTest of a derived set's entries: for a set
// stored in runs, the entries the runs hold.
func (s *Store) EntriesForTest(d DerivedSet) map[string]string {
	if !d.Runs {
		return s.DumpForTest(d.Bucket, d.Prefix)
	}
	out := map[string]string{}
	_ = s.db.View(func(tx *bolt.Tx) error {
		return forEachIxEntry(tx.Bucket([]byte(d.Bucket)), func(k, sum []byte) error {
			out[string(k)] = string(sum)
			return nil
		})
	})
	return out
}

// CertRecordForTest is the stored record of c, as it appears in the file.
func CertRecordForTest(c Certificate) []byte {
	raw, err := encodeCert(nil, &c)
	if err != nil {
		panic(err)
	}
	return raw
}

// CertRecordAsJSONForTest is a stored certificate record, in either format,
// as the JSON of its fields (tests that edit records in the file).
func CertRecordAsJSONForTest(number, raw []byte) ([]byte, error) {
	var c Certificate
	if err := decodeCert(number, raw, &c); err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// CertRecordFromJSONForTest is the stored record of a certificate given as
// the JSON of its fields.
func CertRecordFromJSONForTest(js []byte) ([]byte, error) {
	var c Certificate
	if err := json.Unmarshal(js, &c); err != nil {
		return nil, err
	}
	return encodeCert(nil, &c)
}
