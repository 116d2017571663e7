package store

import bolt "go.etcd.io/bbolt"

// Test-only doors into the store's internals.

// IssueForTest runs issueTx in its own transaction.
func (s *Store) IssueForTest(req IssueRequest) ([]Certificate, error) {
	var certs []Certificate
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		certs, err = s.issueTx(tx, req)
		return err
	})
	return certs, err
}

// SetIssueFailAfter injects a failure after n certificates (0: none).
func SetIssueFailAfter(n int) { issueFailAfter = n }

// PutSegmentForTest stores a segment as given.
func (s *Store) PutSegmentForTest(sg Segment) error {
	return s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bSegments), []byte(sg.Code), sg) })
}

// Counter reads a counter.
func (s *Store) Counter(name string) uint64 {
	var v uint64
	_ = s.db.View(func(tx *bolt.Tx) error { v = btoi(tx.Bucket(bCounters).Get([]byte(name))); return nil })
	return v
}

// CountCerts counts certificate records.
func (s *Store) CountCerts() int {
	n := 0
	_ = s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bCerts).Stats().KeyN; return nil })
	return n
}
