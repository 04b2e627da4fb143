package node

import (
	"context"
	"log/slog"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/metrics"
)

// registerBacklog adds the gauges of the work waiting in the database,
// read at each scrape: how far behind due membership work the schedulers
// are, and the webhook outbox. They are the same on every node of a
// database.
func registerBacklog(r *metrics.Registry, store memberd.Store, log *slog.Logger) {
	lag := r.Gauge("memberd_scheduler_lag_seconds",
		"How long the earliest due membership work (a renewal, a retry, an expiry) has waited for a scheduler; 0 when none is due.")
	queued := r.Gauge("memberd_webhook_outbox_queued",
		"Webhook deliveries waiting to be sent: due, being sent, or scheduled for a retry (not those of disabled endpoints).")
	due := r.Gauge("memberd_webhook_outbox_due", "Webhook deliveries due now and not being sent.")
	r.OnScrape(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		now := time.Now()
		var b memberd.Backlog
		err := store.View(ctx, func(tx memberd.Tx) (err error) { b, err = tx.Backlog(ctx, now); return err })
		if err != nil {
			log.WarnContext(ctx, "metrics: reading the backlog failed", "err", err)
			return
		}
		behind := 0.0
		if !b.OldestWork.IsZero() && b.OldestWork.Before(now) {
			behind = now.Sub(b.OldestWork).Seconds()
		}
		lag.Set(behind)
		queued.Set(float64(b.QueuedDeliveries))
		due.Set(float64(b.DueDeliveries))
	})
}
