// Package httpapi serves Whop's REST API over memberd's service: the v1
// surface at /api/v1 (what the official SDK speaks), memberd's test helpers,
// and health checks. Handlers parse and validate parameters, call the
// service, and render with package wire; errors are rendered in one place.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/logctx"
	"github.com/memberd/memberd/internal/metrics"
	"github.com/memberd/memberd/service"
	"github.com/memberd/memberd/wire"
)

// Server is the HTTP API.
type Server struct {
	svc         *service.Service
	log         *slog.Logger
	mux         *http.ServeMux
	testHelpers bool
	now         func() time.Time
	lease       time.Duration // of Idempotency-Key reservations
	limiter     *limiter
	metrics     serverMetrics
}

// Config configures the API.
type Config struct {
	Service *service.Service
	Logger  *slog.Logger
	// TestHelpers serves /api/v1/test_helpers.
	TestHelpers bool
	// Now is the real clock (idempotency keys, rate limits); nil means
	// time.Now.
	Now func() time.Time
	// RateLimit bounds each API key's requests; the zero value is no limit.
	RateLimit RateLimit
	// IdempotencyLease is how long a running request's hold on its
	// Idempotency-Key lasts unless renewed (default IdempotencyLease).
	IdempotencyLease time.Duration
	// Metrics receives the request figures; nil keeps them nowhere.
	Metrics *metrics.Registry
}

// serverMetrics are the API's figures. Routes are ServeMux patterns (one
// label value per endpoint, never a raw path).
type serverMetrics struct {
	requests    metrics.Counter   // by route and status code
	duration    metrics.Histogram // by route
	inFlight    metrics.Gauge
	idempotency metrics.Counter // by outcome
}

func newServerMetrics(r *metrics.Registry) serverMetrics {
	if r == nil {
		r = metrics.New()
	}
	return serverMetrics{
		requests: r.Counter("memberd_http_requests_total", "HTTP requests answered, by route (the ServeMux pattern) and status code.", "route", "code"),
		duration: r.Histogram("memberd_http_request_duration_seconds", "Time to answer HTTP requests, by route.",
			[]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}, "route"),
		inFlight: r.Gauge("memberd_http_requests_in_flight", "HTTP requests being answered."),
		idempotency: r.Counter("memberd_idempotency_requests_total",
			"Requests with an Idempotency-Key, by outcome: executed, replayed, mismatched (other parameters, a 400), in_progress (a 409).", "outcome"),
	}
}

// New returns the API handler with every route registered.
func New(c Config) *Server {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.IdempotencyLease <= 0 {
		c.IdempotencyLease = IdempotencyLease
	}
	s := &Server{
		svc: c.Service, log: logctx.Logger(c.Logger), mux: http.NewServeMux(), testHelpers: c.TestHelpers,
		now: c.Now, lease: c.IdempotencyLease, limiter: newLimiter(c.RateLimit, c.Now), metrics: newServerMetrics(c.Metrics),
	}
	s.routes()
	return s
}

// Mux returns the router, so other surfaces (legacy APIs, the dashboard)
// can register on the same one.
func (s *Server) Mux() *http.ServeMux { return s.mux }

// ServeHTTP serves a request: request id (in the response and on every log
// line of the request, through its context), logging, metrics, panic
// recovery, routing.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if !validRequestID(id) {
		id = newRequestID()
	}
	w.Header().Set("Request-Id", id)
	r = r.WithContext(logctx.With(r.Context(), slog.String("request_id", id)))
	rw := &statusWriter{ResponseWriter: w}
	h, pattern := s.mux.Handler(r)
	route := pattern
	if route == "" {
		route = "unmatched"
	}
	s.metrics.inFlight.Add(1)
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(r.Context(), "panic", "panic", p, "stack", string(debug.Stack()))
			if rw.status == 0 {
				writeError(rw, r, memberd.Errorf(memberd.KindInternal, "", "", "panic"), s.log)
			}
		}
		if rw.status == 0 { // nothing written: net/http sends 200
			rw.status = http.StatusOK
		}
		s.metrics.inFlight.Add(-1)
		s.metrics.requests.Inc(route, strconv.Itoa(rw.status))
		s.metrics.duration.Since(start, route)
		level := slog.LevelInfo
		if rw.status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(r.Context(), level, "request", "method", r.Method, "path", redactPath(r.URL.Path),
			"status", rw.status, "duration_ms", float64(time.Since(start).Microseconds())/1000, "bytes", rw.bytes)
	}()
	if pattern == "" {
		// No route: answer in the API's error envelope rather than text.
		rec := &statusWriter{ResponseWriter: discard{w.Header()}}
		h.ServeHTTP(rec, r)
		w.Header().Del("Content-Type")
		if rec.status == http.StatusMethodNotAllowed {
			writeError(rw, r, memberd.Errorf(memberd.KindMethodNotAllowed, "method_not_allowed", "", "%s is not allowed on %s.", r.Method, r.URL.Path), s.log)
			return
		}
		writeError(rw, r, memberd.Errorf(memberd.KindNotFound, "", "", "No such endpoint: %s %s.", r.Method, r.URL.Path), s.log)
		return
	}
	s.mux.ServeHTTP(rw, r)
}

// redactPath hides the path segments that look like an API key's secret
// (sent by mistake in place of an id), for logs.
func redactPath(p string) string {
	if !strings.Contains(p, memberd.PrefixAPIKeySecret) {
		return p
	}
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if strings.Contains(part, memberd.PrefixAPIKeySecret) {
			parts[i] = "[redacted]"
		}
	}
	return strings.Join(parts, "/")
}

// validRequestID accepts a client's request id: up to 64 letters, digits
// and ._:- (nothing that could forge a log line), not an API key's secret.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 || strings.Contains(id, memberd.PrefixAPIKeySecret) {
		return false
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("._:-", c)) {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// discard is a ResponseWriter that keeps nothing (but the header map it is
// given): used to learn the status ServeMux picks for an unrouted request.
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

// Status sets the HTTP status of a successful response (default 200).
type Status struct {
	Code int
	Body any
}

// apiFunc handles an authenticated request and returns what to render.
type apiFunc func(r *http.Request, k *memberd.APIKey) (any, error)

type keyContext struct{}

// KeyFrom returns the API key that authenticated the request.
func KeyFrom(ctx context.Context) (memberd.APIKey, bool) {
	k, ok := ctx.Value(keyContext{}).(memberd.APIKey)
	return k, ok
}

// Handle registers an endpoint that needs an API key carrying perms. A
// POST or PATCH with an Idempotency-Key runs under it (see Idempotent).
func (s *Server) Handle(pattern string, perms []string, f apiFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		k, err := s.Authorize(r, perms...)
		if err == nil {
			r = r.WithContext(context.WithValue(r.Context(), keyContext{}, k))
			err = s.Idempotent(w, r, k.CompanyID, func(w http.ResponseWriter, r *http.Request) {
				v, err := f(r, &k)
				if err != nil {
					writeError(w, r, err, s.log)
					return
				}
				code := http.StatusOK
				if st, ok := v.(Status); ok {
					code, v = st.Code, st.Body
				}
				WriteJSON(w, code, v)
			})
		}
		if err != nil {
			writeError(w, r, err, s.log)
		}
	})
}

// Authorize authenticates the request's key, holds it to its rate limit
// and checks that it carries perms: what Handle does before its function
// runs, for surfaces on the same router that render their own responses
// (the legacy APIs). The error is Unauthorized, RateLimited (see
// SetRetryAfter) or Forbidden.
func (s *Server) Authorize(r *http.Request, perms ...string) (memberd.APIKey, error) {
	k, err := s.authenticate(r)
	if err != nil {
		return k, err
	}
	if wait, ok := s.limiter.take(k.ID); !ok {
		return k, s.limiter.rateLimited(wait)
	}
	return k, k.Require(perms...)
}

// authenticate reads the Bearer key.
func (s *Server) authenticate(r *http.Request) (memberd.APIKey, error) {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		secret, _ = strings.CutPrefix(h, "bearer ")
	}
	return s.svc.Authenticate(r.Context(), strings.TrimSpace(secret))
}

// WriteJSON writes v as the JSON response.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b = []byte(`{"error":{"type":"internal_server_error","message":"An unexpected error occurred","code":null,"param":null}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

var errorTypes = map[memberd.Kind]struct {
	status int
	typ    string
}{
	memberd.KindInvalid:          {http.StatusBadRequest, "invalid_request_error"},
	memberd.KindUnauthorized:     {http.StatusUnauthorized, "unauthorized"},
	memberd.KindForbidden:        {http.StatusForbidden, "forbidden"},
	memberd.KindNotFound:         {http.StatusNotFound, "not_found"},
	memberd.KindRateLimited:      {http.StatusTooManyRequests, "rate_limited"},
	memberd.KindConflict:         {http.StatusConflict, "idempotency_error"},
	memberd.KindMethodNotAllowed: {http.StatusMethodNotAllowed, "invalid_request_error"},
	memberd.KindInternal:         {http.StatusInternalServerError, "internal_server_error"},
}

// ErrorStatus maps err to its HTTP status and Whop error body. Internal
// errors get a generic message; their detail goes to the log only.
func ErrorStatus(err error) (int, wire.ErrorBody) {
	var e *memberd.Error
	if !errors.As(err, &e) || e.Kind == memberd.KindInternal {
		return http.StatusInternalServerError, wire.ErrorBody{Error: wire.ErrorDetail{Type: "internal_server_error", Message: "An unexpected error occurred"}}
	}
	t := errorTypes[e.Kind]
	d := wire.ErrorDetail{Type: t.typ, Message: e.Message}
	if e.Code != "" {
		d.Code = &e.Code
	}
	if e.Param != "" {
		d.Param = &e.Param
	}
	return t.status, wire.ErrorBody{Error: d}
}

func writeError(w http.ResponseWriter, r *http.Request, err error, log *slog.Logger) {
	status, body := ErrorStatus(err)
	if status == http.StatusInternalServerError {
		log.ErrorContext(r.Context(), "internal error", "err", err)
	}
	SetRetryAfter(w.Header(), err)
	WriteJSON(w, status, body)
}
