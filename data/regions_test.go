package data

import (
	"reflect"
	"strings"
	"testing"
)

func TestRegionsFileWellFormed(t *testing.T) {
	prev := ""
	for i, line := range strings.Split(strings.TrimSuffix(regionsTSV, "\n"), "\n") {
		code, name, ok := strings.Cut(line, "\t")
		if !ok || name == "" || strings.ContainsAny(name, "\t\r ") {
			t.Fatalf("line %d malformed: %q", i+1, line)
		}
		if (len(code) != 2 && len(code) != 4) || !isDigits(code) {
			t.Errorf("line %d: bad code %q", i+1, code)
		}
		if code <= prev {
			t.Errorf("line %d: code %s not sorted after %s (or duplicate)", i+1, code, prev)
		}
		prev = code
	}
}

func TestProvinces(t *testing.T) {
	ps := Provinces()
	if len(ps) != 31 {
		t.Fatalf("got %d provinces, want 31", len(ps))
	}
	if ps[0] != (Province{"11", "北京市"}) || ps[30] != (Province{"65", "新疆维吾尔自治区"}) {
		t.Errorf("first/last province = %v / %v", ps[0], ps[30])
	}
	seen := map[string]bool{}
	for i, p := range ps {
		if len(p.Code) != 2 || !isDigits(p.Code) || p.Name == "" {
			t.Errorf("bad province %+v", p)
		}
		if seen[p.Code] {
			t.Errorf("duplicate province %s", p.Code)
		}
		seen[p.Code] = true
		if i > 0 && ps[i-1].Code >= p.Code {
			t.Errorf("provinces not sorted at %s", p.Code)
		}
		if len(Cities(p.Code)) == 0 {
			t.Errorf("province %s has no cities", p.Code)
		}
	}
	for _, c := range []string{"71", "81", "82", "00", "1", "340"} {
		if _, ok := ProvinceByCode(c); ok {
			t.Errorf("ProvinceByCode(%q) found", c)
		}
	}
	if p, ok := ProvinceByCode("34"); !ok || p.Name != "安徽省" {
		t.Errorf("ProvinceByCode(34) = %v, %v", p, ok)
	}
	ps[0].Name = "changed"
	if Provinces()[0].Name != "北京市" {
		t.Error("Provinces does not return a copy")
	}
}

func TestCities(t *testing.T) {
	total := 0
	seen := map[string]bool{}
	for _, p := range Provinces() {
		cs := Cities(p.Code)
		for i, c := range cs {
			total++
			if len(c.Code) != 4 || !isDigits(c.Code) || c.Name == "" {
				t.Errorf("bad city %+v", c)
			}
			if seen[c.Code] {
				t.Errorf("duplicate city %s", c.Code)
			}
			seen[c.Code] = true
			if c.ProvinceCode != p.Code || c.Code[:2] != p.Code {
				t.Errorf("city %+v listed under province %s", c, p.Code)
			}
			if _, ok := ProvinceByCode(c.Code[:2]); !ok {
				t.Errorf("city %s: unknown province", c.Code)
			}
			if i > 0 && cs[i-1].Code >= c.Code {
				t.Errorf("cities of %s not sorted at %s", p.Code, c.Code)
			}
			if got, ok := CityByCode(c.Code); !ok || got != c {
				t.Errorf("CityByCode(%s) = %v, %v", c.Code, got, ok)
			}
		}
	}
	if total != len(regions().cities) {
		t.Errorf("Cities() over all provinces gives %d, table has %d", total, len(regions().cities))
	}
	// 333 prefecture-level divisions + 4 municipalities' 市辖区 + 重庆市县
	// + 4 provincial groups of directly administered county-level units.
	if total != 342 {
		t.Errorf("got %d cities, want 342", total)
	}
	if Cities("99") != nil || Cities("") != nil {
		t.Error("Cities of unknown province should be nil")
	}
	for _, c := range []string{"3409", "3414", "3712", "1102", "34", ""} {
		if _, ok := CityByCode(c); ok {
			t.Errorf("CityByCode(%q) found", c)
		}
	}
}

func TestAnhuiCities(t *testing.T) {
	want := []City{
		{"3401", "合肥市", "34"}, {"3402", "芜湖市", "34"}, {"3403", "蚌埠市", "34"},
		{"3404", "淮南市", "34"}, {"3405", "马鞍山市", "34"}, {"3406", "淮北市", "34"},
		{"3407", "铜陵市", "34"}, {"3408", "安庆市", "34"}, {"3410", "黄山市", "34"},
		{"3411", "滁州市", "34"}, {"3412", "阜阳市", "34"}, {"3413", "宿州市", "34"},
		{"3415", "六安市", "34"}, {"3416", "亳州市", "34"}, {"3417", "池州市", "34"},
		{"3418", "宣城市", "34"},
	}
	if got := Cities("34"); !reflect.DeepEqual(got, want) {
		t.Errorf("Cities(34) =\n%v\nwant\n%v", got, want)
	}
}

func TestSpecialCities(t *testing.T) {
	for code, name := range map[string]string{
		"1101": "北京市", "1201": "天津市", "3101": "上海市", "5001": "重庆市",
		"5002": "重庆市县", "4190": "省直辖县级行政区划", "4290": "省直辖县级行政区划",
		"4690": "省直辖县级行政区划", "6590": "自治区直辖县级行政区划",
		"4403": "深圳市", "4206": "襄阳市", "5406": "那曲市", "6505": "哈密市",
	} {
		if c, ok := CityByCode(code); !ok || c.Name != name {
			t.Errorf("CityByCode(%s) = %v, %v; want %s", code, c, ok, name)
		}
	}
	if n := len(Cities("11")); n != 1 {
		t.Errorf("北京 has %d entries, want 1", n)
	}
}

func TestProvinceShortName(t *testing.T) {
	for code, want := range map[string]string{
		"11": "北京", "12": "天津", "31": "上海", "50": "重庆", "34": "安徽",
		"23": "黑龙江", "15": "内蒙古", "45": "广西", "54": "西藏", "64": "宁夏",
		"65": "新疆", "61": "陕西", "46": "海南", "99": "", "": "",
	} {
		if got := ProvinceShortName(code); got != want {
			t.Errorf("ProvinceShortName(%q) = %q, want %q", code, got, want)
		}
	}
	for _, p := range Provinces() {
		s := ProvinceShortName(p.Code)
		if s == "" || s == p.Name || !strings.HasPrefix(p.Name, s) {
			t.Errorf("ProvinceShortName(%s) = %q for %s", p.Code, s, p.Name)
		}
	}
}

func TestParseRegionsErrors(t *testing.T) {
	for _, src := range []string{
		"11\t北京市\n11\t北京市\n",
		"11\t北京市\n1101\t北京市\n1101\t北京市\n",
		"11\t北京市\n1201\t天津市\n",
		"111\t北京市\n",
		"1x\t北京市\n",
		"11\n",
		"11\t\n",
	} {
		if _, err := parseRegions(src); err == nil {
			t.Errorf("parseRegions(%q) succeeded", src)
		}
	}
}
