package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/memberd/memberd"
)

// Idempotency-Key: a POST or PATCH that carries one runs once. Its response
// (status, headers, body) is stored under the key, scoped to the API key's
// company and the endpoint (method and path), and answered again, with
// Idempotent-Replayed: true, to every later request with the key and the
// same parameters; other parameters get a 400. The key is reserved in the
// database before the handler runs, so of concurrent duplicates, even on
// several nodes, one runs and the others wait for its response.
const (
	// IdempotencyHeader is the request header; ReplayedHeader marks a
	// replay, OriginalRequestHeader names the request it replays.
	IdempotencyHeader     = "Idempotency-Key"
	ReplayedHeader        = "Idempotent-Replayed"
	OriginalRequestHeader = "Original-Request"
	// MaxIdempotencyKey is the longest key, in bytes.
	MaxIdempotencyKey = 255
	// IdempotencyRetention is how long a response is kept for its key.
	IdempotencyRetention = 24 * time.Hour
	// IdempotencyLease is how long a reservation holds without renewal: a
	// running request renews it every third of that; a node that dies
	// mid-request frees its keys within it.
	IdempotencyLease = 30 * time.Second
	// IdempotencyWait is how long a duplicate waits for the request
	// holding its key before answering 409 (which the SDKs retry).
	IdempotencyWait = 2 * time.Second
)

// Idempotent answers r with serve, under r's Idempotency-Key when r is a
// POST or PATCH that has one, for the company companyID. It returns an
// error, having written nothing, when the key is invalid, was used with
// other parameters, or is held by a request still running; the caller
// renders it in its surface's error envelope.
func (s *Server) Idempotent(w http.ResponseWriter, r *http.Request, companyID string, serve http.HandlerFunc) error {
	keys, ok := r.Header[IdempotencyHeader]
	if !ok || (r.Method != http.MethodPost && r.Method != http.MethodPatch) {
		serve(w, r)
		return nil
	}
	if len(keys) != 1 || keys[0] == "" || len(keys[0]) > MaxIdempotencyKey {
		return memberd.Invalid(IdempotencyHeader, "The %s header must be one key of 1 to %d characters.", IdempotencyHeader, MaxIdempotencyKey)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		return bodyError(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	now := s.now()
	rec := memberd.IdempotencyRecord{
		CompanyID: companyID, Endpoint: r.Method + " " + r.URL.Path, Key: keys[0],
		Fingerprint: fingerprint(r, body), Token: newToken(),
		LeaseUntil: now.Add(s.lease), ExpiresAt: now.Add(IdempotencyRetention),
	}
	held, err := s.reserve(r.Context(), &rec)
	switch {
	case err != nil:
		return err
	case held != nil:
		s.metrics.idempotency.Inc("replayed")
		h := w.Header()
		maps.Copy(h, held.Header)
		h.Set(ReplayedHeader, "true")
		w.WriteHeader(held.Status)
		w.Write(held.Body)
		return nil
	}
	s.metrics.idempotency.Inc("executed")
	s.runReserved(w, r, &rec, serve)
	return nil
}

// reserve takes rec's key, waiting up to IdempotencyWait while another
// request holds it. It returns the stored response to replay, or nil when
// rec now holds the key.
func (s *Server) reserve(ctx context.Context, rec *memberd.IdempotencyRecord) (*memberd.StoredResponse, error) {
	deadline := time.Now().Add(IdempotencyWait)
	pause := 5 * time.Millisecond
	for {
		var held memberd.IdempotencyRecord
		var reserved bool
		err := s.svc.Store().Update(ctx, func(tx memberd.Tx) (err error) {
			held, reserved, err = tx.ReserveIdempotencyKey(ctx, rec, s.now())
			return err
		})
		switch {
		case err != nil || reserved:
			return nil, err
		case held.Fingerprint != rec.Fingerprint:
			s.metrics.idempotency.Inc("mismatched")
			return nil, memberd.Errorf(memberd.KindInvalid, memberd.CodeIdempotencyKeyReused, IdempotencyHeader,
				"This %s was used with different parameters (or another endpoint's); use a new key for a new request.", IdempotencyHeader)
		case held.Response != nil:
			return held.Response, nil
		case time.Now().After(deadline):
			s.metrics.idempotency.Inc("in_progress")
			return nil, retryAfter{memberd.Errorf(memberd.KindConflict, memberd.CodeIdempotencyKeyInProgress, IdempotencyHeader,
				"A request with this %s is still in progress; retry it later to get its response.", IdempotencyHeader), time.Second}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// runReserved runs serve while rec holds its key, renewing the lease, then
// stores the response (or frees the key after a server error, which
// changed nothing, so a retry runs again) and sends it.
func (s *Server) runReserved(w http.ResponseWriter, r *http.Request, rec *memberd.IdempotencyRecord, serve http.HandlerFunc) {
	ctx := context.WithoutCancel(r.Context())
	stopRenewing := s.renewLease(ctx, *rec)
	finished := false
	defer func() {
		stopRenewing()
		if !finished { // serve panicked: free the key for a retry
			s.finish(ctx, rec)
		}
	}()
	out := &recorder{header: http.Header{}}
	serve(out, r)
	if out.status == 0 {
		out.status = http.StatusOK
	}
	if out.status < http.StatusInternalServerError {
		stored := out.header.Clone()
		stored.Set(OriginalRequestHeader, w.Header().Get("Request-Id"))
		rec.Response = &memberd.StoredResponse{Status: out.status, Header: stored, Body: out.body.Bytes()}
		rec.ExpiresAt = s.now().Add(IdempotencyRetention)
	}
	stopRenewing()
	s.finish(ctx, rec)
	finished = true
	maps.Copy(w.Header(), out.header)
	w.WriteHeader(out.status)
	w.Write(out.body.Bytes())
}

// renewLease extends rec's lease every third of the lease until stopped;
// stop returns once renewing has stopped.
func (s *Server) renewLease(ctx context.Context, rec memberd.IdempotencyRecord) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(s.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			rec.LeaseUntil = s.now().Add(s.lease)
			err := s.svc.Store().Update(ctx, func(tx memberd.Tx) error { return tx.ExtendIdempotencyLease(ctx, &rec) })
			if err != nil {
				s.log.WarnContext(ctx, "idempotency: renewing a key's lease failed", "endpoint", rec.Endpoint, "err", err)
			}
		}
	}()
	return sync.OnceFunc(func() {
		close(done)
		<-stopped
	})
}

// finish stores rec's response, or frees its key when it has none.
func (s *Server) finish(ctx context.Context, rec *memberd.IdempotencyRecord) {
	err := s.svc.Store().Update(ctx, func(tx memberd.Tx) error { return tx.FinishIdempotencyKey(ctx, rec) })
	if errors.Is(err, memberd.ErrNotFound) {
		s.log.WarnContext(ctx, "idempotency: the request outlived its key's lease; its response is not stored", "endpoint", rec.Endpoint)
	} else if err != nil {
		s.log.ErrorContext(ctx, "idempotency: storing a response failed; the key frees when its lease lapses", "endpoint", rec.Endpoint, "err", err)
	}
}

// fingerprint hashes what makes two requests the same: method, path, query
// and body. A JSON body is hashed in a canonical form (keys sorted, no
// spaces), so the same parameters written differently match.
func fingerprint(r *http.Request, body []byte) string {
	h := sha256.New()
	for _, part := range []string{r.Method, r.URL.Path, r.URL.Query().Encode()} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) == nil && !dec.More() {
		if canonical, err := json.Marshal(v); err == nil {
			body = canonical
		}
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recorder keeps a response in memory, to store it before it is sent.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
