package data

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// regionsTSV holds the GB/T 2260 province-level (2-digit) and
// prefecture-level (4-digit) divisions of mainland China, one
// "code<TAB>name" per line, sorted by code. Hong Kong (81), Macao (82) and
// Taiwan (71) are not included.
//
// Prefecture-level names follow the current edition except for these
// display conventions:
//   - the 市辖区 entry of each municipality (1101, 1201, 3101, 5001) is
//     named after the municipality, e.g. 1101 北京市;
//   - Chongqing's 县 group is named 5002 重庆市县;
//   - the groups of county-level units directly under a province keep their
//     official names (4190, 4290, 4690 省直辖县级行政区划 and 6590
//     自治区直辖县级行政区划), so display them together with the province.
//
//go:embed regions.tsv
var regionsTSV string

// Province is a province-level division: 省, 自治区 or 直辖市.
type Province struct {
	Code string // 2 digits, e.g. "34"
	Name string // official name, e.g. "安徽省"
}

// City is a prefecture-level division (地级市, 地区, 自治州, 盟), a
// municipality's 市辖区/县 group, or a group of county-level units directly
// under the province.
type City struct {
	Code         string // 4 digits, e.g. "3401"
	Name         string // e.g. "合肥市"
	ProvinceCode string // 2 digits, e.g. "34"
}

type regionTable struct {
	provinces  []Province
	provByCode map[string]Province
	cities     []City // sorted by code
	cityByCode map[string]City
	byProvince map[string][]City
}

var (
	regionsOnce sync.Once
	regionsData *regionTable
)

func regions() *regionTable {
	regionsOnce.Do(func() {
		t, err := parseRegions(regionsTSV)
		if err != nil {
			panic("data: bad embedded regions.tsv: " + err.Error())
		}
		regionsData = t
	})
	return regionsData
}

func parseRegions(src string) (*regionTable, error) {
	t := &regionTable{
		provByCode: map[string]Province{},
		cityByCode: map[string]City{},
		byProvince: map[string][]City{},
	}
	for i, line := range strings.Split(src, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		code, name, ok := strings.Cut(line, "\t")
		if !ok || name == "" || strings.Contains(name, "\t") || !isDigits(code) {
			return nil, fmt.Errorf("line %d: malformed %q", i+1, line)
		}
		switch len(code) {
		case 2:
			if _, dup := t.provByCode[code]; dup {
				return nil, fmt.Errorf("line %d: duplicate province %s", i+1, code)
			}
			p := Province{Code: code, Name: name}
			t.provinces = append(t.provinces, p)
			t.provByCode[code] = p
		case 4:
			if _, dup := t.cityByCode[code]; dup {
				return nil, fmt.Errorf("line %d: duplicate city %s", i+1, code)
			}
			c := City{Code: code, Name: name, ProvinceCode: code[:2]}
			t.cities = append(t.cities, c)
			t.cityByCode[code] = c
		default:
			return nil, fmt.Errorf("line %d: code %q is neither 2 nor 4 digits", i+1, code)
		}
	}
	sort.Slice(t.provinces, func(i, j int) bool { return t.provinces[i].Code < t.provinces[j].Code })
	sort.Slice(t.cities, func(i, j int) bool { return t.cities[i].Code < t.cities[j].Code })
	for _, c := range t.cities {
		if _, ok := t.provByCode[c.ProvinceCode]; !ok {
			return nil, fmt.Errorf("city %s: unknown province %s", c.Code, c.ProvinceCode)
		}
		t.byProvince[c.ProvinceCode] = append(t.byProvince[c.ProvinceCode], c)
	}
	return t, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Provinces returns the 31 province-level divisions of mainland China sorted
// by code. The slice is a copy.
func Provinces() []Province {
	return append([]Province(nil), regions().provinces...)
}

// ProvinceByCode looks up a province by its 2-digit code.
func ProvinceByCode(code string) (Province, bool) {
	p, ok := regions().provByCode[code]
	return p, ok
}

// Cities returns the prefecture-level divisions of the province with the
// given 2-digit code, sorted by code, or nil if the code is unknown. The
// slice is a copy.
func Cities(provinceCode string) []City {
	cs := regions().byProvince[provinceCode]
	if cs == nil {
		return nil
	}
	return append([]City(nil), cs...)
}

// CityByCode looks up a prefecture-level division by its 4-digit code.
func CityByCode(code4 string) (City, bool) {
	c, ok := regions().cityByCode[code4]
	return c, ok
}

// autonomousShort maps the autonomous regions to their customary short
// names, which drop the titular ethnic group as well as 自治区.
var autonomousShort = map[string]string{
	"内蒙古自治区":   "内蒙古",
	"广西壮族自治区":  "广西",
	"西藏自治区":    "西藏",
	"宁夏回族自治区":  "宁夏",
	"新疆维吾尔自治区": "新疆",
}

// ProvinceShortName returns the short name of the province with the given
// 2-digit code, e.g. "34" → 安徽, "11" → 北京, "45" → 广西, "15" → 内蒙古;
// it returns "" if the code is unknown.
func ProvinceShortName(code string) string {
	p, ok := ProvinceByCode(code)
	if !ok {
		return ""
	}
	if s, ok := autonomousShort[p.Name]; ok {
		return s
	}
	if s, ok := strings.CutSuffix(p.Name, "自治区"); ok {
		return s
	}
	if s, ok := strings.CutSuffix(p.Name, "省"); ok {
		return s
	}
	if s, ok := strings.CutSuffix(p.Name, "市"); ok {
		return s
	}
	return p.Name
}
