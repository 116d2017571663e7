package handlers

import (
	"html"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

type logsData struct {
	Entries []store.LogEntry
	Filter  logQuery
	Page    int
	HasMore bool
	PrevURL string
	NextURL string
	// The filter's drop-downs, the selected option marked, and the table's
	// rows (written here: through html/template they cost most of the page).
	UserOptions, ActionOptions, Rows template.HTML
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
	d := logsData{Entries: entries, Filter: q, Page: pageNo, HasMore: more, Rows: logRows(entries)}
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
	users, err := s.st.OrgUsers(w.org.ID)
	if err != nil {
		return err
	}
	var opts strings.Builder
	for _, u := range users {
		opts.WriteString(`<option value="` + strconv.FormatUint(u.ID, 10) + `">` + html.EscapeString(u.Name) + "（" + html.EscapeString(u.Username) + "）</option>")
	}
	d.UserOptions = selectOption(opts.String(), q.User)
	d.ActionOptions = selectOption(actionOptions, q.Action)
	return s.render(c, fiber.StatusOK, tplLogs, "操作日志", d, nil)
}

// actionOptions are the <option>s of every action, in display order.
var actionOptions = func() string {
	var pairs []string
	for _, a := range store.Actions {
		pairs = append(pairs, string(a.Action), a.Label)
	}
	return fixedOptions(pairs...)
}()

// logRows renders the log table's rows (views/logs/_rows.html holds the
// rest), every text escaped.
func logRows(entries []store.LogEntry) template.HTML {
	var w htmlOut
	w.Grow(len(entries) * 400)
	for i := range entries {
		e := &entries[i]
		w.raw("\n      <tr>\n        <td class=\"nowrap\">")
		if e.Time.IsZero() {
			w.raw("—")
		} else {
			w.raw(e.Time.In(cst).Format("2006-01-02 15:04:05"))
		}
		w.raw("</td>\n        <td>")
		w.text(orDash(e.Username))
		w.raw("</td>\n        <td class=\"mono small\">")
		w.text(orDash(e.IP))
		w.raw("</td>\n        <td>")
		w.text(e.Action.Label())
		w.raw("</td>\n        <td>")
		w.text(orDash(e.Target))
		if e.OK {
			w.raw("</td>\n        <td><span class=\"tag ok\">成功</span></td>\n        <td class=\"muted\">")
		} else {
			w.raw("</td>\n        <td><span class=\"tag err\">失败</span></td>\n        <td class=\"muted\">")
		}
		w.text(orDash(e.Detail))
		w.raw("</td>\n      </tr>\n    ")
	}
	return w.html()
}
