// Package scheduler performs time-driven lifecycle work as real time passes:
// renewals, trial ends and warnings, dunning retries, automatic resumes,
// period-end cancellations and expiries. It polls the store for memberships
// whose due time has come, in bounded batches; several nodes can run it at
// once because each batch skips memberships another node has locked.
package scheduler

import (
	"context"
	"log/slog"
	"time"

	"github.com/memberd/memberd/service"
)

// Scheduler polls for due work.
type Scheduler struct {
	svc      *service.Service
	log      *slog.Logger
	interval time.Duration
	batch    int
}

// New returns a scheduler that polls every interval and works on at most
// batch memberships per transaction.
func New(svc *service.Service, log *slog.Logger, interval time.Duration, batch int) *Scheduler {
	return &Scheduler{svc: svc, log: log, interval: interval, batch: batch}
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
		n, err := s.svc.ProcessDue(ctx, s.batch)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("scheduler: processing due work failed", "err", err)
		case n > 0:
			s.log.Debug("scheduler: processed due memberships", "count", n)
		}
		if n >= s.batch && err == nil {
			t.Reset(0)
		} else {
			t.Reset(s.interval)
		}
	}
}
