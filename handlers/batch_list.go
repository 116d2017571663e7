package handlers

import (
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// 我的批次: the batches of the caller's organisation by tab, with counts
// from the store's counters, search by name and creation date, paging.

type batchTab struct {
	Tab    store.BatchTab
	Label  string
	Count  uint64
	Active bool
}

type batchQuery struct {
	Tab  string
	Q    string
	From string
	To   string
}

type batchListData struct {
	Tab     store.BatchTab
	Tabs    []batchTab
	Batches []store.Batch
	Filter  batchQuery
	Pager   pager
	Message string
}

const batchPageSize = 20

func (s *Server) batches(c *fiber.Ctx) error {
	return s.renderBatches(c, fiber.StatusOK, "")
}

func (s *Server) renderBatches(c *fiber.Ctx, status int, msg string) error {
	a := actorOf(c)
	q := batchQuery{Tab: c.Query("tab"), Q: c.Query("q"), From: c.Query("from"), To: c.Query("to")}
	tab := store.BatchTab(q.Tab)
	if !store.ValidTab(tab) {
		tab = store.TabDraft
		q.Tab = string(tab)
	}
	page := pageParam(c)
	f := store.BatchFilter{Tab: tab, Name: q.Q, Offset: (page - 1) * batchPageSize, Limit: batchPageSize}
	if t, err := time.ParseInLocation("2006-01-02", q.From, cst); err == nil {
		f.From = t
	}
	if t, err := time.ParseInLocation("2006-01-02", q.To, cst); err == nil {
		f.To = t.Add(24*time.Hour - time.Millisecond)
	}
	list, total, err := s.st.Batches(a, f)
	if err != nil {
		return err
	}
	counts, err := s.st.BatchCounts(a)
	if err != nil {
		return err
	}
	d := batchListData{Tab: tab, Batches: list, Filter: q, Message: msg,
		Pager: newPager("/batches", url.Values{"tab": {q.Tab}, "q": {q.Q}, "from": {q.From}, "to": {q.To}}, page, batchPageSize, total)}
	for _, t := range store.BatchTabs {
		d.Tabs = append(d.Tabs, batchTab{Tab: t.Tab, Label: t.Label, Count: counts[t.Tab], Active: t.Tab == tab})
	}
	if isHTMX(c) && c.Get("HX-Target") == "batch-table" {
		return s.fragment(c, status, tplBatchRows, d)
	}
	return s.render(c, status, tplBatches, "我的批次", d, nil)
}

// reopenBatches moves the selected rejected batches back to 待提交.
func (s *Server) reopenBatches(c *fiber.Ctx) error {
	form, err := c.MultipartForm()
	var ids []uint64
	if err == nil {
		for _, v := range form.Value["id"] {
			ids = append(ids, parseUint(v))
		}
	} else {
		for _, v := range c.Context().PostArgs().PeekMulti("id") {
			ids = append(ids, parseUint(string(v)))
		}
	}
	n, err := s.st.ReopenBatches(actorOf(c), ids)
	if err != nil {
		msg, ok := userMessage(err)
		if !ok {
			return err
		}
		c.Request().URI().SetQueryString("tab=rejected")
		return s.renderBatches(c, fiber.StatusUnprocessableEntity, msg)
	}
	s.flash(c, "已将 "+itoa(uint64(n))+" 个批次移回待提交，修改后可重新提交审核。")
	return s.redirect(c, "/batches?tab=draft")
}
