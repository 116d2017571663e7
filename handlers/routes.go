package handlers

import (
	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// access says who may call a route.
type access struct {
	public bool // no login needed
	// loopback: only for clients on this machine, answered ahead of every
	// middleware (no session, no log line): the load test's reference
	loopback bool
	stage    store.Stage     // the session stage the route serves (default full)
	caps     []store.Cap     // the user needs one of these (none: any logged-in user)
	types    []store.OrgType // the organisation must be one of these (none: any)
}

type route struct {
	method  string
	path    string
	access  access
	handler fiber.Handler
	upload  *uploadSpec // a multipart body streamed to disk (upload.go); nil: a small form
}

var (
	public    = access{public: true}
	loggedIn  = access{}
	mfaStage  = access{stage: store.StageMFA}
	setupOnly = access{stage: store.StageSetup}
	loopback  = access{loopback: true}
)

func can(caps ...store.Cap) access { return access{caps: caps} }

func types(t ...store.OrgType) access { return access{types: t} }

// routeTable is every route of the application with who may call it. A test
// walks the router and fails on any route that is not listed here.
func (s *Server) routeTable() []route {
	get := func(p string, a access, h fiber.Handler) route { return route{fiber.MethodGet, p, a, h, nil} }
	post := func(p string, a access, h fiber.Handler) route { return route{fiber.MethodPost, p, a, h, nil} }
	upload := func(p string, a access, u *uploadSpec, h fiber.Handler) route {
		return route{fiber.MethodPost, p, a, h, u}
	}
	return []route{
		get("/healthz", public, s.healthz),
		get("/metrics", public, s.metricsPage), // loopback or -metrics-token: checked by the handler
		get("/_hello", loopback, s.hello),
		get("/login", public, s.loginPage),
		post("/login", public, s.loginSubmit),
		get("/login/demo-code", public, s.demoCode),
		get("/login/code", mfaStage, s.codePage),
		post("/login/code", mfaStage, s.codeSubmit),
		get("/login/setup", setupOnly, s.setupPage),
		post("/login/setup/password", setupOnly, s.setupPassword),
		post("/login/setup/totp", setupOnly, s.setupTOTP),
		post("/logout", public, s.logout),

		get("/", loggedIn, s.home),
		get("/logs", can(store.CapLogView), s.logs),

		get("/batches", can(store.CapBatchManage), s.batches),
		get("/batches/new", can(store.CapBatchManage), s.newBatchPage),
		upload("/batches/new", can(store.CapBatchManage), workbookUpload, s.checkNewBatch),
		upload("/batches", can(store.CapBatchManage), materialsUpload, s.createBatch),
		get("/batches/template.xlsx", can(store.CapBatchManage), s.batchTemplate),
		get("/batches/annotated.xlsx", can(store.CapBatchManage), s.annotatedWorkbook),
		post("/batches/reopen", can(store.CapBatchManage), s.reopenBatches),
		get("/batches/:id", can(store.CapBatchManage, store.CapBatchReview), s.batchPage),
		post("/batches/:id/rename", can(store.CapBatchManage), s.renameBatch),
		post("/batches/:id/delete", can(store.CapBatchManage), s.deleteBatch),
		post("/batches/:id/submit", can(store.CapBatchManage), s.submitBatch),
		upload("/batches/:id/import", can(store.CapBatchManage), workbookUpload, s.reimportBatch),
		post("/batches/:id/candidates", can(store.CapBatchManage), s.addCandidate),
		get("/batches/:id/candidates/:cid", can(store.CapBatchManage, store.CapBatchReview), s.candidateRow),
		get("/batches/:id/candidates/:cid/edit", can(store.CapBatchManage), s.editCandidate),
		post("/batches/:id/candidates/:cid", can(store.CapBatchManage), s.updateCandidate),
		post("/batches/:id/candidates/:cid/delete", can(store.CapBatchManage), s.removeCandidate),
		upload("/batches/:id/materials", can(store.CapBatchManage), materialsUpload, s.uploadMaterials),
		get("/batches/:id/materials/:file", can(store.CapBatchManage, store.CapBatchReview), s.material),
		post("/batches/:id/materials/:file/delete", can(store.CapBatchManage), s.removeMaterial),

		get("/settings", loggedIn, s.settings),
		post("/settings/profile", loggedIn, s.saveProfile),
		post("/settings/password", loggedIn, s.changePassword),
		get("/settings/totp", loggedIn, s.rebindPage),
		post("/settings/totp", loggedIn, s.rebindTOTP),
		get("/settings/recovery-codes", loggedIn, s.recoveryCodes),
		post("/settings/recovery-codes", loggedIn, s.renewRecoveryCodes),
		post("/settings/org", loggedIn, s.saveOrg),
		post("/settings/system", types(store.Province), s.saveSystem),
		post("/settings/signing/rotate", types(store.Province), s.rotateSigningKey),
		get("/settings/backup", types(store.Province), s.backup),
		post("/settings/backup-schedule", types(store.Province), s.saveBackupSchedule),
		post("/settings/scope", types(store.Dept, store.Unit, store.Direct), s.removeOwnScope),

		get("/admin/credential", can(store.CapOrgManage, store.CapUserManage), s.credential),
		get("/admin/orgs", can(store.CapOrgManage), s.orgs),
		get("/admin/orgs/new", can(store.CapOrgManage), s.newOrgPage),
		post("/admin/orgs", can(store.CapOrgManage), s.createOrg),
		get("/admin/orgs/:id", can(store.CapOrgManage), s.orgDetail),
		post("/admin/orgs/:id", can(store.CapOrgManage), s.updateOrg),
		post("/admin/orgs/:id/status", can(store.CapOrgManage), s.setOrgStatus),
		post("/admin/orgs/:id/delete", can(store.CapOrgManage), s.deleteOrg),
		get("/admin/orgs/:id/scope", can(store.CapOrgManage), s.scopePage),
		post("/admin/orgs/:id/scope", can(store.CapOrgManage), s.saveScope),

		get("/admin/users", can(store.CapUserManage), s.users),
		get("/admin/users/new", can(store.CapUserManage), s.newUserPage),
		post("/admin/users", can(store.CapUserManage), s.createUser),
		get("/admin/users/:id", can(store.CapUserManage), s.userDetail),
		post("/admin/users/:id", can(store.CapUserManage), s.updateUser),
		post("/admin/users/:id/:action", can(store.CapUserManage), s.userAction),

		get("/reviews/batches", can(store.CapBatchReview), s.reviewBatches),
		get("/reviews/batches/:id", can(store.CapBatchReview), s.reviewBatch),
		get("/reviews/batches/:id/candidates/:cid", can(store.CapBatchReview), s.reviewCandidate),
		post("/reviews/batches/:id/candidates/:cid/mark", can(store.CapBatchReview), s.markCandidate),
		post("/reviews/batches/:id/approve", can(store.CapBatchReview), s.approveBatch),
		post("/reviews/batches/:id/reject", can(store.CapBatchReview), s.rejectBatch),

		get("/stats", can(store.CapStatsView), s.stats),
		get("/stats/export", can(store.CapStatsView), s.statsExport),

		get("/business", can(store.CapBusinessApply), s.bizCerts),
		get("/business/new", can(store.CapBusinessApply), s.bizNewPage),
		upload("/business", can(store.CapBusinessApply), proofsUpload, s.bizApply),
		get("/business/applied", can(store.CapBusinessApply), s.bizApplied),
		get("/business/applied/:id", can(store.CapBusinessApply), s.bizAppliedPage),
		get("/business/applied/:id/edit", can(store.CapBusinessApply), s.bizEditPage),
		upload("/business/applied/:id/resubmit", can(store.CapBusinessApply), proofsUpload, s.bizResubmit),
		post("/business/applied/:id/withdraw", can(store.CapBusinessApply), s.bizWithdraw),
		get("/business/print", can(store.CapCertPrint), s.bizPrint),
		get("/business/overview", can(store.CapBusinessOverview), s.bizOverview),
		get("/business/overview/export", can(store.CapBusinessOverview), s.bizOverviewExport),
		get("/business/overview/:id", can(store.CapBusinessOverview), s.bizOverviewPage),
		get("/business/:id/proofs/:hash", can(store.CapBusinessApply, store.CapBusinessReview, store.CapBusinessOverview), s.bizProof),
		get("/reviews/business", can(store.CapBusinessReview), s.reviewBizList),
		get("/reviews/business/:id", can(store.CapBusinessReview), s.reviewBizPage),
		post("/reviews/business/:id/approve", can(store.CapBusinessReview), s.approveBiz),
		post("/reviews/business/:id/reject", can(store.CapBusinessReview), s.rejectBiz),

		get("/segments", can(store.CapSegmentManage), s.segments),
		get("/segments/:code", can(store.CapSegmentManage), s.segmentPage),
		post("/segments/:code", can(store.CapSegmentManage), s.raiseSegment),

		get("/certificates", can(store.CapCertView), s.certList),
		get("/certificates/export", can(store.CapCertView), s.certExport),
		get("/certificates/orgs", can(store.CapCertView), s.certOrgs),
		post("/certificates/print", can(store.CapCertPrint), s.certPrint),
		post("/certificates/printed", can(store.CapCertPrint), s.certPrinted),
		get("/certificates/formats", can(store.CapCertPrint), s.printFormats),
		get("/certificates/formats/new", can(store.CapCertPrint), s.newFormatPage),
		get("/certificates/formats/preview", can(store.CapCertPrint), s.formatPreview),
		post("/certificates/formats", can(store.CapCertPrint), s.saveFormat),
		get("/certificates/formats/:id", can(store.CapCertPrint), s.editFormatPage),
		post("/certificates/formats/:id", can(store.CapCertPrint), s.saveFormat),
		get("/certificates/formats/:id/calibration", can(store.CapCertPrint), s.formatCalibration),
		post("/certificates/formats/:id/:action", can(store.CapCertPrint), s.formatAction),
		get("/certificates/:number", can(store.CapCertView), s.certDetail),
		post("/certificates/:number/status", can(store.CapCertStatus), s.certStatus),
		get("/verify", public, s.verifyPage),
		post("/verify", public, s.verifySubmit),
		get("/verify/keys", public, s.verifyKeys),
		get("/verify-sw.js", public, s.verifyServiceWorker),

		get("/admin/occupations", can(store.CapCatalogManage), s.occupations),
		post("/admin/occupations", can(store.CapCatalogManage), s.createOccupation),
		post("/admin/occupations/:code", can(store.CapCatalogManage), s.updateOccupation),
		post("/admin/occupations/:code/delete", can(store.CapCatalogManage), s.deleteOccupation),
	}
}
