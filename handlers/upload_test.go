package handlers

import (
	"certreg/certlayout"

	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"certreg/data"
	"certreg/files"
	"certreg/store"
)

// listen serves the env's app on loopback, for requests a test writes byte
// by byte.
func (e *env) listen() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	e.t.Cleanup(func() { _ = e.app.Shutdown() })
	return ln.Addr().String()
}

// cookies is the client's cookies as a request header value.
func (c *client) cookies() string {
	var parts []string
	for k, v := range c.jar {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, "; ")
}

type rawAnswer struct {
	status int
	header http.Header
	body   string
	closed bool // the server closed the connection after answering
	took   time.Duration
}

// rawRequest writes head (request line and headers), a blank line and body,
// and reads one answer. It does not send more than body, whatever the
// headers declare.
func rawRequest(t *testing.T, conn net.Conn, head string, body []byte) rawAnswer {
	t.Helper()
	start := time.Now()
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	go func() {
		// The server may answer and close before everything is written.
		_, _ = conn.Write(append([]byte(strings.ReplaceAll(head, "\n", "\r\n")+"\r\n\r\n"), body...))
	}()
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to %q: %v", strings.SplitN(head, "\n", 2)[0], err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	a := rawAnswer{status: res.StatusCode, header: res.Header, body: string(b), took: time.Since(start)}
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = br.ReadByte()
	var ne net.Error
	a.closed = !(errors.As(err, &ne) && ne.Timeout())
	return a
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// fasthttp reads 8 KB of a body ahead before any handler runs; a client
// that declares a large body and sends just more than that gets its answer
// without the server waiting for, or reserving, the rest.
var aheadBytes = bytes.Repeat([]byte("a"), 8<<10+1)

// Every route but the uploads takes a small body; a larger one, declared or
// sent, is refused with 422 at once, unread, and the connection closed.
func TestSmallBodyLimit(t *testing.T) {
	e := newEnv(t)
	addr := e.listen()
	form := "Host: x\nContent-Type: application/x-www-form-urlencoded\nContent-Length: %d"

	// A stranger declares 59 MB to the public verification page.
	a := rawRequest(t, dial(t, addr), "POST /verify HTTP/1.1\n"+fmt.Sprintf(form, 61865984), aheadBytes)
	if a.status != 422 || !strings.Contains(a.body, "提交的内容过大：每次提交不能超过 64 KB") || !a.closed || a.took > 2*time.Second {
		t.Fatalf("declared 59 MB: %d closed=%v in %v\n%.300s", a.status, a.closed, a.took, a.body)
	}
	// The same as multipart, where the form parser could have spilled it to
	// disk.
	a = rawRequest(t, dial(t, addr), "POST /verify HTTP/1.1\nHost: x\nContent-Type: multipart/form-data; boundary=xx\nContent-Length: 61865984", aheadBytes)
	if a.status != 422 || !a.closed {
		t.Fatalf("declared 59 MB multipart: %d", a.status)
	}
	// Sent in full, one byte over.
	big := bytes.Repeat([]byte("x"), 64<<10+1)
	a = rawRequest(t, dial(t, addr), "POST /login HTTP/1.1\n"+fmt.Sprintf(form, len(big)), big)
	if a.status != 422 || !a.closed {
		t.Fatalf("64 KB + 1: %d", a.status)
	}
	// Chunked, with no length declared: counted while reading.
	var chunked bytes.Buffer
	for range 20 {
		fmt.Fprintf(&chunked, "%x\r\n%s\r\n", 4096, bytes.Repeat([]byte("y"), 4096))
	}
	chunked.WriteString("0\r\n\r\n")
	a = rawRequest(t, dial(t, addr), "POST /login HTTP/1.1\nHost: x\nContent-Type: application/x-www-form-urlencoded\nTransfer-Encoding: chunked", chunked.Bytes())
	if a.status != 422 || !a.closed {
		t.Fatalf("80 KB chunked: %d", a.status)
	}
	// A compressed body (a form parser would inflate it without limit).
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	a = rawRequest(t, dial(t, addr), "POST /verify HTTP/1.1\nHost: x\nContent-Type: multipart/form-data; boundary=xx\nContent-Encoding: gzip\n"+fmt.Sprintf("Content-Length: %d", gz.Len()), gz.Bytes())
	if a.status != http.StatusUnsupportedMediaType {
		t.Fatalf("gzip body: %d", a.status)
	}
	// Just under the limit is an ordinary request, and the connection stays
	// open for the next one.
	conn := dial(t, addr)
	pad := "n=1&name=x&pad=" + strings.Repeat("z", 64<<10-len("n=1&name=x&pad="))
	a = rawRequest(t, conn, "POST /verify HTTP/1.1\n"+fmt.Sprintf(form, len(pad)), []byte(pad))
	if a.status == 422 && strings.Contains(a.body, "提交的内容过大") || a.closed {
		t.Fatalf("64 KB form: %d closed=%v\n%.300s", a.status, a.closed, a.body)
	}
	if a = rawRequest(t, conn, "GET /healthz HTTP/1.1\nHost: x", nil); a.status != 200 {
		t.Fatalf("next request on the connection: %d", a.status)
	}
}

// The largest forms of the product fit the limit with room to spare.
func TestLargestFormsFitTheBodyLimit(t *testing.T) {
	sizes := map[string]int{}
	csrf := strings.Repeat("t", 32)
	// The print-format editor with every field filled with long numbers.
	f := url.Values{"_csrf": {csrf}, "name": {strings.Repeat("格", 30)}, "paper": {"custom"}, "mode": {"overlay"},
		"landscape": {"1"}, "width_mm": {"-1234.5"}, "height_mm": {"-1234.5"}, "offset_x": {"-1234.5"}, "offset_y": {"-1234.5"}}
	for _, l := range certlayout.FieldLabels() {
		for _, p := range []string{"visible", "x", "y", "w", "h", "size"} {
			f.Set("f_"+string(l.Key)+"_"+p, "-1234.5")
		}
	}
	sizes["print format"] = len(f.Encode())
	// The scope editor with every occupation and level of the catalogue.
	f = url.Values{"_csrf": {csrf}}
	for _, o := range data.Occupations() {
		for _, l := range data.Levels() {
			f.Add("pair", fmt.Sprintf("%s:%d", o.Code, l.Code))
		}
	}
	sizes["scope"] = len(f.Encode())
	// The most certificates printed at once, ticked one by one.
	f = url.Values{"_csrf": {csrf}, "from": {"/certificates?occupation=101&level=5&status=valid&printed=no"}}
	for i := range store.MaxPrintBatch {
		f.Add("n", fmt.Sprintf("2634010125%04d", i))
	}
	sizes["print 500"] = len(f.Encode())
	// A candidate with every field at its longest.
	f = url.Values{"_csrf": {csrf}, "name": {strings.Repeat("名", 50)}, "id_number": {"34010219900101001X"}, "gender": {"女"},
		"work_unit": {strings.Repeat("单", 100)}, "occupation": {strings.Repeat("职", 30)}, "level": {"五级/初级工"},
		"phone": {"13800000000"}, "remark": {strings.Repeat("备", 200)}}
	sizes["candidate"] = len(f.Encode())
	for what, n := range sizes {
		t.Logf("%s form: %d bytes", what, n)
		if n > maxFormBody/4 {
			t.Errorf("%s form is %d bytes: too close to the %d-byte limit", what, n, maxFormBody)
		}
	}
}

// multipartBody builds an upload as the pages send it: _csrf first (when
// given), then the fields, then the files.
func multipartBody(t *testing.T, csrf string, fields [][2]string, ups []upload) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if csrf != "" {
		mw.WriteField("_csrf", csrf)
	}
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	for _, u := range ups {
		w, err := mw.CreateFormFile(u.field, u.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(u.content)
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func draftID(t *testing.T, e *env) uint64 { return batchID(t, e.w, "demo-unit", demoDraft) }

// Only the upload routes take a large body, only from a logged-in user
// with the capability, and only up to the route's cap.
func TestUploadBodyRules(t *testing.T) {
	e := newEnv(t)
	addr := e.listen()
	unit := e.login("demo-unit")
	id := draftID(t, e)
	path := fmt.Sprintf("/batches/%d/materials", id)
	head := func(c *client, withToken bool, length int) string {
		h := "POST " + path + " HTTP/1.1\nHost: x\nContent-Type: multipart/form-data; boundary=b0undary\n" + fmt.Sprintf("Content-Length: %d", length)
		if c != nil {
			h += "\nCookie: " + c.cookies()
			if withToken {
				h += "\nX-CSRF-Token: " + c.csrf
			}
		}
		return h
	}
	// A stranger, and a stranger with a valid pre-login token, declaring
	// 59 MB: answered at once, nothing read, connection closed.
	for _, c := range []*client{nil, e.client()} {
		if c != nil {
			c.get("/login")
		}
		a := rawRequest(t, dial(t, addr), head(c, c != nil, 61865984), aheadBytes)
		if (a.status != 403 && a.status != http.StatusSeeOther) || !a.closed || a.took > 2*time.Second {
			t.Fatalf("anonymous upload: %d closed=%v in %v", a.status, a.closed, a.took)
		}
	}
	// A logged-in user without the capability.
	dept := e.login("demo-dept")
	if a := rawRequest(t, dial(t, addr), head(dept, true, 61865984), aheadBytes); a.status != 403 || !a.closed || a.took > 2*time.Second {
		t.Fatalf("dept uploads: %d closed=%v", a.status, a.closed)
	}
	// The unit, over the route's cap: the friendly 422 with the limit.
	a := rawRequest(t, dial(t, addr), head(unit, true, 60<<20+64<<10+1), aheadBytes)
	if a.status != 422 || !strings.Contains(a.body, "上传的内容过大：一次提交的文件合计不能超过 60 MB，请分批上传。") || !a.closed {
		t.Fatalf("over the cap: %d\n%.300s", a.status, a.body)
	}
	// The same as htmx sends it: a toast with the message.
	a = rawRequest(t, dial(t, addr), head(unit, true, 70<<20)+"\nHX-Request: true", aheadBytes)
	if a.status != 422 || !strings.Contains(a.header.Get("HX-Trigger"), "60 MB") {
		t.Fatalf("over the cap (htmx): %d %q", a.status, a.header.Get("HX-Trigger"))
	}
	if a := rawRequest(t, dial(t, addr), strings.Replace(head(unit, true, 20<<20), "/materials", "/import", 1), aheadBytes); a.status != 422 || !strings.Contains(a.body, "名单文件不能超过 10 MB") {
		t.Fatalf("workbook over its cap: %d", a.status)
	}

	// A refused file of an admitted upload: the rest is read, the answer is
	// the page with the message, and the connection serves the next request.
	conn := dial(t, addr)
	body, ctype := multipartBody(t, unit.csrf, nil, []upload{{"docs", "setup.exe", bytes.Repeat([]byte("MZ"), 100<<10)}, {"images", "a.png", pngOf(t, 4, 4, 1)}})
	a = rawRequest(t, conn, strings.Replace(head(unit, false, len(body)), "multipart/form-data; boundary=b0undary", ctype, 1), body)
	if a.status != 422 || !strings.Contains(a.body, "类型（.exe）不支持") || a.closed {
		t.Fatalf("refused file: %d closed=%v\n%.300s", a.status, a.closed, a.body)
	}
	if a := rawRequest(t, conn, "GET /healthz HTTP/1.1\nHost: x", nil); a.status != 200 {
		t.Fatalf("connection after a refused upload: %d", a.status)
	}
	// And a good one on the same connection, token from the first part.
	body, ctype = multipartBody(t, unit.csrf, nil, []upload{{"images", "签到.png", pngOf(t, 12, 9, 3)}})
	a = rawRequest(t, conn, strings.Replace(head(unit, false, len(body)), "multipart/form-data; boundary=b0undary", ctype, 1), body)
	if a.status != http.StatusSeeOther || a.closed {
		t.Fatalf("good upload: %d closed=%v\n%.300s", a.status, a.closed, a.body)
	}
	if b, _ := e.w.Store.Batch(e.w.Actor(t, "demo-unit"), id); !hasFile(b, "签到.png") {
		t.Fatal("upload not saved")
	}
}

func hasFile(b store.Batch, name string) bool {
	for _, f := range b.Files {
		if f.Name == name {
			return true
		}
	}
	return false
}

// The CSRF token of an upload comes from the header or from the first part;
// a token anywhere else is not looked for, and nothing is saved.
func TestUploadCSRFToken(t *testing.T) {
	e := newEnv(t)
	unit := e.login("demo-unit")
	id := draftID(t, e)
	path := fmt.Sprintf("/batches/%d/materials", id)
	send := func(body []byte, ctype string, hdr map[string]string) resp {
		req, _ := http.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		return unit.send(req, hdr)
	}
	img := []upload{{"images", "令牌.png", pngOf(t, 5, 5, 7)}}

	// Last instead of first: refused.
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, _ := mw.CreateFormFile("images", "令牌.png")
	w.Write(pngOf(t, 5, 5, 7))
	mw.WriteField("_csrf", unit.csrf)
	mw.Close()
	if r := send(b.Bytes(), mw.FormDataContentType(), nil); r.status != 403 {
		t.Fatalf("token after the file: %d", r.status)
	}
	// A wrong token first: refused.
	body, ctype := multipartBody(t, "wrong-token-wrong-token-wrong-tok", nil, img)
	if r := send(body, ctype, nil); r.status != 403 {
		t.Fatalf("wrong token: %d", r.status)
	}
	// In the query string: not an upload's token.
	body, ctype = multipartBody(t, "", nil, img)
	req, _ := http.NewRequest(http.MethodPost, path+"?_csrf="+url.QueryEscape(unit.csrf), bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	if r := unit.send(req, nil); r.status != 403 {
		t.Fatalf("token in the query: %d", r.status)
	}
	if b, _ := e.w.Store.Batch(e.w.Actor(t, "demo-unit"), id); hasFile(b, "令牌.png") {
		t.Fatal("a refused upload was saved")
	}
	// In the header (htmx), with no field at all: accepted.
	if r := send(body, ctype, map[string]string{"X-CSRF-Token": unit.csrf}); r.status != http.StatusSeeOther {
		t.Fatalf("token in the header: %d", r.status)
	}
	if left, _ := os.ReadDir(filepath.Join(e.w.Dir, files.TempDir)); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	// Not multipart at all: a form without its file.
	if r := unit.post("/batches/new", url.Values{"name": {"没有文件"}}); r.status != 422 || !strings.Contains(r.body, "请选择填写好的合格人员名单") {
		t.Fatalf("workbook step without multipart: %d", r.status)
	}
}

// Every upload form of the pages posts to an upload route, says its cap
// for the page's own check, and carries its token as the first field.
func TestUploadFormsMatchUploadRoutes(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-unit")
	specs := map[string]*uploadSpec{}
	for _, r := range (&Server{}).routeTable() {
		if r.upload != nil {
			specs[r.path] = r.upload
		}
	}
	id := draftID(t, e)
	pages := []string{"/batches/new", fmt.Sprintf("/batches/%d", id), fmt.Sprintf("/batches/%d?tab=materials", id)}
	step2 := c.multipart("/batches/new", url.Values{"name": {"表单检查批次"}}, []upload{{"file", "名单.xlsx", candidateWorkbook(t, testPerson(1))}}, nil)
	forms := regexp.MustCompile(`(?s)<form [^>]*enctype="multipart/form-data"[^>]*>\s*<input[^>]*>`)
	action := regexp.MustCompile(`action="([^"]+)"`)
	seen := map[string]bool{}
	bw := demoBizWorld(t, e.w)
	biz := []string{c.get("/business/new?kind=change&n=" + bw.free.Number).body, c.get(fmt.Sprintf("/business/applied/%d/edit", bw.unitRejected.ID)).body}
	for i, body := range append([]string{c.get(pages[0]).body, c.get(pages[1]).body, c.get(pages[2]).body, step2.body}, biz...) {
		for _, f := range forms.FindAllString(body, -1) {
			act := action.FindStringSubmatch(f)[1]
			pattern := regexp.MustCompile(`/\d+/`).ReplaceAllString(act, "/:id/")
			spec := specs[pattern]
			if spec == nil {
				t.Errorf("page %d: multipart form to %s, which is not an upload route", i, act)
				continue
			}
			seen[pattern] = true
			if !strings.Contains(f, fmt.Sprintf(`data-max-bytes="%d"`, spec.maxFiles)) {
				t.Errorf("%s: no data-max-bytes", act)
			}
			if !regexp.MustCompile(`<input[^>]*name="_csrf"[^>]*>$`).MatchString(f) {
				t.Errorf("%s: the first field is not _csrf: %s", act, f)
			}
		}
	}
	for p := range specs {
		if !seen[p] {
			t.Errorf("upload route %s: no form seen", p)
		}
	}
}

// chunkPNG appends one PNG chunk.
func chunkPNG(b *bytes.Buffer, typ string, data []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(data)))
	c := append([]byte(typ), data...)
	b.Write(c)
	binary.Write(b, binary.BigEndian, crc32.ChecksumIEEE(c))
}

// pngHeaderOnly is a PNG with a real header and broken picture data.
func pngHeaderOnly(w, h uint32, depth, colorType byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, colorType
	chunkPNG(&b, "IHDR", ihdr)
	chunkPNG(&b, "IDAT", []byte{0x78, 0x9c, 0xff, 0xff})
	chunkPNG(&b, "IEND", nil)
	return b.Bytes()
}

// Images are measured before they are decoded, counts and sizes come
// before any decoding, and each refusal is a 422 with a Chinese message.
func TestImageUploadRefusals(t *testing.T) {
	e := newEnv(t)
	c := e.login("demo-unit")
	id := draftID(t, e)
	path := fmt.Sprintf("/batches/%d/materials", id)
	post := func(ups ...upload) resp { return c.multipart(path, nil, ups, nil) }

	// The report's picture: 6300×6300 16-bit RGBA (its real data is in
	// package files' test; the refusal needs only the header).
	if r := post(upload{"images", "签到表.png", pngHeaderOnly(6300, 6300, 16, 6)}); r.status != 422 ||
		!strings.Contains(r.body, "图片「签到表.png」的尺寸为 6300×6300 像素（每色 16 位），打开需要约 302.8 MB 内存，超过每张图片 64 MB 的上限") {
		t.Fatalf("6300×6300 16-bit: %d\n%.3000s", r.status, r.body)
	}
	for what, tc := range map[string]struct {
		ups []upload
		msg string
	}{
		"grey 20000×20000": {[]upload{{"images", "大.png", pngHeaderOnly(20000, 20000, 8, 0)}}, "20000×20000 像素"},
		"RGBA 4200×4200":   {[]upload{{"images", "扫描.png", pngHeaderOnly(4200, 4200, 8, 6)}}, "打开需要约 67.3 MB 内存，超过每张图片 64 MB 的上限"},
		"broken data":      {[]upload{{"images", "坏.png", pngHeaderOnly(40, 40, 8, 6)}}, "图片「坏.png」已损坏，无法读取"},
		"broken data, then too big": {[]upload{{"images", "坏.png", pngHeaderOnly(40, 40, 8, 6)}, {"images", "大图.png", bigPNG(t)}},
			"图片「大图.png」大小为"},
	} {
		if r := post(tc.ups...); r.status != 422 || !strings.Contains(r.body, tc.msg) {
			t.Errorf("%s: %d, want %q\n%.2000s", what, r.status, tc.msg, r.body)
		}
	}
	// A batch with 20 images: the 21st is refused for the count, whatever
	// its content (not decoded).
	b, _ := e.w.Store.Batch(e.w.Actor(t, "demo-unit"), id)
	many := make([]upload, store.MaxBatchImages-len(b.Images()))
	for i := range many {
		many[i] = upload{"images", fmt.Sprintf("图%d.png", i), pngOf(t, 4, 4, 200+i)}
	}
	if r := post(many...); r.status != http.StatusSeeOther {
		t.Fatalf("20 images: %d\n%.2000s", r.status, r.body)
	}
	if r := post(upload{"images", "坏.png", pngHeaderOnly(40, 40, 8, 6)}); r.status != 422 || !strings.Contains(r.body, "每个批次最多上传 20 张图片（已有 20 张，本次选择了 1 张）") {
		t.Fatalf("21st image: %d\n%.2000s", r.status, r.body)
	}
}

// Uploads received at once are bounded per user and in the whole process.
func TestUploadSlots(t *testing.T) {
	s := newUploadSlots()
	var releases []func()
	for i := range 2 {
		r, ok := s.acquire(1)
		if !ok {
			t.Fatalf("user 1, upload %d refused", i+1)
		}
		releases = append(releases, r)
	}
	if _, ok := s.acquire(1); ok {
		t.Fatal("a third upload of one user at once")
	}
	releases[0]()
	if r, ok := s.acquire(1); !ok {
		t.Fatal("a slot freed is not reusable")
	} else {
		r()
	}
	releases[1]()
	for u := range uint64(16) {
		if _, ok := s.acquire(100 + u); !ok {
			t.Fatalf("upload %d of the process refused", u+1)
		}
	}
	if _, ok := s.acquire(999); ok {
		t.Fatal("a 17th upload at once in the process")
	}
}
