package candidate

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheckNameAccepts(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"common", "张三", "张三"},
		{"rare characters", "喆堃犇龑", "喆堃犇龑"},
		{"extension A", "刘䶮", "刘䶮"},
		{"extension B", "吉𠮷", "吉𠮷"},
		{"extension C", "王\U0002A700", "王\U0002A700"},
		{"extension D", "王\U0002B740", "王\U0002B740"},
		{"extension E", "王\U0002B820", "王\U0002B820"},
		{"extension F", "王\U0002CEB0", "王\U0002CEB0"},
		{"extension G", "王\U00030000", "王\U00030000"},
		{"extension H", "王\U00031350", "王\U00031350"},
		{"extension I", "王\U0002EBF0", "王\U0002EBF0"},
		{"ideographic zero", "李〇", "李〇"},
		{"unified ideograph of the compatibility block", "王\uFA11", "王\uFA11"},
		{"compatibility duplicate becomes the unified ideograph", "王\uF900", "王\u8C48"},
		{"middle dot", "阿卜杜·热合曼", "阿卜杜·热合曼"},
		{"bullet", "阿卜杜\u2022热合曼", "阿卜杜·热合曼"},
		{"hyphenation point", "阿卜杜\u2027热合曼", "阿卜杜·热合曼"},
		{"bullet operator", "阿卜杜\u2219热合曼", "阿卜杜·热合曼"},
		{"dot operator", "阿卜杜\u22c5热合曼", "阿卜杜·热合曼"},
		{"word separator middle dot", "阿卜杜\u2e31热合曼", "阿卜杜·热合曼"},
		{"katakana middle dot", "阿卜杜\u30fb热合曼", "阿卜杜·热合曼"},
		{"halfwidth katakana middle dot", "阿卜杜\uff65热合曼", "阿卜杜·热合曼"},
		{"greek ano teleia", "阿卜杜\u0387热合曼", "阿卜杜·热合曼"},
		{"two dots apart", "玛丽·安·居里", "玛丽·安·居里"},
		{"spaces around the dot", "爱新觉罗 · 玄烨", "爱新觉罗·玄烨"},
		{"ideographic space to align", "王\u3000芳", "王芳"},
		{"two spaces to align", " 王  芳 ", "王芳"},
		{"zero-width space inside", "张\u200b三", "张三"},
		{"latin", "John Smith", "John Smith"},
		{"latin spaces collapse", "  John   Smith ", "John Smith"},
		{"full-width latin", "ＪＯＨＮ ＳＭＩＴＨ", "JOHN SMITH"},
		{"accented latin", "José Müller", "José Müller"},
		{"decomposed accent composed", "Jose\u0301", "José"},
		{"thirty characters", strings.Repeat("名", MaxNameLen), strings.Repeat("名", MaxNameLen)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, msg := CheckName(tc.in)
			if msg != "" || got != tc.want {
				t.Fatalf("CheckName(%q) = %q, %q; want %q", tc.in, got, msg, tc.want)
			}
		})
	}
}

func TestCheckNameRefuses(t *testing.T) {
	tests := []struct{ name, in, msg string }{
		{"formula", "=1+2", "「=」（U+003D）"},
		{"leading minus", "-张三", "「-」（U+002D）"},
		{"at sign", "@王五", "「@」（U+0040）"},
		{"plus and digits", "+86 合肥公司", "「+」（U+002B）"},
		{"digit", "张三1", "数字「1」"},
		{"full-width digit", "张三１", "数字「１」"},
		{"full stop for a dot", "阿卜杜.热合曼", "「.」（U+002E）：少数民族和外国人姓名中的间隔号请用“·”"},
		{"full-width full stop", "阿卜杜．热合曼", "「．」（U+FF0E）"},
		{"ideographic full stop", "阿卜杜。热合曼", "「。」（U+3002）"},
		{"hyphen in a Chinese name", "阿卜杜-热合曼", "「-」"},
		{"hyphen in a Latin name", "Jean-Pierre Dupont", "「-」"},
		{"apostrophe", "Sean O'Brien", "「'」（U+0027）：外文姓名中的撇号请改为空格"},
		{"mixed, Chinese first", "张Tom", "不能同时包含汉字和拉丁字母（「T」）"},
		{"mixed, Latin first", "Tom张", "不能同时包含汉字和拉丁字母（「张」）"},
		{"dot first", "·张三", "间隔号“·”只能出现在两个汉字之间"},
		{"dot last", "张三·", "间隔号“·”只能出现在两个汉字之间"},
		{"two dots", "张··三", "不能连用"},
		{"dot in a Latin name", "John·Smith", "外文姓名中不能有间隔号"},
		{"only a dot", "·", "必须包含汉字"},
		{"radical", "王\u2e81", "（U+2E81）"},
		{"bopomofo", "王ㄅ", "「ㄅ」（U+3105）"},
		{"hangul", "김철수", "「김」（U+AE40）"},
		{"kana", "山田たろう", "「た」（U+305F）"},
		{"parentheses", "张三(小)", "「(」（U+0028）"},
		{"private use", "王\ue000", "（U+E000）"},
		{"variation selector", "葛\U000E0100", "（U+E0100）"},
		{"emoji", "王😀", "（U+1F600）"},
		{"tab", "李\t四", "控制字符"},
		{"empty", " \u3000 ", "不能为空"},
		{"too long", strings.Repeat("名", MaxNameLen+1), "不能超过 30 个字（现有 31 个字）"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, msg := CheckName(tc.in)
			if !strings.Contains(msg, tc.msg) || got != "" {
				t.Fatalf("CheckName(%q) = %q, %q; want a message containing %q", tc.in, got, msg, tc.msg)
			}
		})
	}
}

// TestCheckNameThroughCheckRaw: the name rule is the 姓名 rule of a row.
func TestCheckNameThroughCheckRaw(t *testing.T) {
	base := Raw{IDNumber: testID(1), WorkUnit: "=某公司", Occupation: "砌筑工", Level: "5"}
	for _, name := range []string{"=1+2", "-张三", "@王五", "+86 合肥公司"} {
		in := base
		in.Name = name
		_, errs := CheckRaw(in, testScope)
		if len(errs) != 1 || errs[0].Column != ColName || !strings.Contains(errs[0].Message, "「"+name[:1]+"」") {
			t.Errorf("name %q: %v", name, errs)
		}
	}
	// Free text keeps its wider rule: 工作单位 may start with "=".
	in := base
	in.Name = "阿卜杜\u30fb热合曼"
	c, errs := CheckRaw(in, testScope)
	if len(errs) != 0 || c.Name != "阿卜杜·热合曼" || c.WorkUnit != "=某公司" {
		t.Fatalf("got %+v %v", c, errs)
	}
}

// TestSetPrintable: a character the printer lacks is refused with its code
// point; without the hook every character passes.
func TestSetPrintable(t *testing.T) {
	SetPrintable(func(r rune) bool { return r < 0x20000 })
	defer SetPrintable(nil)
	if _, msg := CheckName("吉𠮷"); msg != "「𠮷」（U+20BB7）无法打印：证书字体中没有这个字，请核对是否录入了正确的字" {
		t.Fatalf("message %q", msg)
	}
	if got, msg := CheckName("John Smith"); msg != "" || got != "John Smith" {
		t.Fatalf("latin name: %q %q", got, msg)
	}
	SetPrintable(nil)
	if got, msg := CheckName("吉𠮷"); msg != "" || got != "吉𠮷" {
		t.Fatalf("without the hook: %q %q", got, msg)
	}
}

// FuzzCheckName: an accepted name is stored in its final form (checking it
// again changes nothing), holds only the characters of the rule and never
// starts with a character a spreadsheet reads as a formula.
func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"张三", "阿卜杜•热合曼", " John  Smith ", "=1+2", "王\uF900", "·", "ＡＢ", "张 · 三"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, msg := CheckName(s)
		if msg != "" {
			if name != "" {
				t.Fatalf("refused %q with a name %q", s, name)
			}
			return
		}
		if again, msg2 := CheckName(name); msg2 != "" || again != name {
			t.Fatalf("%q -> %q -> %q %q", s, name, again, msg2)
		}
		if n := utf8.RuneCountInString(name); n == 0 || n > MaxNameLen {
			t.Fatalf("%q has %d characters", name, n)
		}
		for _, r := range name {
			if !(isIdeograph(r) || isLatinLetter(r) || r == MiddleDot || r == ' ') {
				t.Fatalf("%q holds %U", name, r)
			}
		}
		if strings.ContainsAny(name[:1], "=+-@") {
			t.Fatalf("%q starts like a formula", name)
		}
	})
}
