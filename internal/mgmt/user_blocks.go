package mgmt

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/store"
)

// userBlocks serves /user-blocks: the brute-force blocks on a user (by id) or on an identifier (an
// email address), and lifting them before they run out.
type userBlocks struct {
	st    store.Store
	guard *guard.BruteForce
}

func (h *Handler) userBlockRoutes() []route {
	g := &userBlocks{st: h.st, guard: h.opts.BruteForce}
	if g.guard == nil {
		g.guard = &guard.BruteForce{Counters: h.st, Now: h.now}
	}
	read := []string{"read:users"}
	update := []string{"update:users"}
	return []route{
		{method: "GET", path: "/user-blocks", scopes: read, fn: g.listByIdentifier},
		{method: "DELETE", path: "/user-blocks", scopes: update, desc: "Unblock an identifier", fn: g.liftByIdentifier},
		{method: "GET", path: "/user-blocks/{id}", scopes: read, fn: g.listByUser},
		{method: "DELETE", path: "/user-blocks/{id}", scopes: update, desc: "Unblock a user", fn: g.liftByUser},
	}
}

// blockedFor is one entry of Auth0's {"blocked_for": [...]}. Auth0 also shows the blocked IP
// address; Gatehouse keeps no address in its counters (they are hashed, so the table holds none), so
// the entry names the identifier and its connection, one per blocked address.
type blockedFor struct {
	Identifier string `json:"identifier"`
	Connection string `json:"connection,omitempty"`
}

// identifier reads ?identifier= (required): an email address, the identifier brute-force protection
// counts by.
func (g *userBlocks) identifier(c *call) (string, error) {
	id := strings.TrimSpace(c.r.URL.Query().Get("identifier"))
	if id == "" {
		return "", queryInvalid("identifier", "Missing required property: identifier")
	}
	if _, err := c.boolParam("consider_brute_force_enablement"); err != nil {
		return "", err
	}
	return domain.NormalizeEmail(id), nil
}

// blocks lists the blocks on each identifier (a user's email and, where they sign in by it, their
// username).
func (g *userBlocks) blocks(c *call, ids []blockedFor) (int, any, error) {
	out := []blockedFor{}
	for _, id := range ids {
		list, err := g.guard.ActiveBlocks(c.ctx(), g.st, id.Identifier)
		if err != nil {
			return 0, nil, err
		}
		for range list {
			out = append(out, id)
		}
	}
	return http.StatusOK, map[string]any{"blocked_for": out}, nil
}

// identifiers are what brute-force protection counts a user's attempts under: their email and
// username, as typed into a sign-in form (lower-cased), and those of the database accounts linked
// to them, whose passwords sign them in too.
func (g *userBlocks) identifiers(c *call, u *domain.User) ([]blockedFor, error) {
	ids, err := store.LoginIdentifiers(c.ctx(), g.st, u)
	if err != nil {
		return nil, err
	}
	out := make([]blockedFor, len(ids))
	for i, id := range ids {
		out[i] = blockedFor{Identifier: id.Identifier, Connection: id.Connection}
	}
	return out, nil
}

func (g *userBlocks) listByIdentifier(c *call) (int, any, error) {
	id, err := g.identifier(c)
	if err != nil {
		return 0, nil, err
	}
	return g.blocks(c, []blockedFor{{Identifier: id}})
}

func (g *userBlocks) liftByIdentifier(c *call) (int, any, error) {
	id, err := g.identifier(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, g.guard.Forget(c.ctx(), id)
}

func (g *userBlocks) user(c *call) (*domain.User, error) {
	if _, err := c.boolParam("consider_brute_force_enablement"); err != nil {
		return nil, err
	}
	u, err := g.st.GetUser(c.ctx(), c.r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nfUser
	}
	return u, err
}

func (g *userBlocks) listByUser(c *call) (int, any, error) {
	u, err := g.user(c)
	if err != nil {
		return 0, nil, err
	}
	ids, err := g.identifiers(c, u)
	if err != nil {
		return 0, nil, err
	}
	return g.blocks(c, ids)
}

func (g *userBlocks) liftByUser(c *call) (int, any, error) {
	u, err := g.user(c)
	if err != nil {
		return 0, nil, err
	}
	ids, err := g.identifiers(c, u)
	if err != nil {
		return 0, nil, err
	}
	for _, id := range ids {
		if err := g.guard.Forget(c.ctx(), id.Identifier); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusNoContent, nil, nil
}
