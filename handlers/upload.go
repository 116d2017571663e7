package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"mime/multipart"
	"net/url"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/bytebufferpool"

	"certreg/files"
	"certreg/sheets"
	"certreg/store"
)

// Request bodies (the rules: docs/security.md, Requests). fasthttp reserves a buffer of the declared Content-Length
// before a handler runs, so a server that accepts large bodies on any route
// can be made to reserve gigabytes by strangers who declare them and never
// send them. The server therefore streams every body (StreamRequestBody:
// fasthttp reads at most 8 KB ahead) and decides here how much of it is
// read:
//
//   - Every route but the uploads takes at most maxFormBody. limitBody reads
//     the body into memory before anything else looks at it; a larger one,
//     declared or sent, is refused with 422 without being read, and the
//     connection is closed (its unread bytes cannot start the next request).
//   - The upload routes, marked in the route table with an uploadSpec, take a
//     multipart body up to the spec's cap, and only from a logged-in user
//     whose request passed the CSRF check and the route's access rule. The
//     handler reads the parts in order (readUpload): fields into memory
//     (small), files streamed into temporary files under the data directory
//     with the per-file caps and the count limits applied while reading.
//
// The CSRF token of an upload comes from the X-CSRF-Token header (htmx
// sends it) or from the form field _csrf when it is the body's first part
// (the upload forms put it first), so the check never has to read a file.

// maxFormBody is the largest body of every route but the uploads. The
// largest legitimate forms (the print-format editor with every field, the
// scope editor with every occupation and level, 500 certificates ticked for
// printing) are under 12 KB.
const maxFormBody = 64 << 10

// uploadSpec describes an upload route's body.
type uploadSpec struct {
	fields   []string      // the multipart fields that carry files
	policy   *files.Policy // nil: one workbook, whose content sheets checks
	maxFiles int64         // the largest total of the files' sizes
	tooLarge string        // the answer to a body over the cap, in words
}

// maxBody is the cap of the whole request: the files and the form around
// them (fields, part headers, long file names).
func (u *uploadSpec) maxBody() int64 { return u.maxFiles + maxFormBody }

var (
	workbookUpload = &uploadSpec{fields: []string{"file"}, maxFiles: sheets.MaxFileSize,
		tooLarge: "上传的内容过大：名单文件不能超过 " + files.SizeLabel(sheets.MaxFileSize) + "，请分批导入。"}
	materialsUpload = &uploadSpec{fields: []string{"docs", "images", "files"}, policy: &store.Materials,
		maxFiles: store.Materials.MaxTotal(),
		tooLarge: "上传的内容过大：一次提交的文件合计不能超过 " + files.SizeLabel(store.Materials.MaxTotal()) + "，请分批上传。"}
	uploadSpecs = map[string]*uploadSpec{"workbook": workbookUpload, "materials": materialsUpload, "proofs": proofsUpload}
)

// uploadAttrs are the attributes that let an upload form stop, in the page,
// a request the server would refuse unread.
func uploadAttrs(name string) template.HTMLAttr {
	u := uploadSpecs[name]
	if u == nil {
		return ""
	}
	return template.HTMLAttr(fmt.Sprintf(`data-max-bytes="%d" data-too-large="%s"`, u.maxFiles, html.EscapeString(u.tooLarge)))
}

// Limits of the fields that come with the files of an upload.
const (
	maxUploadFields = 32
	maxFieldBytes   = 4 << 10
	// peekLimit bounds what is read of an upload before its CSRF token is
	// known: the first part, holding the token.
	peekLimit = 8 << 10
	// uploadReadTime is how long an admitted upload may take to arrive
	// (60 MB at 0.8 Mbit/s).
	uploadReadTime = 10 * time.Minute
)

const localUpload = "upload"

// uploadState is an upload request as it is read.
type uploadState struct {
	spec     *uploadSpec
	body     *cappedReader
	mr       *multipart.Reader
	admitted bool
}

// uploadOf is the state of a streamed multipart upload, or nil for any
// other request.
func uploadOf(c *fiber.Ctx) *uploadState {
	u, _ := c.Locals(localUpload).(*uploadState)
	return u
}

// isStreamedUpload reports whether the request's body is a multipart upload
// left unread for its handler: nothing before the handler may parse it.
func isStreamedUpload(c *fiber.Ctx) bool { return uploadOf(c) != nil }

// markUpload runs first on an upload route: it says, before any middleware
// looks at the body, that this route streams its body.
func markUpload(spec *uploadSpec) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Request().Header.MultipartFormBoundary()) > 0 {
			c.Locals(localUpload, &uploadState{spec: spec})
		}
		return c.Next()
	}
}

func bodyTooLarge(c *fiber.Ctx, msg string) error {
	c.Response().Header.SetConnectionClose()
	return fiber.NewError(fiber.StatusUnprocessableEntity, msg)
}

var formTooLarge = "提交的内容过大：每次提交不能超过 " + files.SizeLabel(maxFormBody) + "。"

// limitBody applies the body rules above before anything reads a body.
func (s *Server) limitBody(c *fiber.Ctx) error {
	h := &c.Request().Header
	if ce := h.Peek(fiber.HeaderContentEncoding); len(ce) > 0 && !bytes.EqualFold(ce, []byte("identity")) {
		// Browsers never compress what they send; a compressed form would
		// be inflated without limit by the form parsers.
		c.Response().Header.SetConnectionClose()
		return fiber.NewError(fiber.StatusUnsupportedMediaType, "不支持压缩的请求内容。")
	}
	declared := int64(h.ContentLength()) // -1: chunked, -2: none
	if u := uploadOf(c); u != nil {
		if declared > u.spec.maxBody() {
			return bodyTooLarge(c, u.spec.tooLarge)
		}
		err := c.Next()
		if u.body == nil || !u.body.eof {
			// Bytes of this body are still on the connection.
			c.Response().Header.SetConnectionClose()
		}
		return err
	}
	if declared > maxFormBody {
		return bodyTooLarge(c, formTooLarge)
	}
	if declared == 0 || declared == -2 {
		return c.Next()
	}
	if stream := c.Context().RequestBodyStream(); stream != nil {
		buf := bytebufferpool.Get()
		defer bytebufferpool.Put(buf)
		n, err := io.Copy(buf, io.LimitReader(stream, maxFormBody+1))
		if err != nil {
			c.Response().Header.SetConnectionClose()
			return fiber.NewError(fiber.StatusBadRequest, "请求内容不完整。")
		}
		if n > maxFormBody {
			return bodyTooLarge(c, formTooLarge)
		}
		c.Request().SetBody(buf.B)
	}
	return c.Next()
}

// uploadGate runs after the session is known and before the CSRF check.
// For a logged-in user it reads the first part of an upload that carries
// no X-CSRF-Token header: when that part is the _csrf field, its value
// becomes the header the CSRF check reads. For anyone else nothing is read.
func (s *Server) uploadGate(c *fiber.Ctx) error {
	u := uploadOf(c)
	if u == nil || !whoOf(c).loggedIn() {
		return c.Next()
	}
	var stream io.Reader = c.Context().RequestBodyStream()
	if stream == nil { // no body at all
		stream = bytes.NewReader(nil)
	}
	u.body = &cappedReader{r: stream, limit: peekLimit}
	u.mr = multipart.NewReader(u.body, string(c.Request().Header.MultipartFormBoundary()))
	if c.Get("X-CSRF-Token") == "" {
		p, err := u.mr.NextPart()
		if err == nil && p.FileName() == "" && p.FormName() == "_csrf" {
			tok, err := io.ReadAll(io.LimitReader(p, 256))
			if err == nil {
				c.Request().Header.Set("X-CSRF-Token", string(tok))
			}
		}
	}
	return c.Next()
}

// admitUpload runs after the access rule passed: the body may now be read
// up to the route's cap, within one of the user's upload slots. What the
// handler leaves unread is read and dropped (up to the cap) so the browser,
// still sending, receives the answer.
func (s *Server) admitUpload(c *fiber.Ctx) error {
	u := uploadOf(c)
	if u == nil || u.body == nil {
		return c.Next()
	}
	release, ok := s.uploads.acquire(whoOf(c).user.ID)
	if !ok {
		return fiber.NewError(fiber.StatusTooManyRequests, "同时进行的上传过多，请等待当前上传完成后再试。")
	}
	defer release()
	u.admitted = true
	u.body.limit = u.spec.maxBody()
	if conn := c.Context().Conn(); conn != nil {
		_ = conn.SetReadDeadline(time.Now().Add(uploadReadTime))
	}
	err := c.Next()
	if _, derr := io.Copy(io.Discard, u.body); derr != nil {
		c.Response().Header.SetConnectionClose()
	}
	return err
}

// cappedReader reads a request body, failing once more than limit bytes
// were read, and remembers reaching its end.
type cappedReader struct {
	r     io.Reader
	n     int64
	limit int64
	eof   bool
}

var errBodyOverCap = errors.New("request body over its cap")

func (r *cappedReader) Read(p []byte) (int, error) {
	if r.n > r.limit {
		return 0, errBodyOverCap
	}
	if int64(len(p)) > r.limit-r.n+1 {
		p = p[:r.limit-r.n+1]
	}
	n, err := r.r.Read(p)
	r.n += int64(n)
	if err == io.EOF {
		r.eof = true
	}
	if err == nil && r.n > r.limit {
		err = errBodyOverCap
	}
	return n, err
}

// uploadSlots bounds the uploads being received at once: per user and in
// the whole process, so one account cannot fill the disk with temporary
// files.
type uploadSlots struct {
	mu      sync.Mutex
	perUser map[uint64]int
	total   int
}

const (
	maxUploadsPerUser = 2
	maxUploadsTotal   = 16
)

func newUploadSlots() *uploadSlots { return &uploadSlots{perUser: map[uint64]int{}} }

func (u *uploadSlots) acquire(user uint64) (release func(), ok bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.total >= maxUploadsTotal || u.perUser[user] >= maxUploadsPerUser {
		return nil, false
	}
	u.total++
	u.perUser[user]++
	return func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		u.total--
		if u.perUser[user]--; u.perUser[user] == 0 {
			delete(u.perUser, user)
		}
	}, true
}

// uploadError is a refused upload, shown as a 422 with its message.
type uploadError struct{ msg string }

func (e *uploadError) Error() string { return e.msg }

// uploadForm is an upload as read: its fields and its files, each in a
// temporary file until the store keeps it. close removes what was not kept.
type uploadForm struct {
	values url.Values
	files  []*files.Upload
}

func (f *uploadForm) value(name string) string {
	if f == nil {
		return ""
	}
	return f.values.Get(name)
}

func (f *uploadForm) close() {
	if f == nil {
		return
	}
	for _, u := range f.files {
		u.Close()
	}
	f.files = nil
}

// readUpload reads an admitted upload to its end. have counts the files of
// each kind the owner already holds (for the count limits). A refusal the
// user can fix is an *uploadError, with the form's fields (to show them
// again) and no files: those read so far are removed. The caller closes
// the form.
func (s *Server) readUpload(c *fiber.Ctx, spec *uploadSpec, have map[files.Kind]int) (*uploadForm, error) {
	u := uploadOf(c)
	form := &uploadForm{values: url.Values{}}
	var err error
	switch {
	case u == nil:
		// Not multipart: a form without files (limitBody read it).
		c.Request().PostArgs().VisitAll(func(k, v []byte) { form.values.Add(string(k), string(v)) })
		err = spec.counted(0, nil, have, nil)
	case !u.admitted:
		return nil, fmt.Errorf("upload read before admission")
	default:
		err = s.readParts(u, form, have)
	}
	if err == nil {
		return form, nil
	}
	form.close()
	var fe *files.Error
	var ue *uploadError
	switch {
	case errors.Is(err, errBodyOverCap):
		return form, &uploadError{u.spec.tooLarge}
	case errors.As(err, &fe):
		return form, &uploadError{fe.Message}
	case errors.As(err, &ue):
		return form, err
	}
	// The client went away or the disk failed: the log says which.
	s.log.Warn("upload not received", "path", c.Path(), "err", err.Error())
	return nil, fiber.NewError(fiber.StatusBadRequest, "上传未完成，请重新上传。")
}

func (s *Server) readParts(u *uploadState, form *uploadForm, have map[files.Kind]int) error {
	spec := u.spec
	var refused error // the first file refused; the rest is read to count the files
	count := 0
	added := map[files.Kind]int{}
	fields := 0
	for {
		p, err := u.mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name, fileName := p.FormName(), p.FileName()
		if fileName == "" {
			if fields++; fields > maxUploadFields {
				return &uploadError{"表单内容过多，请刷新页面后重试。"}
			}
			v, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
			if err != nil {
				return err
			}
			if len(v) > maxFieldBytes {
				return &uploadError{"表单内容过长，请刷新页面后重试。"}
			}
			form.values.Add(name, string(v))
			continue
		}
		if !contains(spec.fields, name) {
			if _, err := io.Copy(io.Discard, p); err != nil {
				return err
			}
			continue
		}
		count++
		keep, limit := refused == nil, spec.maxFiles
		var kind files.Kind
		if spec.policy != nil {
			_, rule, err := spec.policy.Accept(fileName)
			if err != nil {
				refused, keep = firstErr(refused, err), false
			} else {
				kind, limit = rule.Kind, rule.MaxSize
				added[kind]++
				keep = keep && count <= spec.policy.MaxFiles() && have[kind]+added[kind] <= rule.MaxCount
			}
		} else {
			keep = keep && count == 1
		}
		if !keep {
			if _, err := io.Copy(io.Discard, p); err != nil {
				return err
			}
			continue
		}
		f, err := s.st.Files().Receive(fileName, p, limit)
		if err != nil {
			return err
		}
		if f.Over {
			f.Close()
			if spec.policy != nil {
				refused = files.TooLarge(fileName, kind, f.Size, limit)
			} else {
				refused = &uploadError{fmt.Sprintf("文件%s %s 的上限，请分批导入", files.OverBy(f.Size, limit), files.SizeLabel(limit))}
			}
			continue
		}
		form.files = append(form.files, f)
	}
	return spec.counted(count, refused, have, added)
}

// counted is the outcome of an upload once every part was read: count
// files sent, the first file refused (if any), the files of each kind the
// owner has and the request added.
func (spec *uploadSpec) counted(count int, refused error, have, added map[files.Kind]int) error {
	if spec.policy == nil {
		switch {
		case count > 1:
			return &uploadError{"只能上传一个名单文件"}
		case refused != nil:
			return refused
		case count == 0:
			return &uploadError{"请选择填写好的合格人员名单（.xlsx 文件）"}
		}
		return nil
	}
	if count > spec.policy.MaxFiles() {
		return spec.policy.TooMany(count)
	}
	if refused != nil {
		return refused
	}
	for _, r := range spec.policy.Rules {
		if err := spec.policy.CheckCount(r.Kind, have[r.Kind], added[r.Kind]); err != nil {
			return err
		}
	}
	return nil
}

func firstErr(prev, err error) error {
	if prev != nil {
		return prev
	}
	return err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// kindCounts counts the materials a batch holds per kind.
func kindCounts(fs []store.StoredFile) map[files.Kind]int {
	out := map[files.Kind]int{}
	for _, f := range fs {
		out[files.Kind(f.Kind)]++
	}
	return out
}
