package mgmt

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// LogStreamSecrets is what the Management API needs of log stream delivery: sealing a stream's
// Authorization header (write-only, like the email provider's password) and the rule on which
// endpoints a node may send the tenant log to.
type LogStreamSecrets interface {
	Seal(streamID, authorization string) ([]byte, error)
	// CheckEndpoint refuses an endpoint the node must not reach (a private or loopback address
	// outside development); the error's text is shown to the caller.
	CheckEndpoint(ctx context.Context, rawURL string) error
}

// logStreams serves /log-streams: Auth0's http streams. The sink's httpAuthorization is accepted
// and never returned.
type logStreams struct {
	st      store.LogStreamStore
	secrets LogStreamSecrets
}

func (h *Handler) logStreamRoutes() []route {
	g := &logStreams{st: h.st, secrets: h.opts.LogStreams}
	return []route{
		{method: "GET", path: "/log-streams", scopes: []string{"read:log_streams"}, fn: g.list},
		{method: "POST", path: "/log-streams", scopes: []string{"create:log_streams"}, desc: "Create a log stream", fn: g.create},
		{method: "GET", path: "/log-streams/{id}", scopes: []string{"read:log_streams"}, fn: g.get},
		{method: "PATCH", path: "/log-streams/{id}", scopes: []string{"update:log_streams"}, desc: "Update a log stream", fn: g.update},
		{method: "DELETE", path: "/log-streams/{id}", scopes: []string{"delete:log_streams"}, desc: "Delete a log stream", fn: g.delete},
	}
}

var nfLogStream = &apiError{http.StatusNotFound, "inexistent_log_stream", "The log stream does not exist."}

type sinkBody struct {
	HTTPEndpoint      *string              `json:"httpEndpoint"`
	HTTPContentType   *string              `json:"httpContentType"`
	HTTPContentFormat *string              `json:"httpContentFormat"`
	HTTPAuthorization *string              `json:"httpAuthorization"`
	HTTPCustomHeaders *[]domain.HTTPHeader `json:"httpCustomHeaders"`
}

type logStreamBody struct {
	Name       *string                   `json:"name"`
	Type       *string                   `json:"type"`
	Status     *string                   `json:"status"`
	Sink       *sinkBody                 `json:"sink"`
	Filters    *[]domain.LogStreamFilter `json:"filters"`
	IsPriority *bool                     `json:"isPriority"` // accepted; every stream is delivered alike
	StartFrom  *string                   `json:"startFrom"`  // refused: a stream starts at the newest event
}

func (g *logStreams) list(c *call) (int, any, error) {
	list, err := g.st.ListLogStreams(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, list, nil
}

func (g *logStreams) get(c *call) (int, any, error) {
	ls, err := load(c.ctx(), g.st.GetLogStream, c.r.PathValue("id"), nfLogStream)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, ls, nil
}

func (g *logStreams) create(c *call) (int, any, error) {
	var b logStreamBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if b.Type == nil || b.Sink == nil {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: 'Missing required property: %s'.",
			map[bool]string{true: "type", false: "sink"}[b.Type == nil])
	}
	if b.Status != nil && *b.Status != domain.LogStreamActive {
		return 0, nil, domain.Invalidf("status", "a new log stream is active")
	}
	ls := &domain.LogStream{ID: domain.NewLogStreamID(), Type: *b.Type}
	return g.save(c, ls, b, http.StatusOK)
}

func (g *logStreams) update(c *call) (int, any, error) {
	var b logStreamBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	ls, err := load(c.ctx(), g.st.GetLogStream, c.r.PathValue("id"), nfLogStream)
	if err != nil {
		return 0, nil, err
	}
	if b.Type != nil && *b.Type != ls.Type {
		return 0, nil, domain.Invalidf("type", "cannot be changed")
	}
	return g.save(c, ls, b, http.StatusOK)
}

// save applies the body to ls, checks the endpoint the node would send to, seals a new
// Authorization header and stores the stream. An endpoint changed without a new Authorization
// drops the stored one: a credential is never sent to a host it was not given for.
func (g *logStreams) save(c *call, ls *domain.LogStream, b logStreamBody, status int) (int, any, error) {
	if g.secrets == nil {
		return 0, nil, refuse(http.StatusNotImplemented, codeNotSupported, "This node cannot deliver log streams.")
	}
	if b.StartFrom != nil {
		return 0, nil, domain.Invalidf("startFrom", "is not supported: a new stream delivers events from its creation on")
	}
	if b.Name != nil {
		ls.Name = strings.TrimSpace(*b.Name)
	}
	if b.Status != nil {
		ls.Status = *b.Status
	}
	if b.Filters != nil {
		ls.Filters = *b.Filters
	}
	newAuth := false
	if s := b.Sink; s != nil {
		if s.HTTPEndpoint != nil && *s.HTTPEndpoint != ls.Sink.HTTPEndpoint && s.HTTPAuthorization == nil {
			ls.AuthorizationSealed = nil
		}
		set(&ls.Sink.HTTPEndpoint, s.HTTPEndpoint)
		set(&ls.Sink.HTTPContentType, s.HTTPContentType)
		set(&ls.Sink.HTTPContentFormat, s.HTTPContentFormat)
		set(&ls.Sink.HTTPCustomHeaders, s.HTTPCustomHeaders)
		if s.HTTPAuthorization != nil {
			ls.Sink.HTTPAuthorization, newAuth = *s.HTTPAuthorization, true
		}
	}
	if ls.Name == "" {
		ls.Name = "HTTP log stream"
	}
	ls.ApplyDefaults()
	if err := ls.Validate(); err != nil {
		return 0, nil, err
	}
	if err := g.secrets.CheckEndpoint(c.ctx(), ls.Sink.HTTPEndpoint); err != nil {
		return 0, nil, domain.Invalidf("sink.httpEndpoint", "%s", err.Error())
	}
	if newAuth {
		ls.AuthorizationSealed = nil
		if ls.Sink.HTTPAuthorization != "" {
			sealed, err := g.secrets.Seal(ls.ID, ls.Sink.HTTPAuthorization)
			if err != nil {
				return 0, nil, err
			}
			ls.AuthorizationSealed = sealed
		}
		ls.Sink.HTTPAuthorization = ""
	}
	var err error
	if ls.CreatedAt.IsZero() {
		err = g.st.CreateLogStream(c.ctx(), ls)
	} else {
		err = g.st.UpdateLogStream(c.ctx(), ls)
	}
	if err != nil {
		return 0, nil, err
	}
	return status, ls, nil
}

func (g *logStreams) delete(c *call) (int, any, error) {
	if err := g.st.DeleteLogStream(c.ctx(), c.r.PathValue("id")); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil, nfLogStream
		}
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
