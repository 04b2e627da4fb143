package main

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memberd/memberd/internal/testdb"
)

// Several memberd nodes on one PostgreSQL database: these tests run real
// processes (TestMain), a real receiver and check the database itself.

// receiver acknowledges webhooks, counting them per webhook-id (the event).
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{seen: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		time.Sleep(2 * time.Millisecond) // a burst keeps requests in flight
		r.mu.Lock()
		r.seen[req.Header.Get("webhook-id")]++
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

// counts returns how many events arrived, and how many more than once.
func (r *receiver) counts() (distinct, repeated int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.seen {
		if n > 1 {
			repeated++
		}
	}
	return len(r.seen), repeated
}

// cluster is memberd nodes sharing one database and one company.
type cluster struct {
	t     *testing.T
	dsn   string
	db    *sql.DB
	args  []string
	nodes []*process
	key   string
	plan  string
}

// newCluster starts n nodes on a fresh PostgreSQL schema, with a company
// whose webhook endpoint is rc and a plan renewing every 30 days.
func newCluster(t *testing.T, n int, rc *receiver, extra ...string) *cluster {
	c := &cluster{t: t, dsn: testdb.PostgresDSN(t)}
	_, co := createCompanyCmd(t, c.dsn)
	c.key = co.APIKey
	db, err := sql.Open("pgx", c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c.db = db
	c.args = append([]string{"--database", c.dsn, "--test-helpers", "--scheduler-interval", "20ms", "--log-level", "debug"}, extra...)
	for range n {
		c.nodes = append(c.nodes, startMemberd(t, c.args...))
	}
	p := c.nodes[0]
	p.call(t, c.key, "POST", "/api/v1/webhooks", map[string]any{"url": rc.URL})
	product := p.call(t, c.key, "POST", "/api/v1/products", map[string]any{"title": "Pro"})["id"]
	c.plan = p.call(t, c.key, "POST", "/api/v1/plans", map[string]any{"product_id": product, "renewal_price": 10, "billing_period": 30})["id"].(string)
	return c
}

// checkout buys n memberships, spread over the nodes, eight at a time.
func (c *cluster) checkout(n int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1)); i <= n; i = int(next.Add(1)) {
				p := c.nodes[i%len(c.nodes)]
				user := p.call(c.t, c.key, "POST", "/api/v1/test_helpers/users", map[string]any{"username": fmt.Sprintf("user%d", i)})["id"]
				p.call(c.t, c.key, "POST", "/api/v1/test_helpers/checkouts", map[string]any{"plan_id": c.plan, "user_id": user})
			}
		})
	}
	wg.Wait()
}

func (c *cluster) query(q string, dest ...any) {
	c.t.Helper()
	if err := c.db.QueryRow(q).Scan(dest...); err != nil {
		c.t.Fatalf("%s: %v", q, err)
	}
}

// clock reads the company's clock from a node.
func (c *cluster) clock(p *process) time.Time {
	now, err := time.Parse(time.RFC3339Nano, p.call(c.t, c.key, "GET", "/api/v1/test_helpers/clock", nil)["now"].(string))
	if err != nil {
		c.t.Fatal(err)
	}
	return now
}

// advanceTo asks p to move the clock to `to`; it returns the HTTP error, if
// any (the node may be killed meanwhile), but fails on an API error.
func (c *cluster) advanceTo(p *process, to time.Time) error {
	body := fmt.Sprintf(`{"to": %q}`, to.UTC().Format(time.RFC3339Nano))
	req, _ := http.NewRequest("POST", p.base+"/api/v1/test_helpers/clock/advance", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		c.t.Errorf("advance: %d %s", resp.StatusCode, raw)
	}
	return nil
}

// settle waits until every delivery has succeeded and the receiver has
// every event; it returns the number of events.
func (c *cluster) settle(rc *receiver) int {
	c.t.Helper()
	for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var events, pending int
		c.query(`SELECT COUNT(*) FROM events`, &events)
		c.query(`SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'succeeded'`, &pending)
		if got, _ := rc.counts(); pending == 0 && got == events {
			return events
		} else if time.Now().After(deadline) {
			c.t.Fatalf("not settled: %d events, %d received, %d deliveries pending", events, got, pending)
		}
	}
}

// checkExactlyOnce checks that each of n memberships was charged and
// renewed exactly `charges` times in all, each charge with its events, and
// that each event has exactly one delivery, which succeeded.
func (c *cluster) checkExactlyOnce(n, charges int) {
	c.t.Helper()
	var memberships, wrong, payments, succeeded, deliveries, doubled int
	c.query(`SELECT COUNT(*) FROM memberships`, &memberships)
	c.query(fmt.Sprintf(`SELECT COUNT(*) FROM memberships WHERE paid_charges <> %d OR status <> 'active'
		OR (SELECT COUNT(*) FROM payments p WHERE p.membership_id = memberships.id AND p.status = 'paid') <> %d`, charges, charges), &wrong)
	c.query(`SELECT COUNT(*) FROM payments`, &payments)
	c.query(`SELECT COUNT(*) FROM events WHERE type = 'payment.succeeded'`, &succeeded)
	c.query(`SELECT COUNT(*) FROM webhook_deliveries`, &deliveries)
	c.query(`SELECT COUNT(*) FROM (SELECT event_seq FROM webhook_deliveries GROUP BY event_seq HAVING COUNT(*) > 1) d`, &doubled)
	var events int
	c.query(`SELECT COUNT(*) FROM events`, &events)
	if memberships != n || wrong != 0 || payments != n*charges || succeeded != n*charges || deliveries != events || doubled != 0 {
		c.t.Errorf("%d memberships (want %d), %d not charged exactly %d times, %d payments, %d payment.succeeded events (want %d each), "+
			"%d deliveries of %d events, %d events delivered twice", memberships, n, wrong, charges, payments, succeeded, n*charges, deliveries, events, doubled)
	}
}

// renewalsBy counts the scheduler batches each node's log reports.
func renewalsBy(nodes []*process) []int {
	out := make([]int, len(nodes))
	for i, p := range nodes {
		out[i] = strings.Count(p.stderr.String(), "scheduler: processed due memberships")
	}
	return out
}

// Three nodes: memberships bought through all of them, the clock moved on
// one while the others' schedulers work on the same company; every
// membership renews and is charged exactly once, every event is delivered
// exactly once.
func TestThreeNodesRenewOnce(t *testing.T) {
	rc := newReceiver(t)
	c := newCluster(t, 3, rc)
	const n = 300
	began := time.Now()
	c.checkout(n)
	bought := time.Since(began)
	// The renewals fall due over the seconds the checkouts took. Move the
	// clock to just before the first one: as real time passes, they fall
	// due one by one, and every node's scheduler takes some. Meanwhile
	// node 0 moves the clock past the last one.
	var first, last time.Time
	var firstMS, lastMS int64
	c.query(`SELECT MIN(created_at), MAX(created_at) FROM memberships`, &firstMS, &lastMS)
	first, last = time.UnixMilli(firstMS), time.UnixMilli(lastMS)
	const period = 30 * 24 * time.Hour
	if err := c.advanceTo(c.nodes[0], first.Add(period-time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(last.Sub(first) / 2)
	if err := c.advanceTo(c.nodes[0], last.Add(period+time.Hour)); err != nil {
		t.Fatal(err)
	}
	events := c.settle(rc)
	c.checkExactlyOnce(n, 2)
	if _, repeated := rc.counts(); repeated != 0 {
		t.Errorf("%d events delivered more than once", repeated)
	}
	t.Logf("%d memberships bought in %v through 3 nodes; %d events, each delivered once; scheduler batches per node %v; all in %v",
		n, bought.Round(time.Millisecond), events, renewalsBy(c.nodes), time.Since(began).Round(time.Millisecond))
}

// A node killed (SIGKILL) in the middle of a clock advance and a webhook
// burst: after its restart and the advance run again, every membership is
// renewed and charged exactly once per period, every event has exactly one
// delivery and reached the receiver. Webhooks are at least once: an
// attempt the dead node sent but had not recorded is sent again, which
// the receiver (deduplicating by webhook-id) sees as a repeat.
func TestKillDuringAdvance(t *testing.T) {
	rc := newReceiver(t)
	const concurrency = 8
	c := newCluster(t, 2, rc, "--webhook-timeout", "1s", "--webhook-concurrency", fmt.Sprint(concurrency))
	const n = 600 // more than one batch of an advance (500)
	c.checkout(n)
	c.settle(rc)
	target := c.clock(c.nodes[0]).Add(95 * 24 * time.Hour) // three renewals each
	before, _ := rc.counts()

	victim := c.nodes[0]
	advanced := make(chan error, 1)
	go func() { advanced <- c.advanceTo(victim, target) }()
	// Kill it once the burst has begun: the first batch of renewals is
	// committed and being delivered.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		if got, _ := rc.counts(); got > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no renewal was delivered")
		}
	}
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	victim.cmd.Wait()
	interrupted := <-advanced != nil
	var clockAtKill int64
	c.query(`SELECT clock_offset FROM companies`, &clockAtKill)

	c.nodes[0] = startMemberd(t, c.args...)
	if err := c.advanceTo(c.nodes[1], target); err != nil {
		t.Fatal(err)
	}
	events := c.settle(rc)
	c.checkExactlyOnce(n, 4)
	_, repeated := rc.counts()
	// Only what the dead node had in flight or waiting to be recorded.
	if bound := 3*concurrency + 500; repeated > bound {
		t.Errorf("%d events received more than once, more than the dead node could have had unrecorded (%d)", repeated, bound)
	}
	t.Logf("killed mid-advance (request interrupted: %v, clock offset then %v); %d memberships, %d renewals, %d events all delivered, %d received twice",
		interrupted, time.Duration(clockAtKill)*time.Millisecond, n, 3*n, events, repeated)
}
