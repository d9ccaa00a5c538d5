package mgmt

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// sessions serves Auth0's session deletion: DELETE /sessions/{id} and DELETE
// /users/{id}/sessions. Each ended session owes the clients it signed in to a back-channel logout
// token (initiator session-revoked), queued in the transaction that deletes it; the worker of any
// node delivers it.
type sessions struct {
	st store.Store
}

var nfSession = &apiError{http.StatusNotFound, "inexistent_session", "The session does not exist"}

func (h *Handler) sessionRoutes() []route {
	g := &sessions{st: h.st}
	return []route{
		{method: "DELETE", path: "/sessions/{id}", scopes: []string{"delete:sessions"}, desc: "Delete a session", fn: g.deleteOne},
		{method: "DELETE", path: "/users/{id}/sessions", scopes: []string{"delete:sessions"}, desc: "Delete a user's sessions", fn: g.deleteUser},
	}
}

// deleteOne ends one session: 202 as Auth0 answers (the logout tokens go out afterwards).
func (g *sessions) deleteOne(c *call) (int, any, error) {
	s, err := g.st.GetSession(c.ctx(), c.r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfSession
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, g.revoke(c.ctx(), []*domain.Session{s})
}

// deleteUser ends every session of the user.
func (g *sessions) deleteUser(c *call) (int, any, error) {
	u, err := load(c.ctx(), g.st.GetUser, c.r.PathValue("id"), nfUser)
	if err != nil {
		return 0, nil, err
	}
	list, err := g.st.ListUserSessions(c.ctx(), u.UserID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, g.revoke(c.ctx(), list)
}

// revoke deletes the sessions and queues their logout tokens, all or nothing.
func (g *sessions) revoke(ctx context.Context, list []*domain.Session) error {
	return g.st.WithTx(ctx, func(tx store.Store) error {
		_, err := store.EndSessions(ctx, tx, list, domain.LogoutInitiatorSessionRevoked)
		return err
	})
}
