// Package sheets owns everything Excel in the registration system: the
// candidate template a unit downloads, the reading of a filled list
// (Import), the annotated copy of a refused upload (Annotate) and list
// exports (Export). The candidate model and its rules live in package
// candidate; this package only moves candidates between workbooks and
// that model.
//
// Every workbook it writes follows the same conventions (book.go): one
// named font (宋体), every string written as a text cell through one
// neutralising function so that nothing can become a formula (with the
// quote-prefix style instead of a visible apostrophe), rows as tall as their
// wrapped text, and a page setup that prints every column on A4 landscape
// with the header repeated.
package sheets

import (
	"certreg/candidate"
)

// Sheet names of the template.
const (
	SheetCandidates   = "合格人员"
	SheetInstructions = "填写说明"
	// SheetOccupations is hidden; the 职业（工种） drop-down points at it
	// because an inline list is limited to 255 characters.
	SheetOccupations = "职业列表"

	// sheetCandidatesOld is the data sheet's name in templates downloaded
	// before the product said 合格人员 everywhere; Import still reads it.
	sheetCandidatesOld = "候选人"
)

// ColErrors is the column Annotate adds at the end of an annotated
// workbook; the import ignores it so a corrected copy can be uploaded.
const ColErrors = "错误说明"

// author signs the comments this package writes.
const author = "合格证登记系统"

// Indexes of the candidate columns in the template's order.
const (
	iName = iota
	iID
	iGender
	iWorkUnit
	iOccupation
	iLevel
	iPhone
	iRemark
	numCols
)

var columns = [numCols]string(candidate.Columns())

// colLetter returns the letters of a 0-based column.
func colLetter(i int) string { return candidate.ColumnLetters(i) }

// cellName names a cell by 0-based column and 1-based row.
func cellName(col, row int) string { return candidate.CellName(col, row) }
