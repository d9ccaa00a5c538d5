package mgmt

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/store"
)

// roleMember is a user as GET /roles/{id}/users lists them.
type roleMember struct {
	UserID  string `json:"user_id"`
	Email   string `json:"email,omitempty"`
	Name    string `json:"name,omitempty"`
	Picture string `json:"picture,omitempty"`
}

// listRoleUsers serves both paging styles; `from`/`take` win when both are sent (spec §4.3).
func (h *Handler) listRoleUsers(c *call) {
	q := c.r.URL.Query()
	checkpoint := q.Has("from") || q.Has("take")
	p, ok := c.parsePaging()
	if !ok {
		return
	}
	var offset int
	if checkpoint {
		if offset, p.PerPage, ok = c.parseCheckpoint(); !ok {
			return
		}
	}
	r, ok := h.loadRole(c)
	if !ok {
		return
	}
	// The store pages by offset; a checkpoint is an offset, opaque to the client.
	pg, skip := p.Page, 0
	if checkpoint {
		pg, skip = pageAt(offset, p.PerPage)
	}
	users, total, err := h.st.ListRoleUsers(c.r.Context(), r.ID, pg)
	if err != nil {
		c.fail(err)
		return
	}
	users = users[min(skip, len(users)):]
	items := make([]any, len(users))
	for i, u := range users {
		items[i] = roleMember{UserID: u.UserID, Email: u.Email, Name: u.Name, Picture: u.Picture}
	}
	if !checkpoint {
		c.list(p, "users", items, total)
		return
	}
	out := map[string]any{"users": items}
	if next := offset + len(items); len(items) > 0 && next < total {
		out["next"] = encodeCursor(next)
	}
	c.json(http.StatusOK, out)
}

// pageAt turns an offset into the store page holding it and the number of that page's items to
// skip (non-zero only when a client changes take in the middle of a walk).
func pageAt(offset, take int) (store.Page, int) {
	return store.Page{Page: offset / take, PerPage: take}, offset % take
}

// parseCheckpoint reads from/take (take defaults to 50, at most 100).
func (c *call) parseCheckpoint() (offset, take int, ok bool) {
	q := c.r.URL.Query()
	take = 50
	if s := q.Get("take"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			c.queryInvalid("take", "Expected an integer between 1 and 100")
			return 0, 0, false
		}
		take = n
	}
	if s := q.Get("from"); s != "" {
		n, err := decodeCursor(s)
		if err != nil {
			c.queryInvalid("from", "Invalid checkpoint")
			return 0, 0, false
		}
		offset = n
	}
	return offset, take, true
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

// assignRoleUsers answers 200 `{}`: Auth0 documents a 200 ("Role users successfully updated"); the
// `{}` body parses in every SDK, including those that ignore the body of void operations.
func (h *Handler) assignRoleUsers(c *call) {
	var b struct {
		Users *[]string `json:"users"`
	}
	if !c.decode(&b) {
		return
	}
	if b.Users == nil || len(*b.Users) == 0 {
		c.invalid("users", "Missing required property: users (at least one user id)")
		return
	}
	r, ok := h.loadRole(c)
	if !ok {
		return
	}
	err := h.st.WithTx(c.r.Context(), func(tx store.Store) error {
		for _, id := range *b.Users {
			if _, err := tx.GetUser(c.r.Context(), id); err != nil {
				return err
			}
		}
		return tx.AssignUsersToRole(c.r.Context(), r.ID, *b.Users)
	})
	if errors.Is(err, store.ErrNotFound) {
		c.notFound(nfUser)
		return
	}
	if err != nil {
		c.fail(err)
		return
	}
	c.empty(http.StatusOK)
}
