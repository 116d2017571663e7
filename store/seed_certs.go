package store

import (
	"fmt"
	"math/rand/v2"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/certpdf"
	"certreg/idcard"
)

// The demo's certificates: demo-unit (合肥建工职业技能培训学校) and demo-direct
// (安徽省建设干部学校) hold certificates issued over the last months through
// issueAtTx, so the library, printing and verification have something to
// show. They use occupations that none of the demo batches uses, so approving
// a demo batch never meets one of these holders. The oldest are printed, one
// is cancelled by the province, and demo-unit has two print formats.

type demoIssue struct {
	owner   string
	occ     string // occupation name
	levels  []int
	n       int
	ageDays int
}

var demoIssues = []demoIssue{
	{owner: "demo-unit", occ: "模板工", levels: []int{5, 4}, n: 9, ageDays: 150},
	{owner: "demo-unit", occ: "防水工", levels: []int{5, 4, 3}, n: 8, ageDays: 112},
	{owner: "demo-unit", occ: "模板工", levels: []int{5, 4, 3}, n: 8, ageDays: 76},
	{owner: "demo-unit", occ: "防水工", levels: []int{5, 4}, n: 8, ageDays: 41},
	{owner: "demo-unit", occ: "模板工", levels: []int{5}, n: 7, ageDays: 9},
	{owner: "demo-direct", occ: "焊工", levels: []int{5, 4, 3}, n: 8, ageDays: 98},
	{owner: "demo-direct", occ: "架子工", levels: []int{5, 4}, n: 7, ageDays: 27},
}

var (
	certSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程汪陆储")
	certMen      = []string{"伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "建军", "卫国", "志刚", "海涛", "家明", "文杰", "俊峰", "晓军", "春雷", "德明", "永刚", "玉林", "大伟", "国强", "喆", "长林", "正阳", "学军", "金龙", "宏亮"}
	certWomen    = []string{"芳", "娜", "敏", "静", "丽", "燕", "婷", "秀兰", "桂芳", "红霞", "玉梅", "海霞", "晓燕"}
	certCounties = []string{"340102", "340103", "340104", "340111", "340121", "340122", "340181", "341202", "341203", "341282", "341302", "341502", "340802", "340823", "341602", "341622"}
	certEmployer = []string{"中建三局第一建设工程有限责任公司", "安徽建工集团股份有限公司", "合肥城建发展股份有限公司", "安徽省第二建筑工程有限公司",
		"中铁四局集团建筑工程有限公司", "安徽华冶建设工程有限公司", "合肥市政工程有限公司", "安徽同济建设集团有限责任公司"}
)

// seedDemoCertsTx issues the demo certificates inside SeedDemo's transaction.
func (s *Store) seedDemoCertsTx(tx *bolt.Tx) error {
	rng := rand.New(rand.NewPCG(2026, 9))
	now := s.Now()
	used := map[string]bool{}
	var unitCerts []Certificate
	for _, d := range demoIssues {
		_, _, org, err := demoActorTx(tx, d.owner)
		if err != nil {
			return err
		}
		occ := ""
		err = tx.Bucket(bOccupations).ForEach(func(k, v []byte) error {
			var o Occupation
			if err := jsonUnmarshal(v, &o); err != nil {
				return err
			}
			if o.Name == d.occ {
				occ = o.Code
			}
			return nil
		})
		if err != nil {
			return err
		}
		if occ == "" || !org.Scope.Has(occ, d.levels[0]) {
			return fmt.Errorf("demo certificates: %s not in the scope of %s", d.occ, org.Name)
		}
		holders := make([]Holder, d.n)
		for i := range holders {
			man := rng.IntN(8) > 0
			given := certMen[rng.IntN(len(certMen))]
			if !man {
				given = certWomen[rng.IntN(len(certWomen))]
			}
			var id string
			for id == "" || used[id] {
				birth := time.Date(1970+rng.IntN(34), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
				seq := rng.IntN(500) * 2
				if man {
					seq++
				}
				id = idcard.Make(certCounties[rng.IntN(len(certCounties))], birth, seq)
			}
			used[id] = true
			phone := fmt.Sprintf("1%d%d%08d", []int{3, 5, 8}[rng.IntN(3)], 5+rng.IntN(5), rng.IntN(100000000))
			holders[i] = Holder{Name: string(certSurnames[rng.IntN(len(certSurnames))]) + given, Gender: idcard.Gender(id), IDNumber: id,
				WorkUnit: certEmployer[rng.IntN(len(certEmployer))], Phone: phone, Occupation: occ, Level: d.levels[rng.IntN(len(d.levels))]}
		}
		at := now.AddDate(0, 0, -d.ageDays).Add(time.Duration(rng.IntN(240)) * time.Minute)
		certs, err := s.issueAtTx(tx, IssueRequest{OrgID: org.ID, Holders: holders, Username: "demo-province", Detail: "演示数据"}, at)
		if err != nil {
			return fmt.Errorf("demo certificates of %s: %w", org.Name, err)
		}
		if d.owner == "demo-unit" {
			unitCerts = append(unitCerts, certs...)
		}
	}
	if len(unitCerts) < 12 {
		return nil
	}
	// The oldest five were printed a week after issue; one of the second
	// issue was cancelled by the province.
	const format = "合肥建工 A4 完整证书"
	for i := 0; i < 5; i++ {
		c := unitCerts[i]
		old := c
		at := c.IssueDate.Add(7*24*time.Hour + 10*time.Hour)
		c.Printed, c.PrintCount, c.LastPrinted, c.LastPrintedBy = true, 1, at, "demo-unit"
		c.History = append(c.History, CertEvent{Time: at, Kind: "打印", Username: "demo-unit", OrgName: c.OrgName, Detail: "第 1 次打印，格式：" + format})
		if err := reindexCertTx(tx, &old, &c); err != nil {
			return err
		}
		if err := s.putCertTx(tx, c); err != nil {
			return err
		}
	}
	c := unitCerts[10]
	_, _, prov, err := demoActorTx(tx, "demo-province")
	if err != nil {
		return err
	}
	ev := CertEvent{Time: c.IssueDate.Add(20*24*time.Hour + 15*time.Hour), Kind: "注销", Username: "demo-province", OrgName: prov.Name,
		Detail: "省厅直接注销。原因：持证人提供的培训记录与实际不符，经核查予以注销（演示数据）"}
	if err := s.changeCertStatusTx(tx, &c, CertCancelled, ev); err != nil {
		return err
	}
	if err := s.putCertTx(tx, c); err != nil {
		return err
	}

	// demo-unit's print formats: the full design (default) and an overlay
	// for its pre-printed stock, shifted for its printer.
	_, _, unit, err := demoActorTx(tx, "demo-unit")
	if err != nil {
		return err
	}
	full := certpdf.DefaultFormat(certpdf.ModeFull)
	full.Name = format
	overlay := certpdf.DefaultFormat(certpdf.ModeOverlay)
	overlay.Name = "预印证书套打（A4 横向）"
	overlay.OffsetX, overlay.OffsetY = 1.5, -1
	for _, f := range []certpdf.Format{full, overlay} {
		pf, err := s.newFormatTx(tx, unit, f, now.AddDate(0, 0, -160))
		if err != nil {
			return err
		}
		pf.UpdatedBy = "demo-unit"
		if err := putJSON(tx.Bucket(bPrintFormats), formatKey(unit.ID, pf.ID), pf); err != nil {
			return err
		}
	}
	return nil
}
