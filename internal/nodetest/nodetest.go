// Package nodetest runs the official Whop SDK and the standardwebhooks
// package (pinned in package.json and package-lock.json here) from Go
// tests. Node and npm must be installed; the packages are installed with
// npm ci on first use. Tests fail, never skip, when Node is missing.
package nodetest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Dir returns this package's directory with its node_modules installed.
func Dir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Dir(file)
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("these tests run the official Whop SDK with Node.js 18 or later, which is not installed (or not on PATH)")
	}
	// Test binaries of several packages may get here at once.
	lock, err := os.OpenFile(filepath.Join(dir, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@whop", "sdk", "package.json")); err == nil {
		return dir
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
	return dir
}

// Run runs a script of this package with stdin and returns its stdout.
func Run(t testing.TB, script string, stdin []byte) []byte {
	t.Helper()
	cmd := exec.Command("node", script)
	cmd.Dir = Dir(t)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.String())
	}
	return out
}

// Receiver is receiver.mjs running: an HTTP endpoint that verifies every
// request with the SDK's webhooks.unwrap.
type Receiver struct {
	URL string
	// Lines carries one JSON line per request received.
	Lines <-chan map[string]any
}

// StartReceiver starts receiver.mjs with the endpoint's secret; it stops
// when the test ends.
func StartReceiver(t testing.TB, secret string) *Receiver {
	t.Helper()
	cmd := exec.Command("node", "receiver.mjs")
	cmd.Dir = Dir(t)
	cmd.Env = append(os.Environ(), "WHOP_WEBHOOK_SECRET="+secret)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	lines := make(chan map[string]any, 1000)
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		t.Fatal("receiver.mjs did not start")
	}
	var hello struct{ Port int }
	if err := json.Unmarshal(sc.Bytes(), &hello); err != nil || hello.Port == 0 {
		t.Fatalf("receiver.mjs said %q", sc.Text())
	}
	go func() {
		defer close(lines)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				lines <- m
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	return &Receiver{URL: "http://127.0.0.1:" + strconv.Itoa(hello.Port) + "/webhooks", Lines: lines}
}
