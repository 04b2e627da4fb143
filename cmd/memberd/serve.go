package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/memberd/memberd/dashboard"
	"github.com/memberd/memberd/dispatcher"
	"github.com/memberd/memberd/httpapi"
	"github.com/memberd/memberd/legacy"
	"github.com/memberd/memberd/scheduler"
	"github.com/memberd/memberd/service"
	"github.com/memberd/memberd/testpay"
	"github.com/memberd/memberd/wire"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "memberd serve [--addr HOST:PORT] [--database FILE] [--test-helpers] [--demo]", `
Serves Whop's v1 API at /api/v1 (point the official SDK at it with
WHOP_BASE_URL=http://HOST:PORT/api/v1), /healthz and /readyz, the web
dashboard at / (sign in with an API key), runs the scheduler that renews,
retries and expires memberships as time passes, and delivers webhooks
(memberd's delivery log is at /api/memberd/v1).

With --test-helpers every company has its own clock, moved forward with
POST /api/v1/test_helpers/clock/advance, and the test helpers exist.
With --demo an empty database is filled with a demo company, and an API key
and an SDK snippet are printed; it turns test helpers on.

Stops cleanly on SIGINT or SIGTERM: in-flight requests finish (10s at most),
then webhook attempts in flight (--webhook-timeout at most).`, stderr)
	addr := fs.String("addr", envOr("MEMBERD_ADDR", "127.0.0.1:8080"), "listen address (env MEMBERD_ADDR)")
	db := databaseFlag(fs)
	helpers := fs.Bool("test-helpers", envBool("MEMBERD_TEST_HELPERS"), "serve test helpers; each company gets its own clock (env MEMBERD_TEST_HELPERS)")
	demo := fs.Bool("demo", false, "fill an empty database with demo data, print a key; implies --test-helpers")
	publicURL := fs.String("public-url", envOr("MEMBERD_PUBLIC_URL", ""), "base URL for links memberd renders, such as manage_url (default http://ADDR)")
	logFormat := fs.String("log-format", envOr("MEMBERD_LOG_FORMAT", "text"), "log format: text or json")
	logLevel := fs.String("log-level", envOr("MEMBERD_LOG_LEVEL", "info"), "log level: debug, info, warn or error")
	interval := fs.Duration("scheduler-interval", time.Second, "how often the scheduler looks for due work")
	allowPrivate := fs.Bool("allow-private-webhooks", envBool("MEMBERD_ALLOW_PRIVATE_WEBHOOKS"),
		"deliver webhooks to loopback and private addresses (always on with test helpers) (env MEMBERD_ALLOW_PRIVATE_WEBHOOKS)")
	hookTimeout := fs.Duration("webhook-timeout", 15*time.Second, "how long one webhook delivery attempt may take")
	hookConcurrency := fs.Int("webhook-concurrency", 32, "webhook requests in flight at most")
	if err := parse(fs, args); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	if *demo {
		*helpers = true
	}
	store, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := *publicURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	svc := service.New(service.Config{
		Store:                store,
		Processor:            testpay.Processor{},
		Renderer:             wire.Renderer{BaseURL: strings.TrimRight(base, "/")},
		Logger:               log,
		TestMode:             *helpers,
		AllowPrivateWebhooks: *allowPrivate,
	})
	if *demo {
		if err := seedDemo(ctx, svc, base, stdout); err != nil {
			ln.Close()
			return fmt.Errorf("demo data: %w", err)
		}
	}
	api := httpapi.New(httpapi.Config{Service: svc, Logger: log, TestHelpers: *helpers})
	legacy.Mount(api, svc, log)
	dashboard.Mount(api, svc, log)
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	runCtx, stopWorkers := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	workers.Go(func() { scheduler.New(svc, log, *interval, 500).Run(runCtx) })
	stopWebhooks := dispatcher.New(dispatcher.Config{
		Store: store, Formats: svc.WebhookFormats(), Logger: log, Timeout: *hookTimeout, Concurrency: *hookConcurrency,
		AllowPrivate: *helpers || *allowPrivate,
	}).Start()

	log.Info("memberd listening", "url", base, "api", base+"/api/v1", "database", *db, "test_helpers", *helpers)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
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
	log.Info("stopped")
	return err
}

func envBool(name string) bool {
	v, _ := strconv.ParseBool(envOr(name, "false"))
	return v
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", format)
}
