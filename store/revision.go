package store

import "fmt"

// Records that people edit in forms (a candidate, an organisation, a user, an
// occupation, a print format) carry a revision number, Rev, raised by every
// save through a form. The form sends back the revision it was made from; a
// save from an older one is refused with a *StaleError instead of silently
// overwriting what someone else saved meanwhile. A record saved before
// revisions existed counts as revision 1. Callers inside the program that
// edit without a form pass 0, which skips the comparison.

// StaleError refuses an edit made from an older revision of a record.
// errors.Is(err, ErrConflict) holds.
type StaleError struct {
	What string // e.g. 合格人员
	Rev  uint64 // the current revision
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("在您打开表单之后，该%s已被其他人修改并保存。请核对下面列出的变化，再决定是否重新修改。", e.What)
}

// Is makes a StaleError match ErrConflict.
func (e *StaleError) Is(target error) bool { return target == ErrConflict }

// CurrentRev is the revision a record with stored rev has (records saved
// before revisions existed count as 1).
func CurrentRev(rev uint64) uint64 { return max(rev, 1) }

// nextRev checks the revision a form was made from (sent; 0 skips the check)
// against the record's (*rev) and raises the record's.
func nextRev(what string, rev *uint64, sent uint64) error {
	have := CurrentRev(*rev)
	if sent != 0 && sent != have {
		return &StaleError{What: what, Rev: have}
	}
	*rev = have + 1
	return nil
}
