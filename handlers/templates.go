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
	_           = tpl("layouts/_head") // included by other templates

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
	_                = tpl("partials/pager") // included by other templates
	_                = tpl("partials/stale") // included by other templates

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
	_              = tpl("admin/_tree")         // included by other templates
	_              = tpl("admin/_caps")         // included by other templates
	_              = tpl("partials/scope_grid") // included by other templates
	tplSegments    = tpl("segments/list")
	tplSegmentRows = tpl("segments/_rows")
	tplSegment     = tpl("segments/edit")

	tplReviews      = tpl("reviews/list")
	tplReviewRows   = tpl("reviews/_rows")
	tplReview       = tpl("reviews/batch")
	tplReviewDetail = tpl("reviews/_detail")
	tplReviewMarked = tpl("reviews/_marked")
	_               = tpl("reviews/_item")          // included by other templates
	_               = tpl("reviews/_item_oob")      // included by other templates
	_               = tpl("reviews/_log")           // included by other templates
	_               = tpl("reviews/_actions")       // included by other templates
	_               = tpl("reviews/_actions_inner") // included by other templates
)

// Batches.
var (
	tplBatches   = tpl("batches/list")
	tplBatchRows = tpl("batches/_rows")
	tplBatchNew  = tpl("batches/new")
	tplBatch     = tpl("batches/show")
	_            = tpl("batches/_import_errors") // included by other templates
	tplCandRow   = tpl("batches/_cand_row")
	tplCandEdit  = tpl("batches/_cand_edit")
	tplCandAdd   = tpl("batches/_cand_add")
	tplCandCount = tpl("batches/_cand_count")
	tplCandidate = tpl("batches/candidate")
	_            = tpl("batches/_cand_fields") // included by other templates
)

// Certificates.
var (
	_                 = tpl("certs/_sort")   // included by other templates
	_                 = tpl("certs/_status") // included by other templates
	tplCertFilters    = tpl("certs/_filters")
	tplCertDetail     = tpl("certs/detail")
	tplFormats        = tpl("certs/formats")
	tplFormat         = tpl("certs/format")
	tplFormatProblems = tpl("certs/_format_problems")
	tplVerify         = tpl("certs/verify")
	tplVerifyKeys     = tpl("certs/keys")
)

// Statistics.
var (
	tplStats       = tpl("stats/index")
	tplStatsResult = tpl("stats/_result")
	_              = tpl("stats/_state") // included by other templates
)

// Certificate businesses.
var (
	tplBizCerts        = tpl("business/certs")
	tplBizCertTable    = tpl("business/_certs")
	tplBizNew          = tpl("business/new")
	tplBizApplied      = tpl("business/applied")
	tplBizAppliedRows  = tpl("business/_applied_rows")
	tplBizShow         = tpl("business/show")
	_                  = tpl("business/_detail") // included by other templates
	_                  = tpl("business/_log")    // included by other templates
	tplBizPrint        = tpl("business/print")
	tplBizPrintTable   = tpl("business/_print_table")
	tplBizOverview     = tpl("business/overview")
	tplBizOverviewRows = tpl("business/_overview_rows")
	tplReviewBizList   = tpl("reviews/business_list")
	tplReviewBizRows   = tpl("reviews/_business_rows")
	tplReviewBiz       = tpl("reviews/business")
)
