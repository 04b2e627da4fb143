// Package node wires one memberd node: the HTTP API (v1, legacy, dashboard),
// the scheduler and the webhook dispatcher over one store. `memberd serve`
// and the benchmark harness both run nodes built here.
package node

import (
	"context"
	"errors"
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
}

// Node is a wired memberd: its service, its HTTP handler and, once Serve is
// called, its background workers.
type Node struct {
	Service *service.Service
	Handler http.Handler
	cfg     Config
}

// New wires a node over cfg.Store; nothing runs until Serve.
func New(cfg Config) *Node {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
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
	api := httpapi.New(httpapi.Config{Service: svc, Logger: cfg.Logger, TestHelpers: cfg.TestHelpers})
	legacy.Mount(api, svc, cfg.Logger)
	dashboard.Mount(api, svc, cfg.Logger)
	return &Node{Service: svc, Handler: api, cfg: cfg}
}

// Serve answers requests on ln and runs the scheduler and the webhook
// dispatcher until ctx ends; then in-flight requests get up to 10s to
// finish and webhook attempts in flight up to the webhook timeout.
func (n *Node) Serve(ctx context.Context, ln net.Listener) error {
	log := n.cfg.Logger
	srv := &http.Server{
		Handler:           n.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	runCtx, stopWorkers := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	workers.Go(func() {
		scheduler.New(n.Service, log, n.cfg.SchedulerInterval, n.cfg.SchedulerBatch).Run(runCtx)
	})
	stopWebhooks := dispatcher.New(dispatcher.Config{
		Store: n.cfg.Store, Formats: n.Service.WebhookFormats(), Logger: log,
		Timeout: n.cfg.WebhookTimeout, Concurrency: n.cfg.WebhookConcurrency,
		AllowPrivate: n.cfg.TestHelpers || n.cfg.AllowPrivateWebhooks,
	}).Start()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
		log.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(shutdownCtx)
		cancel()
	}
	stopWorkers()
	workers.Wait()
	stopWebhooks()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
