package data

import (
	"strings"
	"testing"
)

func TestOccupationsWellFormed(t *testing.T) {
	list := Occupations()
	if len(list) < 30 {
		t.Fatalf("only %d occupations", len(list))
	}
	codes := map[string]bool{}
	names := map[string]bool{}
	for i, o := range list {
		if len(o.Code) != 3 || !isDigits(o.Code) {
			t.Errorf("bad code %q", o.Code)
		}
		if codes[o.Code] {
			t.Errorf("duplicate code %s", o.Code)
		}
		codes[o.Code] = true
		if o.Name == "" || strings.ContainsAny(o.Name, " \t") || names[o.Name] {
			t.Errorf("bad or duplicate name %q", o.Name)
		}
		names[o.Name] = true
		if i > 0 && list[i-1].Code >= o.Code {
			t.Errorf("not sorted at %s", o.Code)
		}
		if len(o.Levels) == 0 {
			t.Errorf("%s %s: no levels", o.Code, o.Name)
		}
		seen := map[int]bool{}
		for j, l := range o.Levels {
			if l < 1 || l > 5 || seen[l] {
				t.Errorf("%s %s: bad level list %v", o.Code, o.Name, o.Levels)
			}
			seen[l] = true
			if j > 0 && o.Levels[j-1] <= l {
				t.Errorf("%s %s: levels not in 5..1 order: %v", o.Code, o.Name, o.Levels)
			}
			if LevelName(l) == "" {
				t.Errorf("%s: level %d unknown to LevelName", o.Code, l)
			}
		}
	}
}

func TestOccupationsContent(t *testing.T) {
	byName := map[string]Occupation{}
	byCode := map[string]Occupation{}
	for _, o := range Occupations() {
		byName[o.Name] = o
		byCode[o.Code] = o
	}
	if byCode["012"].Name != "砌筑工" {
		t.Errorf("occupation 012 = %q, want 砌筑工", byCode["012"].Name)
	}
	for _, n := range []string{
		"砌筑工", "钢筋工", "架子工", "混凝土工", "模板工", "焊工", "电工",
		"防水工", "木工", "油漆工", "抹灰工", "涂装作业工", "线路架设工", "管工",
		"起重信号工", "建筑起重机械安装拆卸工", "装饰装修工",
	} {
		if _, ok := byName[n]; !ok {
			t.Errorf("missing occupation %s", n)
		}
	}
}

func TestOccupationsCopy(t *testing.T) {
	a := Occupations()
	a[0].Name = "x"
	a[0].Levels[0] = 0
	b := Occupations()
	if b[0].Name == "x" || b[0].Levels[0] == 0 {
		t.Error("Occupations does not return a deep copy")
	}
}

func TestParseOccupationsErrors(t *testing.T) {
	for _, src := range []string{
		"012\t砌筑工\t5,4,3\n012\t钢筋工\t5\n",
		"12\t砌筑工\t5\n",
		"012\t砌筑工\n",
		"012\t砌筑工\t\n",
		"012\t砌筑工\t6\n",
		"012\t砌筑工\t0\n",
		"012\t砌筑工\t5,5\n",
		"012\t\t5\n",
	} {
		if _, err := parseOccupations(src); err == nil {
			t.Errorf("parseOccupations(%q) succeeded", src)
		}
	}
}
