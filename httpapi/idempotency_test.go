package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/httpapi"
	"github.com/memberd/memberd/internal/apitest"
)

// idem is the header of a request with an Idempotency-Key.
func idem(key string) http.Header { return http.Header{httpapi.IdempotencyHeader: {key}} }

func (e *env) callIdem(key, method, path string, body any) response {
	e.t.Helper()
	return response{e.CallHeader(idem(key), method, path, body)}
}

func (e *env) productCount() int {
	e.t.Helper()
	return len(e.call("GET", "/api/v1/products?first=100", nil).want(e.t, 200).get("data").([]any))
}

func replayed(r apitest.Response) bool { return r.Header.Get(httpapi.ReplayedHeader) == "true" }

func TestIdempotencyKeyReplaysTheFirstResponse(t *testing.T) {
	e := newEnv(t)
	first := e.callIdem("k1", "POST", "/api/v1/products", map[string]any{"title": "Pro", "description": "d"}).want(t, 200)
	if replayed(first.Response) || first.Header.Get(httpapi.OriginalRequestHeader) != "" {
		t.Errorf("the first response is marked as a replay: %v", first.Header)
	}
	// The same parameters, written differently, get the first response.
	again := e.callIdem("k1", "POST", "/api/v1/products", ` { "description":"d",  "title" : "Pro" }`).want(t, 200)
	if string(again.Body) != string(first.Body) || !replayed(again.Response) {
		t.Errorf("replay %s %v, want %s", again.Body, again.Header, first.Body)
	}
	if got, want := again.Header.Get(httpapi.OriginalRequestHeader), first.Header.Get("Request-Id"); got != want || again.Header.Get("Request-Id") == want {
		t.Errorf("Original-Request %q, want %q, with a Request-Id of its own", got, want)
	}
	if again.Header.Get("Content-Type") != "application/json" {
		t.Errorf("replayed content type %q", again.Header.Get("Content-Type"))
	}
	if n := e.productCount(); n != 1 {
		t.Fatalf("%d products after a replay, want 1", n)
	}

	t.Run("other parameters are a 400 and change nothing", func(t *testing.T) {
		e.callIdem("k1", "POST", "/api/v1/products", map[string]any{"title": "Other", "description": "d"}).
			wantError(t, 400, memberd.CodeIdempotencyKeyReused, httpapi.IdempotencyHeader)
		e.callIdem("k1", "POST", "/api/v1/products?account_id="+e.company, map[string]any{"title": "Pro", "description": "d"}).
			wantError(t, 400, memberd.CodeIdempotencyKeyReused, httpapi.IdempotencyHeader)
		if n := e.productCount(); n != 1 {
			t.Errorf("%d products, want 1", n)
		}
	})
	t.Run("keys are scoped to the endpoint and the company", func(t *testing.T) {
		plan := e.callIdem("k1", "POST", "/api/v1/plans", map[string]any{"product_id": first.str("id"), "renewal_price": 5}).want(t, 200)
		if replayed(plan.Response) || !strings.HasPrefix(plan.str("id"), "plan_") {
			t.Errorf("the key on another endpoint: %s", plan.Body)
		}
		_, other := e.newCompany("Other")
		theirs := response{e.CallHeader(http.Header{"Authorization": {"Bearer " + other}, httpapi.IdempotencyHeader: {"k1"}},
			"POST", "/api/v1/products", map[string]any{"title": "Pro", "description": "d"})}.want(t, 200)
		if replayed(theirs.Response) || theirs.str("id") == first.str("id") {
			t.Errorf("another company got this company's response: %s", theirs.Body)
		}
	})
	t.Run("errors are stored too", func(t *testing.T) {
		bad := e.callIdem("k2", "POST", "/api/v1/products", map[string]any{})
		bad.wantError(t, 400, memberd.CodeParameterMissing, "title")
		again := e.callIdem("k2", "POST", "/api/v1/products", map[string]any{})
		again.wantError(t, 400, memberd.CodeParameterMissing, "title")
		if !replayed(again.Response) {
			t.Error("a stored 400 was not replayed")
		}
	})
	t.Run("PATCH", func(t *testing.T) {
		path := "/api/v1/products/" + first.str("id")
		a := e.callIdem("k3", "PATCH", path, map[string]any{"title": "Renamed"}).want(t, 200)
		e.call("PATCH", path, map[string]any{"title": "Changed since"}).want(t, 200)
		b := e.callIdem("k3", "PATCH", path, map[string]any{"title": "Renamed"}).want(t, 200)
		if !replayed(b.Response) || string(a.Body) != string(b.Body) {
			t.Errorf("PATCH replay %s, want %s", b.Body, a.Body)
		}
	})
	t.Run("without a key, or on GET and DELETE, nothing is kept", func(t *testing.T) {
		before := e.productCount()
		e.call("POST", "/api/v1/products", map[string]any{"title": "Pro", "description": "d"}).want(t, 200)
		e.call("POST", "/api/v1/products", map[string]any{"title": "Pro", "description": "d"}).want(t, 200)
		if n := e.productCount(); n != before+2 {
			t.Errorf("%d products, want %d", n, before+2)
		}
		for _, method := range []string{"GET", "DELETE"} {
			path := "/api/v1/products/" + first.str("id")
			e.callIdem("k4", method, path, nil)
			if r := e.callIdem("k4", method, path, nil); replayed(r.Response) {
				t.Errorf("%s replayed", method)
			}
		}
	})
	t.Run("key length", func(t *testing.T) {
		long := strings.Repeat("k", httpapi.MaxIdempotencyKey)
		e.callIdem(long, "POST", "/api/v1/products", map[string]any{"title": "Long"}).want(t, 200)
		for _, h := range []http.Header{idem(long + "k"), idem(""), {httpapi.IdempotencyHeader: {"a", "b"}}} {
			before := e.productCount()
			response{e.CallHeader(h, "POST", "/api/v1/products", map[string]any{"title": "Bad"})}.
				wantError(t, 400, memberd.CodeParameterInvalid, httpapi.IdempotencyHeader)
			if e.productCount() != before {
				t.Errorf("%v: a product was created", h)
			}
		}
	})
}

// Of concurrent requests with one key, one runs; the others wait for it
// and get its response, or, with other parameters, a 400.
func TestIdempotencyConcurrentDuplicates(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	user := e.user("")
	const n = 12
	type result struct {
		r   apitest.Response
		err error
	}
	run := func(key string, body func(i int) map[string]any) []result {
		out := make([]result, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				out[i].r, out[i].err = e.Do(idem(key), "POST", "/api/v1/test_helpers/checkouts", body(i))
			})
		}
		wg.Wait()
		return out
	}
	memberships := func() int {
		r := e.call("GET", "/api/v1/memberships?company_id="+e.company, nil).want(t, 200)
		return len(r.get("data").([]any))
	}

	same := run("same", func(int) map[string]any { return map[string]any{"plan_id": f.monthly, "user_id": user} })
	executed, replays := 0, 0
	var body string
	for _, res := range same {
		switch {
		case res.err != nil:
			t.Fatal(res.err)
		case res.r.Status == 409:
			response{res.r}.wantError(t, 409, memberd.CodeIdempotencyKeyInProgress, httpapi.IdempotencyHeader)
		case res.r.Status != 200:
			t.Fatalf("status %d: %s", res.r.Status, res.r.Body)
		case replayed(res.r):
			replays++
		default:
			executed++
		}
		if res.r.Status == 200 {
			if body != "" && string(res.r.Body) != body {
				t.Errorf("two different answers:\n%s\n%s", body, res.r.Body)
			}
			body = string(res.r.Body)
		}
	}
	if executed != 1 || memberships() != 1 {
		t.Fatalf("%d executed, %d replayed, %d memberships: want one of each, the rest replays", executed, replays, memberships())
	}
	t.Logf("%d concurrent duplicates: 1 executed, %d waited and replayed, %d got 409", n, replays, n-1-replays)

	other := e.user("")
	mixed := run("mixed", func(i int) map[string]any {
		u := user
		if i%2 == 1 {
			u = other
		}
		return map[string]any{"plan_id": f.monthly, "user_id": u}
	})
	ok, reused := 0, 0
	for _, res := range mixed {
		switch {
		case res.err != nil:
			t.Fatal(res.err)
		case res.r.Status == 200:
			ok++
		case res.r.Status == 400 && res.r.Str("error.code") == memberd.CodeIdempotencyKeyReused:
			reused++
		default:
			t.Errorf("status %d: %s", res.r.Status, res.r.Body)
		}
	}
	if reused != n/2 || ok != n/2 || memberships() != 2 {
		t.Errorf("%d answered, %d refused for other parameters, %d memberships: want %d, %d, 2", ok, reused, memberships(), n/2, n/2)
	}
}

// gate is an endpoint that holds its requests until released, counting
// how many ran.
type gate struct {
	ran     atomic.Int32
	entered chan struct{}
	release chan struct{}
}

func newGate(e *env, path string) *gate {
	g := &gate{entered: make(chan struct{}, 10), release: make(chan struct{})}
	e.API.Handle("POST "+path, nil, func(r *http.Request, _ *memberd.APIKey) (any, error) {
		n := g.ran.Add(1)
		g.entered <- struct{}{}
		<-g.release
		return map[string]any{"run": n}, nil
	})
	return g
}

func TestIdempotencyKeyInProgress(t *testing.T) {
	e := newEnv(t, apitest.WithIdempotencyLease(300*time.Millisecond))
	g := newGate(e, "/api/v1/gate")
	first := make(chan apitest.Response, 1)
	go func() { r, _ := e.Do(idem("g"), "POST", "/api/v1/gate", nil); first <- r }()
	<-g.entered

	// The lease is renewed while the request runs (a third of it apart,
	// in real time), so the key stays held long after the first lease.
	e.Clock.Add(time.Minute)
	time.Sleep(300 * time.Millisecond)
	duplicate := make(chan apitest.Response, 1)
	go func() { r, _ := e.Do(idem("g"), "POST", "/api/v1/gate", nil); duplicate <- r }()
	select {
	case <-g.entered:
		close(g.release)
		t.Fatal("a duplicate ran while the first request held the key")
	case r := <-duplicate:
		busy := response{r}
		busy.wantError(t, 409, memberd.CodeIdempotencyKeyInProgress, httpapi.IdempotencyHeader)
		if busy.str("error.type") != "idempotency_error" || busy.Header.Get("Retry-After") != "1" {
			t.Errorf("409 %s, Retry-After %q", busy.Body, busy.Header.Get("Retry-After"))
		}
	}

	// A duplicate arriving while the first runs waits for its response.
	waiting := make(chan apitest.Response, 1)
	go func() { r, _ := e.Do(idem("g"), "POST", "/api/v1/gate", nil); waiting <- r }()
	time.Sleep(100 * time.Millisecond)
	close(g.release)
	a, b := <-first, <-waiting
	if a.Status != 200 || b.Status != 200 || string(a.Body) != string(b.Body) || !replayed(b) || g.ran.Load() != 1 {
		t.Errorf("first %d %s, waiting %d %s replayed %v; %d runs", a.Status, a.Body, b.Status, b.Body, replayed(b), g.ran.Load())
	}
}

// A node that dies mid-request leaves its key reserved; when the lease
// lapses, the key is free again.
func TestIdempotencyLapsedLease(t *testing.T) {
	e := newEnv(t)
	now := e.Clock.Now()
	dead := memberd.IdempotencyRecord{CompanyID: e.company, Endpoint: "POST /api/v1/products", Key: "orphan", Fingerprint: "of another request",
		Token: "dead node", LeaseUntil: now.Add(httpapi.IdempotencyLease), ExpiresAt: now.Add(httpapi.IdempotencyRetention)}
	err := e.store.Update(context.Background(), func(tx memberd.Tx) error {
		_, _, err := tx.ReserveIdempotencyKey(context.Background(), &dead, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.callIdem("orphan", "POST", "/api/v1/products", map[string]any{"title": "Pro"}).
		wantError(t, 400, memberd.CodeIdempotencyKeyReused, httpapi.IdempotencyHeader)
	e.Clock.Add(httpapi.IdempotencyLease)
	r := e.callIdem("orphan", "POST", "/api/v1/products", map[string]any{"title": "Pro"}).want(t, 200)
	if replayed(r.Response) || e.productCount() != 1 {
		t.Errorf("after the lease: %s", r.Body)
	}
}

// A server error changed nothing (the transaction rolled back): it is not
// stored, and the retry runs.
func TestIdempotencyServerErrorsAreNotStored(t *testing.T) {
	e := newEnv(t)
	var runs atomic.Int32
	e.API.Handle("POST /api/v1/flaky", nil, func(*http.Request, *memberd.APIKey) (any, error) {
		if runs.Add(1) == 1 {
			return nil, errors.New("database unavailable")
		}
		return map[string]any{"run": runs.Load()}, nil
	})
	e.callIdem("f", "POST", "/api/v1/flaky", nil).want(t, 500)
	ok := e.callIdem("f", "POST", "/api/v1/flaky", nil).want(t, 200)
	again := e.callIdem("f", "POST", "/api/v1/flaky", nil).want(t, 200)
	if replayed(ok.Response) || !replayed(again.Response) || again.str("run") != "2" || runs.Load() != 2 {
		t.Errorf("after a 500: %s then %s (%d runs)", ok.Body, again.Body, runs.Load())
	}
}

// Responses are kept 24 hours (real time), then purged; the key is new again.
func TestIdempotencyRetention(t *testing.T) {
	e := newEnv(t)
	e.callIdem("r", "POST", "/api/v1/products", map[string]any{"title": "Pro"}).want(t, 200)
	e.Clock.Add(httpapi.IdempotencyRetention - time.Millisecond)
	if r := e.callIdem("r", "POST", "/api/v1/products", map[string]any{"title": "Pro"}); !replayed(r.Response) {
		t.Error("not replayed within 24 hours")
	}
	e.Clock.Add(time.Millisecond)
	if n, err := e.svc.PurgeIdempotencyKeys(context.Background(), 100); err != nil || n != 1 {
		t.Errorf("purged %d (%v), want 1", n, err)
	}
	if r := e.callIdem("r", "POST", "/api/v1/products", map[string]any{"title": "Pro"}).want(t, 200); replayed(r.Response) || e.productCount() != 2 {
		t.Errorf("after 24 hours: replayed %v, %d products", replayed(r.Response), e.productCount())
	}
}
