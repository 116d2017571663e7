package data

import (
	_ "embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// occupationsTSV is the catalogue of construction-industry skilled-worker
// occupations (住房和城乡建设行业职业/工种), one
// "code<TAB>name<TAB>levels" per line, where levels is a comma-separated
// list of the skill levels (5..1) that can be certified for the trade.
//
// Codes are 3 digits, unique and stable: never renumber or reuse one.
// The tens digit groups the trades: 01x structural works, 02x decoration,
// 03x installation, 04x hoisting and machinery, 05x roads, bridges and
// landscaping, 06x traditional (ancient) architecture, 07x prefabricated
// construction and digital building.
//
//go:embed occupations.tsv
var occupationsTSV string

// Occupation is one trade of the catalogue.
type Occupation struct {
	Code   string // 3 digits, e.g. "012"
	Name   string // e.g. "砌筑工"
	Levels []int  // certifiable levels, from the lowest (5) up, e.g. [5 4 3 2 1]
}

var (
	occupationsOnce sync.Once
	occupationsData []Occupation
)

func occupations() []Occupation {
	occupationsOnce.Do(func() {
		list, err := parseOccupations(occupationsTSV)
		if err != nil {
			panic("data: bad embedded occupations.tsv: " + err.Error())
		}
		occupationsData = list
	})
	return occupationsData
}

func parseOccupations(src string) ([]Occupation, error) {
	var out []Occupation
	seen := map[string]bool{}
	for i, line := range strings.Split(src, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || len(f[0]) != 3 || !isDigits(f[0]) || f[1] == "" {
			return nil, fmt.Errorf("line %d: malformed %q", i+1, line)
		}
		if seen[f[0]] {
			return nil, fmt.Errorf("line %d: duplicate code %s", i+1, f[0])
		}
		seen[f[0]] = true
		o := Occupation{Code: f[0], Name: f[1]}
		have := map[int]bool{}
		for _, s := range strings.Split(f[2], ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 || n > 5 || have[n] {
				return nil, fmt.Errorf("line %d: bad level %q", i+1, s)
			}
			have[n] = true
			o.Levels = append(o.Levels, n)
		}
		sort.Sort(sort.Reverse(sort.IntSlice(o.Levels)))
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// Occupations returns the catalogue sorted by code. The result, including
// each Levels slice, is a copy the caller may modify.
func Occupations() []Occupation {
	src := occupations()
	out := make([]Occupation, len(src))
	for i, o := range src {
		o.Levels = append([]int(nil), o.Levels...)
		out[i] = o
	}
	return out
}
