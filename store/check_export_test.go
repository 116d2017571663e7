package store

import (
	"bytes"

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
}

// DerivedSets lists the check's table of derived sets.
func DerivedSets() []DerivedSet {
	var out []DerivedSet
	for _, d := range derivedSets(newCheckWorld(nil, nil)) {
		out = append(out, DerivedSet{Bucket: string(d.bucket), Prefix: string(d.prefix), Counter: d.counter})
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
