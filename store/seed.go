package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"certreg/data"
)

// Empty reports whether the database has no province yet (first start).
func (s *Store) Empty() (bool, error) {
	empty := false
	err := s.db.View(func(tx *bolt.Tx) error {
		empty = tx.Bucket(bMeta).Get([]byte("province_id")) == nil
		return nil
	})
	return empty, err
}

// Bootstrap creates the province organisation and its `admin` user with the
// given initial password hash (the user must change it and enrol TOTP at the
// first login), and loads the occupation catalogue.
func (s *Store) Bootstrap(provinceCode, adminHash string) (Org, User, error) {
	p, ok := data.ProvinceByCode(provinceCode)
	if !ok {
		return Org{}, User{}, fmt.Errorf("unknown province code %q", provinceCode)
	}
	var org Org
	var admin User
	err := s.db.Update(func(tx *bolt.Tx) error {
		now := s.Now()
		var err error
		org, err = createOrgTx(tx, OrgInput{Name: p.Name + "住房和城乡建设厅", Type: Province, Region: p.Code + "00",
			Contact: "系统管理员"}, now)
		if err != nil {
			return err
		}
		admin, err = createUserTx(tx, UserInput{OrgID: org.ID, Username: "admin", Name: "系统管理员", IsAdmin: true,
			PasswordHash: adminHash, MustChange: true}, now)
		if err != nil {
			return err
		}
		return seedOccupationsTx(tx)
	})
	return org, admin, err
}

// Demo accounts (README.md).
const (
	DemoPassword = "Demo#2026pass"
	DemoSecret   = "DEMODEMODEMODEMO"
)

// DemoOrg describes one organisation of the demo province.
type demoOrg struct {
	name, region, contact, phone, address string
	typ                                   OrgType
	occs                                  []string // occupation codes in scope (all levels the catalogue has)
	users                                 []demoUser
	children                              []demoOrg
}

type demoUser struct {
	username, name, phone string
	admin                 bool
	caps                  []Cap
}

// SeedDemo fills an empty database with the Anhui demo province: three depts
// with their units, two 省直所 and the four demo accounts, all with password
// DemoPassword (hash given) and TOTP secret DemoSecret, ready to use.
func (s *Store) SeedDemo(hash string) error {
	all := data.Occupations()
	codes := func(names ...string) []string {
		var out []string
		for _, n := range names {
			for _, o := range all {
				if o.Name == n {
					out = append(out, o.Code)
				}
			}
		}
		return out
	}
	hefeiOccs := codes("砌筑工", "钢筋工", "架子工", "混凝土工", "模板工", "焊工", "电工", "防水工", "木工", "油漆工", "抹灰工", "管工", "起重信号工", "建筑起重机械安装拆卸工", "装饰装修工")
	wuhuOccs := codes("砌筑工", "钢筋工", "架子工", "混凝土工", "焊工", "电工", "防水工", "抹灰工", "涂装作业工", "线路架设工")
	anqingOccs := codes("砌筑工", "钢筋工", "混凝土工", "模板工", "木工", "油漆工", "抹灰工", "装饰装修工")
	tree := []demoOrg{
		{name: "合肥市城乡建设局", region: "3401", contact: "王建国", phone: "0551-63538000", address: "合肥市蜀山区东流路100号", typ: Dept, occs: hefeiOccs,
			users: []demoUser{{"demo-dept", "王建国", "13905510001", true, nil}, {"hf-reviewer", "李敏", "13905510002", false, []Cap{CapBatchReview, CapCertView, CapBusinessReview}}},
			children: []demoOrg{
				{name: "合肥建工职业技能培训学校", region: "3401", contact: "张秀英", phone: "0551-62880011", address: "合肥市包河区徽州大道1888号", typ: Unit, occs: codes("砌筑工", "钢筋工", "架子工", "混凝土工", "模板工", "焊工", "电工", "防水工"),
					users: []demoUser{{"demo-unit", "张秀英", "13805510011", true, nil}, {"hfjg-clerk", "刘洋", "13805510012", false, []Cap{CapBatchManage, CapCertView, CapCertPrint}}}},
				{name: "合肥市城建技工学校", region: "3401", contact: "陈志强", phone: "0551-65320022", address: "合肥市瑶海区长江东路500号", typ: Unit, occs: codes("砌筑工", "木工", "油漆工", "抹灰工", "装饰装修工"),
					users: []demoUser{{"hfcj-admin", "陈志强", "13805510021", true, nil}}},
				{name: "安徽三建职业技能培训中心", region: "3401", contact: "周丽", phone: "0551-64650033", address: "合肥市庐阳区阜阳北路78号", typ: Unit, occs: codes("起重信号工", "建筑起重机械安装拆卸工", "管工", "焊工"),
					users: []demoUser{{"ahsj-admin", "周丽", "13805510031", true, nil}}},
			}},
		{name: "芜湖市住房和城乡建设局", region: "3402", contact: "赵海峰", phone: "0553-3835000", address: "芜湖市镜湖区北京中路8号", typ: Dept, occs: wuhuOccs,
			users: []demoUser{{"wh-dept", "赵海峰", "13905530001", true, nil}},
			children: []demoOrg{
				{name: "芜湖市建设职业技能培训中心", region: "3402", contact: "孙红", phone: "0553-3112233", address: "芜湖市弋江区中山南路66号", typ: Unit, occs: codes("砌筑工", "钢筋工", "混凝土工", "抹灰工"),
					users: []demoUser{{"whpx-admin", "孙红", "13805530011", true, nil}}},
				{name: "芜湖华强建筑工程培训学校", region: "3402", contact: "吴刚", phone: "0553-5961234", address: "芜湖市鸠江区银湖北路9号", typ: Unit, occs: codes("焊工", "电工", "线路架设工", "涂装作业工"),
					users: []demoUser{{"whhq-admin", "吴刚", "13805530021", true, nil}}},
			}},
		{name: "安庆市住房和城乡建设局", region: "3408", contact: "何静", phone: "0556-5506000", address: "安庆市迎江区湖心中路17号", typ: Dept, occs: anqingOccs,
			users: []demoUser{{"aq-dept", "何静", "13905560001", true, nil}},
			children: []demoOrg{
				{name: "安庆市建筑职业培训学校", region: "3408", contact: "郑伟", phone: "0556-5523456", address: "安庆市大观区华中西路120号", typ: Unit, occs: codes("砌筑工", "钢筋工", "混凝土工", "模板工"),
					users: []demoUser{{"aqjz-admin", "郑伟", "13805560011", true, nil}}},
				{name: "安庆宜城建设技工学校", region: "3408", contact: "冯雪", phone: "0556-5587654", address: "安庆市宜秀区集贤北路33号", typ: Unit, occs: codes("木工", "油漆工", "抹灰工", "装饰装修工"),
					users: []demoUser{{"aqyc-admin", "冯雪", "13805560021", true, nil}}},
			}},
		{name: "安徽省建设干部学校", region: "3400", contact: "马骏", phone: "0551-62871100", address: "合肥市蜀山区黄山路456号", typ: Direct, occs: codes("砌筑工", "钢筋工", "架子工", "焊工", "电工", "木工", "装饰装修工", "建筑起重机械安装拆卸工"),
			users: []demoUser{{"demo-direct", "马骏", "13705510001", true, nil}}},
		{name: "安徽省建筑工程技术培训中心", region: "3400", contact: "胡蓉", phone: "0551-62872200", address: "合肥市包河区紫云路996号", typ: Direct, occs: codes("混凝土工", "模板工", "防水工", "管工", "起重信号工"),
			users: []demoUser{{"ahjg-admin", "胡蓉", "13705510002", true, nil}}},
	}
	levelsOf := map[string][]int{}
	for _, o := range all {
		levelsOf[o.Code] = o.Levels
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		now := s.Now()
		prov, err := createOrgTx(tx, OrgInput{Name: "安徽省住房和城乡建设厅", Type: Province, Region: "3400",
			Contact: "省厅信息中心", Phone: "0551-62871000", Address: "合肥市包河区紫云路996号"}, now)
		if err != nil {
			return err
		}
		if err := seedOccupationsTx(tx); err != nil {
			return err
		}
		if _, err := createUserTx(tx, UserInput{OrgID: prov.ID, Username: "demo-province", Name: "省厅管理员", Phone: "13905510000",
			IsAdmin: true, PasswordHash: hash, TOTPSecret: DemoSecret}, now); err != nil {
			return err
		}
		if _, err := createUserTx(tx, UserInput{OrgID: prov.ID, Username: "ah-reviewer", Name: "省厅审核员", Phone: "13905510009",
			Caps: []Cap{CapBatchReview, CapCertView, CapBusinessReview}, PasswordHash: hash, TOTPSecret: DemoSecret}, now); err != nil {
			return err
		}
		var add func(parent Org, d demoOrg) error
		add = func(parent Org, d demoOrg) error {
			sc := Scope{}
			for _, c := range d.occs {
				levels := levelsOf[c]
				if parent.Type != Province {
					levels = parent.Scope[c]
				}
				if len(levels) > 0 {
					sc[c] = append([]int(nil), levels...)
				}
			}
			o, err := createOrgTx(tx, OrgInput{Name: d.name, Type: d.typ, ParentID: parent.ID, Region: d.region,
				Contact: d.contact, Phone: d.phone, Address: d.address, Scope: sc}, now)
			if err != nil {
				return fmt.Errorf("demo org %s: %w", d.name, err)
			}
			for _, u := range d.users {
				if _, err := createUserTx(tx, UserInput{OrgID: o.ID, Username: u.username, Name: u.name, Phone: u.phone,
					IsAdmin: u.admin, Caps: u.caps, PasswordHash: hash, TOTPSecret: DemoSecret}, now); err != nil {
					return fmt.Errorf("demo user %s: %w", u.username, err)
				}
			}
			for _, c := range d.children {
				if err := add(o, c); err != nil {
					return err
				}
			}
			return nil
		}
		for _, d := range tree {
			if err := add(prov, d); err != nil {
				return err
			}
		}
		if err := s.seedDemoBatchesTx(tx); err != nil {
			return err
		}
		if err := s.seedDemoCertsTx(tx); err != nil {
			return err
		}
		return rebuildRegistrationsTx(tx)
	})
	if err != nil {
		return err
	}
	return s.seedDemoBusinesses()
}
