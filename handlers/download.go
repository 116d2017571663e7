package handlers

import (
	"fmt"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Every file the server sends goes through setDownload: attachment (or
// inline for images and previews), nosniff, and two names — the one people
// read (any script, RFC 5987 filename*, which every current browser
// prefers) and a meaningful ASCII one for clients that only read filename.

const mimeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// fileName is a download's name for people and its ASCII fallback.
type fileName struct {
	Name  string // e.g. 证书查询结果-20261129-0154.xlsx
	ASCII string // e.g. certificates-20261129-0154.xlsx
}

// setDownload sets the headers of a download.
func setDownload(c *fiber.Ctx, contentType string, n fileName, inline bool) {
	disp := "attachment"
	if inline {
		disp = "inline"
	}
	if contentType != "" {
		c.Set(fiber.HeaderContentType, contentType)
	}
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, disp, asciiSafe(n.ASCII, n.Name), rfc5987(n.Name)))
	c.Set("X-Content-Type-Options", "nosniff")
}

// sendDownload answers a generated file, not cached.
func sendDownload(c *fiber.Ctx, body []byte, contentType string, n fileName, attachment bool) error {
	setDownload(c, contentType, n, !attachment)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}

// asciiSafe is the fallback name: ascii when it is usable, else name itself
// when that is plain ASCII, else "download" with name's extension.
func asciiSafe(ascii, name string) string {
	for _, cand := range []string{ascii, name} {
		if cand != "" && plainASCII(cand) {
			return cand
		}
	}
	ext := strings.ToLower(path.Ext(name))
	if !plainASCII(ext) {
		ext = ""
	}
	return "download" + ext
}

func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '%' || c == ';' || c == '/' {
			return false
		}
	}
	return s != ""
}

// rfc5987 percent-encodes everything but RFC 5987's attr-char.
func rfc5987(s string) string {
	const ok = "!#$&+-.^_`|~"
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(ok, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
