package files_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"certreg/files"
)

// materials is the batch materials' policy, written out here from the
// product's rule: at most 2 documents of 10 MB and 20 images of 2 MB.
var materials = files.Policy{Owner: "每个批次", Rules: []files.Rule{
	{Kind: files.Document, MaxSize: 10 << 20, MaxCount: 2},
	{Kind: files.Image, MaxSize: 2 << 20, MaxCount: 20},
}}

// proofs is the policy a certificate business will use: 1–5 JPEG/PNG
// images of at most 200 KB.
var proofs = files.Policy{Owner: "每项业务", MinCount: 1, Rules: []files.Rule{
	{Kind: files.Image, MaxSize: 200 << 10, MaxCount: 5},
}}

func refusedWith(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	var fe *files.Error
	if !errors.As(err, &fe) {
		t.Errorf("%s: got %v, want a refusal", what, err)
		return
	}
	for _, w := range want {
		if !strings.Contains(fe.Message, w) {
			t.Errorf("%s: %q lacks %q", what, fe.Message, w)
		}
	}
}

func TestCheckOneFile(t *testing.T) {
	jpeg := tinyJPEG(t)
	zipBytes := zipOf(t, map[string]string{"readme.txt": "hi"})
	docx := zipOf(t, map[string]string{"[Content_Types].xml": "<x/>", "word/document.xml": "<w/>"})
	xlsx := zipOf(t, map[string]string{"[Content_Types].xml": "<x/>", "xl/workbook.xml": "<w/>"})
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...)
	big := append(tinyPNG(t, 1), make([]byte, 2<<20)...)
	for _, tc := range []struct {
		name    string
		content []byte
		kind    files.Kind
		msg     string
	}{
		{"照片.png", tinyPNG(t, 3), files.Image, ""},
		{"照片.JPG", jpeg, files.Image, ""},
		{"照片.jpeg", jpeg, files.Image, ""},
		{"计划.pdf", []byte("%PDF-1.4\n"), files.Document, ""},
		{"计划.docx", docx, files.Document, ""},
		{"名单.xlsx", xlsx, files.Document, ""},
		{"旧.doc", ole, files.Document, ""},
		{"旧.xls", ole, files.Document, ""},
		{"伪装.png", zipBytes, "", "内容是ZIP 压缩包，与扩展名 .png 不符"},
		{"伪装.pdf", jpeg, "", "内容是JPEG 图片，与扩展名 .pdf 不符"},
		{"伪装.docx", zipBytes, "", "与扩展名 .docx 不符"},
		{"伪装.xlsx", docx, "", "内容是Word 文档"},
		{"伪装.jpg", tinyPNG(t, 2), "", "内容是PNG 图片"},
		{"程序.exe", []byte("MZ"), "", "类型（.exe）不支持：文档只能是 pdf、doc、docx、xls、xlsx，图片只能是 jpg、png"},
		{"无扩展名", []byte("%PDF"), "", "无扩展名"},
		{"空.pdf", nil, "", "是空的"},
		{"大.png", big, "", "图片「大.png」超过每个图片 2 MB 的上限"},
		{"大.pdf", append([]byte("%PDF"), make([]byte, 10<<20)...), "", "超过每个文档 10 MB 的上限"},
		{"巨幅.png", craftPNG(t, pngSpec{w: 20000, h: 20000, depth: 8, colorType: 2}, false), "", "20000×20000 像素"},
		{"截断.png", tinyPNG(t, 4)[:30], "", "已损坏"},
	} {
		info, err := materials.Check(files.Bytes(tc.name, tc.content))
		if tc.msg == "" {
			sum := sha256.Sum256(tc.content)
			if err != nil || info.Kind != tc.kind || info.Hash != hex.EncodeToString(sum[:]) || info.Size != int64(len(tc.content)) {
				t.Errorf("%s: %v %+v", tc.name, err, info)
			}
			continue
		}
		refusedWith(t, tc.name, err, tc.msg, tc.name)
	}
}

// The memory an image takes once decoded is measured from its header and
// refused before anything is decoded. Figures from the rule: 64 MB per
// image; 16-bit colour is 8 bytes per pixel, 8-bit colour 4, grey and
// palette 1; a grey picture with a transparent colour becomes 4 bytes; an
// interlaced PNG needs its passes besides the picture (twice); a JPEG
// allocates whole 8×8 blocks per component (4:2:0 is 384 samples per
// 16×16 MCU, 4:4:4 is 192 per 8×8) and a progressive one 4 more bytes of
// coefficients per sample.
func TestImageDecodeBudget(t *testing.T) {
	const ok = ""
	for _, tc := range []struct {
		what    string
		content []byte
		msg     string
	}{
		{"16-bit RGBA 6300×6300 (303 MB)", craftPNG(t, pngSpec{w: 6300, h: 6300, depth: 16, colorType: 6}, false), "6300×6300 像素（每色 16 位），打开需要约 302.8 MB 内存，超过每张图片 64 MB 的上限"},
		{"16-bit RGBA 2800×2800 (60 MB)", craftPNG(t, pngSpec{w: 2800, h: 2800, depth: 16, colorType: 6}, false), ok},
		{"RGBA 4096×4096 (64 MB)", craftPNG(t, pngSpec{w: 4096, h: 4096, depth: 8, colorType: 6}, false), ok},
		{"RGBA 4097×4096", craftPNG(t, pngSpec{w: 4097, h: 4096, depth: 8, colorType: 6}, false), "4097×4096 像素（每色 8 位）"},
		{"RGB 4097×4096 (decoded as RGBA)", craftPNG(t, pngSpec{w: 4097, h: 4096, depth: 8, colorType: 2}, false), "超过每张图片 64 MB 的上限"},
		{"grey 8000×8000 (61 MB)", craftPNG(t, pngSpec{w: 8000, h: 8000, depth: 8, colorType: 0}, false), ok},
		{"grey with tRNS 8000×8000 (244 MB)", craftPNG(t, pngSpec{w: 8000, h: 8000, depth: 8, colorType: 0, tRNS: true}, false), "打开需要约 244.1 MB 内存"},
		{"paletted 8000×8000", craftPNG(t, pngSpec{w: 8000, h: 8000, depth: 8, colorType: 3}, false), ok},
		{"RGBA 3000×3000", craftPNG(t, pngSpec{w: 3000, h: 3000, depth: 8, colorType: 6}, false), ok},
		{"interlaced RGBA 3000×3000 (69 MB)", craftPNG(t, pngSpec{w: 3000, h: 3000, depth: 8, colorType: 6, interlaced: true}, false), "打开需要约 68.7 MB 内存"},
		{"paletted 10001×100 (side)", craftPNG(t, pngSpec{w: 10001, h: 100, depth: 8, colorType: 3}, false), "每边也不能超过 10000 像素"},
		{"JPEG 4:2:0 4000×3000 (17 MB)", craftJPEG(jpegSpec{w: 4000, h: 3000, sampling: []byte{0x22, 0x11, 0x11}}), ok},
		{"progressive JPEG 4:2:0 4000×3000 (86 MB)", craftJPEG(jpegSpec{w: 4000, h: 3000, progressive: true, sampling: []byte{0x22, 0x11, 0x11}}), "打开需要约 86.1 MB 内存"},
		{"progressive JPEG 4:2:0 2000×2000", craftJPEG(jpegSpec{w: 2000, h: 2000, progressive: true, sampling: []byte{0x22, 0x11, 0x11}}), ok},
		{"JPEG 4:4:4 6000×4000 (69 MB)", craftJPEG(jpegSpec{w: 6000, h: 4000, sampling: []byte{0x11, 0x11, 0x11}}), "6000×4000 像素"},
		{"grey JPEG 8000×8000", craftJPEG(jpegSpec{w: 8000, h: 8000, sampling: []byte{0x11}}), ok},
	} {
		name := "图.png"
		if tc.content[0] == 0xFF {
			name = "图.jpg"
		}
		info, err := materials.Check(files.Bytes(name, tc.content))
		if tc.msg == ok {
			if err != nil || info.Width == 0 {
				t.Errorf("%s: %v", tc.what, err)
			}
			continue
		}
		refusedWith(t, tc.what, err, tc.msg, "请缩小")
	}
}

// The image of the report: a PNG of 6300×6300 16-bit RGBA with real picture
// data, well under the 2 MB cap, is refused while allocating almost nothing
// (decoding it would take 303 MB).
func TestSmallFileHugeImageRefusedWithoutDecoding(t *testing.T) {
	content := craftPNG(t, pngSpec{w: 6300, h: 6300, depth: 16, colorType: 6}, true)
	if len(content) > 2<<20 {
		t.Fatalf("crafted PNG is %d bytes", len(content))
	}
	t.Logf("6300×6300 16-bit RGBA PNG: %d bytes", len(content))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := materials.CheckAll(nil, []*files.Upload{files.Bytes("签到表.png", content)})
	runtime.ReadMemStats(&after)
	refusedWith(t, "real 6300×6300 PNG", err, "6300×6300 像素（每色 16 位）")
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Fatalf("checking allocated %d bytes", alloc)
	}
}

// Counts and sizes are checked for every file before any image is decoded:
// an image whose header is fine but whose data is broken is reported as
// broken only when everything else passed.
func TestCountsAndSizesBeforeDecoding(t *testing.T) {
	broken := craftPNG(t, pngSpec{w: 64, h: 64, depth: 8, colorType: 6}, false) // IDAT is not zlib
	if _, err := materials.Check(files.Bytes("坏.png", broken)); err != nil {
		t.Fatalf("the header alone passes: %v", err)
	}
	existing := make([]files.Info, 20)
	for i := range existing {
		existing[i] = files.Info{Hash: fmt.Sprintf("%064d", i), Name: fmt.Sprintf("旧%d.png", i), Kind: files.Image}
	}
	_, err := materials.CheckAll(existing, []*files.Upload{files.Bytes("坏.png", broken)})
	refusedWith(t, "21st image", err, "每个批次最多上传 20 张图片（已有 20 张，本次选择了 1 张）")

	big := append(tinyPNG(t, 1), make([]byte, 2<<20)...)
	_, err = materials.CheckAll(nil, []*files.Upload{files.Bytes("坏.png", broken), files.Bytes("大.png", big)})
	refusedWith(t, "broken then too big", err, "大.png", "超过每个图片 2 MB 的上限")

	_, err = materials.CheckAll(nil, []*files.Upload{files.Bytes("好.png", tinyPNG(t, 2)), files.Bytes("坏.png", broken)})
	refusedWith(t, "broken data", err, "图片「坏.png」已损坏")

	docs := []*files.Upload{files.Bytes("a.pdf", []byte("%PDF-a")), files.Bytes("b.pdf", []byte("%PDF-b")), files.Bytes("c.pdf", []byte("%PDF-c"))}
	_, err = materials.CheckAll(nil, docs)
	refusedWith(t, "three documents", err, "每个批次最多上传 2 个文档（已有 0 个，本次选择了 3 个）")

	_, err = materials.CheckAll(nil, []*files.Upload{files.Bytes("a.png", tinyPNG(t, 5)), files.Bytes("b.png", tinyPNG(t, 5))})
	refusedWith(t, "same content twice", err, "文件「b.png」与已上传的「a.png」内容相同")

	if got := materials.TooMany(23).Error(); got != "一次选择了 23 个文件：每个批次最多 2 个文档和 20 张图片" {
		t.Fatalf("too many: %q", got)
	}
	if materials.MaxFiles() != 22 || materials.MaxTotal() != 60<<20 {
		t.Fatalf("max files %d, total %d", materials.MaxFiles(), materials.MaxTotal())
	}
}

// A second kind of upload is a Policy value: the proofs of a certificate
// business.
func TestPolicyForProofImages(t *testing.T) {
	_, err := proofs.CheckAll(nil, []*files.Upload{files.Bytes("申请表.pdf", []byte("%PDF-1.4"))})
	refusedWith(t, "pdf proof", err, "类型（.pdf）不支持：图片只能是 jpg、png")
	big := append(tinyPNG(t, 1), make([]byte, 200<<10)...)
	_, err = proofs.CheckAll(nil, []*files.Upload{files.Bytes("申请表.png", big)})
	refusedWith(t, "201 KB proof", err, "超过每个图片 200 KB 的上限")
	six := make([]*files.Upload, 6)
	for i := range six {
		six[i] = files.Bytes(fmt.Sprintf("%d.png", i), tinyPNG(t, i))
	}
	_, err = proofs.CheckAll(nil, six)
	refusedWith(t, "six proofs", err, "每项业务最多上传 5 张图片")
	_, err = proofs.CheckAll(nil, nil)
	refusedWith(t, "no proof", err, "请上传至少 1 个文件")
	if got, err := proofs.CheckAll(nil, six[:5]); err != nil || len(got) != 5 {
		t.Fatalf("five proofs: %v", err)
	}
}

func TestSizeLabel(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 900: "900 B", 1023: "1023 B", 1024: "1 KB", 1536: "2 KB", 64 << 10: "64 KB", 200 << 10: "200 KB",
		512 << 10: "512 KB", 1<<20 - 1: "1 MB", 1 << 20: "1 MB", 1258291: "1.2 MB", 2 << 20: "2 MB", 2<<20 + 1: "2 MB",
		10 << 20: "10 MB", 60 << 20: "60 MB", 1 << 30: "1 GB", 3 << 29: "1.5 GB",
	} {
		if got := files.SizeLabel(n); got != want {
			t.Errorf("SizeLabel(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestReceiveAndKeep(t *testing.T) {
	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, files.TempDir), 0o750); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(data, files.TempDir, "upload-123")
	if err := os.WriteFile(leftover, []byte("from a crash"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := files.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Fatalf("temporary file of a previous run kept: %v", err)
	}
	content := bytes.Repeat([]byte("0123456789"), 1000)
	sum := sha256.Sum256(content)
	want := hex.EncodeToString(sum[:])

	u, err := d.Receive("资料.pdf", bytes.NewReader(content), 10000)
	if err != nil || u.Over || u.Size != 10000 || u.Hash != want {
		t.Fatalf("receive: %v %+v", err, u)
	}
	if _, err := d.Read(want); !errors.Is(err, files.ErrNotFound) {
		t.Fatalf("readable before Keep: %v", err)
	}
	if err := d.Keep(u); err != nil {
		t.Fatal(err)
	}
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := d.Read(want); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("kept file: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(data, files.TempDir)); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}

	// Over the cap: read to the end for its size, nothing stored.
	u, err = d.Receive("大.pdf", bytes.NewReader(content), 9999)
	if err != nil || !u.Over || u.Size != 10000 {
		t.Fatalf("over: %v %+v", err, u)
	}
	if err := d.Keep(u); err == nil {
		t.Fatal("a file over its cap was kept")
	}
	u.Close()
	// Not kept: closing removes it.
	u, _ = d.Receive("另.pdf", strings.NewReader("%PDF-x"), 100)
	u.Close()
	if left, _ := os.ReadDir(filepath.Join(data, files.TempDir)); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if _, err := d.Path("../registry.db"); !errors.Is(err, files.ErrNotFound) {
		t.Fatalf("a path as a hash: %v", err)
	}
	// Bytes are kept the same way.
	h, err := d.Put([]byte("内存中的内容"))
	if err != nil || !d.Has(h, int64(len("内存中的内容"))) {
		t.Fatalf("put: %v", err)
	}
}

// The crafted picture data of the tests is a valid PNG.
func TestCraftedPNGDecodes(t *testing.T) {
	content := craftPNG(t, pngSpec{w: 300, h: 200, depth: 16, colorType: 6}, true)
	img, err := png.Decode(bytes.NewReader(content))
	if err != nil || img.Bounds().Dx() != 300 || img.Bounds().Dy() != 200 {
		t.Fatalf("crafted PNG: %v", err)
	}
	if _, err := materials.CheckAll(nil, []*files.Upload{files.Bytes("小.png", content)}); err != nil {
		t.Fatalf("a valid small 16-bit PNG refused: %v", err)
	}
}
