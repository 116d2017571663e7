package handlers

import (
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// errorPageText is the text of the app's error page ("页面不存在", "系统错误",
// …) when the browser shows it, and "" otherwise.
func (b *browser) errorPageText() string {
	b.t.Helper()
	return b.evalString(`(() => { const e = document.querySelector('.error-page'); return e ? e.innerText : ''; })()`)
}

// notErrorPage fails the test when the browser shows the error page.
func (b *browser) notErrorPage(what string) {
	b.t.Helper()
	if txt := b.errorPageText(); txt != "" {
		b.shot("error-page")
		b.t.Fatalf("%s: the error page instead of the page: %q", what, strings.Join(strings.Fields(txt), " "))
	}
}

// visit opens a page, fails on the error page, and checks its heading and
// that its content shows each wanted text.
func (b *browser) visit(path, heading string, want ...string) {
	b.t.Helper()
	b.open(path)
	if h := strings.Join(strings.Fields(b.text(".content h1")), " "); !strings.Contains(h, heading) {
		b.shot("wrong-heading")
		b.t.Fatalf("%s: heading %q, want %q", path, h, heading)
	}
	content := b.text(".content")
	for _, w := range want {
		if !strings.Contains(content, w) {
			b.shot("missing-content")
			b.t.Errorf("%s: page lacks %q", path, w)
		}
	}
}

// waitImagesLoaded waits (up to 15 s) until every image matched by sel has
// loaded with a size, failing on a broken or missing one.
func (b *browser) waitImagesLoaded(sel string, n int) {
	b.t.Helper()
	js := `(() => { const a = [...document.querySelectorAll(` + jsonString(sel) + `)];
		return a.length === ` + itoa(uint64(n)) + ` && a.every(i => i.complete && i.naturalWidth > 0); })()`
	b.do(chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
}
