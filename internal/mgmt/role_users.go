package mgmt

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// roleMember is a user as GET /roles/{id}/users lists them.
type roleMember struct {
	UserID  string `json:"user_id"`
	Email   string `json:"email,omitempty"`
	Name    string `json:"name,omitempty"`
	Picture string `json:"picture,omitempty"`
}

// listUsers serves both paging styles; `from`/`take` win when both are sent (spec §4.3).
func (g *roles) listUsers(c *call) (int, any, error) {
	q := c.r.URL.Query()
	checkpoint := q.Has("from") || q.Has("take")
	p, err := c.parsePaging()
	if err != nil {
		return 0, nil, err
	}
	var offset int
	if checkpoint {
		if offset, p.PerPage, err = c.parseCheckpoint(); err != nil {
			return 0, nil, err
		}
	}
	id, err := g.id(c)
	if err != nil {
		return 0, nil, err
	}
	// The store pages by offset; a checkpoint is an offset, opaque to the client.
	pg, skip := p.Page, 0
	if checkpoint {
		pg, skip = pageAt(offset, p.PerPage)
	}
	users, total, err := g.roles.ListRoleUsers(c.ctx(), id, pg)
	if err != nil {
		return 0, nil, err
	}
	items := views(users[min(skip, len(users)):], func(u *domain.User) any {
		return roleMember{UserID: u.UserID, Email: u.Email, Name: u.Name, Picture: u.Picture}
	})
	if !checkpoint {
		return http.StatusOK, p.list("users", items, total), nil
	}
	out := map[string]any{"users": items}
	if next := offset + len(items); len(items) > 0 && next < total {
		out["next"] = encodeCursor(next)
	}
	return http.StatusOK, out, nil
}

// pageAt turns an offset into the store page holding it and the number of that page's items to
// skip (non-zero only when a client changes take in the middle of a walk).
func pageAt(offset, take int) (store.Page, int) {
	return store.Page{Page: offset / take, PerPage: take}, offset % take
}

// parseCheckpoint reads from/take (take defaults to 50, at most 100).
func (c *call) parseCheckpoint() (offset, take int, err error) {
	q := c.r.URL.Query()
	take = 50
	if s := q.Get("take"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return 0, 0, queryInvalid("take", "Expected an integer between 1 and 100")
		}
		take = n
	}
	if s := q.Get("from"); s != "" {
		n, err := decodeCursor(s)
		if err != nil {
			return 0, 0, queryInvalid("from", "Invalid checkpoint")
		}
		offset = n
	}
	return offset, take, nil
}

func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o" + strconv.Itoa(offset)))
}

func decodeCursor(s string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || b[0] != 'o' {
		return 0, errors.New("bad cursor")
	}
	n, err := strconv.Atoi(string(b[1:]))
	if err != nil || n < 0 {
		return 0, errors.New("bad cursor")
	}
	return n, nil
}

// assignUsers answers 200 `{}`: Auth0 documents a 200 ("Role users successfully updated"); the
// `{}` body parses in every SDK, including those that ignore the body of void operations.
func (g *roles) assignUsers(c *call) (int, any, error) {
	var b struct {
		Users *[]string `json:"users"`
	}
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if b.Users == nil || len(*b.Users) == 0 {
		return 0, nil, domain.Invalidf("users", "Missing required property: users (at least one user id)")
	}
	id, err := g.id(c)
	if err != nil {
		return 0, nil, err
	}
	ctx := c.ctx()
	err = g.tx.WithTx(ctx, func(tx store.Store) error {
		for _, u := range *b.Users {
			if _, err := tx.GetUser(ctx, u); err != nil {
				return err
			}
		}
		return tx.AssignUsersToRole(ctx, id, *b.Users)
	})
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfUser
	}
	return http.StatusOK, emptyObject, err
}
