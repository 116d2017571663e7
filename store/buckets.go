package store

// Every bucket of the database, with what it maps. Ids are 8-byte big-endian
// sequence numbers; composite index keys are concatenations of fixed-width
// parts so that a prefix Seek lists them in order.
var (
	// maps: "schema" => uint64 version; "settings" => Settings JSON; "province_id" => org id;
	// "key_<name>" => 32 random bytes (HMAC keys)
	bMeta = []byte("meta")

	// maps: org id => Org JSON
	bOrgs = []byte("orgs")
	// maps: org code => org id (unique)
	bOrgCode = []byte("org_code")
	// maps: parent id | child id => nil
	bOrgChildren = []byte("org_children")

	// maps: user id => User JSON
	bUsers = []byte("users")
	// maps: lower-case username => user id (unique)
	bUserName = []byte("user_name")
	// maps: org id | user id => nil
	bOrgUsers = []byte("org_users")

	// maps: sha256(session token) => Session JSON
	bSessions = []byte("sessions")
	// maps: user id | sha256(session token) => nil
	bUserSessions = []byte("user_sessions")

	// maps: 3-digit occupation code => Occupation JSON
	bOccupations = []byte("occupations")

	// maps: log id => LogEntry JSON (append-only, never edited)
	bLog = []byte("oplog")
	// maps: org id | unix ms | log id => nil
	bLogOrg = []byte("oplog_org")
	// maps: user id | unix ms | log id => nil
	bLogUser = []byte("oplog_user")
	// maps: org id | action 0x00 | unix ms | log id => nil
	bLogOrgAction = []byte("oplog_org_action")

	// maps: counter name => uint64 (see counters.go)
	bCounters = []byte("counters")

	// maps: holder ID number | 0x00 | occupation code | level digit => certificate
	// number, for every VALID certificate (kept by issuance and status changes)
	bCertHolder = []byte("cert_holder")
)

var allBuckets = [][]byte{
	bMeta, bOrgs, bOrgCode, bOrgChildren, bUsers, bUserName, bOrgUsers,
	bSessions, bUserSessions, bOccupations, bLog, bLogOrg, bLogUser, bLogOrgAction,
	bCounters, bCertHolder,
}
