package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/memberd/memberd/httpapi"
	"github.com/memberd/memberd/internal/backend"
	"github.com/memberd/memberd/internal/node"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "memberd serve [--addr HOST:PORT] [--database FILE|URL] [--test-helpers] [--demo]", `
Serves Whop's v1 API at /api/v1 (point the official SDK at it with
WHOP_BASE_URL=http://HOST:PORT/api/v1), /healthz and /readyz, the web
dashboard at / (sign in with an API key), runs the scheduler that renews,
retries and expires memberships as time passes, and delivers webhooks
(memberd's delivery log is at /api/memberd/v1).

With --test-helpers every company has its own clock, moved forward with
POST /api/v1/test_helpers/clock/advance, and the test helpers exist.
With --demo an empty database is filled with a demo company, and an API key
and an SDK snippet are printed; it turns test helpers on.

Each API key may make --rate-limit requests a second to this node, in
bursts of --rate-burst; more get 429 rate_limited with Retry-After (which the
official SDK waits for). GET /metrics serves Prometheus metrics, on this
port or on --metrics-addr.

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
	rate := fs.Float64("rate-limit", node.DefaultRateLimit.Rate, "requests a second each API key may make to this node; 0 for no limit")
	burst := fs.Int("rate-burst", node.DefaultRateLimit.Burst, "requests an API key may make at once before --rate-limit holds it back")
	metricsAddr := fs.String("metrics-addr", "", "serve GET /metrics on this HOST:PORT instead of --addr (keep it off the API's port)")
	if err := parse(fs, args); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	if *rate < 0 || *burst < 1 {
		return fmt.Errorf("--rate-limit must be 0 or more and --rate-burst 1 or more")
	}
	if *demo {
		*helpers = true
	}
	store, err := backend.Open(ctx, *db)
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
	n := node.New(node.Config{
		Store:                store,
		Logger:               log,
		BaseURL:              base,
		TestHelpers:          *helpers,
		AllowPrivateWebhooks: *allowPrivate,
		SchedulerInterval:    *interval,
		WebhookTimeout:       *hookTimeout,
		WebhookConcurrency:   *hookConcurrency,
		RateLimit:            httpapi.RateLimit{Rate: *rate, Burst: *burst},
		MetricsAddr:          *metricsAddr,
	})
	if *demo {
		if err := seedDemo(ctx, n.Service, base, stdout); err != nil {
			ln.Close()
			return fmt.Errorf("demo data: %w", err)
		}
	}
	log.Info("memberd listening", "url", base, "api", base+"/api/v1", "database", redact(*db), "test_helpers", *helpers)
	if err := n.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// redact hides the password of a database URL, for logs.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return dsn
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
