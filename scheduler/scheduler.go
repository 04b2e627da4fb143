// Package scheduler performs time-driven lifecycle work as real time passes:
// renewals, trial ends and warnings, dunning retries, automatic resumes,
// period-end cancellations and expiries. It polls the store for memberships
// whose due time has come, in bounded batches; several nodes can run it at
// once because each batch skips memberships another node has locked. It
// also purges Idempotency-Key records whose retention has ended.
package scheduler

import (
	"context"
	"log/slog"
	"time"

	"github.com/memberd/memberd/internal/metrics"
	"github.com/memberd/memberd/service"
)

// Scheduler polls for due work.
type Scheduler struct {
	svc      *service.Service
	log      *slog.Logger
	interval time.Duration
	batch    int

	processed metrics.Counter
	errors    metrics.Counter
	lastPurge time.Time
}

// PurgeInterval is how often expired Idempotency-Key records are deleted.
const PurgeInterval = time.Minute

// purgeBatch bounds the records one purge transaction deletes.
const purgeBatch = 1000

// New returns a scheduler that polls every interval and works on at most
// batch memberships per transaction.
func New(svc *service.Service, log *slog.Logger, interval time.Duration, batch int) *Scheduler {
	return (&Scheduler{svc: svc, log: log, interval: interval, batch: batch}).WithMetrics(metrics.New())
}

// WithMetrics counts the scheduler's work in m; call it before Run.
func (s *Scheduler) WithMetrics(m *metrics.Registry) *Scheduler {
	s.processed = m.Counter("memberd_scheduler_memberships_processed_total", "Memberships whose due work this node's scheduler performed.")
	s.errors = m.Counter("memberd_scheduler_errors_total", "Scheduler runs that failed (and were tried again at the next poll).")
	return s
}

// Run polls until ctx is done. A full batch is followed at once by another;
// errors are logged and the loop goes on.
func (s *Scheduler) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		n, err := s.svc.ProcessDue(ctx, s.batch)
		s.processed.Add(float64(n))
		switch {
		case err != nil && ctx.Err() == nil:
			s.errors.Inc()
			s.log.Error("scheduler: performing due work failed; retrying at the next poll", "memberships_done", n, "err", err)
		case n > 0:
			s.log.Info("scheduler: performed due work", "memberships", n, "duration_ms", time.Since(start).Milliseconds())
		}
		if time.Since(s.lastPurge) >= PurgeInterval {
			s.purge(ctx)
		}
		if n >= s.batch && err == nil {
			t.Reset(0)
		} else {
			t.Reset(s.interval)
		}
	}
}

// purge deletes expired Idempotency-Key records, a batch at a time.
func (s *Scheduler) purge(ctx context.Context) {
	s.lastPurge = time.Now()
	total := 0
	for {
		n, err := s.svc.PurgeIdempotencyKeys(ctx, purgeBatch)
		total += n
		if err != nil {
			if ctx.Err() == nil {
				s.errors.Inc()
				s.log.Error("scheduler: purging expired idempotency keys failed", "err", err)
			}
			return
		}
		if n < purgeBatch || ctx.Err() != nil {
			break
		}
	}
	if total > 0 {
		s.log.Info("scheduler: purged expired idempotency keys", "count", total)
	}
}
