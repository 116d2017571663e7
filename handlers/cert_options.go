package handlers

import (
	"hash/maphash"
	"html"
	"html/template"
	"strconv"
	"strings"
	"sync"

	"certreg/data"
	"certreg/store"
)

// The library's filter form offers the occupations of the caller's scope
// and its certificates: a few dozen <option>s that change only when the
// catalogue, an organisation or the occupations a scope holds do
// (store.CertOccupationsGeneration). They are rendered once per list and
// kept, and the whole form once per (viewer,
// lists, query); a request only marks its selected options. The
// organisations are not in the form: a province has thousands, so the
// 发证机构 picker asks for them as the clerk types (cert_orgs.go), from a
// list kept here per viewer.

type optionCache struct {
	mu      sync.Mutex
	orgsGen uint64
	orgs    map[uint64][]orgChoice // by viewer: the organisations it may filter by
	occs    map[uint64]string      // by the hash of the occupations' codes and names: their options
	// byViewer are each viewer's occupations as options and their hash,
	// as of the store's occupation generation.
	byViewer map[uint64]viewerOccs
	// filters are rendered filter forms by filtersKey.
	filters map[string]template.HTML
}

// maxCachedOptions bounds the occupation lists kept.
const maxCachedOptions = 10000

// maxCachedOrgLists bounds the organisation lists kept: only the province
// and the depts filter by organisation, a few dozen viewers.
const maxCachedOrgLists = 256

// maxCachedForms bounds the rendered filter forms kept (about 6 KB each).
const maxCachedForms = 256

// orgChoice is an organisation the library can be filtered by.
type orgChoice struct {
	ID         uint64
	Name, Code string
	Dept       bool
	// name and code lower-cased, for matching.
	name, code string
}

// label is the organisation as the picker lists it, a dept marked.
func (o orgChoice) label() string {
	if o.Dept {
		return "【" + store.Dept.Label() + "】" + o.Name
	}
	return o.Name
}

// orgChoices are the organisations below viewer, by type and code, read
// once per viewer and kept until an organisation changes (callers must not
// change the slice).
func (s *Server) orgChoices(viewer store.Org) ([]orgChoice, error) {
	c := &s.options
	gen := s.st.OrgsGeneration()
	c.mu.Lock()
	if c.orgsGen != gen || c.orgs == nil {
		c.orgsGen, c.orgs = gen, map[uint64][]orgChoice{}
	}
	out, ok := c.orgs[viewer.ID]
	c.mu.Unlock()
	if ok {
		return out, nil
	}
	orgs, _, err := s.st.Orgs(viewer, store.OrgFilter{All: true})
	if err != nil {
		return nil, err
	}
	out = make([]orgChoice, len(orgs))
	for i, o := range orgs {
		out[i] = orgChoice{ID: o.ID, Name: o.Name, Code: o.Code, Dept: o.Type == store.Dept,
			name: strings.ToLower(o.Name), code: strings.ToLower(o.Code)}
	}
	c.mu.Lock()
	if c.orgsGen == gen {
		if len(c.orgs) >= maxCachedOrgLists {
			c.orgs = map[uint64][]orgChoice{}
		}
		c.orgs[viewer.ID] = out
	}
	c.mu.Unlock()
	return out, nil
}

type viewerOccs struct {
	gen     uint64
	options string
	id      uint64
}

// viewerOccupations are the <option>s of the occupations viewer's list
// offers and their hash (occupationOptions), kept per viewer until the
// store's answer may change.
func (s *Server) viewerOccupations(viewer store.Org) (string, uint64, error) {
	gen := s.st.CertOccupationsGeneration() // before reading: a kept answer is never newer than its generation
	c := &s.options
	c.mu.Lock()
	got, ok := c.byViewer[viewer.ID]
	c.mu.Unlock()
	if ok && got.gen == gen {
		return got.options, got.id, nil
	}
	occs, err := s.st.CertOccupations(viewer)
	if err != nil {
		return "", 0, err
	}
	options, id := s.occupationOptions(occs)
	c.mu.Lock()
	if c.byViewer == nil || len(c.byViewer) >= maxCachedOptions {
		c.byViewer = map[uint64]viewerOccs{}
	}
	c.byViewer[viewer.ID] = viewerOccs{gen: gen, options: options, id: id}
	c.mu.Unlock()
	return options, id, nil
}

// occupationOptions are the <option>s of occs (code, name), and a hash of
// the list, which also files them: 64 bits of a seeded hash tell the
// lists apart (the filter forms are filed under it as well).
func (s *Server) occupationOptions(occs []store.Occupation) (string, uint64) {
	var h maphash.Hash
	h.SetSeed(optionSeed)
	for i := range occs {
		h.WriteString(occs[i].Code)
		h.WriteByte(0)
		h.WriteString(occs[i].Name)
		h.WriteByte(0)
	}
	id := h.Sum64()
	c := &s.options
	c.mu.Lock()
	out, ok := c.occs[id]
	c.mu.Unlock()
	if ok {
		return out, id
	}
	var b strings.Builder
	for _, o := range occs {
		b.WriteString(`<option value="` + html.EscapeString(o.Code) + `">` + html.EscapeString(o.Name) + "</option>")
	}
	out = b.String()
	c.mu.Lock()
	if c.occs == nil || len(c.occs) >= maxCachedOptions {
		c.occs = map[uint64]string{}
	}
	c.occs[id] = out
	c.mu.Unlock()
	return out, id
}

var optionSeed = maphash.MakeSeed()

// filtersHTML is the rendered filter form for key (everything it shows:
// the viewer, the lists of options and the query), rendered by render on a
// miss and kept.
func (s *Server) filtersHTML(key string, render func() (template.HTML, error)) (template.HTML, error) {
	c := &s.options
	c.mu.Lock()
	out, ok := c.filters[key]
	c.mu.Unlock()
	if ok {
		return out, nil
	}
	out, err := render()
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if c.filters == nil || len(c.filters) >= maxCachedForms {
		c.filters = map[string]template.HTML{}
	}
	c.filters[key] = out
	c.mu.Unlock()
	return out, nil
}

// selectOption marks the option of value selected in a list of options
// made above (none when no option has it).
func selectOption(options, value string) template.HTML {
	if value != "" {
		at := `<option value="` + html.EscapeString(value) + `">`
		if i := strings.Index(options, at); i >= 0 {
			j := i + len(at) - 1
			return template.HTML(options[:j] + " selected" + options[j:])
		}
	}
	return template.HTML(options)
}

// The fixed drop-downs of the library's form.
var (
	levelOptions   = fixedOptions(levelPairs()...)
	statusOptions  = fixedOptions("valid", "有效", "cancelled", "已注销", "superseded", "已补办")
	printedOptions = fixedOptions("no", "未打印", "yes", "已打印")
	sizeOptions    = fixedOptions("20", "20 条", "50", "50 条", "100", "100 条")
)

func levelPairs() []string {
	var out []string
	for _, l := range data.Levels() {
		out = append(out, strconv.Itoa(l.Code), l.Name)
	}
	return out
}

// fixedOptions are the <option>s of value, label pairs.
func fixedOptions(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		b.WriteString(`<option value="` + html.EscapeString(pairs[i]) + `">` + html.EscapeString(pairs[i+1]) + "</option>")
	}
	return b.String()
}
