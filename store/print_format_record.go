package store

import (
	"encoding/json"
	"time"

	"certreg/certlayout"
)

// formatRecord is how a print format is kept in the print_formats bucket:
// the store's own encoding, independent of certlayout's types, so that a
// change there cannot silently change what is on disk
// (TestPrintFormatEncoding pins it).
type formatRecord struct {
	ID        uint64       `json:"id"`
	Rev       uint64       `json:"rev,omitempty"`
	OrgID     uint64       `json:"org_id"`
	Format    layoutRecord `json:"format"`
	Created   time.Time    `json:"created"`
	Updated   time.Time    `json:"updated"`
	UpdatedBy string       `json:"updated_by,omitempty"`
}

type layoutRecord struct {
	Name      string                 `json:"name"`
	Paper     string                 `json:"paper"`
	WidthMM   float64                `json:"width_mm,omitempty"`
	HeightMM  float64                `json:"height_mm,omitempty"`
	Landscape bool                   `json:"landscape"`
	OffsetX   float64                `json:"offset_x"`
	OffsetY   float64                `json:"offset_y"`
	Mode      string                 `json:"mode"`
	Fields    map[string]fieldRecord `json:"fields"`
}

type fieldRecord struct {
	X        float64 `json:"x"`
	Y        float64 `json:"y"`
	W        float64 `json:"w"`
	H        float64 `json:"h"`
	FontSize float64 `json:"font_size"`
	Visible  bool    `json:"visible"`
}

// MarshalJSON encodes the format as its database record.
func (pf PrintFormat) MarshalJSON() ([]byte, error) {
	f := pf.Format
	r := formatRecord{ID: pf.ID, Rev: pf.Rev, OrgID: pf.OrgID, Created: pf.Created, Updated: pf.Updated, UpdatedBy: pf.UpdatedBy,
		Format: layoutRecord{Name: f.Name, Paper: f.Paper, WidthMM: f.WidthMM, HeightMM: f.HeightMM, Landscape: f.Landscape,
			OffsetX: f.OffsetX, OffsetY: f.OffsetY, Mode: string(f.Mode)}}
	if f.Fields != nil {
		r.Format.Fields = make(map[string]fieldRecord, len(f.Fields))
		for k, fl := range f.Fields {
			r.Format.Fields[string(k)] = fieldRecord{X: fl.X, Y: fl.Y, W: fl.W, H: fl.H, FontSize: fl.FontSize, Visible: fl.Visible}
		}
	}
	return json.Marshal(r)
}

// UnmarshalJSON decodes the format from its database record.
func (pf *PrintFormat) UnmarshalJSON(b []byte) error {
	var r formatRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	l := r.Format
	*pf = PrintFormat{ID: r.ID, Rev: r.Rev, OrgID: r.OrgID, Created: r.Created, Updated: r.Updated, UpdatedBy: r.UpdatedBy,
		Format: certlayout.Format{Name: l.Name, Paper: l.Paper, WidthMM: l.WidthMM, HeightMM: l.HeightMM, Landscape: l.Landscape,
			OffsetX: l.OffsetX, OffsetY: l.OffsetY, Mode: certlayout.Mode(l.Mode)}}
	if l.Fields != nil {
		pf.Format.Fields = make(map[certlayout.FieldKey]certlayout.Field, len(l.Fields))
		for k, fl := range l.Fields {
			pf.Format.Fields[certlayout.FieldKey(k)] = certlayout.Field{X: fl.X, Y: fl.Y, W: fl.W, H: fl.H, FontSize: fl.FontSize, Visible: fl.Visible}
		}
	}
	return nil
}
