// Package certpdf owns the printed certificate (职业培训合格证): a unit's print
// formats (paper, printer calibration offset, and per field its position in
// millimetres, font size and visibility, in 套打 overlay or 完整 full mode),
// their validation, and the PDFs made from them — certificates one page each,
// a preview with sample data, and a calibration sheet — with the Chinese font
// LXGW WenKai embedded in the binary (fonts/OFL.txt).
//
// Values are never truncated and never printed as boxes: a character the
// font lacks, or a value that does not fit its box even at 6 pt, fails the
// render with a *TextError naming the certificate and the field.
package certpdf
