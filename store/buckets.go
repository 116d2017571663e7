package store

// Every bucket of the database, with what it maps. Ids are 8-byte big-endian
// sequence numbers; composite index keys are concatenations of fixed-width
// parts so that a prefix Seek lists them in order.
var (
	// maps: "schema" => uint64 version; "settings" => Settings JSON; "province_id" => org id;
	// "key_<name>" => 32 random bytes (HMAC keys); "chain_head" => id | SHA-256 of
	// the newest log entry; "chain_anchor" => id | SHA-256 of the last entry
	// retention removed; "seal_archive_sum" => LtHash state of bSealArchive
	// (chain.go); "signing_active" => id of the signing key in use (signing.go);
	// "ix_recent_after" => 2-byte day number, the watermark of the library's
	// recent index level (cert_index_recent.go)
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
	// maps: log id => seal table (rows of 14-digit certificate number | SHA-256
	// of its content) of the certificates that entry's change wrote (chain.go)
	bLogSeal = []byte("oplog_seal")
	// maps: sequence => seal rows written in the current transaction and not
	// yet taken over by its log entry (empty between transactions)
	bSealPending = []byte("seal_pending")
	// maps: certificate number => log id | SHA-256, the last content hash of a
	// certificate whose logging entry retention removed
	bSealArchive = []byte("seal_archive")
	// maps: day (YYYYMMDD, China time) => ChainAnchor JSON, the head of the
	// log recorded once a day
	bChainAnchors = []byte("chain_anchors")
	// maps: key id (4 bytes) => SigningKey JSON, the public half and validity
	// of every certificate signing key ever used (signing.go)
	bSigningKeys = []byte("signing_keys")

	// maps: counter name => uint64 (see counters.go)
	bCounters = []byte("counters")

	// maps: holder ID number | 0x00 | occupation code | level digit => certificate
	// number, for every VALID certificate (kept by issuance and status changes)
	bCertHolder = []byte("cert_holder")

	// Certificates (certificates.go) and number segments (segments.go).

	// maps: 14-digit certificate number => Certificate JSON
	bCerts = []byte("certs")
	// maps: the key of a run's first entry => the run (cert_index_runs.go):
	// the certificate library's index entries field | province id | value |
	// number and FIELD | issuing org | its parent | value | number, each with
	// a 5-byte summary (status, print flag, issue day, occupation, level)
	// (cert_index.go)
	bCertIx = []byte("cert_ix")
	// maps: field byte | scope org id (4 bytes) | value => uint64, how many
	// certificates of that scope have that value; 'g' | scope | org |
	// parent => uint64, the certificates of each issuer group of the scope
	// (cert_index.go)
	bCertCount = []byte("cert_count")
	// maps: org id | format id => PrintFormat JSON (print_formats.go)
	bPrintFormats = []byte("print_formats")
	// maps: org id => format id of the organisation's default print format
	bPrintDefault = []byte("print_default")
	// maps: batch id | certificate number => nil
	bCertBatch = []byte("cert_batch")
	// maps: 10-digit certificate code (YY RRRR OOO L) => Segment JSON
	bSegments = []byte("segments")

	// Batches (batches.go). Tabs: 1 待提交, 2 审核中, 3 审核通过, 4 审核不通过.

	// maps: batch id => Batch JSON
	bBatches = []byte("batches")
	// maps: org id | tab byte | created unix ms | batch id => batch name (the list
	// filters by name without decoding the batch)
	bBatchTab = []byte("batch_tab")
	// maps: org id | batch name => batch id (unique per organisation)
	bBatchName = []byte("batch_name")
	// maps: reviewer org id | queued unix ms | batch id => nil, for batches
	// waiting for that organisation's review (pending_dept: the dept;
	// pending_province: the province)
	bBatchQueue = []byte("batch_queue")
	// maps: reviewer org id | reviewed unix ms | batch id => action, the last
	// approval or rejection of a batch by that organisation
	bBatchReviewed = []byte("batch_reviewed")
	// maps: batch id | entry seq => ReviewEntry JSON (the batch's review log)
	bBatchLog = []byte("batch_log")
	// maps: batch id | candidate id => Candidate JSON
	bCandidates = []byte("candidates")
	// maps: batch id | holderKey => candidate id (no duplicate person,
	// occupation and level inside a batch)
	bCandidateKey = []byte("candidate_key")
	// maps: batch id | candidate id => Mark JSON (a reviewer's 不通过 mark)
	bCandidateMarks = []byte("candidate_marks")
	// maps: holderKey => batch id, for every candidate of a batch in
	// pending_dept or pending_province (kept by the state moves)
	bUnderReview = []byte("under_review")
	// maps: user id | sha256 hex => unix ms, a workbook uploaded in the create
	// wizard and not yet saved as a batch (binds the file to its uploader)
	bStaged = []byte("staged")

	// Certificate businesses (business*.go). Kind bytes: C 变更, R 补办, X 注销,
	// G 注册 (a batch); state bytes: D 待主管部门审核, P 待省厅审核, A 审核通过,
	// J 审核不通过, W 已撤回.

	// maps: business id => Business JSON
	bBiz = []byte("biz")
	// maps: certificate number => id of its open (pending or rejected)
	// business: at most one per certificate
	bBizOpen = []byte("biz_open")
	// maps: certificate number | business id => nil, every business of a
	// certificate
	bBizCert = []byte("biz_cert")
	// maps: applying org id | created unix ms | business id => kind byte,
	// state byte (已申请业务)
	bBizOrg = []byte("biz_org")
	// maps: reviewer org id | kind byte | queued unix ms | business id => nil,
	// for businesses waiting for that organisation's review (待审核)
	bBizQueue = []byte("biz_queue")
	// maps: reviewer org id | kind byte | reviewed unix ms | business id =>
	// state byte after the review: that organisation's last review of each
	// business (已审核)
	bBizReviewed = []byte("biz_reviewed")
	// maps: created unix ms | source byte (B business, G a batch's 注册) | id
	// => kind byte, state byte, org id (8 bytes): the province's 业务总览
	bBizOverview = []byte("biz_overview")
	// maps: org id | certificate number => business id, for certificates whose
	// name or ID change or reissue was approved and that were not printed
	// since (业务打印)
	bBizPrint = []byte("biz_print")

	// Statistics (stats.go).

	// maps: scope | period | occupation | level => issued, valid, cancelled,
	// superseded (4 × uint32), kept with every change of a certificate
	bStats = []byte("stats")
	// maps: region (4) | type byte | org id => nil, the organisations that hold
	// certificates of that region
	bStatsOrgs = []byte("stats_orgs")
)

var allBuckets = [][]byte{
	bMeta, bOrgs, bOrgCode, bOrgChildren, bUsers, bUserName, bOrgUsers,
	bSessions, bUserSessions, bOccupations, bLog, bLogOrg, bLogUser, bLogOrgAction,
	bLogSeal, bSealPending, bSealArchive, bChainAnchors, bSigningKeys,
	bCounters, bCertHolder, bCerts, bCertIx, bCertCount, bPrintFormats, bPrintDefault, bCertBatch, bSegments,
	bBatches, bBatchTab, bBatchName, bBatchQueue, bBatchReviewed, bBatchLog,
	bCandidates, bCandidateKey, bCandidateMarks, bUnderReview, bStaged,
	bBiz, bBizOpen, bBizCert, bBizOrg, bBizQueue, bBizReviewed, bBizOverview, bBizPrint,
	bStats, bStatsOrgs,
}
