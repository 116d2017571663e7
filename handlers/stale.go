package handlers

import (
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/gofiber/fiber/v2"

	"certreg/store"
)

// Stale forms. Every edit form carries the revision of the record it was made
// from (hidden field rev) and the values it showed (hidden field base). When
// the store refuses a save because someone else saved the record meanwhile
// (store.StaleError), the form comes back with 422, the user's input kept,
// and a notice listing each field that changed meanwhile, as it was when the
// form was opened and as it is now. The form then carries the current
// revision, so saving again is a deliberate choice.

// field is one labelled value of a record as a form shows it.
type field struct{ Label, Value string }

// staleChange is a field someone else changed after the form was opened.
type staleChange struct{ Label, Then, Now string }

// staleNotice is what the page shows of a refused save.
type staleNotice struct {
	Message string
	Changes []staleChange
}

// formBase encodes the values a form shows, for its hidden field base.
func formBase(fields []field) string {
	b, _ := json.Marshal(fields)
	return base64.RawURLEncoding.EncodeToString(b)
}

// changedMeanwhile compares the values a form was made from (its base field)
// with the record's values now.
func changedMeanwhile(base string, now []field) []staleChange {
	var then []field
	if raw, err := base64.RawURLEncoding.DecodeString(base); err == nil && len(raw) < 64<<10 {
		_ = json.Unmarshal(raw, &then)
	}
	was := map[string]string{}
	for _, f := range then {
		was[f.Label] = f.Value
	}
	var out []staleChange
	for _, f := range now {
		if old, ok := was[f.Label]; !ok || old != f.Value {
			out = append(out, staleChange{Label: f.Label, Then: was[f.Label], Now: f.Value})
		}
	}
	return out
}

// staleOf tells whether err refuses a save from an old revision and, if so,
// builds the notice from the form's base and the record's values now.
func staleOf(c *fiber.Ctx, err error, now []field) (*staleNotice, bool) {
	var se *store.StaleError
	if !errors.As(err, &se) {
		return nil, false
	}
	n := &staleNotice{Message: se.Error(), Changes: changedMeanwhile(c.FormValue("base"), now)}
	c.Locals("stale", n)
	return n, true
}

// formRev reads the revision a form was made from.
func formRev(c *fiber.Ctx) uint64 { return parseUint(c.FormValue("rev")) }

// revBase is the revision and base a form page carries: those the user's
// form was made from when it comes back with errors (form holds them), else
// the record's current ones.
func revBase(form map[string]string, rev uint64, now []field) (uint64, string) {
	if form != nil && form["rev"] != "" {
		return parseUint(form["rev"]), form["base"]
	}
	return store.CurrentRev(rev), formBase(now)
}

// orgFields are the values of an organisation as its edit forms show them.
func orgFields(o store.Org) []field {
	return []field{{"机构名称", o.Name}, {"所在地区", o.Region}, {"联系人", o.Contact}, {"联系电话", o.Phone}, {"地址", o.Address}}
}
