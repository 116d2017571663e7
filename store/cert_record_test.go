package store

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// sampleCert is a certificate as issuance writes it, with a print and a
// business in its history.
func sampleCert() Certificate {
	issued := time.Date(2025, 3, 7, 0, 0, 0, 0, cst)
	return Certificate{Number: "25340101250042", Name: "王小明", Gender: "男", IDNumber: "34010219800101003X", WorkUnit: "合肥建工集团",
		Phone: "13912345678", Occupation: "012", OccupationName: "砌筑工", Level: 5, OrgID: 7, OrgName: "合肥建工职业技能培训学校",
		OrgPath: []uint64{1, 3}, Region: "3401", BatchID: 12, IssueDate: issued, Status: CertValid, Version: 2, Printed: true, PrintCount: 1,
		LastPrinted: time.Date(2025, 3, 9, 10, 30, 5, 123456789, cst), LastPrintedBy: "demo-unit",
		History: []CertEvent{
			{Time: time.Date(2025, 3, 7, 15, 4, 5, 987654321, cst), Kind: "注册", Username: "ah-reviewer", OrgName: "安徽省住房和城乡建设厅", Detail: "批次 P000012「春季班」"},
			{Time: time.Date(2025, 3, 9, 10, 30, 5, 123456789, cst), Kind: "打印", Username: "demo-unit", OrgName: "合肥建工职业技能培训学校", Detail: "第 1 次打印"},
			{Time: time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC), Kind: "其他", Username: "x"},
		}}
}

// viaJSON is c as it read back from the JSON records of before.
func viaJSON(t *testing.T, c Certificate) Certificate {
	t.Helper()
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var out Certificate
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func viaRecord(t *testing.T, c Certificate) Certificate {
	t.Helper()
	raw, err := encodeCert(nil, &c)
	if err != nil {
		t.Fatal(err)
	}
	var out Certificate
	if err := decodeCert([]byte(c.Number), raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// A certificate reads back from its record exactly as it read back from
// its JSON: the same values, times in the same locations.
func TestCertRecordReadsLikeJSON(t *testing.T) {
	odd := sampleCert()
	odd.Gender, odd.Status, odd.Occupation, odd.Level, odd.Region = "未知", "frozen", "999", 7, "9999"
	odd.IssueDate = time.Date(2024, 2, 29, 13, 0, 0, 5, time.UTC) // not a day of issue
	odd.LastPrinted, odd.OrgPath, odd.History, odd.Phone = time.Time{}, nil, nil, ""
	odd.Printed = false
	early := sampleCert()
	early.IssueDate = time.Date(1999, 12, 31, 0, 0, 0, 0, cst) // before the day numbers
	zero := Certificate{Number: "00000000000000"}
	for name, c := range map[string]Certificate{"issued": sampleCert(), "odd": odd, "early": early, "zero": zero} {
		want, got := viaJSON(t, c), viaRecord(t, c)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s:\n json   %#v\n record %#v", name, want, got)
		}
	}
}

func TestCertRecordRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		rs := []rune("王李张一二三ab9 \x00é𠮷")
		out := make([]rune, r.IntN(8))
		for i := range out {
			out[i] = rs[r.IntN(len(rs))]
		}
		return string(out)
	}
	tm := func() time.Time {
		switch r.IntN(4) {
		case 0:
			return time.Time{}
		case 1:
			return time.Date(2000+r.IntN(40), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, cst)
		case 2:
			return time.Unix(r.Int64N(4e9)-1e9, r.Int64N(1e9)).In(time.FixedZone("", 60*(r.IntN(1500)-750)))
		}
		return time.Unix(r.Int64N(4e9), r.Int64N(1e9)).UTC()
	}
	for i := 0; i < 2000; i++ {
		c := Certificate{Number: "2534010125" + string(rune('0'+r.IntN(10))) + "001", Name: str(), Gender: str(), IDNumber: str(), WorkUnit: str(),
			Phone: str(), Occupation: str(), OccupationName: str(), Level: r.IntN(12) - 2, OrgID: r.Uint64(), OrgName: str(), Region: str(),
			BatchID: r.Uint64N(1 << 40), IssueDate: tm(), Status: CertStatus([]string{"valid", "cancelled", "superseded", "x"}[r.IntN(4)]),
			Version: r.IntN(100) - 1, Printed: r.IntN(2) == 0, PrintCount: r.IntN(5), LastPrinted: tm(), LastPrintedBy: str(), Replaces: str(), ReplacedBy: str()}
		if r.IntN(3) == 0 {
			c.Occupation, c.Level, c.Region = c.Number[6:9], int(c.Number[9]-'0'), c.Number[2:6]
		}
		for j := r.IntN(4); j > 0; j-- {
			c.OrgPath = append(c.OrgPath, r.Uint64N(1000))
		}
		for j := r.IntN(4); j > 0; j-- {
			c.History = append(c.History, CertEvent{Time: tm(), Kind: []string{"注册", "打印状态", str()}[r.IntN(3)], Username: str(), OrgName: str(), Detail: str()})
		}
		if want, got := viaJSON(t, c), viaRecord(t, c); !reflect.DeepEqual(want, got) {
			t.Fatalf("certificate %d:\n json   %#v\n record %#v", i, want, got)
		}
	}
}

// The bytes of format 1 are pinned: a change of the layout must come with a
// new format byte and a migration.
func TestCertRecordEncodingPinned(t *testing.T) {
	c := sampleCert()
	raw, err := encodeCert(nil, &c)
	if err != nil {
		t.Fatal(err)
	}
	const want = "013f09e78e8be5b08fe6988e011233343031303231393830303130313030335812e59088e882a5e5bbbae5b7a5e99b86e59ba20b3133393132333435" +
		"36373809e7a08ce7ad91e5b7a50724e59088e882a5e5bbbae5b7a5e8818ce4b89ae68a80e883bde59fb9e8aeade5ada6e6a0a10201030ced47760402" +
		"daf4e7fc0c959aef3a80c2030964656d6f2d756e6974000003cae9d4fc0cb1d1f9d60380c203010b61682d726576696577657221e5ae89e5bebde79c" +
		"81e4bd8fe688bfe5928ce59f8ee4b9a1e5bbbae8aebee58e851de689b9e6aca12050303030303132e3808ce698a5e5ada3e78fade3808ddaf4e7fc0c" +
		"959aef3a80c203060964656d6f2d756e697424e59088e882a5e5bbbae5b7a5e8818ce4b89ae68a80e883bde59fb9e8aeade5ada6e6a0a10fe7acac20" +
		"3120e6aca1e68993e58db0a0acddfe0c00000006e585b6e4bb9601780000"
	if got := hex.EncodeToString(raw); got != want {
		t.Errorf("encoding changed:\n got  %s\n want %s", got, want)
	}
	if len(raw) > 330 { // 906 bytes of JSON
		t.Errorf("record of %d bytes", len(raw))
	}
	var back Certificate
	wantRaw, _ := hex.DecodeString(want)
	if err := decodeCert([]byte(c.Number), wantRaw, &back); err != nil || !reflect.DeepEqual(back, viaJSON(t, c)) {
		t.Errorf("pinned bytes decode to %#v (%v)", back, err)
	}
}

func TestCertRecordRefusesDamage(t *testing.T) {
	c := sampleCert()
	raw, _ := encodeCert(nil, &c)
	var out Certificate
	for _, bad := range [][]byte{nil, {0x02}, raw[:len(raw)-1], append(append([]byte(nil), raw...), 0)} {
		if err := decodeCert([]byte(c.Number), bad, &out); !errors.Is(err, errCertRecord) {
			t.Errorf("%x: %v", bad, err)
		}
	}
	if err := decodeCert([]byte("123"), raw, &out); !errors.Is(err, errCertRecord) {
		t.Errorf("short key: %v", err)
	}
}
