// Package handlers owns the HTTP side: the route table with its access rules,
// the middleware (security headers, sessions, CSRF, authorisation), and one
// file per resource action that parses, calls the store and renders.
package handlers

import (
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/template/html/v2"

	"certreg/auth"
	"certreg/candidate"
	"certreg/certpdf"
	"certreg/store"
	"certreg/views"
)

// Config is what the server needs from main.
type Config struct {
	Store *store.Store
	// Demo shows 演示模式 and the current demo code on the login page.
	Demo bool
	// TLS marks cookies Secure and sends HSTS.
	TLS bool
	// Now is the clock (tests inject one); nil means time.Now.
	Now func() time.Time
	// Logger receives one line per request; nil means slog.Default().
	Logger *slog.Logger
	// ProxyHeader names the header carrying the client address when the
	// server runs behind a trusted reverse proxy (e.g. X-Forwarded-For).
	ProxyHeader string
	// LoginLimit is the number of login attempts allowed per client address
	// per minute (0: 60).
	LoginLimit int
	// PublicURL is the address the public verification links and QR codes
	// point at (e.g. https://zjt.ah.gov.cn); "" means the province's setting
	// in 系统设置.
	PublicURL string
	// VerifyLimit is the number of public verifications allowed per client
	// address per minute (0: 20).
	VerifyLimit int
	// MetricsToken lets a monitoring system read /metrics from another
	// machine (Authorization: Bearer …); "" serves it to loopback only.
	MetricsToken string
	// InFlight counts the requests being handled (shared with main, which
	// waits for them at shutdown); nil: the server keeps its own.
	InFlight *atomic.Int64
}

// Server holds the dependencies of every handler.
type Server struct {
	st      *store.Store
	demo    bool
	tls     bool
	now     func() time.Time
	log     *slog.Logger
	limiter *auth.Limiter
	routes  []route
	pages   map[string]access // the GET routes and who may open them (mayOpen)
	failMem *unknownFailures
	views   *template.Template
	certs   *certState  // verification key and limiter (verify.go)
	options optionCache // the library's drop-downs (cert_options.go)
	chromes chromeCache // the main layout around pages (chrome.go)
	denials *denials
	// csrfKey signs the CSRF tokens handed out before login.
	csrfKey     []byte
	proxyHeader string
	reveals     *revealStore // secrets shown once after a POST (reveal.go)
	uploads     *uploadSlots
	imports     *checkedImports // workbooks checked in step 1 of the batch wizard
	// Operations (metrics.go, backup.go, housekeeping.go).
	metrics      *metrics
	metricsToken string
	backups      backupRuns
}

// New builds the fiber application with every route of the product.
func New(cfg Config) (*fiber.App, error) {
	_, app, err := newServer(cfg)
	return app, err
}

func newServer(cfg Config) (*Server, *fiber.App, error) {
	// A name is accepted only if the certificate can print it.
	candidate.SetPrintable(certpdf.Printable)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LoginLimit == 0 {
		cfg.LoginLimit = 60
	}
	engine := html.NewFileSystem(http.FS(views.FS), ".html")
	engine.AddFuncMap(funcs)
	if err := engine.Load(); err != nil {
		return nil, nil, err
	}
	if err := checkTemplates(engine); err != nil {
		return nil, nil, err
	}
	s := &Server{st: cfg.Store, demo: cfg.Demo, tls: cfg.TLS, now: cfg.Now, log: cfg.Logger,
		limiter: auth.NewLimiter(cfg.LoginLimit, time.Minute, cfg.Now), failMem: newUnknownFailures(),
		views: engine.Templates, reveals: newRevealStore(cfg.Now), uploads: newUploadSlots(), imports: newCheckedImports(cfg.Now),
		metrics: newMetrics(cfg.InFlight, cfg.Now()), metricsToken: cfg.MetricsToken}
	certs, err := newCertState(cfg)
	if err != nil {
		return nil, nil, err
	}
	s.certs = certs
	if s.csrfKey, err = cfg.Store.SecretKey("csrf"); err != nil {
		return nil, nil, err
	}
	s.proxyHeader = cfg.ProxyHeader
	if cfg.PublicURL != "" {
		if s.certs.publicURL, err = store.CheckPublicURL(cfg.PublicURL); err != nil {
			return nil, nil, fmt.Errorf("-public-url %q: %w", cfg.PublicURL, err)
		}
	}
	s.denials = newDenials(func(action store.Action, a store.Actor, target, detail string) {
		if err := s.st.Log(a, action, target, detail, false); err != nil {
			s.log.Error("log refused request", "err", err.Error())
		}
	})
	app := fiber.New(fiber.Config{
		Immutable:             true,
		DisableStartupMessage: true,
		// Bodies are streamed and read by limitBody, never reserved at the
		// size a client declares (upload.go). BodyLimit only bounds what
		// fasthttp reads ahead before the handlers run; multipart bodies are
		// never parsed ahead of them.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		BodyLimit:                    maxFormBody,
		ReadTimeout:                  2 * time.Minute,
		WriteTimeout:                 2 * time.Minute,
		IdleTimeout:                  2 * time.Minute,
		ErrorHandler:                 s.errorHandler,
		ProxyHeader:                  cfg.ProxyHeader,
	})
	s.routes = s.routeTable()
	for _, r := range s.routes {
		if r.upload != nil {
			app.Add(r.method, r.path, markUpload(r.upload))
		}
		if r.access.loopback {
			app.Add(r.method, r.path, loopbackOr404(r.handler))
		}
	}
	app.Use(s.measure, s.recoverer, s.securityHeaders, s.requestLog, s.limitBody)
	app.Get("/assets/*", s.assets)
	app.Use(s.loadSession, s.uploadGate, s.csrf)
	s.pages = map[string]access{}
	for _, r := range s.routes {
		switch {
		case r.access.loopback: // registered ahead of the middleware
		case r.upload != nil:
			app.Add(r.method, r.path, s.guard(r), s.admitUpload, r.handler)
		default:
			app.Add(r.method, r.path, s.guard(r), r.handler)
		}
		if r.method == fiber.MethodGet {
			s.pages[r.path] = r.access
		}
	}
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	s.startHousekeeping(app)
	return s, app, nil
}
