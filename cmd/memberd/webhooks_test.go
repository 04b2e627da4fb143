package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

// TestMain lets a test run this binary as memberd itself (MEMBERD_TEST_MAIN=1),
// so that a test can kill a real memberd process.
func TestMain(m *testing.M) {
	if os.Getenv("MEMBERD_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// companyJSON is what company create --json prints.
type companyJSON struct {
	CompanyID string `json:"company_id"`
	APIKey    string `json:"api_key"`
}

// createCompanyCmd runs company create --json and returns its output, decoded.
func createCompanyCmd(t *testing.T, db string) (string, companyJSON) {
	t.Helper()
	out, _, err := runCmd(t, "company", "create", "--title", "Acme", "--database", db, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var c companyJSON
	json.Unmarshal([]byte(out), &c)
	return out, c
}

// process is memberd serve running as a child process.
type process struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	base   string
}

func startMemberd(t *testing.T, args ...string) *process {
	t.Helper()
	p := &process{stderr: &syncBuffer{}}
	p.cmd = exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	p.cmd.Env = append(os.Environ(), "MEMBERD_TEST_MAIN=1")
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	urlRE := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(20 * time.Second); p.base == ""; time.Sleep(10 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(p.stderr.String()); m != nil {
			p.base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("memberd did not start:\n%s", p.stderr.String())
		}
	}
	return p
}

// call makes an API request and decodes the JSON answer.
func (p *process) call(t *testing.T, key, method, path string, body any) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return out
}

// memberd killed (SIGKILL) while its webhook requests are in flight loses
// no event: restarted on the same database, it sends them all once the
// dead process's claims lapse.
func TestWebhooksSurviveKill(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	_, c := createCompanyCmd(t, db)

	var mu sync.Mutex
	hanging := true
	got := map[string]bool{}
	inFlight := make(chan struct{}, 100)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // after which the server notices a closed connection
		mu.Lock()
		hang := hanging
		if !hang {
			got[r.Header.Get("webhook-id")] = true
		}
		mu.Unlock()
		if hang {
			inFlight <- struct{}{}
			<-r.Context().Done() // until the sender dies
		}
	}))
	defer rc.Close()

	args := []string{"--database", db, "--test-helpers", "--webhook-timeout", "500ms"}
	p := startMemberd(t, args...)
	p.call(t, c.APIKey, "POST", "/api/v1/webhooks", map[string]any{"url": rc.URL})
	product := p.call(t, c.APIKey, "POST", "/api/v1/products", map[string]any{"title": "Pro"})["id"]
	plan := p.call(t, c.APIKey, "POST", "/api/v1/plans", map[string]any{"product_id": product, "renewal_price": 10})["id"]
	user := p.call(t, c.APIKey, "POST", "/api/v1/test_helpers/users", map[string]any{"username": "ada"})["id"]
	p.call(t, c.APIKey, "POST", "/api/v1/test_helpers/checkouts", map[string]any{"plan_id": plan, "user_id": user})
	select {
	case <-inFlight:
	case <-time.After(20 * time.Second):
		t.Fatalf("no delivery arrived:\n%s", p.stderr.String())
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()

	mu.Lock()
	hanging = false
	mu.Unlock()
	p = startMemberd(t, args...)
	hook := p.call(t, c.APIKey, "GET", "/api/v1/webhooks?company_id="+c.CompanyID, nil)["data"].([]any)[0].(map[string]any)["id"].(string)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ds := p.call(t, c.APIKey, "GET", "/api/memberd/v1/webhooks/"+hook+"/deliveries", nil)["data"].([]any)
		done := len(ds) == 3
		mu.Lock()
		for _, d := range ds {
			d := d.(map[string]any)
			done = done && d["status"] == "succeeded" && got[d["event"].(map[string]any)["id"].(string)]
		}
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart, deliveries %v\n%s", ds, p.stderr.String())
		}
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("memberd did not stop cleanly: %v\n%s", err, p.stderr.String())
	}
}
