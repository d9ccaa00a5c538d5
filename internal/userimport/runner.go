package userimport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Runner imports the users of pending jobs. Every node runs one; the store's lease makes sure one
// node at a time works on a job.
type Runner struct {
	Store store.Store
	Owner string           // this node's name in leases
	Now   func() time.Time // time.Now when nil
	Lease time.Duration    // how long a claim holds without progress; 1 minute when zero
	Batch int              // rows committed together; 100 when zero
	// OnBatch, when set, is called after each committed batch with the rows done and the total
	// (the command line's progress display).
	OnBatch func(done, total int)
	// Owners, when set, returns the addresses of the tenant's owners, whom Auth0 emails when an
	// import job completes (send_completion_email); nil: no email (the command line).
	Owners func(ctx context.Context, st store.Store) ([]string, error)
	// KickMail, when set, wakes the mail worker once a completion email is queued.
	KickMail func()

	kick chan struct{}
}

// NewRunner returns a Runner for a node, named owner in leases.
func NewRunner(st store.Store, owner string, now func() time.Time) *Runner {
	return &Runner{Store: st, Owner: owner, Now: now, kick: make(chan struct{}, 1)}
}

// Kick wakes Run at once (a job was just stored on this node).
func (r *Runner) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) lease() time.Duration {
	if r.Lease > 0 {
		return r.Lease
	}
	return time.Minute
}

// Run claims and runs jobs until ctx ends, looking for new ones every poll.
func (r *Runner) Run(ctx context.Context, poll time.Duration, logf func(string, ...any)) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		for {
			worked, err := r.Step(ctx)
			if err != nil && ctx.Err() == nil {
				logf("users import: %v", err)
			}
			if !worked || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.kick:
		}
	}
}

// Step claims one job whose lease is free and runs it to the end; worked is false when there was
// none. When ctx ends mid-job, what was committed stays, and the job resumes there once its lease
// runs out.
func (r *Runner) Step(ctx context.Context) (worked bool, err error) {
	now := r.now()
	w, err := r.Store.ClaimJobWork(ctx, r.Owner, now, now.Add(r.lease()))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, r.run(ctx, w)
}

func (r *Runner) run(ctx context.Context, w *store.JobWork) error {
	job, err := r.Store.GetJob(ctx, w.JobID)
	if err != nil {
		return err
	}
	if job.Type == domain.JobUsersExport {
		return r.runExport(ctx, job, w)
	}
	var st state
	if err := json.Unmarshal(w.State, &st); err != nil {
		return fmt.Errorf("job %s: state: %w", job.ID, err)
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(w.Payload, &rows); err != nil {
		return fmt.Errorf("job %s: file: %w", job.ID, err)
	}
	batch := r.Batch
	if batch <= 0 {
		batch = 100
	}
	st.Summary.Total = len(rows)
	// A row the database refuses as a conflict (a uniqueness the checks before writing did not see:
	// a username taken, a user created meanwhile) fails its whole batch; the batch is then retried
	// row by row until singleUntil, and the row alone is recorded as failed.
	singleUntil, failRow := 0, false
	mailed := 0
	for !w.Finished {
		if err := ctx.Err(); err != nil {
			return err
		}
		size := batch
		if st.Cursor < singleUntil {
			size = 1
		}
		end := min(st.Cursor+size, len(rows))
		next := st
		next.Errors = append([]RowError(nil), st.Errors...)
		err := r.Store.WithTx(ctx, func(tx store.Store) error {
			for i := st.Cursor; i < end; i++ {
				if failRow {
					next.Summary.Failed++
					next.Errors = append(next.Errors, RowError{User: echo(rows[i]), Errors: []Problem{{Code: "DUPLICATED_USER",
						Message: "The user conflicts with an existing user (user_id, email or username)."}}})
					continue
				}
				updated, e, err := importRow(ctx, tx, job, rows[i], r.now())
				switch {
				case err != nil:
					return err
				case e != nil:
					next.Summary.Failed++
					next.Errors = append(next.Errors, *e)
				case updated:
					next.Summary.Updated++
				default:
					next.Summary.Inserted++
				}
			}
			next.Cursor = end
			w.Finished = end == len(rows)
			j := *job
			j.Status, j.Summary = domain.JobProcessing, &next.Summary
			if w.Finished {
				j.Status = domain.JobCompleted
			}
			b, err := json.Marshal(next)
			if err != nil {
				return err
			}
			w.State, w.LeaseUntil = b, r.now().Add(r.lease())
			if err := tx.SaveJobWork(ctx, w); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return errLost
				}
				return err
			}
			if err := tx.UpdateJob(ctx, &j); err != nil {
				return err
			}
			if w.Finished {
				n, err := r.queueCompletion(ctx, tx, &j)
				mailed = n
				return err
			}
			return nil
		})
		if errors.Is(err, store.ErrConflict) && !failRow {
			w.Finished = false
			if size > 1 {
				singleUntil = end
			} else {
				failRow = true
			}
			continue
		}
		failRow = false
		if err != nil {
			w.Finished = false
			return fmt.Errorf("job %s: %w", job.ID, err)
		}
		st = next
		if r.OnBatch != nil {
			r.OnBatch(st.Cursor, len(rows))
		}
	}
	if mailed > 0 && r.KickMail != nil {
		r.KickMail()
	}
	return nil
}
