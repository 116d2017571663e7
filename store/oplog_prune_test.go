package store_test

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"
	"time"

	"certreg/fixture"
	"certreg/store"
)

func TestLogRetentionSetting(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	for _, tc := range []struct {
		months int
		ok     bool
	}{{0, true}, {5, false}, {6, true}, {600, true}, {601, false}, {-1, false}} {
		err := w.Store.SaveSettings(prov, store.Settings{PasswordMaxAgeDays: 90, LogRetentionMonths: tc.months})
		if (err == nil) != tc.ok {
			t.Errorf("retention %d months: err %v, want ok=%v", tc.months, err, tc.ok)
		}
	}
	if err := w.Store.SaveSettings(w.Actor(t, "ah-reviewer"), store.Settings{LogRetentionMonths: 12}); err == nil {
		t.Fatal("a non-admin changed the system settings")
	}
}

// Entries past the retention go to a CSV file and leave the database with
// their index keys; younger ones stay; nothing happens with retention 0.
func TestPruneLogsArchivesThenRemoves(t *testing.T) {
	w := fixture.Demo(t)
	prov := w.Actor(t, "demo-province")
	orgID := w.Org(t, "demo-province").ID
	all := func() []store.LogEntry {
		t.Helper()
		var out []store.LogEntry
		for off := 0; ; off += 200 {
			es, more, err := w.Store.Logs(store.LogFilter{OrgID: orgID, Offset: off, Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, es...)
			if !more {
				return out
			}
		}
	}
	// Old entries, written by an actor the user index also holds.
	for i := 0; i < 7; i++ {
		if err := w.Store.Log(prov, store.ActAccessDenied, "=cmd|' /C calc'!A0", "old", false); err != nil {
			t.Fatal(err)
		}
	}
	if n, _, err := w.Store.PruneLogs(); err != nil || n != 0 {
		t.Fatalf("retention 0 pruned %d (%v)", n, err)
	}
	w.Clock.Advance(7 * 31 * 24 * time.Hour)
	if err := w.Store.Log(prov, store.ActAccessDenied, "new", "young", false); err != nil {
		t.Fatal(err)
	}
	if err := w.Store.SaveSettings(prov, store.Settings{PasswordMaxAgeDays: 90, LogRetentionMonths: 6}); err != nil {
		t.Fatal(err)
	}
	before := all()
	n, file, err := w.Store.PruneLogs()
	if err != nil {
		t.Fatal(err)
	}
	after := all()
	for _, e := range after {
		if e.Detail == "old" {
			t.Fatal("an entry past the retention is still listed")
		}
		if e.Time.Before(w.Clock.Now().AddDate(0, -6, 0)) {
			t.Fatalf("entry %d of %s kept", e.ID, e.Time)
		}
	}
	// What is left of the province's list: the young entry, the settings
	// change and the record of the pruning.
	if len(before) <= 3 || len(after) != 3 || after[0].Action != store.ActLogPrune || after[1].Action != store.ActSettingsUpdate || after[2].Detail != "young" {
		t.Fatalf("before %d, pruned %d, after %d: %+v", len(before), n, len(after), after)
	}
	byUser, _, err := w.Store.Logs(store.LogFilter{OrgID: orgID, UserID: prov.UserID, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range byUser {
		if e.Detail == "old" {
			t.Fatal("the user index still lists a pruned entry")
		}
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+1 || !strings.HasSuffix(rows[0][0], "编号") {
		t.Fatalf("archive has %d rows for %d entries; header %v", len(rows), n, rows[0])
	}
	old := 0
	for _, r := range rows[1:] {
		if r[9] == "old" {
			old++
			if r[7] != "'=cmd|' /C calc'!A0" {
				t.Fatalf("a formula-like target is not neutralised in the CSV: %q", r[7])
			}
		}
	}
	if old != 7 {
		t.Fatalf("archive holds %d of the 7 old entries", old)
	}
	// Nothing more is due.
	if n, _, err := w.Store.PruneLogs(); err != nil || n != 0 {
		t.Fatalf("second run pruned %d (%v)", n, err)
	}
}
