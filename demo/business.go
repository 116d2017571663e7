package demo

import (
	"fmt"
	"sort"
	"time"

	"certreg/files"
	"certreg/store"
)

// The demo's certificate businesses: over the last week demo-unit and
// demo-direct applied for businesses that are now in every state, on their
// newest certificates, and their reviewers (合肥市城乡建设局 for the unit, the
// province for both) decided on them.

type demoBiz struct {
	owner string
	app   store.BizApplication
	steps []demoStep // after the application, in order
}

// demoStep is an approval or rejection by a reviewer, or the owner's
// withdrawal (who empty).
type demoStep struct {
	act    store.BizAction
	who    string
	reason string
}

var demoBusinesses = []demoBiz{
	// demo-unit: one of each state.
	{owner: "demo-unit", app: store.BizApplication{Kind: store.BizChange, NewName: "王晓明"}},
	{owner: "demo-unit", app: store.BizApplication{Kind: store.BizChange, NewWorkUnit: "安徽建工集团股份有限公司第三分公司", Reason: "持证人调动工作"},
		steps: []demoStep{{store.BizApprove, "demo-dept", ""}}},
	{owner: "demo-unit", app: store.BizApplication{Kind: store.BizReissue, Reason: "证书遗失，持证人已登报声明作废"},
		steps: []demoStep{{store.BizApprove, "demo-dept", ""}, {store.BizApprove, "demo-province", ""}}},
	{owner: "demo-unit", app: store.BizApplication{Kind: store.BizChange, NewName: "李建华", Reason: "原证书姓名录入错误"},
		steps: []demoStep{{store.BizApprove, "demo-dept", ""}, {store.BizApprove, "demo-province", ""}}},
	{owner: "demo-unit", app: store.BizApplication{Kind: store.BizCancel, Reason: "持证人申请注销"},
		steps: []demoStep{{store.BizReject, "demo-dept", "证明材料中缺少持证人本人签名，请补充后重新提交"}}},
	{owner: "demo-unit", app: store.BizApplication{Kind: store.BizCancel, Reason: "误操作"}, steps: []demoStep{{store.BizWithdraw, "", ""}}},
	// demo-direct goes straight to the province.
	{owner: "demo-direct", app: store.BizApplication{Kind: store.BizChange, NewWorkUnit: "中铁四局集团第一工程有限公司"}},
	{owner: "demo-direct", app: store.BizApplication{Kind: store.BizReissue, Reason: "证书损毁"}, steps: []demoStep{{store.BizApprove, "demo-province", ""}}},
	{owner: "demo-direct", app: store.BizApplication{Kind: store.BizCancel, Reason: "持证人重复取证"},
		steps: []demoStep{{store.BizReject, "demo-province", "请说明重复取证的证书编号"}}},
}

// planBusinesses: one application every eight hours from six days before
// the present, each decided on a day or two later. Each takes the next of
// the owner's valid certificates with the highest numbers, as they stood
// before the first application.
func (w *world) planBusinesses() {
	start := w.daysAgo(6)
	next := map[string][]string{}
	w.at(start, "certificates for businesses", func() error {
		for _, owner := range []string{"demo-unit", "demo-direct"} {
			a, err := w.actor(owner)
			if err != nil {
				return err
			}
			page, err := w.s.Certificates(a, store.CertQuery{Status: store.CertValid, Sort: store.SortNumber, Asc: false, Limit: 50})
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
		return nil
	})
	for i, d := range demoBusinesses {
		at := start.Add(time.Duration(i)*8*time.Hour + time.Hour)
		id := new(uint64)
		w.at(at, fmt.Sprintf("business %d", i), func() error {
			a, err := w.actor(d.owner)
			if err != nil {
				return err
			}
			if len(next[d.owner]) == 0 {
				return fmt.Errorf("%s has no certificate left", d.owner)
			}
			app := d.app
			app.Number, next[d.owner] = next[d.owner][0], next[d.owner][1:]
			proof, err := picture(7, false)
			if err != nil {
				return err
			}
			app.Proofs = []*files.Upload{files.Bytes("证书变更申请表.png", proof)}
			b, err := w.s.ApplyBusiness(a, app)
			*id = b.ID
			return err
		})
		for k, step := range d.steps {
			w.at(at.Add(time.Duration(k+1)*26*time.Hour), fmt.Sprintf("business %d: %s by %s", i, step.act, step.who), func() error {
				if step.act == store.BizWithdraw {
					a, err := w.actor(d.owner)
					if err != nil {
						return err
					}
					_, err = w.s.WithdrawBusiness(a, *id)
					return err
				}
				r, err := w.actor(step.who)
				if err != nil {
					return err
				}
				if step.act == store.BizApprove {
					_, err = w.s.ApproveBusiness(r, *id)
				} else {
					_, err = w.s.RejectBusiness(r, *id, step.reason)
				}
				return err
			})
		}
	}
}
