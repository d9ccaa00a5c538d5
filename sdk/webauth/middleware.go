package webauth

import (
	"errors"
	"net/http"
	"net/url"
	"time"
)

// touchInterval limits rolling-session rewrites to one per minute per browser; the idle
// lifetime is measured in hours, so nothing is lost and the store is spared a write per request.
const touchInterval = time.Minute

// ErrNoSession is returned by UpdateSession when the request has no session to update.
var ErrNoSession = errors.New("webauth: no session")

// loadAndTouch returns the request's session holder, loading the cookie once per request and
// extending a rolling session (writing its cookie) when it was last written a while ago.
func (c *Client) loadAndTouch(w http.ResponseWriter, r *http.Request) (*sessionHolder, error) {
	if h := holderFrom(r.Context(), c); h != nil {
		return h, nil
	}
	sess, meta, err := c.sessions.load(r.Context(), r)
	if err != nil {
		return nil, err
	}
	h := &sessionHolder{client: c, session: sess, meta: meta}
	if sess != nil && !c.cfg.Session.DisableRolling && c.cfg.Now().Unix()-meta.uat >= int64(touchInterval/time.Second) {
		if meta, err = c.sessions.save(r.Context(), w, r, sess, meta); err != nil {
			return nil, err
		}
		h.meta = meta
	}
	return h, nil
}

// WithSession loads the session (if any) into the request context for SessionFrom and
// Session, and keeps a rolling session alive. It never rejects a request.
func (c *Client) WithSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, err := c.loadAndTouch(w, r)
		if err != nil {
			c.cfg.Logger.ErrorContext(r.Context(), "webauth: session could not be loaded", "err", err.Error())
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		next.ServeHTTP(w, r.WithContext(withHolder(r.Context(), h)))
	})
}

// RequireAuth lets requests with a session through (the session is in the context). Without
// one, API requests (Config.IsAPIRequest) get 401 JSON with withApiAuthRequired's wording and
// pages are redirected to the login route with returnTo set to the current path and query.
func (c *Client) RequireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, err := c.loadAndTouch(w, r)
		if err != nil {
			c.cfg.Logger.ErrorContext(r.Context(), "webauth: session could not be loaded", "err", err.Error())
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if sess, _ := h.get(); sess == nil {
			w.Header().Set("Cache-Control", "no-store")
			if c.cfg.IsAPIRequest(r) {
				writeJSON(w, http.StatusUnauthorized, notAuthenticated)
				return
			}
			http.Redirect(w, r, c.cfg.Routes.Login+"?"+url.Values{"returnTo": {r.URL.RequestURI()}}.Encode(), http.StatusFound)
			return
		}
		next.ServeHTTP(w, r.WithContext(withHolder(r.Context(), h)))
	})
}

// Session returns the request's session, or nil without error when there is none. It reads the
// context first (WithSession, RequireAuth) and the cookie otherwise; it does not extend a
// rolling session (that needs the ResponseWriter; use the middlewares).
func (c *Client) Session(r *http.Request) (*Session, error) {
	if h := holderFrom(r.Context(), c); h != nil {
		s, _ := h.get()
		return s, nil
	}
	s, _, err := c.sessions.load(r.Context(), r)
	return s, err
}

// UpdateSession replaces the request's session (nextjs-auth0's updateSession), keeping its
// login time so the absolute lifetime is unchanged. Call it before writing the response body.
func (c *Client) UpdateSession(w http.ResponseWriter, r *http.Request, s *Session) error {
	if s == nil {
		return errors.New("webauth: UpdateSession needs a session")
	}
	h := holderFrom(r.Context(), c)
	var meta sessionMeta
	if h != nil {
		var cur *Session
		cur, meta = h.get()
		if cur == nil {
			return ErrNoSession
		}
	} else {
		cur, m, err := c.sessions.load(r.Context(), r)
		if err != nil {
			return err
		}
		if cur == nil {
			return ErrNoSession
		}
		meta = m
	}
	meta, err := c.sessions.save(r.Context(), w, r, s, meta)
	if err != nil {
		return err
	}
	if h != nil {
		h.set(s, meta)
	}
	return nil
}
