package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"certreg/candidate"
	"certreg/data"
	"certreg/idcard"
	"certreg/store"
)

// The demo's batches: demo-unit (合肥建工职业技能培训学校) and demo-direct
// (安徽省建设干部学校) have batches in every state, including rejected ones
// with marked candidates, made over the last weeks: created with their
// candidates and materials, submitted, reviewed by 合肥市城乡建设局 (a unit's
// batches) and the province.

type demoBatch struct {
	owner    string // username of the owning organisation's administrator
	name     string
	occ      string // occupation name
	levels   []int
	n        int
	ageDays  int // created so many days before the present
	state    store.BatchState
	files    bool
	rejectBy string // username of the rejecting reviewer
	reason   string
	marks    map[int]string // candidate position (from 0) => note
}

var demoBatches = []demoBatch{
	{owner: "demo-unit", name: "2026年第6期钢筋工培训班", occ: "钢筋工", levels: []int{5, 4}, n: 12, ageDays: 2, state: store.BatchDraft, files: true},
	{owner: "demo-unit", name: "2026年第5期架子工培训班（补训）", occ: "架子工", levels: []int{5}, n: 4, ageDays: 1, state: store.BatchDraft},
	{owner: "demo-unit", name: "2026年第4期砌筑工培训班", occ: "砌筑工", levels: []int{5, 4, 3}, n: 15, ageDays: 9, state: store.BatchPendingDept, files: true},
	{owner: "demo-unit", name: "2026年第3期电工培训班", occ: "电工", levels: []int{5, 4}, n: 10, ageDays: 16, state: store.BatchPendingProvince, files: true},
	{owner: "demo-unit", name: "2026年第2期混凝土工培训班", occ: "混凝土工", levels: []int{5, 4}, n: 18, ageDays: 40, state: store.BatchApproved, files: true},
	{owner: "demo-unit", name: "2026年第3期焊工培训班", occ: "焊工", levels: []int{5, 4}, n: 8, ageDays: 20, state: store.BatchRejected, files: true,
		rejectBy: "demo-dept", reason: "2 名学员的身份证号与培训签到表不一致，请核实后重新提交；签到表扫描件不清晰，请重新上传。",
		marks: map[int]string{1: "身份证号与签到表不一致", 4: "签到表上无本人签名"}},
	{owner: "demo-direct", name: "2026年秋季木工培训班", occ: "木工", levels: []int{5, 4}, n: 6, ageDays: 3, state: store.BatchDraft},
	{owner: "demo-direct", name: "2026年秋季装饰装修工培训班", occ: "装饰装修工", levels: []int{5, 4, 3}, n: 9, ageDays: 7, state: store.BatchPendingProvince, files: true},
	{owner: "demo-direct", name: "2026年第1期建筑起重机械安装拆卸工培训班", occ: "建筑起重机械安装拆卸工", levels: []int{5, 4}, n: 7, ageDays: 60, state: store.BatchApproved, files: true},
	{owner: "demo-direct", name: "2026年夏季电工培训班", occ: "电工", levels: []int{4}, n: 5, ageDays: 25, state: store.BatchRejected, files: true,
		rejectBy: "demo-province", reason: "培训课时记录缺失，请补充上传课时签到表。", marks: map[int]string{2: "未提供培训课时证明"}},
}

var (
	batchSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程汪陆鲍储葛")
	batchMen      = []string{"伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "建华", "建国", "志强", "海波", "家乐", "文博", "俊杰", "晓东", "春生", "德胜", "永强", "小龙", "大勇", "国庆", "卫东", "长江", "正义", "学文", "金山", "宏伟"}
	batchWomen    = []string{"芳", "娜", "敏", "静", "丽", "艳", "娟", "秀英", "桂英", "红梅", "玉兰", "海燕", "晓丽"}
	batchCounties = []string{"340102", "340103", "340104", "340111", "340121", "340122", "340123", "340124", "340181", "341221", "341222", "341225", "341226", "341321", "341322", "341521", "341522", "340822", "340828", "341621", "341623"}
	batchEmployer = []string{"中建八局第三建设有限公司", "安徽建工集团股份有限公司", "合肥城建发展股份有限公司", "安徽水安建设集团股份有限公司", "中铁四局集团有限公司", "安徽三建工程有限公司", "合肥建工集团有限公司", "安徽华力建设集团有限公司", "中国十七冶集团有限公司", "安徽省路桥工程集团有限责任公司"}
)

// occupationCode is the catalogue code of an occupation name.
func occupationCode(name string) (string, error) {
	for _, o := range data.Occupations() {
		if o.Name == name {
			return o.Code, nil
		}
	}
	return "", fmt.Errorf("occupation %s is not in the catalogue", name)
}

// planBatches draws the candidates and the moments of every demo batch
// (one random sequence, in the order of demoBatches) and plans its moves.
func (w *world) planBatches() error {
	p := &people{rng: rand.New(rand.NewPCG(2026, 34)), men: batchMen, women: batchWomen, counties: batchCounties,
		firstYear: 1968, years: 36, manOdds: 10, used: map[string]bool{}}
	for _, d := range demoBatches {
		if err := w.planBatch(p, d); err != nil {
			return fmt.Errorf("demo batch %s: %w", d.name, err)
		}
	}
	return nil
}

func (w *world) planBatch(p *people, d demoBatch) error {
	rng := p.rng
	occCode, err := occupationCode(d.occ)
	if err != nil {
		return err
	}
	cands := make([]candidate.Candidate, 0, d.n)
	for i := 0; i < d.n; i++ {
		given, id := p.person()
		phone := ""
		if rng.IntN(5) > 0 {
			phone = p.phone()
		}
		cands = append(cands, candidate.Candidate{
			Row: i + 2, Name: string(batchSurnames[rng.IntN(len(batchSurnames))]) + given, IDNumber: id,
			Gender: idcard.Gender(id), WorkUnit: batchEmployer[rng.IntN(len(batchEmployer))],
			OccupationCode: occCode, OccupationName: d.occ, Level: d.levels[rng.IntN(len(d.levels))], Phone: phone,
		})
	}
	t := w.daysAgo(d.ageDays).Add(-time.Duration(rng.IntN(300)) * time.Minute)
	step := func() time.Time {
		t = t.Add(time.Duration(20+rng.IntN(60))*time.Hour + time.Duration(rng.IntN(60))*time.Minute)
		return t
	}

	b := &plannedBatch{owner: d.owner, name: d.name}
	w.at(t, "batch "+d.name, func() error { return w.createBatch(b, cands, d.files) })
	if d.state == store.BatchDraft {
		return nil
	}
	w.at(step(), "submit "+d.name, b.move(w, d.owner, store.BatchSubmit, ""))
	direct := d.owner == "demo-direct"
	if !direct && d.state != store.BatchPendingDept && d.rejectBy != "demo-dept" {
		w.at(step(), "dept approval of "+d.name, b.move(w, "demo-dept", store.BatchApprove, ""))
	}
	switch d.state {
	case store.BatchApproved:
		w.at(step(), "approval of "+d.name, b.move(w, "demo-province", store.BatchApprove, ""))
	case store.BatchRejected:
		at := step()
		w.at(at.Add(-10*time.Minute), "marks on "+d.name, func() error { return b.mark(w, d.rejectBy, d.marks) })
		w.at(at, "rejection of "+d.name, b.move(w, d.rejectBy, store.BatchReject, d.reason))
	}
	return nil
}

// plannedBatch is a batch of the plan: its id is known once created.
type plannedBatch struct {
	owner, name string
	id          uint64
	cands       []candidate.Candidate
}

// createBatch: the owner confirms the create wizard with the candidates of
// the uploaded template and, with files, the demo materials.
func (w *world) createBatch(b *plannedBatch, cands []candidate.Candidate, withFiles bool) error {
	a, err := w.actor(b.owner)
	if err != nil {
		return err
	}
	in := store.NewBatch{Name: b.name, Candidates: cands}
	if withFiles {
		if in.Uploads, err = materials(); err != nil {
			return err
		}
	}
	created, err := w.s.CreateBatch(a, in)
	if err != nil {
		return err
	}
	b.id, b.cands = created.ID, cands
	return nil
}

// move is a submission (by the owner), an approval or a rejection (by a
// reviewer).
func (b *plannedBatch) move(w *world, by string, action store.BatchAction, reason string) func() error {
	return func() error {
		a, err := w.actor(by)
		if err != nil {
			return err
		}
		switch action {
		case store.BatchSubmit:
			_, err = w.s.SubmitBatch(a, b.id)
		case store.BatchApprove:
			_, err = w.s.ApproveBatch(a, b.id)
		case store.BatchReject:
			_, err = w.s.RejectBatch(a, b.id, reason, nil)
		default:
			err = fmt.Errorf("no demo move %s", action)
		}
		return err
	}
}

// mark: the reviewer marks candidates (by position) 不通过 with a note.
func (b *plannedBatch) mark(w *world, by string, marks map[int]string) error {
	a, err := w.actor(by)
	if err != nil {
		return err
	}
	list, err := w.s.BatchCandidates(a, b.id, 0, store.MaxBatchCandidates)
	if err != nil {
		return err
	}
	for pos := 0; pos < len(list); pos++ {
		note, ok := marks[pos]
		if !ok {
			continue
		}
		if _, err := w.s.MarkCandidate(a, b.id, list[pos].ID, true, note); err != nil {
			return err
		}
	}
	return nil
}
