package store_test

import (
	"fmt"
	"testing"
	"time"

	"certreg/fixture"
	"certreg/idcard"
	"certreg/store"
)

// BenchmarkRecordPrint500 measures what printing 500 certificates writes:
// each certificate's print count and history, and the log entry holding
// their new content hashes in the chain. With BenchmarkRecordPrint500NoChain
// it gives the chain's share of printing (docs/integrity.md); the signing of
// the QR codes is measured by handlers' BenchmarkPrint500HTTP pair.
func BenchmarkRecordPrint500(b *testing.B) { benchRecordPrint500(b, true) }

// BenchmarkRecordPrint500NoChain is BenchmarkRecordPrint500 without the
// hash chain.
func BenchmarkRecordPrint500NoChain(b *testing.B) { benchRecordPrint500(b, false) }

func benchRecordPrint500(b *testing.B, chain bool) {
	defer store.SetChainOffForTest(!chain)()
	w := fixture.Demo(b)
	unit := w.Org(b, "demo-unit")
	numbers := make([]string, 500)
	err := w.Store.BulkLoadCertificates(500, func(i int) store.Certificate {
		id := idcard.Make("340102", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i*11), i%1000)
		numbers[i] = fmt.Sprintf("2534010145%04d", i+1)
		return store.Certificate{Number: numbers[i], Name: "基准测试", Gender: idcard.Gender(id), IDNumber: id, WorkUnit: "合肥市城建第三工程有限公司",
			Occupation: "014", OccupationName: "模板工", Level: 5, OrgID: unit.ID, OrgName: unit.Name, OrgPath: unit.Path, Region: "3401",
			IssueDate: store.IssueDay(time.Date(2025, 6, 1+i%28, 0, 0, 0, 0, time.UTC)), Status: store.CertValid, Version: 1}
	})
	if err != nil {
		b.Fatal(err)
	}
	a := w.Actor(b, "demo-unit")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.Store.RecordPrint(a, numbers, "标准格式"); err != nil {
			b.Fatal(err)
		}
	}
}
