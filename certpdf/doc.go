// Package certpdf owns the printed certificate (职业培训合格证): the PDFs made
// from a print format (certlayout.Format) — certificates one page each, a
// preview with sample data, and a calibration sheet — with the fonts
// embedded in the binary.
//
// The main font is LXGW WenKai (fonts/OFL.txt). Every CJK ideograph a name
// may hold that it cannot print — CJK Extension A characters it lacks,
// Extensions B to F and the compatibility ideographs — prints with a
// fallback font made from WenKai's own supplementary glyphs and Hanazono
// Mincho (fonts/fallback/LICENSE.txt), switched per run of characters.
// Printable and MissingRune tell which characters the embedded fonts print,
// so that the import can refuse the others. `go generate` remakes the
// fallback fonts and their table with internal/fontgen; it reads Hanazono
// from Debian's fonts-hanazono, and only that command needs it.
//
// Values are never truncated and never printed as boxes: a character no
// embedded font has, or a value that does not fit its box even at 6 pt,
// fails the render with a *TextError naming the certificate and the field.
package certpdf
