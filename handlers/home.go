package handlers

import (
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

type quickLink struct {
	Label, Path, Hint string
}

type homeData struct {
	Org        store.Org
	ValidCerts uint64
	Links      []quickLink
	Chart      barChart
	Todo       []todoItem
	// Batches: a unit's or 省直所's latest batches with their states.
	Batches []store.Batch
	// StatsURL: 统计分析 for those who may open it.
	StatsURL    string
	RecoveryLow bool // few recovery codes left: say so, with a way to make new ones
}

// The home page's lists are written here rather than in views/home.html:
// through html/template their few dozen fields cost most of the page.

// TodoHTML is the to-do items, each a link with its count.
func (d homeData) TodoHTML() template.HTML {
	var w htmlOut
	for _, t := range d.Todo {
		w.raw(`<a class="todo-item" href="`)
		w.text(t.Path)
		w.raw(`"><span class="todo-count`)
		if t.Count != 0 {
			w.raw(" ")
			w.text(t.Tone)
		}
		w.raw(`">`)
		w.int(int64(t.Count))
		w.raw(`</span><span>`)
		w.text(t.Label)
		w.raw(`</span></a>`)
	}
	return w.html()
}

// BatchRows is the table of the latest batches, a rejected one with its
// reason on hover.
func (d homeData) BatchRows() template.HTML {
	var w htmlOut
	for _, x := range d.Batches {
		w.raw(`<tr><td class="mono">`)
		w.text(x.Code())
		w.raw(`</td><td><a href="/batches/`)
		w.int(int64(x.ID))
		w.raw(`">`)
		w.text(x.Name)
		w.raw(`</a></td><td>`)
		w.int(int64(x.Count))
		w.raw(" 人</td>\n      <td><span class=\"tag ")
		w.text(tone(x.State))
		w.raw(`"`)
		if x.State == store.BatchRejected && x.Reason != "" {
			w.attr("title", "原因："+x.Reason)
		}
		w.raw(`>`)
		w.text(x.State.Label())
		w.raw(`</span></td><td>`)
		if x.Created.IsZero() {
			w.raw("—")
		} else {
			w.raw(x.Created.In(cst).Format("2006-01-02 15:04:05"))
		}
		w.raw(`</td></tr>`)
	}
	return w.html()
}

// LinksHTML is the quick links, each with its icon.
func (d homeData) LinksHTML() template.HTML {
	var w htmlOut
	for _, l := range d.Links {
		w.raw("\n    <a class=\"quick\" href=\"")
		w.text(l.Path)
		w.raw(`"><span class="qi"><svg class="icon"><use href="/assets/icons.svg#`)
		w.raw(quickIcon(l.Path))
		w.raw(`"/></svg></span><span><b>`)
		w.text(l.Label)
		w.raw(`</b><span>`)
		w.text(l.Hint)
		w.raw("</span></span></a>\n    ")
	}
	return w.html()
}

// homeBatches is how many of its latest batches a unit's home lists.
const homeBatches = 5

// todoItem is a number of things waiting for the user, with where to go.
type todoItem struct {
	Label, Path, Tone string
	Count             uint64
}

func (s *Server) home(c *fiber.Ctx) error {
	w := whoOf(c)
	total, err := s.st.ValidCertificates(w.org.ID)
	if err != nil {
		return err
	}
	months, err := s.st.IssuedPerMonth(w.org.ID, 6)
	if err != nil {
		return err
	}
	d := homeData{Org: w.org, ValidCerts: total, Chart: monthChart(months), RecoveryLow: len(w.user.RecoveryHashes) < store.LowRecoveryCodes}
	a := w.actor(c.IP())
	if s.mayOpen(w, "/stats") {
		d.StatsURL = "/stats"
	}
	if w.can(store.CapBatchReview) {
		pending, _, err := s.st.ReviewCounts(a)
		if err != nil {
			return err
		}
		d.Todo = append(d.Todo, todoItem{Label: "待审核批次", Path: "/reviews/batches", Count: pending, Tone: "warn"})
	}
	if w.can(store.CapBatchManage) {
		counts, err := s.st.BatchCounts(a)
		if err != nil {
			return err
		}
		d.Todo = append(d.Todo,
			todoItem{Label: "待提交批次", Path: "/batches?tab=draft", Count: counts[store.TabDraft], Tone: "info"},
			todoItem{Label: "审核中批次", Path: "/batches?tab=review", Count: counts[store.TabReview], Tone: "warn"},
			todoItem{Label: "审核不通过批次", Path: "/batches?tab=rejected", Count: counts[store.TabRejected], Tone: "err"})
		if d.Batches, err = s.st.RecentBatches(a, homeBatches); err != nil {
			return err
		}
	}
	biz, err := s.bizTodo(w)
	if err != nil {
		return err
	}
	d.Todo = append(d.Todo, biz...)
	var candidates []quickLink
	switch w.org.Type {
	case store.Unit, store.Direct:
		candidates = []quickLink{
			{"新建批次", "/batches/new", "下载模板、导入合格人员名单"},
			{"证书打印", "/certificates", "打印本单位的证书"},
			{"发起证书业务", "/business", "变更、补办、注销"},
			{"查看已申请业务", "/business/applied", "查看业务审核进度"},
		}
	default:
		candidates = []quickLink{
			{"批次审核", "/reviews/batches", "待审核的批次"},
			{"业务审核", "/reviews/business", "待审核的证书业务"},
			{"统计分析", "/stats", "各地市、各培训机构的发证统计与导出"},
			{"证书查询", "/certificates", "查找与核对证书"},
			{"机构管理", "/admin/orgs", "下级机构与用户"},
		}
	}
	candidates = append(candidates, quickLink{"操作日志", "/logs", "本机构用户的操作记录"}, quickLink{"设置", "/settings", "个人资料、密码与身份验证器"})
	for _, l := range candidates {
		if s.mayOpen(w, l.Path) {
			d.Links = append(d.Links, l)
		}
	}
	return s.render(c, fiber.StatusOK, tplHome, "首页", d, nil)
}

// mayOpen reports whether the caller may GET path, by the route table.

func (s *Server) healthz(c *fiber.Ctx) error {
	if err := s.st.Ping(); err != nil {
		s.log.Error("health check", "err", err.Error())
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unavailable")
	}
	return c.SendString("ok")
}

// bizTodo is the caller's certificate businesses to do, from the counters:
// for a reviewer the businesses waiting per kind, for a unit or 省直所 its
// applications under review and those rejected.
func (s *Server) bizTodo(w *who) ([]todoItem, error) {
	var out []todoItem
	if w.can(store.CapBusinessReview) {
		queue, err := s.st.BizQueueCounts(w.org.ID)
		if err != nil {
			return nil, err
		}
		for _, k := range store.BizKinds {
			out = append(out, todoItem{Label: "待审核" + k.Label() + "业务", Path: "/reviews/business?kind=" + string(k), Count: queue[k], Tone: "warn"})
		}
	}
	if w.can(store.CapBusinessApply) {
		st, err := s.st.BizStateCounts(w.org.ID)
		if err != nil {
			return nil, err
		}
		out = append(out,
			todoItem{Label: "审核中的业务", Path: "/business/applied", Count: st[store.BizPendingDept] + st[store.BizPendingProvince], Tone: "info"},
			todoItem{Label: "审核不通过的业务", Path: "/business/applied?state=rejected", Count: st[store.BizRejected], Tone: "err"})
	}
	return out, nil
}

// hello answers the load test's reference request (make load): the cheapest
// answer this server gives, which the other pages' throughput is compared
// with.
func (s *Server) hello(c *fiber.Ctx) error { return c.SendString("hello") }

// loopbackOr404 runs h for a client on this machine (the TCP peer, whatever
// a proxy header says); anyone else goes on to the middleware and the 404
// page, as for a path that does not exist.
func loopbackOr404(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !c.Context().RemoteIP().IsLoopback() {
			return c.Next()
		}
		return h(c)
	}
}

// quickIcon is the icon of a quick link to path.
func quickIcon(path string) string {
	switch {
	case strings.HasPrefix(path, "/batches"):
		return "batch"
	case strings.HasPrefix(path, "/reviews"):
		return "review"
	case strings.HasPrefix(path, "/certificates"):
		return "printer"
	case strings.HasPrefix(path, "/business"):
		return "business"
	case strings.HasPrefix(path, "/admin"):
		return "org"
	case path == "/logs":
		return "log"
	case path == "/stats":
		return "stats"
	}
	return "settings"
}
