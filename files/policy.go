package files

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Error is an upload refused for a reason the user can fix; Message is
// Chinese and names the file.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

func refuse(format string, args ...any) error { return &Error{fmt.Sprintf(format, args...)} }

// Rule is what one kind of file may be in an upload: a size cap per file
// and how many files of it one owner may hold.
type Rule struct {
	Kind     Kind
	MaxSize  int64
	MaxCount int
}

// Policy says what the files of one owner (a batch, a certificate
// business) may be. A new kind of upload is a Policy value, e.g. the proof
// images of a certificate business:
//
//	Policy{Owner: "每项业务", MinCount: 1, Rules: []Rule{{Kind: Image, MaxSize: 200 << 10, MaxCount: 5}}}
type Policy struct {
	Owner    string // for messages: 每个批次
	MinCount int
	Rules    []Rule // the kinds accepted, in the order messages name them
}

// Info is what checking an upload found.
type Info struct {
	Hash          string // SHA-256 of the content, hex
	Name          string // the name the browser sent, cleaned
	Kind          Kind
	MIME          string
	Size          int64
	Width, Height int // images only
}

func (p Policy) rule(k Kind) (Rule, bool) {
	for _, r := range p.Rules {
		if r.Kind == k {
			return r, true
		}
	}
	return Rule{}, false
}

// MaxFiles is how many files one owner may hold in all.
func (p Policy) MaxFiles() int {
	n := 0
	for _, r := range p.Rules {
		n += r.MaxCount
	}
	return n
}

// MaxTotal is the most bytes the files of one owner may add up to.
func (p Policy) MaxTotal() int64 {
	var n int64
	for _, r := range p.Rules {
		n += int64(r.MaxCount) * r.MaxSize
	}
	return n
}

// allowed lists the accepted extensions per kind, e.g.
// "文档只能是 pdf、doc、docx、xls、xlsx，图片只能是 jpg、png".
func (p Policy) allowed() string {
	var parts []string
	for _, r := range p.Rules {
		var exts []string
		for _, t := range Types {
			if t.Kind == r.Kind {
				for _, e := range t.Exts {
					if e != ".jpeg" {
						exts = append(exts, strings.TrimPrefix(e, "."))
					}
				}
			}
		}
		parts = append(parts, r.Kind.noun()+"只能是 "+strings.Join(exts, "、"))
	}
	return strings.Join(parts, "，")
}

// Accept finds the type and rule of a file by the name it was sent with,
// before any of its content is read: an extension this policy does not
// accept is refused.
func (p Policy) Accept(name string) (Type, Rule, error) {
	name = CleanName(name)
	ext := strings.ToLower(filepath.Ext(name))
	t, ok := typeOfExt(ext)
	var r Rule
	if ok {
		r, ok = p.rule(t.Kind)
	}
	if !ok {
		shown := ext
		if shown == "" {
			shown = "无扩展名"
		}
		return Type{}, Rule{}, refuse("文件「%s」的类型（%s）不支持：%s", name, shown, p.allowed())
	}
	return t, r, nil
}

// TooLarge is the message for a file over its kind's cap.
func TooLarge(name string, k Kind, size, limit int64) error {
	return refuse("%s「%s」%s每个%s %s 的上限", k.noun(), CleanName(name), OverBy(size, limit), k.noun(), SizeLabel(limit))
}

// OverBy is "大小为 12.3 MB，超过" for a size over a limit, or just "超过"
// when both would read the same (10.01 MB is "10 MB").
func OverBy(size, limit int64) string {
	if s := SizeLabel(size); s != SizeLabel(limit) {
		return "大小为 " + s + "，超过"
	}
	return "超过"
}

// TooMany is the message for more files in one request than an owner can
// ever hold.
func (p Policy) TooMany(n int) error {
	var parts []string
	for _, r := range p.Rules {
		parts = append(parts, fmt.Sprintf("%d %s%s", r.MaxCount, r.Kind.measure(), r.Kind.noun()))
	}
	return refuse("一次选择了 %d 个文件：%s最多 %s", n, p.Owner, strings.Join(parts, "和 "))
}

// Check applies the rules that need no decoding to one upload: an accepted
// extension, content of that type (by content, not by name), not empty,
// the size cap of its kind, and for an image the memory its decoding needs
// (from the header). It reads the first bytes and, for an image, the
// header; nothing is decoded.
func (p Policy) Check(u *Upload) (Info, error) {
	t, r, err := p.Accept(u.Name)
	if err != nil {
		return Info{}, err
	}
	name := CleanName(u.Name)
	if u.Size == 0 {
		return Info{}, refuse("文件「%s」是空的", name)
	}
	if u.Size > r.MaxSize {
		return Info{}, TooLarge(name, t.Kind, u.Size, r.MaxSize)
	}
	mime, desc := Sniff(u.r, u.Size)
	if mime == mimeOLE && (t.MIME == "application/msword" || t.MIME == "application/vnd.ms-excel") {
		mime = t.MIME
	}
	if mime != t.MIME {
		ext := strings.ToLower(filepath.Ext(name))
		return Info{}, refuse("文件「%s」的内容是%s，与扩展名 %s 不符；请上传真实的%s", name, desc, ext, t.Label)
	}
	info := Info{Hash: u.Hash, Name: name, Kind: t.Kind, MIME: t.MIME, Size: u.Size}
	if t.Kind == Image {
		h, err := readImageHeader(u.r, u.Size, t.MIME)
		if err != nil {
			return Info{}, refuse("图片「%s」已损坏，无法读取", name)
		}
		if h.Width > MaxImageSide || h.Height > MaxImageSide || h.Cost > MaxDecodeBytes {
			return Info{}, refuse("图片「%s」的尺寸为 %d×%d 像素（%s），打开需要约 %s 内存，超过每张图片 %s 的上限（每边也不能超过 %d 像素）；请缩小或另存为普通的 JPEG 后重新上传",
				name, h.Width, h.Height, depthLabel(h.Depth), SizeLabel(h.Cost), SizeLabel(MaxDecodeBytes), MaxImageSide)
		}
		info.Width, info.Height = h.Width, h.Height
	}
	return info, nil
}

func depthLabel(d string) string {
	if d == "" {
		return "每色 8 位"
	}
	return "每色 " + d
}

// CheckCounts checks files added to those an owner already has: no
// content twice, at most MaxCount of each kind, at least MinCount in all.
func (p Policy) CheckCounts(existing, add []Info) error {
	have := map[string]string{}
	counts := map[Kind]int{}
	for _, f := range existing {
		have[f.Hash] = f.Name
		counts[f.Kind]++
	}
	added := map[Kind]int{}
	for _, f := range add {
		if prev, ok := have[f.Hash]; ok {
			return refuse("文件「%s」与已上传的「%s」内容相同，请勿重复上传", f.Name, prev)
		}
		have[f.Hash] = f.Name
		added[f.Kind]++
	}
	for _, r := range p.Rules {
		if err := p.CheckCount(r.Kind, counts[r.Kind], added[r.Kind]); err != nil {
			return err
		}
	}
	if len(existing)+len(add) < p.MinCount {
		return refuse("请上传至少 %d 个文件", p.MinCount)
	}
	return nil
}

// CheckCount checks the number of files of one kind: have already kept,
// added now.
func (p Policy) CheckCount(k Kind, have, added int) error {
	r, ok := p.rule(k)
	if !ok || have+added <= r.MaxCount {
		return nil
	}
	m, n := k.measure(), k.noun()
	return refuse("%s最多上传 %d %s%s（已有 %d %s，本次选择了 %d %s）", p.Owner, r.MaxCount, m, n, have, m, added, m)
}

// CheckAll checks uploads for an owner that already has existing: every
// file by Check, then the counts, and only then are the images decoded
// (one at a time per slot of the process) to refuse a file whose header is
// fine but whose data is not. Nothing is kept; the caller keeps the files
// once all passed.
func (p Policy) CheckAll(existing []Info, ups []*Upload) ([]Info, error) {
	infos := make([]Info, 0, len(ups))
	for _, u := range ups {
		info, err := p.Check(u)
		if err != nil {
			return nil, err
		}
		infos = append(infos, info)
	}
	if err := p.CheckCounts(existing, infos); err != nil {
		return nil, err
	}
	for i, u := range ups {
		if infos[i].Kind != Image {
			continue
		}
		if err := decodeImage(u.r, u.Size); err != nil {
			return nil, refuse("图片「%s」已损坏，无法读取", infos[i].Name)
		}
	}
	return infos, nil
}

// CleanName keeps the base name a browser sent, without directories or
// control characters, at most 100 characters.
func CleanName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "")
	}
	if r := []rune(name); len(r) > 100 {
		ext := filepath.Ext(name)
		if utf8.RuneCountInString(ext) > 10 {
			ext = ""
		}
		name = string(r[:100-utf8.RuneCountInString(ext)]) + ext
	}
	if name == "" {
		name = "未命名"
	}
	return name
}
