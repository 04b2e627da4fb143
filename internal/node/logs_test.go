package node_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/memberd/memberd/internal/node"
)

// An API key never reaches the log, wherever a client puts it; every line
// logged while answering a request carries the request's id, errors
// logged deep in a surface included.
func TestLogsCarryRequestIDsAndNoSecrets(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()
	r := start(t, node.Config{TestHelpers: true})
	secret := r.key
	var ids []string
	send := func(method, path, body string, header http.Header) {
		t.Helper()
		_, h, _ := r.do(method, path, body, header)
		ids = append(ids, h.Get("Request-Id"))
	}
	bearer := func(k string) http.Header { return http.Header{"Authorization": {"Bearer " + k}} }

	r.call("POST", "/api/v1/webhooks", map[string]any{"url": hook.URL})
	id := r.checkout()
	send("GET", "/api/v1/memberships/"+id, "", nil)
	send("GET", "/api/v1/memberships/"+id, "", bearer(secret+"x"))                      // a wrong key
	send("GET", "/api/v1/products?api_key="+secret, "", nil)                            // in the query, by mistake
	send("GET", "/api/v2/memberships?api_key="+url.QueryEscape(secret), "", bearer("")) // the same on v2
	send("POST", "/api/v1/products", `{"title":"Pro","api_key":"`+secret+`"}`, nil)     // in the body
	send("POST", "/api/v1/products", `{"title":"`+secret+`"}`, nil)                     // as a value
	send("GET", "/api/v1/memberships/"+secret, "", nil)                                 // as an id
	send("POST", "/api/v1/products", `{"title":"Pro"}`, http.Header{"Idempotency-Key": {secret}})
	send("POST", "/api/v1/products", `{"title":"Pro"}`, http.Header{"Idempotency-Key": {secret}})
	send("GET", "/api/v1/memberships/"+id, "", http.Header{"Authorization": {secret}}) // no Bearer
	send("GET", "/api/v1/memberships/"+id, "", http.Header{"X-Request-Id": {secret}})
	_, h, _ := r.do("GET", "/healthz", "", http.Header{"X-Request-Id": {"trace-1.2:3"}})
	if h.Get("Request-Id") != "trace-1.2:3" {
		t.Errorf("the client's request id was not kept: %q", h.Get("Request-Id"))
	}
	ids = append(ids, "trace-1.2:3")

	// The dashboard's sign-in form, with the key and a wrong one.
	_, h, _ = r.do("GET", "/signin", "", nil)
	token := strings.TrimPrefix(strings.Split(h.Get("Set-Cookie"), ";")[0], "memberd_signin=")
	for _, k := range []string{secret, secret + "x"} {
		form := url.Values{"csrf": {token}, "api_key": {k}}.Encode()
		send("POST", "/signin", form, http.Header{"Cookie": {"memberd_signin=" + token},
			"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": nil})
	}
	eventually(t, 10*time.Second, "the webhook delivered", func() bool {
		return strings.Contains(r.log.String(), "webhooks: attempt succeeded")
	})

	// With the database gone, requests fail deep inside each surface.
	r.store.Close()
	var failed []string
	for _, path := range []string{"/api/v1/memberships/" + id, "/api/v2/memberships/" + id, "/v5/company/memberships/" + id} {
		status, h, _ := r.do("GET", path, "", http.Header{"Authorization": {"Bearer " + secret}})
		if status != 500 && status != 401 {
			t.Errorf("%s without a database: %d", path, status)
		}
		failed = append(failed, h.Get("Request-Id"))
	}

	logs := r.log.String()
	if strings.Contains(logs, secret) || strings.Contains(logs, url.QueryEscape(secret)) || strings.Contains(logs, secret[5:]) {
		t.Fatalf("the API key is in the log:\n%s", logs)
	}
	lines := r.log.lines(t)
	requestLines := map[string]bool{}
	for _, l := range lines {
		id, _ := l["request_id"].(string)
		switch l["msg"] {
		case "request":
			if id == "" {
				t.Errorf("a request line without its id: %v", l)
			}
			requestLines[id] = true
		case "internal error", "dashboard: internal error":
			if id == "" {
				t.Errorf("an error line without its request's id: %v", l)
			}
		}
	}
	for _, id := range append(ids, failed...) {
		if !requestLines[id] {
			t.Errorf("no request line with id %s", id)
		}
	}
	errorLines := 0
	for _, id := range failed {
		for _, l := range lines {
			if l["request_id"] == id && l["level"] == "ERROR" && l["msg"] != "request" {
				errorLines++
				break
			}
		}
	}
	if errorLines != len(failed) {
		t.Errorf("%d of %d failed requests have their error logged with their id:\n%s", errorLines, len(failed), logs)
	}
	var delivered map[string]any
	for _, l := range lines {
		if l["msg"] == "webhooks: attempt succeeded" {
			delivered = l
		}
	}
	for _, k := range []string{"webhook", "delivery", "event", "status", "latency_ms"} {
		if delivered[k] == nil || fmt.Sprint(delivered[k]) == "" {
			t.Errorf("the delivery's log line has no %s: %v", k, delivered)
		}
	}
}
