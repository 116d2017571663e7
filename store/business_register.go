package store

import (
	bolt "go.etcd.io/bbolt"
)

// A batch's registration (注册) is listed in the province's 业务总览 beside
// the businesses, from the moment it is first submitted: registrationState
// maps the batch's state to the overview's, and moveBatchTx keeps the entry
// in step with every move. A batch back in 待提交 is not an application and
// leaves the overview.

func registrationState(st BatchState) (BizState, bool) {
	switch st {
	case BatchPendingDept:
		return BizPendingDept, true
	case BatchPendingProvince:
		return BizPendingProvince, true
	case BatchApproved:
		return BizApproved, true
	case BatchRejected:
		return BizRejected, true
	}
	return "", false
}

// registrationOverviewTx writes (or removes) the overview entry of a batch.
func registrationOverviewTx(tx *bolt.Tx, b Batch) error {
	st, ok := registrationState(b.State)
	if !ok {
		return tx.Bucket(bBizOverview).Delete(overviewKey(b.Created.UnixMilli(), 'G', b.ID))
	}
	return putOverviewTx(tx, b.Created, 'G', b.ID, BizRegister, st, b.OrgID)
}

// rebuildRegistrationsTx writes the overview entry of every batch (a
// migration, and the demo, whose batches predate the overview).
func rebuildRegistrationsTx(tx *bolt.Tx) error {
	return tx.Bucket(bBatches).ForEach(func(_, v []byte) error {
		var b Batch
		if err := jsonUnmarshal(v, &b); err != nil {
			return err
		}
		return registrationOverviewTx(tx, b)
	})
}
