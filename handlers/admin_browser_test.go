package handlers

import (
	"html"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"certreg/fixture"
)

// confirm clicks the OK button of the confirmation dialog.
func (b *browser) confirm() {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS(`dialog.confirm[open] button[value="ok"]`)), chromedp.Click(chromedp.CSS(`dialog.confirm[open] button[value="ok"]`)))
}

func (b *browser) logout() {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#username")))
}

// firstLogin logs a new user in with its initial password, changes it and
// enrols an authenticator from the secret shown on the page.
func (b *browser) firstLogin(username, initial, newPassword string) {
	b.t.Helper()
	b.open("/login")
	b.do(
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#password"), initial),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#new_password")),
		chromedp.SendKeys(chromedp.CSS("#old_password"), initial),
		chromedp.SendKeys(chromedp.CSS("#new_password"), newPassword),
		chromedp.SendKeys(chromedp.CSS("#confirm"), newPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login/setup/password"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#totp-secret")),
	)
	secret := strings.TrimSpace(b.text("#totp-secret"))
	b.do(
		chromedp.SendKeys(chromedp.CSS("#code"), totpCode(secret, b.w.Clock.Now())),
		chromedp.Click(chromedp.CSS(`form[action="/login/setup/totp"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
		chromedp.Click(chromedp.CSS(`a.btn.primary`)),
		chromedp.WaitVisible(chromedp.CSS(".top-user")),
	)
}

// The province creates a 主管部门; the 主管部门 creates a unit and grants it
// part of its scope; the unit's new admin logs in (forced change and
// enrolment) and sees only that scope in 设置.
func TestBrowserBuildHierarchy(t *testing.T) {
	b := newBrowser(t, fixture.Demo(t))
	b.login("demo-province", "Demo#2026pass")
	b.open("/admin/orgs")
	b.shot("admin-orgs")
	b.open("/admin/orgs/new")
	b.do(
		chromedp.Click(chromedp.CSS(`input[name=type][value=dept]`)),
		chromedp.SendKeys(chromedp.CSS("#name"), "淮南市住房和城乡建设局"),
		chromedp.SetValue(chromedp.CSS("#region"), "3404"),
		chromedp.SendKeys(chromedp.CSS("#contact"), "钱进"),
		chromedp.SendKeys(chromedp.CSS("#admin_username"), "hn-dept"),
		chromedp.SendKeys(chromedp.CSS("#admin_name"), "钱进"),
	)
	b.shot("admin-org-new")
	b.do(chromedp.Click(chromedp.CSS(`form[action="/admin/orgs"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#initial-password")))
	deptPW := html.UnescapeString(strings.TrimSpace(b.text("#initial-password")))
	b.shot("admin-credential")
	// On to the scope page: the whole 砌筑工 row and 混凝土工 五级.
	b.do(chromedp.Click(chromedp.CSS(`a.btn.primary`)), chromedp.WaitVisible(chromedp.CSS(".scope-grid")),
		chromedp.Click(chromedp.CSS(`input[data-check-group="row-012"]`)),
		chromedp.Click(chromedp.CSS(`input[name=pair][value="013:5"]`)))
	b.shot("admin-scope")
	b.do(chromedp.Click(chromedp.CSS(`form[action$="/scope"] button[type=submit]`)))
	b.confirm()
	b.do(chromedp.WaitVisible(chromedp.CSS(`a[href$="/scope"].btn`)))
	if got := b.text(".content"); !strings.Contains(got, "砌筑工") || !strings.Contains(got, "混凝土工") {
		t.Fatalf("dept scope not shown: %q", got)
	}
	b.shot("admin-org")
	b.logout()

	// The new dept's admin: forced change and enrolment, then a unit.
	b.firstLogin("hn-dept", deptPW, "Huainan#2026x")
	b.open("/admin/orgs/new")
	b.do(
		chromedp.SendKeys(chromedp.CSS("#name"), "淮南市建筑职业技能培训学校"),
		chromedp.SendKeys(chromedp.CSS("#admin_username"), "hn-unit"),
		chromedp.SendKeys(chromedp.CSS("#admin_name"), "孙丽"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/orgs"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#initial-password")),
	)
	unitPW := html.UnescapeString(strings.TrimSpace(b.text("#initial-password")))
	b.do(chromedp.Click(chromedp.CSS(`a.btn.primary`)), chromedp.WaitVisible(chromedp.CSS(".scope-grid")))
	// Only what the dept holds is offered.
	if got := b.text(".scope-grid tbody"); strings.Contains(got, "焊工") || !strings.Contains(got, "混凝土工") {
		t.Fatalf("unit scope grid offers %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`input[name=pair][value="012:5"]`)), chromedp.Click(chromedp.CSS(`input[name=pair][value="012:4"]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/scope"] button[type=submit]`)))
	b.confirm()
	b.do(chromedp.WaitVisible(chromedp.CSS(`a[href$="/scope"].btn`)))
	b.logout()

	// The unit's admin sees exactly that scope.
	b.firstLogin("hn-unit", unitPW, "Unit#Pass2026")
	b.open("/settings?tab=scope")
	got := b.text("#own-scope tbody")
	if !strings.Contains(got, "砌筑工") || strings.Contains(got, "混凝土工") || strings.Count(got, "有") != 2 {
		t.Fatalf("unit's own scope: %q", got)
	}
	b.shot("settings-scope")
}
