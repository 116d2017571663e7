// Command certreg is the registration system for the vocational-training
// certificates of construction-industry skilled workers (住房和城乡建设行业技能人员
// 职业培训合格证登记系统): one binary with its templates, assets, fonts and
// reference data embedded, and one data directory.
//
//	certreg [flags]                                   serve (see -h)
//	certreg -restore FILE -data DIR                   restore a backup into an empty DIR
//	certreg check -data DIR [-repair] [-accept-rollback] [-anchors DIR]
//	                                                  check a data directory (docs/operations.md,
//	                                                  docs/integrity.md)
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	_ "time/tzdata" // China Standard Time without the host's zone files

	"github.com/gofiber/fiber/v2"

	"certreg/auth"
	"certreg/data"
	"certreg/demo"
	"certreg/handlers"
	"certreg/store"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "错误:", err)
		os.Exit(1)
	}
}

// errCheckFailed ends `certreg check` with a non-zero status once the
// report has been printed.
var errCheckFailed = errors.New("数据目录未通过检查（详见上面的报告） / the data directory failed its check (see the report above)")

func run(args []string) error {
	if len(args) > 0 && args[0] == "check" {
		return runCheck(args[1:])
	}
	fs := flag.NewFlagSet("certreg", flag.ContinueOnError)
	addr := fs.String("addr", ":8080", "listen address")
	dir := fs.String("data", "./data", "data directory (database and uploaded files)")
	demo := fs.Bool("demo", false, "seed the demo province on an empty data directory and show demo codes on the login page")
	province := fs.String("province", "34", "2-digit GB/T 2260 code of the province (first start only)")
	tlsCert := fs.String("tls-cert", "", "TLS certificate file (PEM)")
	tlsKey := fs.String("tls-key", "", "TLS private key file (PEM)")
	restore := fs.String("restore", "", "restore a backup file (.tar.gz) into the empty -data directory, then exit")
	proxyHeader := fs.String("proxy-header", "", "header with the client address set by a trusted reverse proxy (e.g. X-Real-IP)")
	signingKEK := fs.String("signing-kek", "", "file holding the key that encrypts the certificate signing key (default: <data>.signing-kek beside the data directory; the environment variable "+store.KEKEnv+" takes precedence)")
	publicURL := fs.String("public-url", "", "public address for the verification links and QR codes on certificates (e.g. https://zjt.example.gov.cn); default: the province's setting in 系统设置 (with -demo: this machine's listen address)")
	metricsToken := fs.String("metrics-token", "", "token a monitoring system sends (Authorization: Bearer …) to read /metrics from another machine; without it /metrics answers loopback only")
	grace := fs.Duration("shutdown-grace", 10*time.Second, "how long SIGTERM waits for requests being handled before closing every connection")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("-tls-cert 与 -tls-key 必须同时指定")
	}
	if _, ok := data.ProvinceByCode(*province); !ok {
		return fmt.Errorf("未知的省份代码 %q（应为 GB/T 2260 的两位代码，如 34）", *province)
	}
	if *restore != "" {
		return restoreBackup(*restore, *dir)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	slog.SetDefault(logger)
	tuneGC()

	if err := startupCheck(*dir, *demo, logger); err != nil {
		return err
	}
	st, err := store.Open(*dir)
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("数据目录 %s 正被另一个进程使用（同一数据目录只能运行一个实例）", *dir)
	}
	if err != nil {
		return err
	}
	defer st.Close()

	if err := firstStart(st, *province, *demo); err != nil {
		return err
	}
	if *signingKEK != "" {
		st.SetSigningKEKFile(*signingKEK)
	}
	if err := st.EnsureSigningKey(); err != nil {
		return fmt.Errorf("证书签名密钥: %w", err)
	}
	if sg, err := st.SigningStatus(); err == nil && !sg.Ready {
		logger.Warn("certificates cannot be signed until the signing key is rotated in 系统设置", "reason", sg.Problem)
	}
	pub := *publicURL
	if pub == "" && *demo {
		pub = demoPublicURL(*addr, *tlsCert != "")
	}
	var inflight atomic.Int64
	app, err := handlers.New(handlers.Config{Store: st, Demo: *demo, TLS: *tlsCert != "", Logger: logger, ProxyHeader: *proxyHeader,
		PublicURL: pub, MetricsToken: *metricsToken, InFlight: &inflight})
	if err != nil {
		return err
	}
	ln, conns, err := listen(*addr, *tlsCert, *tlsKey, app)
	if err != nil {
		return err
	}

	go purgeSessions(st, logger)
	errc := make(chan error, 1)
	go func() {
		logger.Info("listening", "addr", ln.Addr().String(), "data", *dir, "demo", *demo, "tls", *tlsCert != "")
		errc <- app.Listener(ln)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case err := <-errc:
		return err
	case s := <-sig:
		logger.Info("shutting down", "signal", s.String())
	}
	return shutdown(app, conns, &inflight, *grace, logger)
}

// shutdown stops accepting connections, waits up to grace for the requests
// being handled, then closes every connection left (idle keep-alives and
// clients that stalled mid-request) and returns nil: a stalled client is no
// reason to fail a shutdown.
func shutdown(app *fiber.App, conns *connSet, inflight *atomic.Int64, grace time.Duration, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.ShutdownWithContext(ctx) }()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			if n := conns.closeAll(); n > 0 {
				logger.Warn("shutdown: closed connections still open after the grace period", "connections", n, "grace", grace.String())
			}
			logger.Info("shut down")
			return nil
		case <-tick.C:
			// No request is being handled: what is left is idle or stalled.
			if inflight.Load() == 0 {
				if n := conns.closeAll(); n > 0 {
					logger.Info("shutdown: closed idle or stalled connections", "connections", n)
				}
			}
		}
	}
}

// connSet remembers the open connections of a listener so that shutdown can
// close the ones fasthttp would wait for.
type connSet struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (cs *connSet) closeAll() int {
	cs.mu.Lock()
	open := make([]net.Conn, 0, len(cs.conns))
	for c := range cs.conns {
		open = append(open, c)
	}
	cs.mu.Unlock()
	for _, c := range open {
		c.Close() // removes itself from the set
	}
	return len(open)
}

type trackedListener struct {
	net.Listener
	set *connSet
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, set: l.set}
	l.set.mu.Lock()
	l.set.conns[tc] = struct{}{}
	l.set.mu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	set  *connSet
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.set.mu.Lock()
		delete(c.set.conns, c)
		c.set.mu.Unlock()
	})
	return c.Conn.Close()
}

// listen opens the listening socket (with TLS when given), tracking its
// connections.
func listen(addr, certFile, keyFile string, app *fiber.App) (net.Listener, *connSet, error) {
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("无法监听 %s：%w", addr, err)
	}
	set := &connSet{conns: map[net.Conn]struct{}{}}
	var ln net.Listener = &trackedListener{Listener: raw, set: set}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			raw.Close()
			return nil, nil, fmt.Errorf("无法读取 TLS 证书或私钥：%w", err)
		}
		th := &fiber.TLSHandler{}
		ln = tls.NewListener(ln, &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, GetCertificate: th.GetClientInfo})
		app.SetTLSHandler(th)
	}
	return ln, set, nil
}

// startupCheck refuses, before anything is opened or created, a data
// directory whose database is missing beside its uploaded files, a database
// that fails the fast check, and -demo on a directory holding real data.
func startupCheck(dir string, demo bool, logger *slog.Logger) error {
	state, err := store.InspectDataDir(dir)
	if err != nil {
		return err
	}
	switch state {
	case store.DirOrphanFiles:
		return fmt.Errorf("数据目录 %s 中有上传文件（files/）或日志归档，但数据库 %s 不存在或是空的：数据库可能已丢失。"+
			"为避免在旧数据旁建立新的省份，服务器拒绝启动。请从备份恢复到新目录（certreg -restore 备份文件 -data 新目录）；"+
			"若确为全新部署，请先移走这些文件", dir, store.DBFile)
	case store.DirEmpty:
		return nil
	}
	t0 := time.Now()
	r, err := store.CheckDir(dir, store.CheckOptions{})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("数据目录 %s 正被另一个进程使用（同一数据目录只能运行一个实例）", dir)
	}
	if err != nil {
		return err
	}
	if !r.OK() {
		r.Write(os.Stderr)
		logger.Error("start-up check failed", "dir", dir, "faults", r.Faults(), "first", r.FirstFault())
		if r.Rollback {
			return fmt.Errorf("数据库 %s 最新的事务头页已损坏，启动会静默丢失最后一次提交的修改，服务器拒绝启动。"+
				"请从备份恢复，或确认可以放弃最后一次修改后运行 certreg check -data %s -accept-rollback", dir, dir)
		}
		return fmt.Errorf("数据库 %s 未通过启动检查（%s），服务器拒绝启动。请运行 certreg check -data %s 查看完整报告，并从备份恢复", dir, r.FirstFault(), dir)
	}
	logger.Info("start-up check passed", "dir", dir, "elapsed", time.Since(t0).String())
	if demo {
		st, err := store.Open(dir)
		if err != nil {
			return err
		}
		defer st.Close()
		empty, err := st.Empty()
		if err != nil {
			return err
		}
		if _, err := st.UserByName("demo-province"); !empty && err != nil {
			return fmt.Errorf("数据目录 %s 中是正式数据，不能以 -demo 启动（演示模式会在登录页显示演示验证码）；请去掉 -demo，或为演示另用一个空目录", dir)
		}
	}
	return nil
}

// runCheck is `certreg check`.
func runCheck(args []string) error {
	fs := flag.NewFlagSet("certreg check", flag.ContinueOnError)
	dir := fs.String("data", "./data", "data directory to check (the server must be stopped)")
	repair := fs.Bool("repair", false, "rebuild indexes and counters that differ from the records (never the records), then check again")
	accept := fs.Bool("accept-rollback", false, "when the newest meta page is damaged: keep a copy of the file and accept losing its last transaction")
	fast := fs.Bool("fast", false, "only what the server checks at start (the file and its layout)")
	anchors := fs.String("anchors", "", "directory of operation-log anchor files (certreg-anchor-*.txt, kept elsewhere) the log must still pass through")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("多余的参数 %q（用法：certreg check -data 目录 [-repair] [-accept-rollback] [-anchors 锚点目录]）", fs.Args())
	}
	if *anchors != "" && *fast {
		return errors.New("-anchors 需要完整检查，不能与 -fast 同用 / -anchors needs the full check, not -fast")
	}
	r, err := store.CheckDir(*dir, store.CheckOptions{Full: !*fast, Repair: *repair, AcceptRollback: *accept, AnchorDir: *anchors,
		Progress: func(zh, en string) { fmt.Fprintf(os.Stderr, "%s / %s\n", zh, en) }})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("数据目录 %s 正被另一个进程使用：请先停止服务器再检查", *dir)
	}
	if err != nil {
		return err
	}
	r.Write(os.Stdout)
	if !r.OK() {
		return errCheckFailed
	}
	return nil
}

// restoreBackup is `certreg -restore FILE -data DIR`.
func restoreBackup(file, dir string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("无法打开备份文件：%w", err)
	}
	defer f.Close()
	res, err := store.RestoreBackup(f, dir, func(msg string) { fmt.Fprintln(os.Stderr, msg) })
	if err != nil {
		if res != nil && res.Check != nil {
			res.Check.Write(os.Stderr)
		}
		return fmt.Errorf("恢复失败，%s 未被改动：%w", dir, err)
	}
	if m := res.Manifest; m != nil {
		fmt.Printf("备份生成于 %s：证书 %d 张，批次 %d 个，业务 %d 项，上传文件 %d 个；%d 个条目与清单一致，完整检查通过。\n",
			m.Created.In(cstZone).Format("2006-01-02 15:04:05"), m.Figures.Certificates, m.Figures.Batches, m.Figures.Businesses, m.Figures.Materials, res.Entries)
	}
	fmt.Printf("已将备份恢复到 %s。\n", dir)
	return nil
}

var cstZone = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// demoPublicURL is where a demo's QR codes point: the listen address on this
// machine.
func demoPublicURL(addr string, tls bool) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// firstStart fills an empty data directory: the demo province (package
// demo) with -demo, otherwise the province and its admin with a random
// initial password that is printed once.
func firstStart(st *store.Store, province string, withDemo bool) error {
	empty, err := st.Empty()
	if err != nil || !empty {
		return err
	}
	if withDemo {
		hash, err := auth.HashPassword(store.DemoPassword)
		if err != nil {
			return err
		}
		if err := demo.Build(st, hash); err != nil {
			return fmt.Errorf("build demo: %w", err)
		}
		fmt.Println("已创建演示省份：安徽省住房和城乡建设厅。演示账号 demo-province / demo-dept / demo-unit / demo-direct，密码 " + store.DemoPassword + "。")
		return nil
	}
	pw := auth.RandomPassword()
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	org, _, err := st.Bootstrap(province, hash)
	if err != nil {
		return err
	}
	fmt.Printf("\n已创建 %s（机构代码 %s）。\n管理员用户名：admin\n初始密码：%s\n（仅显示这一次；首次登录须修改密码并绑定身份验证器。）\n\n", org.Name, org.Code, pw)
	return nil
}

func purgeSessions(st *store.Store, logger *slog.Logger) {
	for range time.Tick(10 * time.Minute) {
		if n, err := st.PurgeSessions(); err != nil {
			logger.Error("purge sessions", "err", err.Error())
		} else if n > 0 {
			logger.Info("purged sessions", "count", n)
		}
	}
}
