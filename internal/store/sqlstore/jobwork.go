package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func (s *Store) UpdateJob(ctx context.Context, j *domain.Job) error {
	doc, err := marshal(jobDoc{Job: *j, UserID: j.UserID, ClientID: j.ClientID})
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "update job", "job", j.ID, JobUpdate, j.ID, doc)
	})
}

func (s *Store) CreateJobWork(ctx context.Context, w *store.JobWork) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create job work", JobWorkInsert, w.JobID, w.Owner, ts(w.LeaseUntil), w.Finished,
			string(w.Payload), string(w.State))
	})
}

func scanJobWork(r scanner) (*store.JobWork, error) {
	var (
		w              store.JobWork
		until          int64
		payload, state string
	)
	if err := r.Scan(&w.JobID, &w.Owner, &until, &w.Finished, &payload, &state); err != nil {
		return nil, err
	}
	w.LeaseUntil, w.Payload, w.State = fromTS(until), []byte(payload), []byte(state)
	return &w, nil
}

func (s *Store) ClaimJobWork(ctx context.Context, owner string, now, until time.Time) (*store.JobWork, error) {
	var w *store.JobWork
	err := s.write(ctx, func(q querier) error {
		var err error
		w, err = getOne(ctx, s, q, scanJobWork, "job work", "", JobWorkClaim, owner, ts(until), ts(now))
		return err
	})
	return w, err
}

func (s *Store) SaveJobWork(ctx context.Context, w *store.JobWork) error {
	return s.write(ctx, func(q querier) error {
		n, err := execN(ctx, q, s.q[JobWorkSave], w.JobID, w.Owner, ts(w.LeaseUntil), w.Finished, string(w.State))
		if err != nil {
			return s.mapErr("save job work", err)
		}
		if n == 0 {
			return conflict("job", "Another node holds the job's lease.")
		}
		return nil
	})
}

func (s *Store) GetJobWork(ctx context.Context, jobID string) (*store.JobWork, error) {
	return getOne(ctx, s, s.reader(ctx), scanJobWork, "job work", jobID, JobWorkGet, jobID)
}
