package store

import (
	"reflect"
	"testing"
	"time"
)

// mutate changes one field of any kind the records use, so that a field
// left out of a canonical form shows up as a hash that does not change.
func mutate(t *testing.T, f reflect.Value, path string) {
	t.Helper()
	switch f.Kind() {
	case reflect.String:
		f.SetString(f.String() + "x")
	case reflect.Int, reflect.Int64:
		f.SetInt(f.Int() + 1)
	case reflect.Uint64:
		f.SetUint(f.Uint() + 1)
	case reflect.Bool:
		f.SetBool(!f.Bool())
	case reflect.Slice:
		f.Set(reflect.Append(f, reflect.New(f.Type().Elem()).Elem()))
	case reflect.Struct:
		if tm, ok := f.Interface().(time.Time); ok {
			f.Set(reflect.ValueOf(tm.Add(time.Nanosecond)))
			return
		}
		t.Fatalf("%s: no mutation for struct %s", path, f.Type())
	default:
		t.Fatalf("%s: no mutation for kind %s; add the field to the canonical form and here", path, f.Kind())
	}
}

// Every field of a certificate and of each of its history events is in
// its content hash: changing any one changes the hash. A field added to
// Certificate or CertEvent fails here until CertHash covers it.
func TestCertHashCoversEveryField(t *testing.T) {
	base := Certificate{Number: "26340101250001", Name: "王喆", Gender: "男", IDNumber: "340102199005120036", WorkUnit: "单位",
		Phone: "13800000000", Occupation: "012", OccupationName: "砌筑工", Level: 5, OrgID: 7, OrgName: "学校", OrgPath: []uint64{1, 3},
		Region: "3401", BatchID: 9, IssueDate: time.Date(2026, 11, 28, 0, 0, 0, 0, cst), Status: CertValid, Version: 1,
		Printed: true, PrintCount: 1, LastPrinted: time.Date(2026, 11, 29, 9, 0, 0, 0, cst), LastPrintedBy: "u", Replaces: "a", ReplacedBy: "b",
		History: []CertEvent{{Time: time.Date(2026, 11, 28, 10, 0, 0, 0, cst), Kind: "注册", Username: "p", OrgName: "省厅", Detail: "批次"}}}
	h0 := CertHash(&base)
	typ := reflect.TypeOf(base)
	for i := 0; i < typ.NumField(); i++ {
		c := base
		c.OrgPath = append([]uint64(nil), base.OrgPath...)
		c.History = append([]CertEvent(nil), base.History...)
		mutate(t, reflect.ValueOf(&c).Elem().Field(i), typ.Field(i).Name)
		if CertHash(&c) == h0 {
			t.Errorf("changing Certificate.%s leaves the content hash unchanged", typ.Field(i).Name)
		}
	}
	evt := reflect.TypeOf(CertEvent{})
	for i := 0; i < evt.NumField(); i++ {
		c := base
		c.History = append([]CertEvent(nil), base.History...)
		mutate(t, reflect.ValueOf(&c.History[0]).Elem().Field(i), "CertEvent."+evt.Field(i).Name)
		if CertHash(&c) == h0 {
			t.Errorf("changing CertEvent.%s leaves the content hash unchanged", evt.Field(i).Name)
		}
	}
	// The hash is of the content, not of where the time zone is.
	same := base
	same.IssueDate = base.IssueDate.UTC()
	if CertHash(&same) != h0 {
		t.Error("the same instant in another zone changes the hash")
	}
}

// Every field of a log entry is in its hash, the link to its predecessor
// included.
func TestEntryHashCoversEveryField(t *testing.T) {
	base := LogEntry{ID: 3, Time: time.Date(2026, 11, 28, 10, 0, 0, 5, cst), UserID: 2, Username: "u", OrgID: 1, IP: "127.0.0.1",
		Action: ActCertPrint, Target: "t", OK: true, Detail: "d", Prev: "00", Seal: "11", Archive: "22"}
	h0 := entryHash(&base)
	typ := reflect.TypeOf(base)
	for i := 0; i < typ.NumField(); i++ {
		e := base
		mutate(t, reflect.ValueOf(&e).Elem().Field(i), typ.Field(i).Name)
		if entryHash(&e) == h0 {
			t.Errorf("changing LogEntry.%s leaves the entry hash unchanged", typ.Field(i).Name)
		}
	}
}

// The archive digest is a set digest: the order rows are added in does not
// matter, removing a row undoes adding it, and any other row gives another
// digest.
func TestArchiveDigestIsASetDigest(t *testing.T) {
	rows := [][]byte{[]byte("a1"), []byte("b2"), []byte("c3")}
	var x, y ltHash
	for _, r := range rows {
		x.add(r)
	}
	for i := len(rows) - 1; i >= 0; i-- {
		y.add(rows[i])
	}
	if x.digest() != y.digest() {
		t.Fatal("order changes the digest")
	}
	y.add([]byte("d4"))
	if x.digest() == y.digest() {
		t.Fatal("an extra row leaves the digest unchanged")
	}
	y.remove([]byte("d4"))
	if x.digest() != y.digest() {
		t.Fatal("removing a row does not undo adding it")
	}
	z := ltFromBytes(x.bytes())
	if z.digest() != x.digest() {
		t.Fatal("the stored state does not read back")
	}
}
