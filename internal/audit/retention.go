package audit

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// RetentionStore is what the sweeper needs: the retention setting and deleting the oldest events.
type RetentionStore interface {
	GetTenantSettings(ctx context.Context) (domain.TenantSettings, error)
	DeleteLogsBefore(ctx context.Context, t time.Time, limit int) (int, error)
}

// Defaults of the sweeper: batches small enough that a delete holds the database briefly, rounds
// large enough to clear a day of a busy tenant's log (1,000 events/s) in one.
const (
	DefaultSweepBatch  = 5000
	DefaultSweepEvery  = time.Minute
	maxBatchesPerSweep = 400 // 2 million events a round at the default batch
)

// Sweeper deletes tenant log events older than the tenant's retention (log_retention_days),
// oldest first, in bounded batches. Every node may run one: the deletes are idempotent.
type Sweeper struct {
	Store  RetentionStore
	Logger *slog.Logger
	Now    func() time.Time
	Batch  int
	Every  time.Duration
}

// Sweep runs one round and returns how many events it deleted.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	settings, err := s.Store.GetTenantSettings(ctx)
	if err != nil {
		return 0, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	cutoff := now().Add(-settings.LogRetention())
	batch := s.Batch
	if batch <= 0 {
		batch = DefaultSweepBatch
	}
	total := 0
	for range maxBatchesPerSweep {
		n, err := s.Store.DeleteLogsBefore(ctx, cutoff, batch)
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
	return total, nil
}

// Run sweeps every Every until ctx ends.
func (s *Sweeper) Run(ctx context.Context) {
	every := s.Every
	if every <= 0 {
		every = DefaultSweepEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := s.Sweep(ctx)
			if err != nil && ctx.Err() == nil && s.Logger != nil {
				s.Logger.WarnContext(ctx, "tenant log retention: old events not deleted", "err", err)
			} else if n > 0 && s.Logger != nil {
				s.Logger.DebugContext(ctx, "tenant log retention", "deleted", n)
			}
		}
	}
}
