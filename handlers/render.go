package handlers

import (
	"errors"
	"fmt"
	"html/template"
	"mime"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/bytebufferpool"

	"certreg/assets"
	"certreg/data"
	"certreg/files"
	"certreg/idcard"
	"certreg/store"
)

// China Standard Time, from the embedded tzdata.
var cst = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

var funcs = template.FuncMap{
	"tone": tone,
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(cst).Format("2006-01-02 15:04:05")
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(cst).Format("2006-01-02")
	},
	"maskID":    idcard.Mask,
	"navHTML":   navHTML,
	"pagerHTML": pagerHTML,
	"certPager": certPagerHTML,
	"maskPhone": idcard.MaskPhone,
	"add":       func(a, b int) int { return a + b },
	"hasPrefix": strings.HasPrefix,
	"initial": func(s string) string {
		for _, r := range s {
			return string(r)
		}
		return "?"
	},
	"regionName": func(code string) string {
		if c, ok := data.CityByCode(code); ok {
			return c.Name
		}
		if len(code) == 4 && code[2:] == "00" {
			if p, ok := data.ProvinceByCode(code[:2]); ok {
				return p.Name
			}
		}
		return code
	},
	// pngURL lets a generated PNG data: URL (QR codes) through html/template.
	"pngURL": func(s string) template.URL {
		if strings.HasPrefix(s, "data:image/png;base64,") {
			return template.URL(s)
		}
		return ""
	},
	"levelShort": func(code int) string {
		for _, l := range data.Levels() {
			if l.Code == code {
				return l.Short
			}
		}
		return ""
	},
	"hasLevel": func(levels []int, code int) bool {
		for _, l := range levels {
			if l == code {
				return true
			}
		}
		return false
	},
	// itemOf packs a candidate for the review list item template.
	"itemOf": func(c store.CandidateView, batchID uint64, cur *store.CandidateView) reviewItem {
		return reviewItem{C: c, BatchID: batchID, Active: cur != nil && cur.ID == c.ID}
	},
	"fileSize":      files.SizeLabel,
	"fileType":      files.TypeLabel,
	"uploadAttrs":   uploadAttrs,
	"clock":         func(t time.Time) string { return t.In(cst).Format("15:04:05") },
	"bizReviewed":   bizReviewed,
	"batchReviewed": batchReviewed,
	"orDash":        orDash,
}

// orDash is s, or a dash for an empty value.
func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func isHTMX(c *fiber.Ctx) bool {
	return c.Get("HX-Request") == "true" && c.Get("HX-History-Restore-Request") != "true"
}

// page is the data every full page gets.
type page struct {
	Title    string
	Active   string // menu path to highlight
	LoggedIn bool
	User     store.User
	Org      store.Org
	CSRF     string
	Menu     []menuGroup
	Flash    string
	Demo     bool
	Data     any
	Errors   map[string]string
	Message  string
	Stale    *staleNotice  // a save refused because the record changed meanwhile (stale.go)
	Content  template.HTML // the page inside a layout
}

// render answers a page, or for an htmx request only its fragment (the page
// template without the layout). Vary: HX-Request keeps caches and the back
// button honest.
func (s *Server) render(c *fiber.Ctx, status int, tpl tplName, title string, data any, errs map[string]string) error {
	c.Vary("HX-Request")
	p := s.newPage(c, title)
	p.Data, p.Errors = data, errs
	if errs != nil {
		p.Message = errs[""]
	}
	if isHTMX(c) {
		return s.execute(c, status, tpl, p, "")
	}
	return s.inLayout(c, status, tpl, &p, nil)
}

// renderHTML is render for a page whose content is written in Go (by
// content): the layout around it, or the content alone for htmx.
func (s *Server) renderHTML(c *fiber.Ctx, status int, title string, content func(*htmlOut)) error {
	c.Vary("HX-Request")
	if isHTMX(c) {
		return s.sendHTML(c, status, content)
	}
	p := s.newPage(c, title)
	return s.inLayout(c, status, "", &p, content)
}

// newPage is the data every page gets, for the request's user.
func (s *Server) newPage(c *fiber.Ctx, title string) page {
	w := whoOf(c)
	p := page{Title: title, Active: c.Path(), LoggedIn: w.loggedIn(), User: w.user, Org: w.org, CSRF: w.csrfToken(), Demo: s.demo}
	p.Stale, _ = c.Locals("stale").(*staleNotice)
	return p
}

// inLayout answers p's content — the template tpl, or content when it is
// written in Go — inside the layout: the kept one (chrome.go) when it can,
// else through the layout template.
func (s *Server) inLayout(c *fiber.Ctx, status int, tpl tplName, p *page, content func(*htmlOut)) error {
	w := whoOf(c)
	p.Flash = s.takeFlash(c)
	layout := layoutPlain
	if w.loggedIn() {
		if done, err := s.withChrome(c, status, tpl, p, w, content); done {
			return err
		}
		layout = layoutMain
		p.Menu = s.menu(w, c.Path())
	}
	if content == nil {
		return s.execute(c, status, tpl, *p, layout)
	}
	var out htmlOut
	content(&out)
	p.Content = out.html()
	return s.write(c, status, layout, *p)
}

// sendHTML answers markup written in Go (by content) without a layout.
func (s *Server) sendHTML(c *fiber.Ctx, status int, content func(*htmlOut)) error {
	out := borrowHTML()
	defer giveBackHTML(out)
	content(out)
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Response().SetBody(out.b) // a copy: out goes back to its pool
	return nil
}

// fragment renders a template without layout (htmx swaps).
func (s *Server) fragment(c *fiber.Ctx, status int, tpl tplName, data any) error {
	c.Vary("HX-Request")
	w := whoOf(c)
	return s.execute(c, status, tpl, page{LoggedIn: w.loggedIn(), User: w.user, Org: w.org, CSRF: w.csrfToken(), Demo: s.demo, Data: data}, "")
}

// execute runs the page template into a buffer and then the layout around
// it. Nothing is written until both succeed, so a template error becomes the
// 500 page and never leaks into a half-rendered one. (The template engine's
// own layout mechanism prints an error returned by the embedded page into the
// layout, and takes a global lock per render.)
func (s *Server) execute(c *fiber.Ctx, status int, tpl tplName, p page, layout tplName) error {
	if layout == "" {
		return s.write(c, status, tpl, p)
	}
	buf := bytebufferpool.Get()
	defer bytebufferpool.Put(buf)
	if err := s.views.ExecuteTemplate(buf, string(tpl), p); err != nil {
		return fmt.Errorf("render %s: %w", tpl, err)
	}
	p.Content = template.HTML(buf.String())
	return s.write(c, status, layout, p)
}

// partial renders a template with data itself as its dot (not wrapped in a
// page): the table and form rows that htmx swaps in place.
func (s *Server) partial(c *fiber.Ctx, status int, tpl tplName, data any) error {
	c.Vary("HX-Request")
	return s.write(c, status, tpl, data)
}

// write executes one template into the answer: every page, fragment and
// partial ends here.
func (s *Server) write(c *fiber.Ctx, status int, tpl tplName, dot any) error {
	buf := bytebufferpool.Get()
	defer bytebufferpool.Put(buf)
	if err := s.views.ExecuteTemplate(buf, string(tpl), dot); err != nil {
		return fmt.Errorf("render %s: %w", tpl, err)
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	// SetBody copies: c.Send would keep the pooled buffer, which goes back to
	// the pool before the response is written.
	c.Response().SetBody(buf.Bytes())
	return nil
}

// errorHandler turns every error into a Chinese page (or a toast for htmx)
// without internal detail.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	code := fiber.StatusInternalServerError
	msg := "系统内部错误，请稍后重试。如问题持续，请联系系统管理员。"
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		code = fe.Code
		switch code {
		case fiber.StatusNotFound:
			msg = "您访问的页面或记录不存在。"
		case fiber.StatusMethodNotAllowed:
			msg = "不支持该请求方式。"
		case fiber.StatusRequestEntityTooLarge:
			// Invalid input like any other: 422 with the limit in words
			// (bodies are limited in upload.go; this is a fallback).
			code, msg = fiber.StatusUnprocessableEntity, formTooLarge
		case fiber.StatusTooManyRequests, fiber.StatusForbidden, fiber.StatusUnprocessableEntity, fiber.StatusConflict:
			msg = fe.Message
		default:
			if code < 500 {
				msg = "请求无效。"
			}
		}
	case errors.Is(err, store.ErrNotFound):
		code, msg = fiber.StatusNotFound, "您访问的页面或记录不存在。"
	case errors.Is(err, store.ErrForbidden):
		code, msg = fiber.StatusForbidden, "您没有执行此操作的权限。"
		var fe *store.ForbiddenError
		if errors.As(err, &fe) {
			msg = fe.Msg
		}
	case errors.As(err, new(*backupFailed)):
		msg = "备份失败：" + err.Error()
	default:
		if problem, ok := store.StorageProblem(err); ok {
			// The operator must act: say so on the page and in the log.
			code, msg = fiber.StatusInsufficientStorage, problem
			s.log.Error("存储故障 storage failure: "+problem, "method", c.Method(), "path", c.Path(), "err", err.Error())
			break
		}
		s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err.Error())
	}
	if isHTMX(c) {
		c.Set("HX-Trigger", toastTrigger(msg, "error"))
		c.Set("HX-Reswap", "none")
		return c.Status(code).SendString(msg)
	}
	title := map[int]string{403: "无权访问", 404: "页面不存在", 500: "系统错误", 507: "存储故障"}[code]
	if title == "" {
		title = "请求未完成"
	}
	if rerr := s.render(c, code, tplError, title, fiber.Map{"Code": code, "Message": msg}, nil); rerr != nil {
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(code).SendString(msg)
	}
	return nil
}

// toastTrigger builds an HX-Trigger header value that app.js shows as a toast.
func toastTrigger(msg, kind string) string {
	b := strings.Builder{}
	b.WriteString(`{"toast":{"message":`)
	b.WriteString(jsonString(msg))
	b.WriteString(`,"kind":`)
	b.WriteString(jsonString(kind))
	b.WriteString(`}}`)
	return b.String()
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r > 0x7e:
			// ASCII-only output: header values must not carry raw UTF-8.
			if r > 0xffff {
				r1, r2 := utf16Pair(r)
				fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

// assets serves the embedded static files with long caching; the layout
// links them with a version query.
func (s *Server) assets(c *fiber.Ctx) error {
	name := path.Clean(c.Params("*"))
	b, err := assets.FS.ReadFile(name)
	if err != nil || strings.HasPrefix(name, ".") {
		return fiber.ErrNotFound
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.Send(b)
}

type reviewItem struct {
	C       store.CandidateView
	BatchID uint64
	Active  bool
}
