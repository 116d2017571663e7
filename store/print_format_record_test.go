package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"certreg/certlayout"
)

// The print format record on disk is pinned: databases written before keep
// decoding, and a change in certlayout cannot change the encoding.
func TestPrintFormatEncoding(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	pf := PrintFormat{ID: 7, Rev: 2, OrgID: 5, Created: at, Updated: at.Add(time.Hour), UpdatedBy: "demo-unit",
		Format: certlayout.Format{Name: "预印纸", Paper: certlayout.PaperCustom, WidthMM: 280, HeightMM: 200, Landscape: true,
			OffsetX: -1.5, OffsetY: 2, Mode: certlayout.ModeOverlay,
			Fields: map[certlayout.FieldKey]certlayout.Field{
				certlayout.FieldName: {X: 112, Y: 72, W: 100, H: 8, FontSize: 15, Visible: true},
				certlayout.FieldQR:   {X: 236, Y: 72, W: 30},
			}}}
	const want = `{"id":7,"rev":2,"org_id":5,"format":{"name":"预印纸","paper":"custom","width_mm":280,"height_mm":200,` +
		`"landscape":true,"offset_x":-1.5,"offset_y":2,"mode":"overlay","fields":{` +
		`"name":{"x":112,"y":72,"w":100,"h":8,"font_size":15,"visible":true},` +
		`"qr":{"x":236,"y":72,"w":30,"h":0,"font_size":0,"visible":false}}},` +
		`"created":"2026-03-01T09:30:00Z","updated":"2026-03-01T10:30:00Z","updated_by":"demo-unit"}`
	b, err := json.Marshal(pf)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("encoding\n got %s\nwant %s", b, want)
	}
	var back PrintFormat
	if err := json.Unmarshal([]byte(want), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, pf) {
		t.Errorf("decoding\n got %+v\nwant %+v", back, pf)
	}
	// A record of an A4 format (no custom size, no rev, no editor).
	var a4 PrintFormat
	if err := json.Unmarshal([]byte(`{"id":1,"org_id":3,"format":{"name":"内置完整证书（A4 横向）","paper":"A4","landscape":true,"offset_x":0,"offset_y":0,"mode":"full","fields":{}},"created":"2026-01-02T00:00:00Z","updated":"2026-01-02T00:00:00Z"}`), &a4); err != nil {
		t.Fatal(err)
	}
	if a4.Format.Paper != certlayout.PaperA4 || a4.Format.Mode != certlayout.ModeFull || !a4.Format.Landscape || a4.Rev != 0 || a4.OrgID != 3 {
		t.Errorf("A4 record decoded as %+v", a4)
	}
}
