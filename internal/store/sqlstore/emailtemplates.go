package sqlstore

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Email templates are one row per configured name; jobs name the outbox message they queued.

func (s *Store) GetEmailTemplate(ctx context.Context, name string) (*domain.EmailTemplate, error) {
	return getOne(ctx, s, s.reader(ctx), func(r scanner) (*domain.EmailTemplate, error) {
		var (
			t       domain.EmailTemplate
			updated int64
			doc     []byte
		)
		if err := r.Scan(&updated, &doc); err != nil {
			return nil, err
		}
		if err := unmarshal(doc, &t); err != nil {
			return nil, err
		}
		t.Template, t.UpdatedAt = name, fromTS(updated)
		return &t, nil
	}, "email template", name, EmailTemplateGet, name)
}

func (s *Store) CreateEmailTemplate(ctx context.Context, t *domain.EmailTemplate) error {
	return s.saveEmailTemplate(ctx, t, EmailTemplateCreate)
}

func (s *Store) PutEmailTemplate(ctx context.Context, t *domain.EmailTemplate) error {
	return s.saveEmailTemplate(ctx, t, EmailTemplatePut)
}

func (s *Store) saveEmailTemplate(ctx context.Context, t *domain.EmailTemplate, id Stmt) error {
	t.UpdatedAt = s.now().UTC()
	doc, err := marshal(t)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		n, err := execN(ctx, q, s.q[id], t.Template, ts(t.UpdatedAt), doc)
		if err != nil {
			return s.mapErr("save email template", err)
		}
		if n == 0 {
			return conflict("template", "The email template already exists.")
		}
		return nil
	})
}

func (s *Store) CreateJob(ctx context.Context, j *domain.Job) error {
	if j.ID == "" {
		j.ID = domain.NewJobID()
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = s.now().UTC()
	}
	doc, err := marshal(jobDoc{Job: *j, UserID: j.UserID, ClientID: j.ClientID})
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create job", JobInsert, j.ID, ts(j.CreatedAt), j.EmailID, doc)
	})
}

func (s *Store) GetJob(ctx context.Context, id string) (*domain.Job, error) {
	return getOne(ctx, s, s.reader(ctx), func(r scanner) (*domain.Job, error) {
		var (
			d       jobDoc
			emailID string
			doc     []byte
		)
		if err := r.Scan(&emailID, &doc); err != nil {
			return nil, err
		}
		if err := unmarshal(doc, &d); err != nil {
			return nil, err
		}
		j := d.Job
		j.EmailID, j.UserID, j.ClientID = emailID, d.UserID, d.ClientID
		return &j, nil
	}, "job", id, JobGet, id)
}

// jobDoc stores the fields a job keeps out of its API shape.
type jobDoc struct {
	domain.Job
	UserID   string `json:"user_id,omitempty"`
	ClientID string `json:"client_id,omitempty"`
}
