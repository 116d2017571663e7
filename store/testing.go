package store

import bolt "go.etcd.io/bbolt"

// SetOrgStatusForTest sets an organisation's status directly; the
// administration pages will do it through a logged, scoped method.
func (s *Store) SetOrgStatusForTest(id uint64, status OrgStatus) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		o, err := orgTx(tx, id)
		if err != nil {
			return err
		}
		o.Status = status
		return putJSON(tx.Bucket(bOrgs), itob(id), o)
	})
}
