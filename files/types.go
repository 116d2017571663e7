package files

import (
	"archive/zip"
	"bytes"
	"io"
)

// Kind groups the types an upload may hold; limits are set per kind.
type Kind string

const (
	Document Kind = "doc"   // pdf, doc, docx, xls, xlsx
	Image    Kind = "image" // jpg, png
)

// noun and measure word of a kind, for messages: 2 个文档, 20 张图片.
func (k Kind) noun() string {
	if k == Image {
		return "图片"
	}
	return "文档"
}

func (k Kind) measure() string {
	if k == Image {
		return "张"
	}
	return "个"
}

// Type is one accepted kind of content: the extensions a file of it may
// carry, its MIME type and its name for people.
type Type struct {
	Exts  []string
	Kind  Kind
	MIME  string
	Label string
}

// Types are the contents the application accepts from users.
var Types = []Type{
	{[]string{".pdf"}, Document, "application/pdf", "PDF 文档"},
	{[]string{".doc"}, Document, "application/msword", "Word 文档（.doc）"},
	{[]string{".docx"}, Document, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word 文档"},
	{[]string{".xls"}, Document, "application/vnd.ms-excel", "Excel 表格（.xls）"},
	{[]string{".xlsx"}, Document, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel 表格"},
	{[]string{".jpg", ".jpeg"}, Image, "image/jpeg", "JPEG 图片"},
	{[]string{".png"}, Image, "image/png", "PNG 图片"},
}

// TypeLabel is the name for people of a MIME type, e.g. PDF 文档.
func TypeLabel(mime string) string {
	for _, t := range Types {
		if t.MIME == mime {
			return t.Label
		}
	}
	return mime
}

// typeOfExt finds the type of a lower-case extension such as ".png".
func typeOfExt(ext string) (Type, bool) {
	for _, t := range Types {
		for _, e := range t.Exts {
			if e == ext {
				return t, true
			}
		}
	}
	return Type{}, false
}

// mimeOLE is what Sniff returns for an OLE compound file: .doc and .xls
// share the container, and which one it holds is not worth parsing; the
// extension decides between them.
const mimeOLE = "ole"

// sniffLen is how many leading bytes Sniff looks at (besides the zip
// directory of an Office Open XML file).
const sniffLen = 16

// Sniff names what content really is by its first bytes and, for Office
// Open XML, by the parts inside the zip: one of the MIME types of Types (or
// mimeOLE), or "" and a Chinese description of something else. size is the
// length of the content readable through r.
func Sniff(r io.ReaderAt, size int64) (mime, desc string) {
	b := make([]byte, sniffLen)
	n, _ := r.ReadAt(b, 0)
	b = b[:n]
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "application/pdf", "PDF 文档"
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg", "JPEG 图片"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", "PNG 图片"
	case bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return mimeOLE, "Office 97–2003 文档"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		zr, err := zip.NewReader(r, size)
		if err != nil {
			return "", "损坏的 ZIP 压缩包"
		}
		for _, f := range zr.File {
			switch f.Name {
			case "word/document.xml":
				return "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word 文档"
			case "xl/workbook.xml":
				return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel 表格"
			}
		}
		return "", "ZIP 压缩包"
	case bytes.HasPrefix(b, []byte("GIF8")):
		return "", "GIF 图片"
	case bytes.HasPrefix(b, []byte("BM")):
		return "", "BMP 图片"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "", "WebP 图片"
	case bytes.HasPrefix(b, []byte("MZ")):
		return "", "可执行程序"
	case bytes.HasPrefix(b, []byte("Rar!")):
		return "", "RAR 压缩包"
	}
	return "", "无法识别的内容"
}
