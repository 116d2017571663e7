package sheets

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// The parts of an .xlsx package that excelize does not expose: which zip
// entry holds a worksheet, its comments and drawings, and the stored type of
// a cell while streaming (excelize's row iterator returns values only).

// pkg is an opened .xlsx package.
type pkg struct {
	zr    *zip.Reader
	files map[string]*zip.File
}

func openPkg(b []byte) (*pkg, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	p := &pkg{zr: zr, files: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		p.files[strings.TrimPrefix(f.Name, "/")] = f
	}
	return p, nil
}

func (p *pkg) file(name string) *zip.File {
	if f, ok := p.files[name]; ok {
		return f
	}
	for n, f := range p.files {
		if strings.EqualFold(n, name) {
			return f
		}
	}
	return nil
}

// read returns a part, at most unzipXMLSizeLimit bytes of it.
func (p *pkg) read(name string) ([]byte, error) {
	f := p.file(name)
	if f == nil {
		return nil, fmt.Errorf("part %s: not in the package", name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, unzipXMLSizeLimit))
}

type relationship struct {
	ID     string `xml:"Id,attr"`
	Type   string `xml:"Type,attr"`
	Target string `xml:"Target,attr"`
}

// rels returns the relationships of a part ("" for the package's own).
func (p *pkg) rels(part string) ([]relationship, error) {
	name := path.Join(path.Dir(part), "_rels", path.Base(part)+".rels")
	if part == "" {
		name = "_rels/.rels"
	}
	b, err := p.read(name)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Rel []relationship `xml:"Relationship"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("relationships of %q: %w", part, err)
	}
	return doc.Rel, nil
}

// target resolves a relationship target of a part to a zip path.
func target(part, t string) string {
	if strings.HasPrefix(t, "/") {
		return strings.TrimPrefix(t, "/")
	}
	return path.Join(path.Dir(part), t)
}

// relOfType returns the target of the first relationship whose type ends
// with kind (e.g. "/comments"), or "".
func relOfType(rels []relationship, part, kind string) string {
	for _, r := range rels {
		if strings.HasSuffix(r.Type, kind) {
			return target(part, r.Target)
		}
	}
	return ""
}

// sheetPart returns the zip path of a worksheet, by name.
func (p *pkg) sheetPart(sheet string) (string, error) {
	wb := "xl/workbook.xml"
	if rels, err := p.rels(""); err == nil {
		if t := relOfType(rels, "", "/officeDocument"); t != "" {
			wb = t
		}
	}
	b, err := p.read(wb)
	if err != nil {
		return "", err
	}
	var doc struct {
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return "", fmt.Errorf("workbook: %w", err)
	}
	rid := ""
	for _, s := range doc.Sheets {
		if s.Name != sheet {
			continue
		}
		for _, a := range s.Attrs {
			if a.Name.Local == "id" && a.Name.Space != "" {
				rid = a.Value
			}
		}
	}
	if rid == "" {
		return "", fmt.Errorf("workbook: no sheet %q", sheet)
	}
	rels, err := p.rels(wb)
	if err != nil {
		return "", err
	}
	for _, r := range rels {
		if r.ID == rid {
			return target(wb, r.Target), nil
		}
	}
	return "", fmt.Errorf("workbook: sheet %q has no part", sheet)
}

// numericCells returns the rows, up to lastRow, whose cell in the 0-based
// column col is stored as a number: a cell with no type or type "n" that has
// a value or a formula.
func numericCells(src []byte, sheet string, col, lastRow int) (map[int]bool, error) {
	sc, err := scanSheet(src, sheet, col, lastRow, func(t string) bool { return t == "" || t == "n" })
	return sc.cells, err
}

// scan is what scanSheet found.
type scan struct {
	cells   map[int]bool    // rows whose cell matched
	heights map[int]float64 // rows with a height of their own, in points
}

// scanSheet finds the rows, up to lastRow, whose cell in the 0-based column
// col has content and a type attribute ("" when absent) that match wants.
// It scans the worksheet's tags without decoding the XML, which costs a few
// milliseconds for thousands of rows where excelize's decoder takes a
// large part of a second.
// A negative col matches no cell (only the heights are wanted).
func scanSheet(src []byte, sheet string, col, lastRow int, wants func(t string) bool) (scan, error) {
	p, err := openPkg(src)
	if err != nil {
		return scan{}, err
	}
	part, err := p.sheetPart(sheet)
	if err != nil {
		return scan{}, err
	}
	f := p.file(part)
	if f == nil {
		return scan{}, fmt.Errorf("sheet %q: part %s missing", sheet, part)
	}
	rc, err := f.Open()
	if err != nil {
		return scan{}, err
	}
	defer rc.Close()
	return scanCells(io.LimitReader(rc, unzipSizeLimit), col+1, lastRow, wants)
}

// scanCells does the work of scanSheet on a worksheet's XML; col is 1-based.
// A cell element that is not self-closing has content.
func scanCells(r io.Reader, col, lastRow int, wants func(t string) bool) (scan, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	out := scan{cells: map[int]bool{}, heights: map[int]float64{}}
	row, c := 0, 0
	var tag []byte
	for {
		// Skip to the next tag.
		for {
			_, err := br.ReadSlice('<')
			if err == nil {
				break
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return scan{}, err
		}
		tag = tag[:0]
		for {
			chunk, err := br.ReadSlice('>')
			tag = append(tag, chunk...)
			if err == nil {
				break
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return scan{}, err
		}
		if len(tag) == 0 || tag[0] == '/' || tag[0] == '?' || tag[0] == '!' {
			continue
		}
		end := bytes.IndexAny(tag, " \t\r\n/>")
		if end < 0 {
			continue
		}
		name := tag[:end]
		if i := bytes.LastIndexByte(name, ':'); i >= 0 {
			name = name[i+1:]
		}
		switch string(name) {
		case "row":
			if v := attr(tag[end:], "r"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					return scan{}, fmt.Errorf("row number %q: %w", v, err)
				}
				row = n
			} else {
				row++
			}
			c = 0
			if row > lastRow {
				return out, nil
			}
			if v := attr(tag[end:], "ht"); v != "" {
				if h, err := strconv.ParseFloat(v, 64); err == nil {
					out.heights[row] = h
				}
			}
		case "c":
			if ref := attr(tag[end:], "r"); ref != "" {
				cc, rr, err := excelize.CellNameToCoordinates(ref)
				if err != nil {
					return scan{}, err
				}
				c, row = cc, rr
			} else {
				c++
			}
			if c != col {
				continue
			}
			selfClosing := len(tag) >= 2 && tag[len(tag)-2] == '/'
			if !selfClosing && wants(attr(tag[end:], "t")) {
				out.cells[row] = true
			}
		}
	}
}

// attr returns the value of an unprefixed attribute in the attribute part
// of a tag, or "".
func attr(s []byte, name string) string {
	for {
		i := 0
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			i++
		}
		s = s[i:]
		eq := bytes.IndexByte(s, '=')
		if eq <= 0 {
			return ""
		}
		key := bytes.TrimSpace(s[:eq])
		s = bytes.TrimLeft(s[eq+1:], " \t\r\n")
		if len(s) == 0 || (s[0] != '"' && s[0] != '\'') {
			return ""
		}
		q := s[0]
		closing := bytes.IndexByte(s[1:], q)
		if closing < 0 {
			return ""
		}
		if string(key) == name {
			return string(s[1 : 1+closing])
		}
		s = s[closing+2:]
	}
}
