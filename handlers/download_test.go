package handlers

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Every download names itself twice: in UTF-8 for people and with a
// meaningful ASCII fallback (not "-20261129-0154.xlsx" or "____.xlsx").
func TestDownloadsHaveMeaningfulNames(t *testing.T) {
	e := newEnv(t)
	unit := e.login("demo-unit")
	prov := e.login("demo-province")
	cert := validCert(t, e.certsOf("demo-unit"))
	b, err := e.w.Store.Batch(e.w.Actor(t, "demo-unit"), batchID(t, e.w, "demo-unit", demoDraft))
	if err != nil || len(b.Files) == 0 {
		t.Fatal("no draft batch with materials")
	}
	formats, _, err := e.w.Store.PrintFormats(e.w.Actor(t, "demo-unit"))
	if err != nil || len(formats) == 0 {
		t.Fatal("no print format")
	}
	ascii := regexp.MustCompile(`filename="([a-z][a-z0-9]*(-[A-Za-z0-9]+)*\.(xlsx|pdf|png|jpg|tar\.gz))"`)
	for _, tc := range []struct {
		name, want string
		get        func() resp
	}{
		{"template", "candidate-template-", func() resp { return unit.get("/batches/template.xlsx") }},
		{"library export", "certificates-", func() resp { return unit.get("/certificates/export") }},
		{"one certificate", "certificate-" + cert.Number, func() resp {
			return unit.post("/certificates/print", url.Values{"n": {cert.Number}, "format": {builtinFull}})
		}},
		{"material", "material-", func() resp { return unit.get(fmt.Sprintf("/batches/%d/materials/%s", b.ID, b.Files[0].Hash)) }},
		{"calibration", "calibration-", func() resp {
			for _, f := range formats {
				if f.ID != 0 {
					return unit.get(fmt.Sprintf("/certificates/formats/%d/calibration", f.ID))
				}
			}
			return resp{}
		}},
		{"statistics", "statistics-", func() resp { return prov.get("/stats/export") }},
		{"backup", "certreg-backup-", func() resp { return prov.get("/settings/backup") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.get()
			cd := r.header.Get("Content-Disposition")
			m := ascii.FindStringSubmatch(cd)
			if r.status != 200 || m == nil || !strings.HasPrefix(m[1], tc.want) || !strings.Contains(cd, "filename*=UTF-8''") {
				t.Fatalf("status %d, Content-Disposition %q: want an ASCII name starting %q and a UTF-8 name", r.status, cd, tc.want)
			}
			if r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no nosniff")
			}
		})
	}
}

func TestASCIIFallback(t *testing.T) {
	for _, tc := range []struct{ ascii, name, want string }{
		{"certificates-20261129.xlsx", "证书查询结果-20261129.xlsx", "certificates-20261129.xlsx"},
		{"", "plan.pdf", "plan.pdf"},
		{"", "培训计划.pdf", "download.pdf"},
		{"bad name.pdf", "计划.PDF", "download.pdf"},
		{"", "计划.文档", "download"},
	} {
		if got := asciiSafe(tc.ascii, tc.name); got != tc.want {
			t.Errorf("asciiSafe(%q, %q) = %q, want %q", tc.ascii, tc.name, got, tc.want)
		}
	}
}
