package certpdf

import (
	"certreg/certlayout"

	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// variedCerts builds n certificates whose names combine common surnames with
// given-name characters, rare ones included, so the font subset grows as it
// would in a real batch.
func variedCerts(n int) []Cert {
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	given := []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉鹏飞宇浩然子轩梓涵一诺欣怡俊杰晨曦喆堃昇淼鑫森焱垚犇骉琰玥珺璟瑀")
	occupations := []string{"砌筑工", "钢筋工", "混凝土工", "架子工", "防水工", "电工", "焊工", "建筑门窗幕墙安装工"}
	levels := []string{"五级/初级工", "四级/中级工", "三级/高级工", "二级/技师", "一级/高级技师"}
	units := []string{"合肥市城建第三工程有限公司", "安徽华夏建筑劳务有限公司", "中国建筑第八工程局有限公司安徽分公司", "芜湖市鸠江区建筑安装工程公司"}
	certs := make([]Cert, n)
	for i := range certs {
		name := []rune{surnames[i%len(surnames)], given[(i*7)%len(given)]}
		if i%3 != 0 {
			name = append(name, given[(i*13+5)%len(given)])
		}
		certs[i] = Cert{
			Number:     fmt.Sprintf("2634010125%04d", i+1),
			Name:       string(name),
			Gender:     []string{"男", "女"}[i%2],
			IDNumber:   fmt.Sprintf("3401021990%02d%02d%04d", i%12+1, i%28+1, i%10000),
			WorkUnit:   units[i%len(units)],
			Occupation: occupations[i%len(occupations)],
			Level:      levels[i%len(levels)],
			IssueDate:  time.Date(2026, time.Month(i%12+1), i%28+1, 0, 0, 0, 0, cst),
			Issuer:     "合肥市建设职业技能培训中心",
			VerifyURL:  fmt.Sprintf("https://zjt.example.gov.cn/verify?t=%020x", uint64(i)*0x9E3779B97F4A7C15),
		}
	}
	return certs
}

var fontFileRe = regexp.MustCompile(`<</Length (\d+)\s*/Filter /FlateDecode\s*/Length1 (\d+)`)

// BenchmarkRender500 renders 500 full-design certificates into one PDF and
// reports the file size and the embedded font subset (compressed) in bytes.
func BenchmarkRender500(b *testing.B) {
	certs := variedCerts(500)
	f := certlayout.DefaultFormat(certlayout.ModeFull)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Render(&buf, f, certs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
	if m := fontFileRe.FindSubmatch(buf.Bytes()); m != nil {
		font, _ := strconv.Atoi(string(m[1]))
		b.ReportMetric(float64(font), "font-bytes")
		b.ReportMetric(float64(buf.Len()-font), "non-font-bytes")
	}
}

// BenchmarkRender500RareNames is BenchmarkRender500 with every fifth name
// holding an ideograph the main font lacks (Extensions A to F and the
// compatibility blocks), so that the document uses most fallback fonts.
func BenchmarkRender500RareNames(b *testing.B) {
	certs := variedCerts(500)
	rare := []rune{0x20BB7, 0x20000, 0x2A700, 0x2B740, 0x2B820, 0x2CEB0, 0x3400, 0xF900, 0x2F800, 0x22000, 0x24000, 0x26000, 0x28000}
	for i := 0; i < len(certs); i += 5 {
		name := []rune(certs[i].Name)
		name[len(name)-1] = rare[(i/5)%len(rare)]
		certs[i].Name = string(name)
	}
	f := certlayout.DefaultFormat(certlayout.ModeFull)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Render(&buf, f, certs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}
