package mgmt

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/userimport"
)

// VerificationMailer issues a verification ticket for a user and queues its mail through tx (a
// Store bound to the caller's transaction), returning the outbox message's id (emailverify's
// QueueVerification), and wakes the mail worker once that transaction has committed.
type VerificationMailer interface {
	QueueVerification(ctx context.Context, tx store.Store, u *domain.User, client *domain.Client) (string, error)
	// VerifyEmailEnabled reports whether the verify_email template is enabled: whether a new user
	// is sent a verification mail without being asked to.
	VerifyEmailEnabled(ctx context.Context) (bool, error)
	Kick()
}

// jobs serves /jobs/verification-email and /jobs/{id}. A verification job is its mail: the mail,
// its ticket and the job are written in one transaction, and the job's status is read from the
// outbox (pending, completed once delivered, failed once given up).
type jobs struct {
	users   store.UserStore
	clients store.ClientStore
	mail    store.MailStore
	tx      transactor // the mail, its ticket and the job are written together
	mailer  VerificationMailer
	now     func() time.Time
	links   *userimport.ExportLinks // signs a completed export's location when it is read
	base    string                  // the Management API's URL, the links' base
}

func (h *Handler) jobRoutes() []route {
	g := &jobs{users: h.st, clients: h.st, mail: h.st, tx: h.st, mailer: h.opts.Verification, now: h.now,
		links: h.opts.ExportLinks, base: h.audience}
	return []route{
		{method: "POST", path: "/jobs/verification-email", scopes: []string{"update:users"}, desc: "Send a verification email", fn: g.verificationEmail},
		{method: "GET", path: "/jobs/{id}", scopes: []string{"create:users", "read:users"}, fn: g.get},
	}
}

var nfJob = &apiError{http.StatusNotFound, "inexistent_job", "The job does not exist."}

// verificationEmailBody is Auth0's PostVerificationEmailRequest.
type verificationEmailBody struct {
	UserID         string  `json:"user_id"`
	ClientID       string  `json:"client_id"`
	Identity       any     `json:"identity"`
	OrganizationID *string `json:"organization_id"`
}

func (g *jobs) verificationEmail(c *call) (int, any, error) {
	var b verificationEmailBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	switch {
	case b.UserID == "":
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: 'Missing required property: user_id'.")
	case b.Identity != nil || b.OrganizationID != nil:
		return 0, nil, refuse(http.StatusBadRequest, codeNotSupported, "identity and organization_id are not supported.")
	case g.mailer == nil:
		return 0, nil, refuse(http.StatusNotImplemented, codeNotSupported, "This node cannot send verification email.")
	}
	ctx := c.ctx()
	var client *domain.Client
	if b.ClientID != "" {
		cl, err := load(ctx, g.clients.GetClient, b.ClientID, nfClient)
		if err != nil {
			return 0, nil, err
		}
		client = cl
	}
	user, err := load(ctx, g.users.GetUser, b.UserID, nfUser)
	if err != nil {
		return 0, nil, err
	}
	if user.Email == "" {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "The user does not have an email address.")
	}
	job := &domain.Job{ID: domain.NewJobID(), Type: domain.JobVerificationEmail, Status: domain.JobPending,
		CreatedAt: g.now().UTC().Truncate(time.Millisecond), UserID: user.UserID, ClientID: b.ClientID}
	err = g.tx.WithTx(ctx, func(tx store.Store) error {
		id, err := g.mailer.QueueVerification(ctx, tx, user, client)
		if err != nil {
			return err
		}
		job.EmailID = id
		return tx.CreateJob(ctx, job)
	})
	if err != nil {
		return 0, nil, err
	}
	g.mailer.Kick()
	return http.StatusCreated, job, nil
}

func (g *jobs) get(c *call) (int, any, error) {
	ctx := c.ctx()
	job, err := load(ctx, g.mail.GetJob, c.r.PathValue("id"), nfJob)
	if err != nil {
		return 0, nil, err
	}
	if job.Type == domain.JobUsersExport {
		// Auth0's location is a link that expires; each read signs a fresh one. Whatever a job
		// written by an older version kept is never shown. The file holds the users: only a caller
		// that may read them (read:users, the scope that created the export) is given the link, not
		// one that may only create users.
		job.Location = ""
		if job.Status == domain.JobCompleted && g.links != nil && hasAnyScope(c.who.scopes, []string{"read:users"}) {
			job.Location = g.links.URL(g.base, job.ID, g.now())
		}
	}
	if job.Type != domain.JobVerificationEmail {
		return http.StatusOK, job, nil // its status is kept with it
	}
	m, err := g.mail.GetEmail(ctx, job.EmailID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, nil, err
	}
	job.Status = domain.JobStatusOf(m)
	return http.StatusOK, job, nil
}
