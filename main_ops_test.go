package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"certreg/fixture"
	"certreg/store"
)

// opsCapture collects what run prints on stdout while fn runs.
func opsCapture(t *testing.T, fn func()) string {
	t.Helper()
	stop := captureStdout(t)
	fn()
	return stop()
}

// opsDemoDir is a closed data directory holding the demo world.
func opsDemoDir(t *testing.T) string {
	t.Helper()
	w := fixture.Demo(t)
	if err := w.Store.Close(); err != nil {
		t.Fatal(err)
	}
	return w.Dir
}

func opsFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// `certreg check` reports each area in Chinese and English and exits zero
// on a sound directory; on a damaged one it names the fault and exits
// non-zero; -repair rebuilds what the records determine.
func TestCheckCommand(t *testing.T) {
	dir := opsDemoDir(t)
	var err error
	out := opsCapture(t, func() { err = run([]string{"check", "-data", dir}) })
	if err != nil || !strings.Contains(out, "结论：未发现故障。 / Result: no fault found.") || !strings.Contains(out, "[索引与计数器 / indexes and counters] 通过 / OK") {
		t.Fatalf("check of the demo: %v\n%s", err, out)
	}
	db, err := bolt.Open(filepath.Join(dir, store.DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("cert_holder"))
		k, _ := b.Cursor().First()
		return b.Delete(k)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out = opsCapture(t, func() { err = run([]string{"check", "-data", dir}) })
	if !errors.Is(err, errCheckFailed) || !strings.Contains(out, "cert_holder") || !strings.Contains(out, "-repair") {
		t.Fatalf("check of a damaged index: %v\n%s", err, out)
	}
	out = opsCapture(t, func() { err = run([]string{"check", "-data", dir, "-repair"}) })
	if err != nil || !strings.Contains(out, "已修复 repaired") || !strings.Contains(out, "未发现故障") {
		t.Fatalf("repair: %v\n%s", err, out)
	}
	if err := run([]string{"check", "-data", dir, "extra"}); err == nil {
		t.Error("check with an extra argument")
	}
}

// The server refuses to start, before opening anything, on a database that
// is empty beside uploaded files, cut short (half, 90 %) or whose newest
// meta page is damaged; it says why and what to do. A genuinely empty
// directory still starts, and -demo never touches real data.
func TestStartRefusesDamagedDataDirectories(t *testing.T) {
	base := opsDemoDir(t)
	copyTo := func(t *testing.T) string {
		t.Helper()
		dst := filepath.Join(t.TempDir(), "data")
		if err := exec.Command("cp", "-r", base, dst).Run(); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	hwmBytes := func(path string) int64 {
		f, _ := os.Open(path)
		defer f.Close()
		head := make([]byte, 128)
		var best, txid uint64
		ps := 0
		for i := 0; i < 2; i++ {
			f.ReadAt(head, int64(i*4096))
			if i == 0 {
				ps = int(binary.LittleEndian.Uint32(head[24:]))
			}
			if tx := binary.LittleEndian.Uint64(head[64:]); tx >= txid {
				txid, best = tx, binary.LittleEndian.Uint64(head[56:])
			}
		}
		return int64(best) * int64(ps)
	}
	for _, tc := range []struct {
		name   string
		damage func(dir string)
		want   []string
	}{
		{"empty database beside files", func(dir string) { os.Truncate(filepath.Join(dir, store.DBFile), 0) }, []string{"数据库可能已丢失", "-restore"}},
		{"missing database beside files", func(dir string) { os.Remove(filepath.Join(dir, store.DBFile)) }, []string{"数据库可能已丢失"}},
		{"half truncated", func(dir string) {
			p := filepath.Join(dir, store.DBFile)
			os.Truncate(p, hwmBytes(p)/2)
		}, []string{"未通过启动检查", "截断", "certreg check"}},
		{"90 percent truncated", func(dir string) {
			p := filepath.Join(dir, store.DBFile)
			os.Truncate(p, hwmBytes(p)*9/10)
		}, []string{"未通过启动检查", "截断"}},
		{"newest meta page damaged", func(dir string) {
			p := filepath.Join(dir, store.DBFile)
			f, _ := os.OpenFile(p, os.O_RDWR, 0)
			defer f.Close()
			head := make([]byte, 128)
			var tx [2]uint64
			for i := range tx {
				f.ReadAt(head, int64(i*4096))
				tx[i] = binary.LittleEndian.Uint64(head[64:])
			}
			newest := 0
			if tx[1] > tx[0] {
				newest = 1
			}
			f.WriteAt([]byte{0x5a}, int64(newest*4096+32))
		}, []string{"最新的事务头页已损坏", "-accept-rollback"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyTo(t)
			tc.damage(dir)
			before, _ := os.ReadFile(filepath.Join(dir, store.DBFile))
			err := run([]string{"-addr", opsFreeAddr(t), "-data", dir})
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("start: %v, want %q", err, w)
				}
			}
			after, _ := os.ReadFile(filepath.Join(dir, store.DBFile))
			if !bytes.Equal(before, after) {
				t.Error("the refused start changed registry.db")
			}
		})
	}
	t.Run("demo on real data", func(t *testing.T) {
		dir := t.TempDir()
		st, err := store.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.Bootstrap("34", fixture.DemoHash()); err != nil {
			t.Fatal(err)
		}
		st.Close()
		if err := run([]string{"-addr", opsFreeAddr(t), "-data", dir, "-demo"}); err == nil || !strings.Contains(err.Error(), "不能以 -demo 启动") {
			t.Fatalf("-demo on real data: %v", err)
		}
	})
}

// SIGTERM with a client stalled half-way through its request (and another
// idle on keep-alive) shuts the process down at once with exit status 0:
// no request is being handled, so there is nothing to wait for.
func TestShutdownWithAStalledClient(t *testing.T) {
	if args := os.Getenv("CERTREG_SERVE_ARGS"); args != "" {
		os.Args = append([]string{"certreg"}, strings.Fields(args)...)
		main()
		return
	}
	dir := opsDemoDir(t)
	addr := opsFreeAddr(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestShutdownWithAStalledClient$")
	cmd.Env = append(os.Environ(), "CERTREG_SERVE_ARGS=-addr "+addr+" -data "+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if r, err := http.Get("http://" + addr + "/healthz"); err == nil {
			r.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	stalled, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	if _, err := stalled.Write([]byte("GET /login HTTP/1.1\r\nHost: localhost\r\nX-Stalled: ")); err != nil {
		t.Fatal(err)
	}
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if _, err := idle.Write([]byte("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if res, err := http.ReadResponse(bufio.NewReader(idle), nil); err != nil || res.StatusCode != 200 {
		t.Fatalf("keep-alive request: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(8 * time.Second):
		t.Fatalf("SIGTERM did not end the server within 8 s:\n%s", stderr.String())
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("shutdown took %s with nothing in flight", took)
	}
	if !strings.Contains(stderr.String(), "closed idle or stalled connections") {
		t.Errorf("shutdown log:\n%s", stderr.String())
	}
	// The stalled client sees its connection closed.
	stalled.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := stalled.Read(make([]byte, 1)); err == nil {
		t.Error("the stalled connection is still open")
	}
}

// `certreg check` names a certificate edited directly in the database file
// under the operation-log chain's area, and with -anchors compares the
// anchor files of a directory with the log.
func TestCheckCommandNamesAnEditedCertificate(t *testing.T) {
	dir := opsDemoDir(t)
	anchors := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := st.RecordDailyAnchor()
	if err == nil {
		_, err = store.WriteAnchorFile(anchors, a)
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := opsCapture(t, func() { err = run([]string{"check", "-data", dir, "-anchors", anchors}) })
	if err != nil || !strings.Contains(out, "[操作日志哈希链 / operation-log hash chain] 通过 / OK") {
		t.Fatalf("check of the demo with its anchor: %v\n%s", err, out)
	}
	// The last certificate's work unit (which no index holds) edited in the
	// file: its first character replaced, as a hex editor would.
	st, err = store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := st.ProvinceOrg()
	if err != nil {
		t.Fatal(err)
	}
	all, err := st.Certificates(store.Actor{UserID: mustUser(t, st, "demo-province"), OrgID: prov.ID}, store.CertQuery{Sort: store.SortNumber, Limit: 1})
	st.Close()
	if err != nil || len(all.Certs) != 1 || len(all.Certs[0].WorkUnit) < 3 {
		t.Fatalf("the last certificate: %v %+v", err, all.Certs)
	}
	number, unit := all.Certs[0].Number, all.Certs[0].WorkUnit
	db, err := bolt.Open(filepath.Join(dir, store.DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("certs"))
		v := b.Get([]byte(number))
		edited := bytes.Replace(v, []byte(unit), []byte("冒"+unit[len("冒"):]), 1)
		if bytes.Equal(edited, v) {
			return fmt.Errorf("work unit %q not found in the record of %s", unit, number)
		}
		return b.Put([]byte(number), edited)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out = opsCapture(t, func() { err = run([]string{"check", "-data", dir}) })
	if !errors.Is(err, errCheckFailed) || !strings.Contains(out, "故障 FAULT [操作日志哈希链] 证书 "+number+" 的当前内容与操作日志记录") {
		t.Fatalf("check of an edited certificate %s: %v\n%s", number, err, out)
	}
	if err := run([]string{"check", "-data", dir, "-fast", "-anchors", anchors}); err == nil {
		t.Error("-anchors with -fast")
	}
}

// mustUser is the id of a user by name.
func mustUser(t *testing.T, st *store.Store, name string) uint64 {
	t.Helper()
	u, err := st.UserByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
