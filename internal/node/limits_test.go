package node_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memberd/memberd/internal/node"
)

// short are limits a test can watch act: a client has 500 ms for its
// header and 1 s for its whole request.
var short = node.HTTPLimits{
	ReadHeaderTimeout: 500 * time.Millisecond,
	ReadTimeout:       time.Second,
	WriteTimeout:      5 * time.Second,
	IdleTimeout:       time.Second,
	MaxHeaderBytes:    8 << 10,
}

// Slowloris: hundreds of clients trickling their headers or their bodies
// hold a connection each until the server's timeouts close it, and a normal
// client is answered all along.
func TestSlowClientsDoNotStarveOthers(t *testing.T) {
	r := start(t, node.Config{HTTP: short})
	addr := strings.TrimPrefix(r.base, "http://")
	const headerTricklers, bodyTricklers = 200, 100
	var open atomic.Int32
	var wg sync.WaitGroup
	// trickle opens a connection, writes head, then a byte of drip every
	// 50 ms until the server closes the connection.
	trickle := func(head, drip string) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		open.Add(1)
		defer open.Add(-1)
		closed := make(chan struct{})
		go func() {
			io.Copy(io.Discard, conn) // returns when the server closes
			close(closed)
		}()
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		giveUp := time.After(15 * time.Second)
		for {
			select {
			case <-closed:
				return
			case <-giveUp:
				t.Error("a slow client's connection was not closed by the server")
				return
			case <-tick.C:
				io.WriteString(conn, drip) // fails once the server has closed
			}
		}
	}
	for i := range headerTricklers {
		wg.Go(func() { trickle("GET /healthz HTTP/1.1\r\nHost: memberd\r\n", fmt.Sprintf("X-Slow-%d: a\r\n", i)) })
	}
	for range bodyTricklers {
		wg.Go(func() {
			trickle("POST /api/v1/products HTTP/1.1\r\nHost: memberd\r\nAuthorization: Bearer "+r.key+
				"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"title\":\"", "a")
		})
	}
	eventually(t, 10*time.Second, "slow clients connected", func() bool { return open.Load() >= headerTricklers+bodyTricklers/2 })

	// A normal client, while they are connected.
	var latencies []time.Duration
	for open.Load() > 0 {
		t0 := time.Now()
		if status, _, body := r.do("GET", "/api/v1/companies/"+r.company, "", nil); status != 200 {
			t.Fatalf("a normal request got %d: %s", status, body)
		}
		if status, _, body := r.do("POST", "/api/v1/products", `{"title":"Pro"}`, nil); status != 200 {
			t.Fatalf("a normal request got %d: %s", status, body)
		}
		latencies = append(latencies, time.Since(t0))
	}
	wg.Wait()
	slices.Sort(latencies)
	t.Logf("%d slow clients (%d trickling headers, %d bodies) closed by the server; meanwhile %d pairs of normal requests, "+
		"median %s, slowest %s", headerTricklers+bodyTricklers, headerTricklers, bodyTricklers, len(latencies),
		latencies[len(latencies)/2].Round(time.Microsecond), latencies[len(latencies)-1].Round(time.Microsecond))
	if len(latencies) < 2 {
		t.Errorf("only %d normal requests while slow clients were connected", len(latencies))
	}
}

// Oversized requests are refused: a header over MaxHeaderBytes with 431, a
// body over httpapi.MaxBodyBytes with the API's 400.
func TestRequestSizeLimits(t *testing.T) {
	r := start(t, node.Config{HTTP: short})
	status, _, _ := r.do("GET", "/api/v1/companies/"+r.company, "", http.Header{"X-Big": {strings.Repeat("a", 16<<10)}})
	if status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a 16 KiB header: %d, want 431", status)
	}
	status, _, body := r.do("POST", "/api/v1/products", `{"title":"`+strings.Repeat("a", 2<<20)+`"}`, nil)
	if status != 400 || !strings.Contains(body, "larger than 1048576 bytes") {
		t.Errorf("a 2 MiB body: %d %s", status, body)
	}
	status, _, body = r.do("POST", "/api/v1/products", `{"title":"`+strings.Repeat("a", 2<<20)+`"}`, http.Header{"Idempotency-Key": {"big"}})
	if status != 400 || !strings.Contains(body, "larger than") {
		t.Errorf("a 2 MiB body with an Idempotency-Key: %d %s", status, body)
	}
}

// An idle keep-alive connection is closed after IdleTimeout.
func TestIdleConnectionsAreClosed(t *testing.T) {
	r := start(t, node.Config{HTTP: short})
	conn, err := net.Dial("tcp", strings.TrimPrefix(r.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: memberd\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("reading an idle connection: %v, want the server to close it (EOF)", err)
	}
}
