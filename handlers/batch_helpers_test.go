package handlers

import (
	"archive/zip"
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"certreg/candidate"
	"certreg/fixture"
	"certreg/idcard"
	"certreg/store"
)

// upload is one file of a multipart request.
type upload struct {
	field, name string
	content     []byte
}

// multipart posts a multipart form with the client's CSRF token.
func (c *client) multipart(path string, fields url.Values, files []upload, hdr map[string]string) resp {
	c.e.t.Helper()
	if c.csrf == "" {
		c.get("/")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if fields == nil {
		fields = url.Values{}
	}
	if fields.Get("_csrf") == "" {
		fields.Set("_csrf", c.csrf)
	}
	// The token comes first, as in the pages' forms: an upload's token is
	// read from its first part (or the X-CSRF-Token header).
	if err := mw.WriteField("_csrf", fields.Get("_csrf")); err != nil {
		c.e.t.Fatal(err)
	}
	for k, vs := range fields {
		if k == "_csrf" {
			continue
		}
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				c.e.t.Fatal(err)
			}
		}
	}
	for _, f := range files {
		w, err := mw.CreateFormFile(f.field, f.name)
		if err != nil {
			c.e.t.Fatal(err)
		}
		if _, err := w.Write(f.content); err != nil {
			c.e.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		c.e.t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.send(req, hdr)
}

// send runs a prepared request with the client's cookies and address.
func (c *client) send(req *http.Request, hdr map[string]string) resp {
	c.e.t.Helper()
	req.Header.Set("X-Forwarded-For", c.ip)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for k, v := range c.jar {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := c.e.app.Test(req, -1)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.jar, ck.Name)
		} else {
			c.jar[ck.Name] = ck.Value
		}
	}
	if m := csrfMeta.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return resp{status: res.StatusCode, body: string(b), header: res.Header}
}

// postHTMX posts a form as htmx does (CSRF in the header).
func (c *client) postHTMX(path string, form url.Values, hdr map[string]string) resp {
	c.e.t.Helper()
	if c.csrf == "" {
		c.get("/")
	}
	h := map[string]string{"HX-Request": "true", "X-CSRF-Token": c.csrf}
	for k, v := range hdr {
		h[k] = v
	}
	return c.do(http.MethodPost, path, form, h)
}

// testPerson is a valid candidate of 砌筑工 (012) at level 5, outside the
// demo's Anhui regions so it never collides with a seeded candidate.
func testPerson(i int) []string {
	id := idcard.Make("110105", time.Date(1988, 3, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/1000), i%1000)
	names := []string{"王建军", "李国强", "张海涛", "刘志明", "陈立新", "杨春生", "赵卫东", "黄永刚", "周德胜", "吴晓峰"}
	return []string{names[i%len(names)], id, idcard.Gender(id), "合肥建工集团有限公司", "砌筑工", "五级/初级工", "13912345678", ""}
}

// candidateWorkbook is a filled template: header and the rows given.
func candidateWorkbook(t testing.TB, rows ...[]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	header := candidate.Columns()
	if err := f.SetSheetRow("Sheet1", "A1", &header); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		r := r
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngOf is a valid w×h PNG whose content depends on seed.
func pngOf(t testing.TB, w, h, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(seed*37 + i*7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func jpegOf(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for x := 0; x < 32; x++ {
		img.Set(x, x, color.RGBA{200, 20, 20, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipBytes(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("secret.txt")
	_, _ = w.Write([]byte("not an image"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bigPNG is a valid PNG over 2 MB (noise does not compress).
func bigPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 800, 800))
	x := uint32(2463534242)
	for i := range img.Pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		img.Pix[i] = byte(x)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if buf.Len() <= store.MaxImageSize {
		t.Fatalf("noise PNG only %d bytes", buf.Len())
	}
	return buf.Bytes()
}

// batchID finds a batch of the user's organisation by exact name.
func batchID(t testing.TB, w *fixture.World, username, name string) uint64 {
	t.Helper()
	a := w.Actor(t, username)
	for _, tab := range store.BatchTabs {
		list, _, err := w.Store.Batches(a, store.BatchFilter{Tab: tab.Tab, Name: name, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range list {
			if b.Name == name {
				return b.ID
			}
		}
	}
	t.Fatalf("no batch %q of %s", name, username)
	return 0
}

func batchCounts(t testing.TB, w *fixture.World, username string) map[store.BatchTab]uint64 {
	t.Helper()
	c, err := w.Store.BatchCounts(w.Actor(t, username))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
