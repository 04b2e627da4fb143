package node_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/memberd/memberd/internal/node"
	"github.com/memberd/memberd/internal/testdb"
	"github.com/memberd/memberd/service"
)

// running is a node serving on 127.0.0.1 over a fresh database, with a
// company and its key; its log is kept.
type running struct {
	*node.Node
	t       testing.TB
	base    string
	key     string
	company string
	store   interface{ Close() error }
	log     nodeLog
}

// nodeLog is the node's log: JSON lines in a file (slog writes each line
// whole), read while the node runs.
type nodeLog struct{ path string }

func (l nodeLog) String() string {
	b, _ := os.ReadFile(l.path)
	return string(b)
}

// lines decodes the JSON log lines.
func (l nodeLog) lines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// start runs a node with cfg (its store and logger filled in) until the
// test ends.
func start(t testing.TB, cfg node.Config) *running {
	t.Helper()
	store := testdb.Open(t)
	logs := nodeLog{filepath.Join(t.TempDir(), "memberd.log")}
	f, err := os.Create(logs.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	cfg.Store = store
	cfg.Logger = slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseURL = "http://" + ln.Addr().String()
	n := node.New(cfg)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx, ln) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	c, err := n.Service.CreateCompany(context.Background(), service.CompanyParams{Title: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := n.Service.CreateAPIKey(context.Background(), "", c.ID, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	return &running{Node: n, t: t, base: cfg.BaseURL, key: key, company: c.ID, store: store, log: logs}
}

// do sends a request with the node's key (header may add or replace
// headers) and returns the status, headers and body.
func (r *running) do(method, path, body string, header http.Header) (int, http.Header, string) {
	r.t.Helper()
	status, h, b, err := r.send(method, path, body, header)
	if err != nil {
		r.t.Fatal(err)
	}
	return status, h, b
}

// send is do returning its error, for other goroutines.
func (r *running) send(method, path, body string, header http.Header) (int, http.Header, string, error) {
	req, err := http.NewRequest(method, r.base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, "", err
	}
	req.Header.Set("Authorization", "Bearer "+r.key)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), err
}

// eventually polls cond every 20 ms for up to limit (a bound on a test
// that would otherwise hang, not a measurement).
func eventually(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
