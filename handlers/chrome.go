package handlers

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// The main layout (head, menu, header) around every page of a logged-in
// user is the same for every request of that user on that page: rendering
// it through html/template cost more than many pages' own content. It is
// rendered once per everything it shows and kept as bytes with holes for
// what changes from request to request: the session's CSRF token, the
// page's title and its content. The key holds the values shown themselves
// (the organisation's name, code and type, the user's name and username,
// what decides the menu: the organisation's type, the user's capabilities
// and the highlighted entry), so a renamed user or organisation or a
// changed grant simply finds no entry; nothing has to be invalidated. Answers that
// carry a flash message or a stale-form notice (rare) are rendered through
// the template as before.

// chrome is a layout rendered with its holes: parts[i] is followed by
// holes[i]; the last part has no hole after it.
type chrome struct {
	parts [][]byte
	holes []chromeHole
}

type chromeHole uint8

const (
	holeCSRF chromeHole = iota
	holeTitle
	holeContent
)

// Marks rendered in place of the holes: letters and digits only, which
// every escaper leaves as they are.
const (
	markCSRF    = "Zq7chromeCSRFmark3Xv"
	markTitle   = "Zq7chromeTITLEmark3Xv"
	markContent = "Zq7chromeCONTENTmark3Xv"
)

type chromeCache struct {
	mu  sync.RWMutex
	m   map[string]*chrome
	off bool // render every layout through the template (tests compare both)
}

// maxChromes bounds the kept layouts (about 5 KB each): users × the menu
// entries they open, emptied when full.
const maxChromes = 2048

// chromeKey is everything the main layout shows for p, in one string
// (appended to key).
func chromeKey(key []byte, p *page, w *who, active string) []byte {
	add := func(s string) { key = append(key, s...); key = append(key, 0) }
	add(p.Org.Name)
	add(p.Org.Code)
	add(string(p.Org.Type))
	add(p.User.Name)
	add(p.User.Username)
	add(active)
	if p.Demo {
		add("demo")
	} else {
		add("")
	}
	if w.user.IsAdmin {
		add("admin")
	} else {
		add("")
	}
	for _, c := range w.user.Caps {
		add(string(c))
	}
	return key
}

// safeToken reports whether tok renders as itself in an attribute (the
// session tokens are base64url); any other token goes through the template.
func safeToken(tok string) bool {
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// withChrome writes the page template tpl inside the main layout, from the
// kept layout when it can; it reports false when this answer must go
// through the template (a flash, a stale notice, an unusual token).
func (s *Server) withChrome(c *fiber.Ctx, status int, tpl tplName, p *page, w *who, content func(*htmlOut)) (bool, error) {
	if s.chromes.off || p.Flash != "" || p.Stale != nil || !safeToken(p.CSRF) {
		return false, nil
	}
	active := s.menuActive(w, p.Active)
	var kb [256]byte
	key := chromeKey(kb[:0], p, w, active)
	s.chromes.mu.RLock()
	ch := s.chromes.m[string(key)]
	s.chromes.mu.RUnlock()
	if ch == nil {
		var err error
		if ch, err = s.renderChrome(p, w); err != nil {
			return true, err
		}
		s.chromes.mu.Lock()
		if s.chromes.m == nil || len(s.chromes.m) >= maxChromes {
			s.chromes.m = map[string]*chrome{}
		}
		s.chromes.m[string(key)] = ch
		s.chromes.mu.Unlock()
	}
	buf := borrowHTML()
	defer giveBackHTML(buf)
	for i, part := range ch.parts {
		buf.Write(part)
		if i == len(ch.holes) {
			break
		}
		switch ch.holes[i] {
		case holeCSRF:
			buf.WriteString(p.CSRF)
		case holeTitle:
			textEscaper.WriteString(buf, p.Title)
		case holeContent:
			if content != nil { // written in Go (renderHTML)
				content(buf)
			} else if err := s.views.ExecuteTemplate(buf, string(tpl), *p); err != nil {
				return true, fmt.Errorf("render %s: %w", tpl, err)
			}
		}
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Response().SetBody(buf.b)
	return true, nil
}

// renderChrome renders the main layout for p with marks in its holes and
// cuts it there.
func (s *Server) renderChrome(p *page, w *who) (*chrome, error) {
	q := *p
	q.CSRF, q.Title, q.Content, q.Flash, q.Stale = markCSRF, markTitle, markContent, "", nil
	q.Menu = s.menu(w, p.Active)
	var buf bytes.Buffer
	if err := s.views.ExecuteTemplate(&buf, string(layoutMain), q); err != nil {
		return nil, fmt.Errorf("render %s: %w", layoutMain, err)
	}
	out := buf.String()
	ch := &chrome{}
	marks := []struct {
		mark string
		hole chromeHole
	}{{markCSRF, holeCSRF}, {markTitle, holeTitle}, {markContent, holeContent}}
	count := map[chromeHole]int{}
	for {
		at, next := -1, 0
		for k, m := range marks {
			if i := strings.Index(out, m.mark); i >= 0 && (at < 0 || i < at) {
				at, next = i, k
			}
		}
		if at < 0 {
			break
		}
		ch.parts = append(ch.parts, []byte(out[:at]))
		ch.holes = append(ch.holes, marks[next].hole)
		count[marks[next].hole]++
		out = out[at+len(marks[next].mark):]
	}
	ch.parts = append(ch.parts, []byte(out))
	if count[holeContent] != 1 || count[holeTitle] != 1 {
		return nil, fmt.Errorf("render %s: the page's content appears %d times, its title %d", layoutMain, count[holeContent], count[holeTitle])
	}
	return ch, nil
}

// menuActive is the menu entry render marks for the page at current (see
// menu): the longest visible entry that is current or a parent of it.
func (s *Server) menuActive(w *who, current string) string {
	best := ""
	for _, g := range menuGroups {
		for _, d := range g.items {
			if len(d.path) > len(best) && menuMatches(d.path, current) && s.mayOpen(w, d.path) {
				best = d.path
			}
		}
	}
	return best
}

// textEscaper writes text as html/template does in element content and in
// <title>: the same characters replaced, by the same references.
var textEscaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")
