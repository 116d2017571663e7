// Command certreg is the registration system for the vocational-training
// certificates of construction-industry skilled workers (住房和城乡建设行业技能人员
// 职业培训合格证登记系统): one binary with its templates, assets, fonts and
// reference data embedded, and one data directory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // China Standard Time without the host's zone files

	"certreg/auth"
	"certreg/data"
	"certreg/handlers"
	"certreg/store"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "错误:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("certreg", flag.ContinueOnError)
	addr := fs.String("addr", ":8080", "listen address")
	dir := fs.String("data", "./data", "data directory (database and uploaded files)")
	demo := fs.Bool("demo", false, "seed the demo province on an empty data directory and show demo codes on the login page")
	province := fs.String("province", "34", "2-digit GB/T 2260 code of the province (first start only)")
	tlsCert := fs.String("tls-cert", "", "TLS certificate file (PEM)")
	tlsKey := fs.String("tls-key", "", "TLS private key file (PEM)")
	restore := fs.String("restore", "", "restore a backup file (.tar.gz) into the empty -data directory, then exit")
	proxyHeader := fs.String("proxy-header", "", "header with the client address set by a trusted reverse proxy (e.g. X-Real-IP)")
	publicURL := fs.String("public-url", "", "public address for the verification links and QR codes on certificates (e.g. https://zjt.example.gov.cn); default: the province's setting in 系统设置 (with -demo: this machine's listen address)")
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
		f, err := os.Open(*restore)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := store.Restore(f, *dir); err != nil {
			return err
		}
		fmt.Printf("已将备份恢复到 %s。\n", *dir)
		return nil
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	slog.SetDefault(logger)

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
	pub := *publicURL
	if pub == "" && *demo {
		pub = demoPublicURL(*addr, *tlsCert != "")
	}
	app, err := handlers.New(handlers.Config{Store: st, Demo: *demo, TLS: *tlsCert != "", Logger: logger, ProxyHeader: *proxyHeader, PublicURL: pub})
	if err != nil {
		return err
	}

	go purgeSessions(st, logger)
	errc := make(chan error, 1)
	go func() {
		logger.Info("listening", "addr", *addr, "data", *dir, "demo", *demo, "tls", *tlsCert != "")
		if *tlsCert != "" {
			errc <- app.ListenTLS(*addr, *tlsCert, *tlsKey)
		} else {
			errc <- app.Listen(*addr)
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case err := <-errc:
		return err
	case s := <-sig:
		logger.Info("shutting down", "signal", s.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return app.ShutdownWithContext(ctx)
}

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

// firstStart seeds an empty data directory: the demo province with -demo,
// otherwise the province and its admin with a random initial password that
// is printed once.
func firstStart(st *store.Store, province string, demo bool) error {
	empty, err := st.Empty()
	if err != nil || !empty {
		return err
	}
	if demo {
		hash, err := auth.HashPassword(store.DemoPassword)
		if err != nil {
			return err
		}
		if err := st.SeedDemo(hash); err != nil {
			return fmt.Errorf("seed demo: %w", err)
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
