package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestCompanyAndKeyCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	out, c := createCompanyCmd(t, db)
	if !strings.HasPrefix(c.CompanyID, "biz_") || !strings.HasPrefix(c.APIKey, "apik_") {
		t.Fatalf("company create printed %q", out)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, `{"company_id":`) {
		t.Errorf("want exactly one JSON object: %q", out)
	}
	out, _, err := runCmd(t, "apikey", "create", "--company", c.CompanyID, "--permissions", "member:basic:read, member:manage", "--database", db, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal([]byte(out), &k); err != nil || !strings.HasPrefix(k.APIKey, "apik_") || k.APIKey == c.APIKey {
		t.Fatalf("apikey create printed %q", out)
	}
	if _, _, err := runCmd(t, "apikey", "create", "--company", c.CompanyID, "--permissions", "root", "--database", db); err == nil {
		t.Error("an unknown permission was accepted")
	}
	if _, _, err := runCmd(t, "apikey", "create", "--company", "biz_nope", "--database", db); err == nil {
		t.Error("a key for an unknown company was created")
	}
	if _, _, err := runCmd(t, "company", "create", "--database", db); err == nil {
		t.Error("a company without a title was created")
	}
	out, _, err = runCmd(t, "migrate", "--database", db)
	if err != nil || !strings.Contains(out, "up to date") {
		t.Errorf("migrate: %q %v", out, err)
	}
	out, _, err = runCmd(t, "migrate", "--database", filepath.Join(t.TempDir(), "new.db"))
	if err != nil || !strings.Contains(out, "applied 0001_init") {
		t.Errorf("migrate a new file: %q %v", out, err)
	}
}

func TestHelp(t *testing.T) {
	out, _, err := runCmd(t, "help")
	if err != nil || !strings.Contains(out, "serve") || !strings.Contains(out, "company create") {
		t.Errorf("help: %q %v", out, err)
	}
	for _, cmd := range [][]string{{"serve", "--help"}, {"company", "create", "--help"}, {"apikey", "create", "--help"}, {"migrate", "-h"}} {
		_, errOut, err := runCmd(t, cmd...)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut, "Usage: memberd "+cmd[0]) || !strings.Contains(errOut, "--database") && !strings.Contains(errOut, "-database") {
			t.Errorf("%v: %v\n%s", cmd, err, errOut)
		}
	}
	if _, _, err := runCmd(t, "frobnicate"); err == nil {
		t.Error("an unknown command succeeded")
	}
	if _, _, err := runCmd(t, "serve", "stray"); err == nil {
		t.Error("a stray argument was accepted")
	}
	for _, bad := range [][]string{{"--rate-limit", "-1"}, {"--rate-burst", "0"}} {
		if _, _, err := runCmd(t, append([]string{"serve", "--database", filepath.Join(t.TempDir(), "m.db")}, bad...)...); err == nil {
			t.Errorf("serve %v was accepted", bad)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serve --demo on a free port: the demo data is there, the printed key
// works, and cancelling the context (SIGINT) shuts the server down cleanly.
func TestServeDemo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--database", db}, &stdout, &stderr)
	}()
	urlRE := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(20 * time.Second); base == ""; {
		if m := urlRE.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	key := regexp.MustCompile(`apik_\w+`).FindString(stdout.String())
	company := regexp.MustCompile(`biz_\w+`).FindString(stdout.String())
	if key == "" || company == "" || !strings.Contains(stdout.String(), "WHOP_BASE_URL="+base+"/api/v1") {
		t.Fatalf("demo output:\n%s", stdout.String())
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/memberships?company_id="+company+"&first=100", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var page struct {
		Data []struct{ Status string } `json:"data"`
	}
	json.Unmarshal(body, &page)
	statuses := map[string]bool{}
	for _, m := range page.Data {
		statuses[m.Status] = true
	}
	for _, s := range []string{"active", "trialing", "past_due", "canceling", "canceled", "completed", "expired", "drafted"} {
		if !statuses[s] {
			t.Errorf("no %s membership in the demo: %s", s, body)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("no clean stop in the log:\n%s", stderr.String())
	}
}
