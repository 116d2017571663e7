package certlayout

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	mod := func(fn func(f *Format)) Format {
		f := DefaultFormat(ModeOverlay)
		fn(&f)
		return f
	}
	field := func(k FieldKey, fn func(fl *Field)) func(f *Format) {
		return func(f *Format) {
			fl := f.Fields[k]
			fn(&fl)
			f.Fields[k] = fl
		}
	}
	cases := []struct {
		name string
		f    Format
		key  string // "" = valid
		msg  string
	}{
		{"default full", DefaultFormat(ModeFull), "", ""},
		{"default overlay", DefaultFormat(ModeOverlay), "", ""},
		{"empty name", mod(func(f *Format) { f.Name = "  " }), ProblemName, "格式名称"},
		{"long name", mod(func(f *Format) { f.Name = strings.Repeat("格", 31) }), ProblemName, "30"},
		{"30-rune name ok", mod(func(f *Format) { f.Name = strings.Repeat("格", 30) }), "", ""},
		{"unknown paper", mod(func(f *Format) { f.Paper = "B5" }), ProblemPaper, "纸张"},
		{"bad mode", mod(func(f *Format) { f.Mode = "draft" }), ProblemMode, "套打"},
		{"custom too small", mod(func(f *Format) { f.Paper, f.WidthMM, f.HeightMM = PaperCustom, 40, 200 }), ProblemWidth, "50–500"},
		{"custom too large", mod(func(f *Format) { f.Paper, f.WidthMM, f.HeightMM = PaperCustom, 300, 501 }), ProblemHeight, "50–500"},
		{"custom ok", mod(func(f *Format) { f.Paper, f.WidthMM, f.HeightMM = PaperCustom, 300, 220 }), "", ""},
		{"offset x", mod(func(f *Format) { f.OffsetX = 30.5 }), ProblemOffX, "30"},
		{"offset y negative", mod(func(f *Format) { f.OffsetY = -31 }), ProblemOffY, "30"},
		{"offset limits ok", mod(func(f *Format) { f.OffsetX, f.OffsetY = -30, 30 }), "", ""},
		{"field off page", mod(field(FieldIssuer, func(fl *Field) { fl.X = 250 })), FieldProblemKey(FieldIssuer), "超出纸面"},
		{"field off portrait page", mod(func(f *Format) { f.Landscape = false }), FieldProblemKey(FieldQR), "超出纸面"},
		{"negative position", mod(field(FieldName, func(fl *Field) { fl.Y = -1 })), FieldProblemKey(FieldName), "超出纸面"},
		{"zero width", mod(field(FieldName, func(fl *Field) { fl.W = 0 })), FieldProblemKey(FieldName), "正数"},
		{"font too small", mod(field(FieldGender, func(fl *Field) { fl.FontSize = 5.5 })), FieldProblemKey(FieldGender), "6–48"},
		{"font too big", mod(field(FieldGender, func(fl *Field) { fl.FontSize = 49 })), FieldProblemKey(FieldGender), "6–48"},
		{"hidden field not checked", mod(field(FieldGender, func(fl *Field) { fl.FontSize, fl.X, fl.Visible = 0, 900, false })), "", ""},
		{"no room for a label in full mode", func() Format {
			f := DefaultFormat(ModeFull)
			fl := f.Fields[FieldOccupation]
			fl.X = 20
			f.Fields[FieldOccupation] = fl
			return f
		}(), FieldProblemKey(FieldOccupation), "标签"},
		{"overlay needs no label room", mod(field(FieldOccupation, func(fl *Field) { fl.X = 0 })), "", ""},
		{"unknown field", mod(func(f *Format) { f.Fields["signature"] = Field{Visible: true} }), "field:signature", "未知字段"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.f.Validate()
			if tc.key == "" {
				if len(p) != 0 {
					t.Fatalf("want valid, got %v", p)
				}
				return
			}
			if !strings.Contains(p[tc.key], tc.msg) {
				t.Fatalf("problems %v: want %q under %q", p, tc.msg, tc.key)
			}
		})
	}
	bad := DefaultFormat(ModeFull)
	bad.Paper = "letter"
	var fe *InvalidFormatError
	if err := Check(bad); !errors.As(err, &fe) || fe.Problems[ProblemPaper] == "" {
		t.Errorf("Check of an invalid format: err = %v", err)
	}
}

func TestFieldLabelsCoverEveryField(t *testing.T) {
	labels := FieldLabels()
	if len(labels) != 11 {
		t.Fatalf("%d labels", len(labels))
	}
	def := DefaultFormat(ModeFull)
	for _, l := range labels {
		if l.Label == "" {
			t.Errorf("%s has no label", l.Key)
		}
		if _, ok := def.Fields[l.Key]; !ok {
			t.Errorf("default format lacks %s", l.Key)
		}
	}
	if labels[0].Key != FieldNumber || labels[0].Label != "证书编号" {
		t.Errorf("first label %v", labels[0])
	}
}

// A format's QR code is at least MinQRWidthMM wide.
func TestQRWidthHasAMinimum(t *testing.T) {
	f := DefaultFormat(ModeFull)
	qr := f.Fields[FieldQR]
	qr.W = MinQRWidthMM - 1
	f.Fields[FieldQR] = qr
	if p := f.Validate()[FieldProblemKey(FieldQR)]; !strings.Contains(p, "21 毫米") {
		t.Fatalf("a 20 mm QR code: %q", p)
	}
	qr.W = MinQRWidthMM
	f.Fields[FieldQR] = qr
	if p := f.Validate(); len(p) != 0 {
		t.Fatalf("a 21 mm QR code: %v", p)
	}
}
