package store

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/candidate"
	"certreg/files"
	"certreg/idcard"
)

// The demo's batches: demo-unit (合肥建工职业技能培训学校) and demo-direct
// (安徽省建设干部学校) have batches in every state, including rejected ones
// with marked candidates. They are written directly (state, indexes,
// counters, review log) as if the moves had happened over the last weeks,
// without operation-log lines: the demo's log starts empty.

type demoBatch struct {
	owner    string // username of the owning organisation's administrator
	name     string
	occ      string // occupation name
	levels   []int
	n        int
	ageDays  int
	state    BatchState
	files    bool
	rejectBy string // username of the rejecting reviewer
	reason   string
	marks    map[int]string // candidate position (from 0) => note
}

var demoBatches = []demoBatch{
	{owner: "demo-unit", name: "2026年第6期钢筋工培训班", occ: "钢筋工", levels: []int{5, 4}, n: 12, ageDays: 2, state: BatchDraft, files: true},
	{owner: "demo-unit", name: "2026年第5期架子工培训班（补训）", occ: "架子工", levels: []int{5}, n: 4, ageDays: 1, state: BatchDraft},
	{owner: "demo-unit", name: "2026年第4期砌筑工培训班", occ: "砌筑工", levels: []int{5, 4, 3}, n: 15, ageDays: 9, state: BatchPendingDept, files: true},
	{owner: "demo-unit", name: "2026年第3期电工培训班", occ: "电工", levels: []int{5, 4}, n: 10, ageDays: 16, state: BatchPendingProvince, files: true},
	{owner: "demo-unit", name: "2026年第2期混凝土工培训班", occ: "混凝土工", levels: []int{5, 4}, n: 18, ageDays: 40, state: BatchApproved, files: true},
	{owner: "demo-unit", name: "2026年第3期焊工培训班", occ: "焊工", levels: []int{5, 4}, n: 8, ageDays: 20, state: BatchRejected, files: true,
		rejectBy: "demo-dept", reason: "2 名学员的身份证号与培训签到表不一致，请核实后重新提交；签到表扫描件不清晰，请重新上传。",
		marks: map[int]string{1: "身份证号与签到表不一致", 4: "签到表上无本人签名"}},
	{owner: "demo-direct", name: "2026年秋季木工培训班", occ: "木工", levels: []int{5, 4}, n: 6, ageDays: 3, state: BatchDraft},
	{owner: "demo-direct", name: "2026年秋季装饰装修工培训班", occ: "装饰装修工", levels: []int{5, 4, 3}, n: 9, ageDays: 7, state: BatchPendingProvince, files: true},
	{owner: "demo-direct", name: "2026年第1期建筑起重机械安装拆卸工培训班", occ: "建筑起重机械安装拆卸工", levels: []int{5, 4}, n: 7, ageDays: 60, state: BatchApproved, files: true},
	{owner: "demo-direct", name: "2026年夏季电工培训班", occ: "电工", levels: []int{4}, n: 5, ageDays: 25, state: BatchRejected, files: true,
		rejectBy: "demo-province", reason: "培训课时记录缺失，请补充上传课时签到表。", marks: map[int]string{2: "未提供培训课时证明"}},
}

var (
	demoSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程汪陆鲍储葛")
	demoMen      = []string{"伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "建华", "建国", "志强", "海波", "家乐", "文博", "俊杰", "晓东", "春生", "德胜", "永强", "小龙", "大勇", "国庆", "卫东", "长江", "正义", "学文", "金山", "宏伟"}
	demoWomen    = []string{"芳", "娜", "敏", "静", "丽", "艳", "娟", "秀英", "桂英", "红梅", "玉兰", "海燕", "晓丽"}
	demoCounties = []string{"340102", "340103", "340104", "340111", "340121", "340122", "340123", "340124", "340181", "341221", "341222", "341225", "341226", "341321", "341322", "341521", "341522", "340822", "340828", "341621", "341623"}
	demoEmployer = []string{"中建八局第三建设有限公司", "安徽建工集团股份有限公司", "合肥城建发展股份有限公司", "安徽水安建设集团股份有限公司", "中铁四局集团有限公司", "安徽三建工程有限公司", "合肥建工集团有限公司", "安徽华力建设集团有限公司", "中国十七冶集团有限公司", "安徽省路桥工程集团有限责任公司"}
)

func (s *Store) seedDemoBatchesTx(tx *bolt.Tx) error {
	rng := rand.New(rand.NewPCG(2026, 34))
	now := s.Now()
	usedIDs := map[string]bool{}
	for _, d := range demoBatches {
		if err := s.seedDemoBatchTx(tx, rng, now, d, usedIDs); err != nil {
			return fmt.Errorf("demo batch %s: %w", d.name, err)
		}
	}
	return nil
}

func demoActorTx(tx *bolt.Tx, username string) (Actor, User, Org, error) {
	id := tx.Bucket(bUserName).Get([]byte(username))
	if id == nil {
		return Actor{}, User{}, Org{}, fmt.Errorf("demo user %s: %w", username, ErrNotFound)
	}
	var u User
	if err := getJSON(tx.Bucket(bUsers), id, &u); err != nil {
		return Actor{}, User{}, Org{}, err
	}
	o, err := orgTx(tx, u.OrgID)
	return Actor{UserID: u.ID, Username: u.Username, OrgID: u.OrgID}, u, o, err
}

func (s *Store) seedDemoBatchTx(tx *bolt.Tx, rng *rand.Rand, now time.Time, d demoBatch, usedIDs map[string]bool) error {
	_, ownerUser, org, err := demoActorTx(tx, d.owner)
	if err != nil {
		return err
	}
	var occCode string
	sc, err := sheetScopeTx(tx, org)
	if err != nil {
		return err
	}
	for _, o := range sc.Occupations {
		if o.Name == d.occ {
			occCode = o.Code
		}
	}
	if occCode == "" {
		return fmt.Errorf("occupation %s not in the scope of %s", d.occ, org.Name)
	}
	cands := make([]candidate.Candidate, 0, d.n)
	for i := 0; i < d.n; i++ {
		man := rng.IntN(10) > 0
		given := demoMen[rng.IntN(len(demoMen))]
		if !man {
			given = demoWomen[rng.IntN(len(demoWomen))]
		}
		var id string
		for id == "" || usedIDs[id] {
			birth := time.Date(1968+rng.IntN(36), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
			seq := rng.IntN(500) * 2
			if man {
				seq++
			}
			id = idcard.Make(demoCounties[rng.IntN(len(demoCounties))], birth, seq)
		}
		usedIDs[id] = true
		phone := ""
		if rng.IntN(5) > 0 {
			phone = fmt.Sprintf("1%d%d%08d", []int{3, 5, 8}[rng.IntN(3)], 5+rng.IntN(5), rng.IntN(100000000))
		}
		cands = append(cands, candidate.Candidate{
			Row: i + 2, Name: string(demoSurnames[rng.IntN(len(demoSurnames))]) + given, IDNumber: id,
			Gender: idcard.Gender(id), WorkUnit: demoEmployer[rng.IntN(len(demoEmployer))],
			OccupationCode: occCode, OccupationName: d.occ, Level: d.levels[rng.IntN(len(d.levels))], Phone: phone,
		})
	}

	created := now.Add(-time.Duration(d.ageDays)*24*time.Hour - time.Duration(rng.IntN(300))*time.Minute)
	id, err := nextID(tx.Bucket(bBatches))
	if err != nil {
		return err
	}
	b := Batch{ID: id, OrgID: org.ID, Name: d.name, State: BatchDraft, Created: created, Updated: created}
	if err := s.putCandidatesTx(tx, org, &b, cands); err != nil {
		return err
	}
	if d.files {
		files, err := s.demoFiles(created)
		if err != nil {
			return err
		}
		b.Files = files
	}
	if err := tx.Bucket(bBatchName).Put(batchNameKey(org.ID, d.name), itob(id)); err != nil {
		return err
	}

	logAt := func(username string, action BatchAction, from, to BatchState, reason string, t time.Time) error {
		a, u, o, err := demoActorTx(tx, username)
		if err != nil {
			return err
		}
		b.NextLog++
		e := ReviewEntry{Seq: b.NextLog, Time: t, UserID: a.UserID, Username: a.Username, UserName: u.Name,
			OrgID: o.ID, OrgName: o.Name, Action: action, From: from, To: to, Round: b.Round, Reason: reason}
		return putJSON(tx.Bucket(bBatchLog), key(itob(b.ID), itob(e.Seq)), e)
	}
	reviewed := func(username string, action BatchAction, t time.Time) error {
		a, _, _, err := demoActorTx(tx, username)
		if err != nil {
			return err
		}
		if b.LastReview == nil {
			b.LastReview = map[string]time.Time{}
		}
		b.LastReview[strconv.FormatUint(a.OrgID, 10)] = t
		b.Reviewed = t
		return tx.Bucket(bBatchReviewed).Put(key(itob(a.OrgID), tsKey(t), itob(b.ID)), []byte(action))
	}
	if err := logAt(ownerUser.Username, BatchCreate, "", BatchDraft, fmt.Sprintf("导入 %d 名合格人员，上传资料 %d 份", b.Count, len(b.Files)), created); err != nil {
		return err
	}
	deptReviewer := "demo-dept"
	first := BatchPendingDept
	if org.Type == Direct {
		first = BatchPendingProvince
	}
	t := created
	step := func() time.Time {
		t = t.Add(time.Duration(20+rng.IntN(60))*time.Hour + time.Duration(rng.IntN(60))*time.Minute)
		return t
	}
	if d.state != BatchDraft {
		b.Round = 1
		b.Submitted = step()
		if err := logAt(ownerUser.Username, BatchSubmit, BatchDraft, first, "", b.Submitted); err != nil {
			return err
		}
		b.State = first
		b.QueuedAt = b.Submitted
		if first == BatchPendingDept && d.state != BatchPendingDept && d.rejectBy != deptReviewer {
			at := step()
			if err := logAt(deptReviewer, BatchApprove, BatchPendingDept, BatchPendingProvince, "", at); err != nil {
				return err
			}
			if err := reviewed(deptReviewer, BatchApprove, at); err != nil {
				return err
			}
			b.State, b.QueuedAt = BatchPendingProvince, at
		}
		switch d.state {
		case BatchApproved:
			at := step()
			if err := logAt("demo-province", BatchApprove, b.State, BatchApproved, "", at); err != nil {
				return err
			}
			if err := reviewed("demo-province", BatchApprove, at); err != nil {
				return err
			}
			b.State = BatchApproved
			if _, err := s.issueBatchAtTx(tx, b, "demo-province", at); err != nil {
				return fmt.Errorf("demo batch %s: %w", b.Name, err)
			}
		case BatchRejected:
			at := step()
			if err := logAt(d.rejectBy, BatchReject, b.State, BatchRejected, d.reason, at); err != nil {
				return err
			}
			if err := reviewed(d.rejectBy, BatchReject, at); err != nil {
				return err
			}
			_, _, ro, err := demoActorTx(tx, d.rejectBy)
			if err != nil {
				return err
			}
			ra, _, _, _ := demoActorTx(tx, d.rejectBy)
			for pos, note := range d.marks {
				m := Mark{CandidateID: uint64(pos + 1), Note: note, UserID: ra.UserID, Username: ra.Username,
					OrgID: ro.ID, OrgName: ro.Name, Time: at.Add(-10 * time.Minute), Round: b.Round}
				if err := putJSON(tx.Bucket(bCandidateMarks), key(itob(b.ID), itob(m.CandidateID)), m); err != nil {
					return err
				}
				b.Marked++
			}
			b.State, b.Reason, b.RejectBy = BatchRejected, d.reason, ro.Name
		}
		if !b.State.UnderReview() {
			b.QueuedAt = time.Time{}
		}
		b.Updated = t
	}
	if b.State != d.state {
		return fmt.Errorf("seeded state %s, want %s", b.State, d.state)
	}
	if b.State.UnderReview() {
		if err := s.indexUnderReviewTx(tx, b, true); err != nil {
			return err
		}
		rid := reviewerIDTx(tx, b.State, org)
		if err := tx.Bucket(bBatchQueue).Put(key(itob(rid), tsKey(b.QueuedAt), itob(b.ID)), nil); err != nil {
			return err
		}
		if _, err := incr(tx, counterBatchQueue(rid), 1); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bBatchTab).Put(batchTabKey(b), []byte(b.Name)); err != nil {
		return err
	}
	if _, err := incr(tx, counterBatchTab(org.ID, b.State.Tab()), 1); err != nil {
		return err
	}
	return putBatchTx(tx, b)
}

// demoFiles writes a small PDF and two scanned-form pictures, shared by the
// demo batches (files are content-addressed), and returns them as materials.
func (s *Store) demoFiles(at time.Time) ([]StoredFile, error) {
	demoFilesOnce.Do(func() {
		demoFileData = []*files.Upload{files.Bytes("培训计划及课时安排.pdf", demoPDF("Training plan and attendance record"))}
		for i, name := range []string{"培训签到表（第1页）.png", "实操考核现场照片.png"} {
			img, err := demoPNG(i, i == 1)
			if err != nil {
				demoFilesErr = err
				return
			}
			demoFileData = append(demoFileData, files.Bytes(name, img))
		}
		checked, err := Materials.CheckAll(nil, demoFileData)
		if err != nil {
			demoFilesErr = err
			return
		}
		for _, i := range checked {
			demoFileMeta = append(demoFileMeta, storedFile(i, time.Time{}))
		}
	})
	if demoFilesErr != nil {
		return nil, demoFilesErr
	}
	out := make([]StoredFile, len(demoFileMeta))
	for i, u := range demoFileData {
		if err := s.files.Keep(u); err != nil {
			return nil, err
		}
		out[i] = demoFileMeta[i]
		out[i].Uploaded = at
	}
	return out, nil
}

var (
	demoFilesOnce sync.Once
	demoFileData  []*files.Upload
	demoFileMeta  []StoredFile
	demoFilesErr  error
)

// demoPNG draws a sheet of ruled paper (a scanned form) or a photo-like
// block picture; seed makes each one different.
func demoPNG(seed int, photo bool) ([]byte, error) {
	const w, h = 640, 480
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{250, 248, 240, 255}
			if photo {
				c = color.RGBA{uint8(120 + y/6), uint8(150 + x/8), uint8(180 + (seed*13)%60), 255}
				if y > 300 {
					c = color.RGBA{uint8(90 + (seed*7)%50), 110, 90, 255}
				}
				if x > 200+seed%40 && x < 330 && y > 160 && y < 420 {
					c = color.RGBA{230, 120, 40, 255} // a worker's vest
				}
			} else {
				if y%32 == 0 && y > 60 || (x == 40 || x == 160 || x == 420 || x == 600) && y > 60 && y < 440 {
					c = color.RGBA{120, 130, 150, 255}
				}
				if y > 20 && y < 44 && x > 200 && x < 440 {
					c = color.RGBA{60, 70, 90, 255} // the title
				}
				if y%32 > 10 && y%32 < 22 && y > 100 && y < 440 && x > 60+(seed*17+y)%60 && x < 130+(seed*11+y)%40 {
					c = color.RGBA{30, 50, 140, 255} // a signature
				}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	err := png.Encode(&buf, img)
	return buf.Bytes(), err
}

// demoPDF builds a one-page PDF with a line of text.
func demoPDF(text string) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	stream := fmt.Sprintf("BT /F1 18 Tf 72 760 Td (%s) Tj ET", text)
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}
