// Package node wires one memberd node: the HTTP API (v1, legacy, dashboard),
// the scheduler and the webhook dispatcher over one store. `memberd serve`
// and the benchmark harness both run nodes built here.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/dashboard"
	"github.com/memberd/memberd/dispatcher"
	"github.com/memberd/memberd/httpapi"
	"github.com/memberd/memberd/internal/logctx"
	"github.com/memberd/memberd/internal/metrics"
	"github.com/memberd/memberd/legacy"
	"github.com/memberd/memberd/scheduler"
	"github.com/memberd/memberd/service"
	"github.com/memberd/memberd/testpay"
	"github.com/memberd/memberd/wire"
)

// Config is what a node is made of. Zero values take the defaults of
// `memberd serve`.
type Config struct {
	Store  memberd.Store
	Logger *slog.Logger
	// BaseURL is where clients reach the node, for links memberd renders.
	BaseURL     string
	TestHelpers bool
	// AllowPrivateWebhooks delivers to loopback and private addresses
	// (always on with test helpers).
	AllowPrivateWebhooks bool
	SchedulerInterval    time.Duration // default 1s
	SchedulerBatch       int           // default 500
	WebhookTimeout       time.Duration // default 15s
	WebhookConcurrency   int           // default 32
	// RateLimit bounds each API key's requests to this node. Its zero
	// value is no limit (serve's flags set one: DefaultRateLimit).
	RateLimit httpapi.RateLimit
	// MetricsAddr serves GET /metrics on a listener of its own; empty
	// serves it with the API.
	MetricsAddr string
	// HTTP server limits (defaults in DefaultHTTPLimits).
	HTTP HTTPLimits
}

// HTTPLimits bound what a client may hold of the HTTP server: how long it
// may take to send its request's header and all of its request, how long
// the server may take to write the response, how long an idle keep-alive
// connection stays open, and the size of the request header. Request bodies
// are bounded by their readers (httpapi.MaxBodyBytes).
type HTTPLimits struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
}

// DefaultHTTPLimits are serve's: 10 s for the header, 30 s for the whole
// request, 60 s for the response, 120 s idle, 64 KiB of header.
var DefaultHTTPLimits = HTTPLimits{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      60 * time.Second,
	IdleTimeout:       120 * time.Second,
	MaxHeaderBytes:    64 << 10,
}

// DefaultRateLimit is serve's limit per API key: 100 requests a second,
// in bursts of up to 200.
var DefaultRateLimit = httpapi.RateLimit{Rate: 100, Burst: 200}

// Node is a wired memberd: its service, its HTTP handler and, once Serve is
// called, its background workers.
type Node struct {
	Service *service.Service
	Handler http.Handler
	// Metrics holds the node's figures, served at GET /metrics.
	Metrics *metrics.Registry
	cfg     Config
}

// New wires a node over cfg.Store; nothing runs until Serve.
func New(cfg Config) *Node {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = logctx.Logger(cfg.Logger)
	cfg.HTTP.ReadHeaderTimeout = orDefault(cfg.HTTP.ReadHeaderTimeout, DefaultHTTPLimits.ReadHeaderTimeout)
	cfg.HTTP.ReadTimeout = orDefault(cfg.HTTP.ReadTimeout, DefaultHTTPLimits.ReadTimeout)
	cfg.HTTP.WriteTimeout = orDefault(cfg.HTTP.WriteTimeout, DefaultHTTPLimits.WriteTimeout)
	cfg.HTTP.IdleTimeout = orDefault(cfg.HTTP.IdleTimeout, DefaultHTTPLimits.IdleTimeout)
	cfg.HTTP.MaxHeaderBytes = orDefault(cfg.HTTP.MaxHeaderBytes, DefaultHTTPLimits.MaxHeaderBytes)
	cfg.SchedulerInterval = orDefault(cfg.SchedulerInterval, time.Second)
	cfg.SchedulerBatch = orDefault(cfg.SchedulerBatch, 500)
	cfg.WebhookTimeout = orDefault(cfg.WebhookTimeout, 15*time.Second)
	cfg.WebhookConcurrency = orDefault(cfg.WebhookConcurrency, 32)
	svc := service.New(service.Config{
		Store:                cfg.Store,
		Processor:            testpay.Processor{},
		Renderer:             wire.Renderer{BaseURL: strings.TrimRight(cfg.BaseURL, "/")},
		Logger:               cfg.Logger,
		TestMode:             cfg.TestHelpers,
		AllowPrivateWebhooks: cfg.AllowPrivateWebhooks,
	})
	reg := metrics.New()
	metrics.RegisterRuntime(reg)
	registerBacklog(reg, cfg.Store, cfg.Logger)
	api := httpapi.New(httpapi.Config{Service: svc, Logger: cfg.Logger, TestHelpers: cfg.TestHelpers, RateLimit: cfg.RateLimit, Metrics: reg})
	legacy.Mount(api, svc, cfg.Logger)
	dashboard.Mount(api, svc, cfg.Logger)
	if cfg.MetricsAddr == "" {
		api.Mux().Handle("GET /metrics", reg)
	}
	return &Node{Service: svc, Handler: api, Metrics: reg, cfg: cfg}
}

// Serve answers requests on ln and runs the scheduler and the webhook
// dispatcher until ctx ends; then in-flight requests get up to 10s to
// finish and webhook attempts in flight up to the webhook timeout.
func (n *Node) Serve(ctx context.Context, ln net.Listener) error {
	log := n.cfg.Logger
	srv := n.httpServer(n.Handler)
	servers := []*http.Server{srv}
	served := make(chan error, 2)
	if n.cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", n.cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", n.Metrics)
		msrv := n.httpServer(mux)
		servers = append(servers, msrv)
		log.Info("metrics listening", "url", "http://"+mln.Addr().String()+"/metrics")
		go func() { served <- msrv.Serve(mln) }()
	}
	runCtx, stopWorkers := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	workers.Go(func() {
		scheduler.New(n.Service, log, n.cfg.SchedulerInterval, n.cfg.SchedulerBatch).WithMetrics(n.Metrics).Run(runCtx)
	})
	stopWebhooks := dispatcher.New(dispatcher.Config{
		Store: n.cfg.Store, Formats: n.Service.WebhookFormats(), Logger: log,
		Timeout: n.cfg.WebhookTimeout, Concurrency: n.cfg.WebhookConcurrency,
		AllowPrivate: n.cfg.TestHelpers || n.cfg.AllowPrivateWebhooks, Metrics: n.Metrics,
	}).Start()

	go func() { served <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
		log.Info("shutting down")
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	for _, s := range servers {
		if e := s.Shutdown(shutdownCtx); err == nil {
			err = e
		}
	}
	cancel()
	stopWorkers()
	workers.Wait()
	stopWebhooks()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// httpServer serves h within the node's HTTP limits.
func (n *Node) httpServer(h http.Handler) *http.Server {
	l := n.cfg.HTTP
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(n.cfg.Logger.Handler(), slog.LevelWarn),
	}
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
