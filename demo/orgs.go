package demo

import (
	"fmt"
	"time"

	"certreg/data"
	"certreg/store"
)

// The demo province's organisations and users. The province's first start
// happens half a year before the present; its administrator then sets up the
// 主管部门 and 省直所, each 主管部门's administrator its own units, and every
// administrator the other users of its organisation. Every user sets the
// demo password and binds the demo authenticator at the first login.

type demoOrg struct {
	name, region, contact, phone, address string
	typ                                   store.OrgType
	occs                                  []string // occupation names in scope (every level the parent has)
	users                                 []demoUser
	children                              []demoOrg
}

// demoUser: the first user of an organisation is its administrator, created
// with it.
type demoUser struct {
	username, name, phone string
	admin                 bool
	caps                  []store.Cap
}

var (
	hefeiOccs  = []string{"砌筑工", "钢筋工", "架子工", "混凝土工", "模板工", "焊工", "电工", "防水工", "木工", "油漆工", "抹灰工", "管工", "起重信号工", "建筑起重机械安装拆卸工", "装饰装修工"}
	wuhuOccs   = []string{"砌筑工", "钢筋工", "架子工", "混凝土工", "焊工", "电工", "防水工", "抹灰工", "涂装作业工", "线路架设工"}
	anqingOccs = []string{"砌筑工", "钢筋工", "混凝土工", "模板工", "木工", "油漆工", "抹灰工", "装饰装修工"}
	reviewer   = []store.Cap{store.CapBatchReview, store.CapCertView, store.CapBusinessReview}
)

var demoTree = []demoOrg{
	{name: "合肥市城乡建设局", region: "3401", contact: "王建国", phone: "0551-63538000", address: "合肥市蜀山区东流路100号", typ: store.Dept, occs: hefeiOccs,
		users: []demoUser{{"demo-dept", "王建国", "13905510001", true, nil}, {"hf-reviewer", "李敏", "13905510002", false, reviewer}},
		children: []demoOrg{
			{name: "合肥建工职业技能培训学校", region: "3401", contact: "张秀英", phone: "0551-62880011", address: "合肥市包河区徽州大道1888号", typ: store.Unit,
				occs:  []string{"砌筑工", "钢筋工", "架子工", "混凝土工", "模板工", "焊工", "电工", "防水工"},
				users: []demoUser{{"demo-unit", "张秀英", "13805510011", true, nil}, {"hfjg-clerk", "刘洋", "13805510012", false, []store.Cap{store.CapBatchManage, store.CapCertView, store.CapCertPrint}}}},
			{name: "合肥市城建技工学校", region: "3401", contact: "陈志强", phone: "0551-65320022", address: "合肥市瑶海区长江东路500号", typ: store.Unit,
				occs:  []string{"砌筑工", "木工", "油漆工", "抹灰工", "装饰装修工"},
				users: []demoUser{{"hfcj-admin", "陈志强", "13805510021", true, nil}}},
			{name: "安徽三建职业技能培训中心", region: "3401", contact: "周丽", phone: "0551-64650033", address: "合肥市庐阳区阜阳北路78号", typ: store.Unit,
				occs:  []string{"起重信号工", "建筑起重机械安装拆卸工", "管工", "焊工"},
				users: []demoUser{{"ahsj-admin", "周丽", "13805510031", true, nil}}},
		}},
	{name: "芜湖市住房和城乡建设局", region: "3402", contact: "赵海峰", phone: "0553-3835000", address: "芜湖市镜湖区北京中路8号", typ: store.Dept, occs: wuhuOccs,
		users: []demoUser{{"wh-dept", "赵海峰", "13905530001", true, nil}},
		children: []demoOrg{
			{name: "芜湖市建设职业技能培训中心", region: "3402", contact: "孙红", phone: "0553-3112233", address: "芜湖市弋江区中山南路66号", typ: store.Unit,
				occs:  []string{"砌筑工", "钢筋工", "混凝土工", "抹灰工"},
				users: []demoUser{{"whpx-admin", "孙红", "13805530011", true, nil}}},
			{name: "芜湖华强建筑工程培训学校", region: "3402", contact: "吴刚", phone: "0553-5961234", address: "芜湖市鸠江区银湖北路9号", typ: store.Unit,
				occs:  []string{"焊工", "电工", "线路架设工", "涂装作业工"},
				users: []demoUser{{"whhq-admin", "吴刚", "13805530021", true, nil}}},
		}},
	{name: "安庆市住房和城乡建设局", region: "3408", contact: "何静", phone: "0556-5506000", address: "安庆市迎江区湖心中路17号", typ: store.Dept, occs: anqingOccs,
		users: []demoUser{{"aq-dept", "何静", "13905560001", true, nil}},
		children: []demoOrg{
			{name: "安庆市建筑职业培训学校", region: "3408", contact: "郑伟", phone: "0556-5523456", address: "安庆市大观区华中西路120号", typ: store.Unit,
				occs:  []string{"砌筑工", "钢筋工", "混凝土工", "模板工"},
				users: []demoUser{{"aqjz-admin", "郑伟", "13805560011", true, nil}}},
			{name: "安庆宜城建设技工学校", region: "3408", contact: "冯雪", phone: "0556-5587654", address: "安庆市宜秀区集贤北路33号", typ: store.Unit,
				occs:  []string{"木工", "油漆工", "抹灰工", "装饰装修工"},
				users: []demoUser{{"aqyc-admin", "冯雪", "13805560021", true, nil}}},
		}},
	{name: "安徽省建设干部学校", region: "3400", contact: "马骏", phone: "0551-62871100", address: "合肥市蜀山区黄山路456号", typ: store.Direct,
		occs:  []string{"砌筑工", "钢筋工", "架子工", "焊工", "电工", "木工", "装饰装修工", "建筑起重机械安装拆卸工"},
		users: []demoUser{{"demo-direct", "马骏", "13705510001", true, nil}}},
	{name: "安徽省建筑工程技术培训中心", region: "3400", contact: "胡蓉", phone: "0551-62872200", address: "合肥市包河区紫云路996号", typ: store.Direct,
		occs:  []string{"混凝土工", "模板工", "防水工", "管工", "起重信号工"},
		users: []demoUser{{"ahjg-admin", "胡蓉", "13705510002", true, nil}}},
}

// demoUsers lists every demo username, in the order they are created.
func demoUsers() []string {
	out := []string{"demo-province", "ah-reviewer"}
	var walk func([]demoOrg)
	walk = func(orgs []demoOrg) {
		for _, o := range orgs {
			for _, u := range o.users {
				out = append(out, u.username)
			}
			walk(o.children)
		}
	}
	walk(demoTree)
	return out
}

// planOrgs: the first start and the set-up of the organisations, one
// operation every few minutes of one morning half a year ago.
func (w *world) planOrgs() {
	t := w.daysAgo(182).Add(-time.Hour)
	next := func() time.Time {
		t = t.Add(3 * time.Minute)
		return t
	}
	w.at(next(), "first start", func() error {
		_, _, err := w.s.BootstrapAdmin("34", store.NewOrgAdmin{Username: "demo-province", Name: "省厅管理员", Phone: "13905510000", PasswordHash: w.hash})
		return err
	})
	w.planFirstLogin(next(), "demo-province")
	w.at(next(), "province contact", func() error {
		a, err := w.actor("demo-province")
		if err != nil {
			return err
		}
		_, err = w.s.UpdateOrgContact(a, store.OrgUpdate{Contact: "省厅信息中心", Phone: "0551-62871000", Address: "合肥市包河区紫云路996号"})
		return err
	})
	w.planUser(next, "demo-province", demoUser{"ah-reviewer", "省厅审核员", "13905510009", false, reviewer})
	for _, d := range demoTree {
		w.planOrg(next, "demo-province", d)
	}
}

// planOrg: by, the administrator of the parent, creates the organisation
// with its administrator and sets its scope; the new administrator logs in
// and creates the other users; then the children follow.
func (w *world) planOrg(next func() time.Time, by string, d demoOrg) {
	admin := d.users[0]
	w.at(next(), "organisation "+d.name, func() error {
		a, err := w.actor(by)
		if err != nil {
			return err
		}
		parent, err := w.s.Org(a.OrgID)
		if err != nil {
			return err
		}
		o, _, err := w.s.CreateOrg(a, store.OrgInput{Name: d.name, Type: d.typ, ParentID: parent.ID, Region: d.region,
			Contact: d.contact, Phone: d.phone, Address: d.address},
			store.NewOrgAdmin{Username: admin.username, Name: admin.name, Phone: admin.phone, PasswordHash: w.hash})
		if err != nil {
			return err
		}
		within, err := w.s.EffectiveScope(parent)
		if err != nil {
			return err
		}
		sc, err := scopeOf(d.occs, within)
		if err != nil {
			return fmt.Errorf("scope of %s: %w", d.name, err)
		}
		_, err = w.s.SetScope(a, o.ID, sc)
		return err
	})
	w.planFirstLogin(next(), admin.username)
	for _, u := range d.users[1:] {
		w.planUser(next, admin.username, u)
	}
	for _, c := range d.children {
		w.planOrg(next, admin.username, c)
	}
}

// scopeOf is the scope of the named occupations with every level the
// parent's scope holds for them.
func scopeOf(names []string, within store.Scope) (store.Scope, error) {
	sc := store.Scope{}
	for _, n := range names {
		code := ""
		for _, o := range data.Occupations() {
			if o.Name == n {
				code = o.Code
			}
		}
		if code == "" || len(within[code]) == 0 {
			return nil, fmt.Errorf("occupation %s not in the parent's scope", n)
		}
		sc[code] = append([]int(nil), within[code]...)
	}
	return sc, nil
}

// planUser: an administrator creates a user of its own organisation, who
// then logs in for the first time.
func (w *world) planUser(next func() time.Time, by string, u demoUser) {
	w.at(next(), "user "+u.username, func() error {
		a, err := w.actor(by)
		if err != nil {
			return err
		}
		_, err = w.s.CreateUser(a, store.NewUser{OrgID: a.OrgID, Username: u.username, Name: u.name, Phone: u.phone,
			IsAdmin: u.admin, Caps: u.caps, PasswordHash: w.hash})
		return err
	})
	w.planFirstLogin(next(), u.username)
}

// planFirstLogin: the user replaces the initial password (by the demo
// password) and binds the demo authenticator.
func (w *world) planFirstLogin(t time.Time, username string) {
	w.at(t, "first login of "+username, func() error {
		a, err := w.actor(username)
		if err != nil {
			return err
		}
		if err := w.s.SetPassword(a, a.UserID, w.hash, nil); err != nil {
			return err
		}
		return w.s.EnrolTOTP(a, a.UserID, store.DemoSecret, 0, nil, nil)
	})
}

// planPasswordRenewal: passwords expire (90 days by default), so every demo
// user renewed theirs on the present's last day, keeping the demo password.
func (w *world) planPasswordRenewal() {
	t := w.end.Add(-3 * time.Hour)
	for _, username := range demoUsers() {
		t = t.Add(time.Minute)
		w.at(t, "password renewal of "+username, func() error {
			a, err := w.actor(username)
			if err != nil {
				return err
			}
			return w.s.SetPassword(a, a.UserID, w.hash, nil)
		})
	}
}
