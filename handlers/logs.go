package handlers

import (
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

type logsData struct {
	Entries  []store.LogEntry
	Users    []store.User
	Actions  []store.ActionInfo
	Filter   logQuery
	Page     int
	HasMore  bool
	PrevURL  string
	NextURL  string
	UserName map[uint64]string
}

type logQuery struct {
	User   string
	Action string
	From   string
	To     string
}

const logPageSize = 20

func (s *Server) logs(c *fiber.Ctx) error {
	w := whoOf(c)
	q := logQuery{User: c.Query("user"), Action: c.Query("action"), From: c.Query("from"), To: c.Query("to")}
	pageNo, _ := strconv.Atoi(c.Query("page", "1"))
	if pageNo < 1 || pageNo > 10000 {
		pageNo = 1
	}
	f := store.LogFilter{OrgID: w.org.ID, Action: store.Action(q.Action), Offset: (pageNo - 1) * logPageSize, Limit: logPageSize}
	if id, err := strconv.ParseUint(q.User, 10, 64); err == nil {
		f.UserID = id
	}
	if t, err := time.ParseInLocation("2006-01-02", q.From, cst); err == nil {
		f.From = t
	}
	if t, err := time.ParseInLocation("2006-01-02", q.To, cst); err == nil {
		f.To = t.Add(24*time.Hour - time.Millisecond)
	}
	entries, more, err := s.st.Logs(f)
	if err != nil {
		return err
	}
	users, err := s.st.OrgUsers(w.org.ID)
	if err != nil {
		return err
	}
	d := logsData{Entries: entries, Users: users, Actions: store.Actions, Filter: q, Page: pageNo, HasMore: more}
	link := func(p int) string {
		v := url.Values{}
		for k, val := range map[string]string{"user": q.User, "action": q.Action, "from": q.From, "to": q.To} {
			if val != "" {
				v.Set(k, val)
			}
		}
		v.Set("page", strconv.Itoa(p))
		return "/logs?" + v.Encode()
	}
	if pageNo > 1 {
		d.PrevURL = link(pageNo - 1)
	}
	if more {
		d.NextURL = link(pageNo + 1)
	}
	if isHTMX(c) && c.Get("HX-Target") == "log-table" {
		return s.fragment(c, fiber.StatusOK, tplLogRows, d)
	}
	return s.render(c, fiber.StatusOK, tplLogs, "操作日志", d, nil)
}
