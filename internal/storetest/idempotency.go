package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/service"
)

// reserve runs ReserveIdempotencyKey in its own transaction.
func (f *fixture) reserve(r memberd.IdempotencyRecord, now time.Time) (memberd.IdempotencyRecord, bool) {
	f.t.Helper()
	var held memberd.IdempotencyRecord
	var ok bool
	f.update(func(tx memberd.Tx) (err error) { held, ok, err = tx.ReserveIdempotencyKey(f.ctx, &r, now); return err })
	return held, ok
}

// idemTx runs one idempotency write and returns its error.
func (f *fixture) idemTx(fn func(memberd.Tx) error) error {
	return f.store.Update(f.ctx, fn)
}

// A key is held by one request at a time, per company and endpoint; its
// response is kept byte for byte; a lapsed lease or an expired record frees
// it; a request that lost its key can neither extend nor finish it.
func testIdempotencyKeys(t *testing.T, f *fixture) {
	now := time.Now().Truncate(time.Millisecond)
	rec := func(key, token string) memberd.IdempotencyRecord {
		return memberd.IdempotencyRecord{CompanyID: f.company.ID, Endpoint: "POST /api/v1/products", Key: key,
			Fingerprint: "fp-" + token, Token: token, LeaseUntil: now.Add(30 * time.Second), ExpiresAt: now.Add(24 * time.Hour)}
	}
	a := rec("k1", "a")
	if held, ok := f.reserve(a, now); !ok || held.Token != "a" {
		t.Fatalf("first reservation: %v %+v", ok, held)
	}
	held, ok := f.reserve(rec("k1", "b"), now)
	if ok || held.Token != "a" || held.Fingerprint != "fp-a" || held.Response != nil || !held.LeaseUntil.Equal(a.LeaseUntil) {
		t.Fatalf("second reservation of a held key: %v %+v", ok, held)
	}
	other := f.newCompany("Other")
	for _, r := range []memberd.IdempotencyRecord{
		{CompanyID: f.company.ID, Endpoint: "POST /api/v1/plans", Key: "k1", Token: "c"},
		{CompanyID: other.ID, Endpoint: a.Endpoint, Key: "k1", Token: "d"},
	} {
		r.LeaseUntil, r.ExpiresAt = a.LeaseUntil, a.ExpiresAt
		if _, ok := f.reserve(r, now); !ok {
			t.Errorf("%s %s: the key is taken in another scope", r.CompanyID, r.Endpoint)
		}
	}

	a.LeaseUntil = now.Add(time.Minute)
	f.must(f.idemTx(func(tx memberd.Tx) error { return tx.ExtendIdempotencyLease(f.ctx, &a) }))
	if held, _ := f.reserve(rec("k1", "b"), now.Add(45*time.Second)); held.Token != "a" {
		t.Errorf("an extended lease lapsed early: %+v", held)
	}
	wrong := a
	wrong.Token = "z"
	if err := f.idemTx(func(tx memberd.Tx) error { return tx.ExtendIdempotencyLease(f.ctx, &wrong) }); !errors.Is(err, memberd.ErrNotFound) {
		t.Errorf("extending with another token: %v", err)
	}

	body := []byte("{\"id\":\"prod_1\"}\n\xff")
	a.Response = &memberd.StoredResponse{Status: 201, Header: map[string][]string{"Content-Type": {"application/json"}, "Link": {"a", "b"}}, Body: body}
	f.must(f.idemTx(func(tx memberd.Tx) error { return tx.FinishIdempotencyKey(f.ctx, &a) }))
	held, ok = f.reserve(rec("k1", "b"), now.Add(time.Hour)) // long after the lease: answered records hold
	if ok || held.Response == nil || held.Response.Status != 201 || !bytes.Equal(held.Response.Body, body) ||
		!reflect.DeepEqual(held.Response.Header, a.Response.Header) {
		t.Fatalf("the answered key: %v %+v", ok, held)
	}
	if err := f.idemTx(func(tx memberd.Tx) error { return tx.FinishIdempotencyKey(f.ctx, &a) }); !errors.Is(err, memberd.ErrNotFound) {
		t.Errorf("finishing an answered key again: %v", err)
	}
	if _, ok := f.reserve(rec("k1", "b"), a.ExpiresAt); !ok {
		t.Error("an expired record still holds its key")
	}

	// A lease that lapses frees the key; its holder can no longer finish.
	lapsed := rec("k2", "e")
	f.reserve(lapsed, now)
	if _, ok := f.reserve(rec("k2", "f"), lapsed.LeaseUntil); !ok {
		t.Fatal("a lapsed lease still holds its key")
	}
	lapsed.Response = &memberd.StoredResponse{Status: 200}
	if err := f.idemTx(func(tx memberd.Tx) error { return tx.FinishIdempotencyKey(f.ctx, &lapsed) }); !errors.Is(err, memberd.ErrNotFound) {
		t.Errorf("finishing a lost key: %v", err)
	}

	// Finishing without a response frees the key at once.
	freed := rec("k3", "g")
	f.reserve(freed, now)
	f.must(f.idemTx(func(tx memberd.Tx) error { return tx.FinishIdempotencyKey(f.ctx, &freed) }))
	if _, ok := f.reserve(rec("k3", "h"), now); !ok {
		t.Error("a freed key is still held")
	}

	// Expired records are deleted in batches; live ones stay.
	purge := func(at time.Time, limit int) int {
		var n int
		f.update(func(tx memberd.Tx) (err error) {
			n, err = tx.DeleteExpiredIdempotencyKeys(f.ctx, at, limit)
			return err
		})
		return n
	}
	if n := purge(now.Add(time.Hour), 100); n != 0 {
		t.Errorf("deleted %d records that have not expired", n)
	}
	later := now.Add(25 * time.Hour)
	if n := purge(later, 2); n != 2 {
		t.Errorf("deleted %d, want a batch of 2", n)
	}
	if n := purge(later, 100); n != 3 {
		t.Errorf("deleted %d, want the other 3 of 5", n)
	}
	if n := purge(later, 100); n != 0 {
		t.Errorf("deleted %d more", n)
	}
}

// Of requests reserving one key at once, exactly one gets it.
func testIdempotencyRace(t *testing.T, f *fixture) {
	now := time.Now()
	const n = 8
	var mu sync.Mutex
	var winners []string
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := memberd.IdempotencyRecord{CompanyID: f.company.ID, Endpoint: "POST /x", Key: "race", Fingerprint: "fp",
				Token: fmt.Sprint("t", i), LeaseUntil: now.Add(time.Minute), ExpiresAt: now.Add(time.Hour)}
			var ok bool
			err := f.store.Update(f.ctx, func(tx memberd.Tx) (err error) { _, ok, err = tx.ReserveIdempotencyKey(f.ctx, &r, now); return err })
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				winners = append(winners, r.Token)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Errorf("reserved by %v, want exactly one", winners)
	}
}

// Backlog counts queued and due deliveries and finds the earliest due
// membership work, on each company's clock.
func testBacklog(t *testing.T, f *fixture) {
	now := time.Now().Truncate(time.Millisecond)
	var b memberd.Backlog
	f.view(func(tx memberd.Tx) (err error) { b, err = tx.Backlog(f.ctx, now); return err })
	if b != (memberd.Backlog{}) {
		t.Errorf("empty store: %+v", b)
	}
	ms := f.memberships(f.plan(30, "10"), 3)
	due, _ := ms[0].NextWork()
	url := "https://example.com/hook"
	_, err := f.svc.CreateWebhook(f.ctx, f.company.ID, service.WebhookParams{URL: &url, Events: []string{string(memberd.EventMembershipActivated)}})
	f.must(err)
	evs := make([]memberd.Event, 5)
	for i := range evs {
		evs[i] = memberd.Event{ID: memberd.NewID(memberd.PrefixMessage), CompanyID: f.company.ID, Type: memberd.EventMembershipActivated,
			ObjectID: "mem_x", Data: []byte(`{}`), CreatedAt: start}
	}
	f.update(func(tx memberd.Tx) error { return tx.InsertEvents(f.ctx, evs) })
	f.update(func(tx memberd.Tx) error {
		_, err := tx.ClaimDeliveries(f.ctx, now, now.Add(time.Hour), "lease", 2)
		return err
	})
	f.view(func(tx memberd.Tx) (err error) { b, err = tx.Backlog(f.ctx, now); return err })
	if b.QueuedDeliveries != 5 || b.DueDeliveries != 3 || !b.OldestWork.Equal(due.At) {
		t.Errorf("backlog %+v, want 5 queued, 3 due, work due at %s", b, due.At)
	}
	// A company clock 10 days ahead makes its work due 10 days sooner.
	f.update(func(tx memberd.Tx) error {
		c, err := tx.LockCompany(f.ctx, f.company.ID)
		if err != nil {
			return err
		}
		c.ClockOffset = 10 * day
		return tx.UpdateCompany(f.ctx, &c)
	})
	f.view(func(tx memberd.Tx) (err error) { b, err = tx.Backlog(f.ctx, now); return err })
	if want := due.At.Add(-10 * day); !b.OldestWork.Equal(want) {
		t.Errorf("oldest work %s, want %s", b.OldestWork, want)
	}
}
