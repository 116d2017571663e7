package handlers

import (
	"fmt"

	"github.com/gofiber/template/html/v2"
)

// Template names: every page, fragment and partial the handlers render, each
// declared once here; declaring one registers it, and the server refuses to
// start when a registered template is missing from views/.
type tplName string

var allTemplates []tplName

func tpl(name string) tplName {
	allTemplates = append(allTemplates, tplName(name))
	return tplName(name)
}

func checkTemplates(e *html.Engine) error {
	for _, name := range allTemplates {
		if e.Templates.Lookup(string(name)) == nil {
			return fmt.Errorf("template %q is missing", name)
		}
	}
	return nil
}

// refuses to start if one is missing.
var (
	layoutMain  = tpl("layouts/main")
	layoutPlain = tpl("layouts/plain")
	layoutHead  = tpl("layouts/_head")

	tplLogin         = tpl("auth/login")
	tplDemoCode      = tpl("auth/_demo_code")
	tplCode          = tpl("auth/code")
	tplSetup         = tpl("auth/setup")
	tplRecoveryCodes = tpl("auth/recovery_codes")
	tplHome          = tpl("home")
	tplLogs          = tpl("logs/list")
	tplLogRows       = tpl("logs/_rows")
	tplSettings      = tpl("settings/index")
	tplRebind        = tpl("settings/totp")
	tplError         = tpl("errors/error")
	tplPager         = tpl("partials/pager")
	tplStale         = tpl("partials/stale")

	tplOrgs        = tpl("admin/orgs")
	tplOrgRows     = tpl("admin/_org_rows")
	tplOrgNew      = tpl("admin/org_new")
	tplOrg         = tpl("admin/org")
	tplScope       = tpl("admin/scope")
	tplCredential  = tpl("admin/credential")
	tplUsers       = tpl("admin/users")
	tplUserRows    = tpl("admin/_user_rows")
	tplUserNew     = tpl("admin/user_new")
	tplUser        = tpl("admin/user")
	tplOccupations = tpl("admin/occupations")
	tplOrgTree     = tpl("admin/_tree")
	tplCaps        = tpl("admin/_caps")
	tplScopeGrid   = tpl("partials/scope_grid")
	tplSegments    = tpl("segments/list")
	tplSegmentRows = tpl("segments/_rows")
	tplSegment     = tpl("segments/edit")
	tplBarChart    = tpl("partials/bar_chart")

	tplReviews       = tpl("reviews/list")
	tplReviewRows    = tpl("reviews/_rows")
	tplReview        = tpl("reviews/batch")
	tplReviewDetail  = tpl("reviews/_detail")
	tplReviewMarked  = tpl("reviews/_marked")
	tplReviewItem    = tpl("reviews/_item")
	tplReviewItemOOB = tpl("reviews/_item_oob")
	tplReviewLog     = tpl("reviews/_log")
	tplReviewActs    = tpl("reviews/_actions")
	tplReviewActsIn  = tpl("reviews/_actions_inner")
)

// Batches.
var (
	tplBatches      = tpl("batches/list")
	tplBatchRows    = tpl("batches/_rows")
	tplBatchNew     = tpl("batches/new")
	tplBatch        = tpl("batches/show")
	tplImportErrors = tpl("batches/_import_errors")
	tplCandRow      = tpl("batches/_cand_row")
	tplCandEdit     = tpl("batches/_cand_edit")
	tplCandAdd      = tpl("batches/_cand_add")
	tplCandCount    = tpl("batches/_cand_count")
	tplCandidate    = tpl("batches/candidate")
	tplCandFields   = tpl("batches/_cand_fields")
)

// Certificates.
var (
	tplCertList       = tpl("certs/list")
	tplCertTable      = tpl("certs/_table")
	tplCertDetail     = tpl("certs/detail")
	tplFormats        = tpl("certs/formats")
	tplFormat         = tpl("certs/format")
	tplFormatProblems = tpl("certs/_format_problems")
	tplVerify         = tpl("certs/verify")
)

// Statistics.
var (
	tplStats       = tpl("stats/index")
	tplStatsResult = tpl("stats/_result")
	tplStatsState  = tpl("stats/_state")
	tplStatsChart  = tpl("stats/_chart")
)

// Certificate businesses.
var (
	tplBizCerts        = tpl("business/certs")
	tplBizCertTable    = tpl("business/_certs")
	tplBizNew          = tpl("business/new")
	tplBizApplied      = tpl("business/applied")
	tplBizAppliedRows  = tpl("business/_applied_rows")
	tplBizShow         = tpl("business/show")
	tplBizDetail       = tpl("business/_detail")
	tplBizLog          = tpl("business/_log")
	tplBizPrint        = tpl("business/print")
	tplBizPrintTable   = tpl("business/_print_table")
	tplBizOverview     = tpl("business/overview")
	tplBizOverviewRows = tpl("business/_overview_rows")
	tplReviewBizList   = tpl("reviews/business_list")
	tplReviewBizRows   = tpl("reviews/_business_rows")
	tplReviewBiz       = tpl("reviews/business")
)
