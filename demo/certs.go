package demo

import (
	"certreg/certlayout"

	"fmt"
	"math/rand/v2"
	"time"

	"certreg/candidate"
	"certreg/idcard"
	"certreg/store"
)

// The demo's certificates: besides the two approved batches above,
// demo-unit and demo-direct had a batch approved every month or so over the
// last five months, so the library, statistics, printing and verification
// have something to show. They use occupations that none of the other demo
// batches uses, so approving a demo batch never meets one of these holders.
// demo-unit keeps two print formats and printed the five first certificates
// of its oldest batch a week after issue; the province cancelled one of its
// second batch.

type certBatch struct {
	owner   string
	name    string
	occ     string // occupation name
	levels  []int
	n       int
	ageDays int // approved by the province so many days before the present
}

var certBatches = []certBatch{
	{owner: "demo-unit", name: "2026年第1期模板工培训班", occ: "模板工", levels: []int{5, 4}, n: 9, ageDays: 150},
	{owner: "demo-unit", name: "2026年第1期防水工培训班", occ: "防水工", levels: []int{5, 4, 3}, n: 8, ageDays: 112},
	{owner: "demo-unit", name: "2026年第2期模板工培训班", occ: "模板工", levels: []int{5, 4, 3}, n: 8, ageDays: 76},
	{owner: "demo-unit", name: "2026年第2期防水工培训班", occ: "防水工", levels: []int{5, 4}, n: 8, ageDays: 41},
	{owner: "demo-unit", name: "2026年第3期模板工培训班", occ: "模板工", levels: []int{5}, n: 7, ageDays: 9},
	{owner: "demo-direct", name: "2026年夏季焊工培训班", occ: "焊工", levels: []int{5, 4, 3}, n: 8, ageDays: 98},
	{owner: "demo-direct", name: "2026年秋季架子工培训班", occ: "架子工", levels: []int{5, 4}, n: 7, ageDays: 27},
}

var (
	certSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程汪陆储")
	certMen      = []string{"伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "建军", "卫国", "志刚", "海涛", "家明", "文杰", "俊峰", "晓军", "春雷", "德明", "永刚", "玉林", "大伟", "国强", "喆", "长林", "正阳", "学军", "金龙", "宏亮"}
	certWomen    = []string{"芳", "娜", "敏", "静", "丽", "燕", "婷", "秀兰", "桂芳", "红霞", "玉梅", "海霞", "晓燕"}
	certCounties = []string{"340102", "340103", "340104", "340111", "340121", "340122", "340181", "341202", "341203", "341282", "341302", "341502", "340802", "340823", "341602", "341622"}
	certEmployer = []string{"中建三局第一建设工程有限责任公司", "安徽建工集团股份有限公司", "合肥城建发展股份有限公司", "安徽省第二建筑工程有限公司",
		"中铁四局集团建筑工程有限公司", "安徽华冶建设工程有限公司", "合肥市政工程有限公司", "安徽同济建设集团有限责任公司"}
)

// fullFormat is the name of demo-unit's default print format.
const fullFormat = "合肥建工 A4 完整证书"

var china = time.FixedZone("CST", 8*3600)

// issueDay is the midnight (China time) of the day of t, a certificate's
// issue date.
func issueDay(t time.Time) time.Time {
	y, m, d := t.In(china).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, china)
}

// planCertBatches draws the holders and approval moments of certBatches
// (one random sequence) and plans each batch from creation to the
// province's approval, then the printing and the cancellation.
func (w *world) planCertBatches() error {
	p := &people{rng: rand.New(rand.NewPCG(2026, 9)), men: certMen, women: certWomen, counties: certCounties,
		firstYear: 1970, years: 34, manOdds: 8, used: map[string]bool{}}
	rng := p.rng
	var unitBatches []*plannedBatch
	var unitIssued []time.Time
	for _, d := range certBatches {
		occ, err := occupationCode(d.occ)
		if err != nil {
			return fmt.Errorf("demo batch %s: %w", d.name, err)
		}
		cands := make([]candidate.Candidate, d.n)
		for i := range cands {
			given, id := p.person()
			phone := p.phone()
			cands[i] = candidate.Candidate{Row: i + 2, Name: string(certSurnames[rng.IntN(len(certSurnames))]) + given, Gender: idcard.Gender(id), IDNumber: id,
				WorkUnit: certEmployer[rng.IntN(len(certEmployer))], Phone: phone, OccupationCode: occ, OccupationName: d.occ,
				Level: d.levels[rng.IntN(len(d.levels))]}
		}
		approved := w.daysAgo(d.ageDays).Add(time.Duration(rng.IntN(240)) * time.Minute)

		b := &plannedBatch{owner: d.owner, name: d.name}
		w.at(approved.Add(-6*24*time.Hour-time.Hour), "batch "+d.name, func() error { return w.createBatch(b, cands, true) })
		w.at(approved.Add(-5*24*time.Hour), "submit "+d.name, b.move(w, d.owner, store.BatchSubmit, ""))
		if d.owner == "demo-unit" {
			w.at(approved.Add(-2*24*time.Hour), "dept approval of "+d.name, b.move(w, "demo-dept", store.BatchApprove, ""))
			unitBatches = append(unitBatches, b)
			unitIssued = append(unitIssued, approved)
		}
		w.at(approved, "approval of "+d.name, b.move(w, "demo-province", store.BatchApprove, ""))
	}

	// The first five certificates of the oldest batch, printed a week
	// after issue in the default format.
	w.at(issueDay(unitIssued[0]).Add(7*24*time.Hour+10*time.Hour), "printing", func() error {
		certs, err := w.batchCerts(unitBatches[0])
		if err != nil {
			return err
		}
		a, err := w.actor("demo-unit")
		if err != nil {
			return err
		}
		var numbers []string
		for _, c := range certs[:5] {
			numbers = append(numbers, c.Number)
		}
		_, err = w.s.RecordPrint(a, numbers, fullFormat)
		return err
	})
	// The second of the second batch, cancelled by the province.
	w.at(issueDay(unitIssued[1]).Add(20*24*time.Hour+15*time.Hour), "cancellation", func() error {
		certs, err := w.batchCerts(unitBatches[1])
		if err != nil {
			return err
		}
		a, err := w.actor("demo-province")
		if err != nil {
			return err
		}
		_, err = w.s.CancelCertificate(a, certs[1].Number, "持证人提供的培训记录与实际不符，经核查予以注销（演示数据）")
		return err
	})
	return nil
}

// batchCerts are the certificates an approved batch issued, in the order
// of its candidates.
func (w *world) batchCerts(b *plannedBatch) ([]store.Certificate, error) {
	a, err := w.actor(b.owner)
	if err != nil {
		return nil, err
	}
	own, err := w.s.Org(a.OrgID)
	if err != nil {
		return nil, err
	}
	certs, err := w.s.BatchCertificates(own, b.id)
	if err != nil {
		return nil, err
	}
	byID := map[string]store.Certificate{}
	for _, c := range certs {
		byID[c.IDNumber] = c
	}
	out := make([]store.Certificate, len(b.cands))
	for i, c := range b.cands {
		cert, ok := byID[c.IDNumber]
		if !ok {
			return nil, fmt.Errorf("batch %s issued no certificate to candidate %d", b.name, i+1)
		}
		out[i] = cert
	}
	return out, nil
}

// planFormats: demo-unit keeps the full design (its default, the first it
// saved) and an overlay for its pre-printed stock, shifted for its printer.
func (w *world) planFormats() {
	full := certlayout.DefaultFormat(certlayout.ModeFull)
	full.Name = fullFormat
	overlay := certlayout.DefaultFormat(certlayout.ModeOverlay)
	overlay.Name = "预印证书套打（A4 横向）"
	overlay.OffsetX, overlay.OffsetY = 1.5, -1
	t := w.daysAgo(160)
	for _, f := range []certlayout.Format{full, overlay} {
		t = t.Add(5 * time.Minute)
		w.at(t, "print format "+f.Name, func() error {
			a, err := w.actor("demo-unit")
			if err != nil {
				return err
			}
			_, err = w.s.SavePrintFormat(a, 0, 0, f)
			return err
		})
	}
}
