package store

import (
	"fmt"
	"sort"

	"certreg/files"
)

// The demo's certificate businesses: demo-unit and demo-direct hold
// businesses in every state, made through the same operations a unit and
// its reviewers use (ApplyBusiness, ApproveBusiness, RejectBusiness,
// WithdrawBusiness), on their newest demo certificates.

type demoBiz struct {
	owner string
	app   BizApplication
	steps []demoStep // after the application, in order
}

// demoStep is an approval or rejection by a reviewer, or the owner's
// withdrawal (who empty).
type demoStep struct {
	act    BizAction
	who    string
	reason string
}

func (s *Store) seedDemoBusinesses() error {
	proof, err := demoPNG(7, false)
	if err != nil {
		return err
	}
	if len(proof) > MaxBizProofSize {
		return fmt.Errorf("demo proof image of %d bytes is over the limit", len(proof))
	}
	proofs := []*files.Upload{files.Bytes("证书变更申请表.png", proof)}
	plan := []demoBiz{
		// demo-unit: one of each state.
		{owner: "demo-unit", app: BizApplication{Kind: BizChange, NewName: "王晓明"}},
		{owner: "demo-unit", app: BizApplication{Kind: BizChange, NewWorkUnit: "安徽建工集团股份有限公司第三分公司", Reason: "持证人调动工作"},
			steps: []demoStep{{BizApprove, "demo-dept", ""}}},
		{owner: "demo-unit", app: BizApplication{Kind: BizReissue, Reason: "证书遗失，持证人已登报声明作废"},
			steps: []demoStep{{BizApprove, "demo-dept", ""}, {BizApprove, "demo-province", ""}}},
		{owner: "demo-unit", app: BizApplication{Kind: BizChange, NewName: "李建华", Reason: "原证书姓名录入错误"},
			steps: []demoStep{{BizApprove, "demo-dept", ""}, {BizApprove, "demo-province", ""}}},
		{owner: "demo-unit", app: BizApplication{Kind: BizCancel, Reason: "持证人申请注销"},
			steps: []demoStep{{BizReject, "demo-dept", "证明材料中缺少持证人本人签名，请补充后重新提交"}}},
		{owner: "demo-unit", app: BizApplication{Kind: BizCancel, Reason: "误操作"}, steps: []demoStep{{BizWithdraw, "", ""}}},
		// demo-direct goes straight to the province.
		{owner: "demo-direct", app: BizApplication{Kind: BizChange, NewWorkUnit: "中铁四局集团第一工程有限公司"}},
		{owner: "demo-direct", app: BizApplication{Kind: BizReissue, Reason: "证书损毁"}, steps: []demoStep{{BizApprove, "demo-province", ""}}},
		{owner: "demo-direct", app: BizApplication{Kind: BizCancel, Reason: "持证人重复取证"},
			steps: []demoStep{{BizReject, "demo-province", "请说明重复取证的证书编号"}}},
	}
	// Each business takes one of the owner's newest valid certificates.
	next := map[string][]string{}
	for _, owner := range []string{"demo-unit", "demo-direct"} {
		a, err := s.demoActor(owner)
		if err != nil {
			return err
		}
		page, err := s.Certificates(a, CertQuery{Status: CertValid, Sort: SortNumber, Asc: false, Limit: 50})
		if err != nil {
			return err
		}
		var nums []string
		for _, c := range page.Certs {
			if c.OrgID == a.OrgID {
				nums = append(nums, c.Number)
			}
		}
		sort.Sort(sort.Reverse(sort.StringSlice(nums)))
		next[owner] = nums
	}
	for i, d := range plan {
		a, err := s.demoActor(d.owner)
		if err != nil {
			return err
		}
		if len(next[d.owner]) == 0 {
			return fmt.Errorf("demo business %d: %s has no certificate left", i, d.owner)
		}
		d.app.Number, next[d.owner] = next[d.owner][0], next[d.owner][1:]
		d.app.Proofs = proofs
		b, err := s.ApplyBusiness(a, d.app)
		if err != nil {
			return fmt.Errorf("demo business %d: %w", i, err)
		}
		for _, step := range d.steps {
			var err error
			if step.act == BizWithdraw {
				_, err = s.WithdrawBusiness(a, b.ID)
			} else {
				var r Actor
				if r, err = s.demoActor(step.who); err == nil {
					_, err = s.reviewBusiness(r, b.ID, step.act, step.reason)
				}
			}
			if err != nil {
				return fmt.Errorf("demo business %d (%s by %s): %w", i, step.act, step.who, err)
			}
		}
	}
	return nil
}

func (s *Store) demoActor(username string) (Actor, error) {
	u, err := s.UserByName(username)
	if err != nil {
		return Actor{}, fmt.Errorf("demo user %s: %w", username, err)
	}
	return Actor{UserID: u.ID, Username: u.Username, OrgID: u.OrgID}, nil
}
