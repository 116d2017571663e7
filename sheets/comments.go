package sheets

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// writeComments copies the workbook excelize wrote (built) to w with the
// comments of one sheet replaced by list, written as the two parts Excel
// reads them from: the comments (text and author) and the legacy VML
// drawing (the note boxes). excelize's AddComment and DeleteComment each
// walk every comment already on the sheet, which makes thousands of marks
// take minutes; here the parts are written in one pass. The sheet must
// already have both parts (Annotate lets excelize create them). Other
// shapes of that VML drawing (form controls, rare in a list of people) are
// not kept.
func writeComments(built []byte, sheet string, list []excelize.Comment, w io.Writer) error {
	p, err := openPkg(built)
	if err != nil {
		return err
	}
	part, err := p.sheetPart(sheet)
	if err != nil {
		return err
	}
	rels, err := p.rels(part)
	if err != nil {
		return err
	}
	commentsPart := relOfType(rels, part, "/comments")
	vmlPart := relOfType(rels, part, "/vmlDrawing")
	if commentsPart == "" || vmlPart == "" || p.file(commentsPart) == nil || p.file(vmlPart) == nil {
		return fmt.Errorf("sheet %q has no comment parts", sheet)
	}

	// Shape ids live in blocks of 1,024 per drawing: start after the
	// blocks of the workbook's other VML drawings.
	maxID := 0
	for name := range p.files {
		if !strings.HasSuffix(strings.ToLower(name), ".vml") || strings.EqualFold(name, vmlPart) {
			continue
		}
		b, err := p.read(name)
		if err != nil {
			return err
		}
		for _, m := range shapeIDs.FindAllSubmatch(b, -1) {
			if n, err := strconv.Atoi(string(m[1])); err == nil {
				maxID = max(maxID, n)
			}
		}
	}
	firstBlock := maxID/1024 + 1

	slices.SortStableFunc(list, func(a, b excelize.Comment) int {
		ac, ar, _ := excelize.CellNameToCoordinates(a.Cell)
		bc, br, _ := excelize.CellNameToCoordinates(b.Cell)
		if ar != br {
			return ar - br
		}
		return ac - bc
	})
	commentsXML, err := commentsDoc(list)
	if err != nil {
		return err
	}
	vmlXML, err := vmlDoc(list, firstBlock)
	if err != nil {
		return err
	}

	zw := zip.NewWriter(w)
	for _, f := range p.zr.File {
		name := strings.TrimPrefix(f.Name, "/")
		var body []byte
		switch {
		case strings.EqualFold(name, commentsPart):
			body = commentsXML
		case strings.EqualFold(name, vmlPart):
			body = vmlXML
		default:
			if err := zw.Copy(f); err != nil {
				return err
			}
			continue
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: f.Modified})
		if err != nil {
			return err
		}
		if _, err := fw.Write(body); err != nil {
			return err
		}
	}
	return zw.Close()
}

var shapeIDs = regexp.MustCompile(`_x0000_s(\d+)`)

const xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// commentsDoc is the comments part: authors, then each comment's text as
// runs (a plain comment gets one run in the package font).
func commentsDoc(list []excelize.Comment) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString(`<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors>`)
	var authors []string
	authorID := map[string]int{}
	for _, c := range list {
		if _, ok := authorID[c.Author]; !ok {
			authorID[c.Author] = len(authors)
			authors = append(authors, c.Author)
		}
	}
	for _, a := range authors {
		b.WriteString("<author>")
		if err := xml.EscapeText(&b, []byte(a)); err != nil {
			return nil, err
		}
		b.WriteString("</author>")
	}
	b.WriteString(`</authors><commentList>`)
	for _, c := range list {
		fmt.Fprintf(&b, `<comment ref="%s" authorId="%d"><text>`, c.Cell, authorID[c.Author])
		runs := c.Paragraph
		if c.Text != "" {
			runs = append([]excelize.RichTextRun{{Text: c.Text}}, runs...)
		}
		for _, r := range runs {
			writeRun(&b, r)
		}
		b.WriteString(`</text></comment>`)
	}
	b.WriteString(`</commentList></comments>`)
	return b.Bytes(), nil
}

// writeRun writes one rich-text run of a comment.
func writeRun(b *bytes.Buffer, r excelize.RichTextRun) {
	fnt := excelize.Font{Size: 9, Family: FontName}
	if r.Font != nil {
		fnt = *r.Font
		if fnt.Family == "" {
			fnt.Family = FontName
		}
		if fnt.Size == 0 {
			fnt.Size = 9
		}
	}
	b.WriteString("<r><rPr>")
	if fnt.Bold {
		b.WriteString("<b/>")
	}
	if fnt.Italic {
		b.WriteString("<i/>")
	}
	fmt.Fprintf(b, `<sz val="%s"/>`, strconv.FormatFloat(fnt.Size, 'f', -1, 64))
	if c := strings.TrimPrefix(fnt.Color, "#"); len(c) == 6 || len(c) == 8 {
		if len(c) == 6 {
			c = "FF" + c
		}
		fmt.Fprintf(b, `<color rgb="%s"/>`, strings.ToUpper(c))
	} else {
		b.WriteString(`<color indexed="81"/>`)
	}
	b.WriteString(`<rFont val="`)
	_ = xml.EscapeText(b, []byte(fnt.Family))
	b.WriteString(`"/><family val="2"/>`)
	if fnt.Family == FontName {
		fmt.Fprintf(b, `<charset val="%d"/>`, fontCharset)
	}
	b.WriteString(`</rPr><t xml:space="preserve">`)
	v, _ := neutralize(r.Text)
	_ = xml.EscapeText(b, []byte(v))
	b.WriteString("</t></r>")
}

// vmlDoc is the legacy drawing with one hidden note box per comment.
func vmlDoc(list []excelize.Comment, firstBlock int) ([]byte, error) {
	var b bytes.Buffer
	blocks := make([]string, 0, len(list)/1024+1)
	for i := 0; i <= len(list)/1024; i++ {
		blocks = append(blocks, strconv.Itoa(firstBlock+i))
	}
	b.WriteString(`<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">`)
	fmt.Fprintf(&b, `<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="%s"/></o:shapelayout>`, strings.Join(blocks, ","))
	b.WriteString(`<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">` +
		`<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>`)
	for i, c := range list {
		col, row, err := excelize.CellNameToCoordinates(c.Cell)
		if err != nil {
			return nil, err
		}
		text := c.Text
		for _, r := range c.Paragraph {
			text += r.Text
		}
		// The box: three columns wide, as many rows tall as the text.
		lines := wrappedLines(text, 36)
		top := max(row-2, 0)
		fmt.Fprintf(&b, `<v:shape id="_x0000_s%d" type="#_x0000_t202" `+
			`style="position:absolute;margin-left:0;margin-top:0;width:200pt;height:%dpt;z-index:%d;visibility:hidden" `+
			`fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>`+
			`<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>`+
			`<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>`+
			`<x:Anchor>%d, 15, %d, 10, %d, 15, %d, 4</x:Anchor><x:AutoFill>False</x:AutoFill>`+
			`<x:Row>%d</x:Row><x:Column>%d</x:Column></x:ClientData></v:shape>`,
			firstBlock*1024+1+i, 14*lines+12, i+1,
			col, top, col+3, top+2+lines, row-1, col-1)
	}
	b.WriteString(`</xml>`)
	return b.Bytes(), nil
}
