package webauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// sessionMeta is the protected header of a session: iat (login time, for the absolute
// lifetime), uat (last write, for the rolling lifetime), exp, and the server-side id when a
// store is used.
type sessionMeta struct {
	iat, uat, exp int64
	id            string
}

// sessions reads and writes the appSession cookie (and the store behind it, if any).
type sessions struct {
	cfg    SessionConfig
	attrs  cookieAttrs
	sealer *sealer
	now    func() time.Time
	// logouts records back-channel logouts (BackchannelLogoutConfig.Store); nil: none.
	logouts SessionStore
}

// expiry is the earliest of the rolling and absolute limits.
func (s *sessions) expiry(iat, uat int64) int64 {
	exp := iat + int64(s.cfg.AbsoluteDuration/time.Second)
	if !s.cfg.DisableRolling {
		exp = min(exp, uat+int64(s.cfg.RollingDuration/time.Second))
	}
	return exp
}

// valid applies the lifetimes with the current configuration, not the exp written earlier,
// so shortening a lifetime takes effect at once.
func (s *sessions) valid(m sessionMeta) bool {
	now := s.now().Unix()
	return m.iat > 0 && m.uat > 0 && now < m.exp && now < s.expiry(m.iat, m.uat)
}

func (s *sessions) openHeader(token string) ([]byte, sessionMeta, error) {
	payload, h, err := s.sealer.open(token)
	if err != nil {
		return nil, sessionMeta{}, err
	}
	var m sessionMeta
	var ok1, ok2, ok3 bool
	m.iat, ok1 = headerInt(h, "iat")
	m.uat, ok2 = headerInt(h, "uat")
	m.exp, ok3 = headerInt(h, "exp")
	if !ok1 || !ok2 || !ok3 {
		return nil, sessionMeta{}, errUndecryptable
	}
	return payload, m, nil
}

// load returns the request's session, or nil when there is none or it is expired, tampered with
// or sealed with an unknown secret. Only store failures are errors.
func (s *sessions) load(ctx context.Context, r *http.Request) (*Session, sessionMeta, error) {
	raw := readChunked(r, s.cfg.Name)
	if raw == "" {
		return nil, sessionMeta{}, nil
	}
	payload, m, err := s.openHeader(raw)
	if err != nil || !s.valid(m) {
		return nil, sessionMeta{}, nil
	}
	if s.cfg.Store != nil {
		var ref struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(payload, &ref) != nil || ref.ID == "" {
			return nil, sessionMeta{}, nil
		}
		data, err := s.cfg.Store.Get(ctx, ref.ID)
		if errors.Is(err, ErrSessionNotFound) {
			return nil, sessionMeta{}, nil
		}
		if err != nil {
			return nil, sessionMeta{}, fmt.Errorf("webauth: session store get: %w", err)
		}
		// The stored header is authoritative: a client cannot extend it by replaying an old cookie.
		payload, m, err = s.openHeader(string(data))
		if err != nil || !s.valid(m) {
			return nil, sessionMeta{}, nil
		}
		m.id = ref.ID
	}
	var sess Session
	if err := json.Unmarshal(payload, &sess); err != nil {
		return nil, sessionMeta{}, nil
	}
	if out, err := s.loggedOut(ctx, &sess, m.iat); err != nil {
		return nil, sessionMeta{}, err
	} else if out {
		if m.id != "" {
			_ = s.cfg.Store.Delete(ctx, m.id) // it is over either way; the store evicts it in the end
		}
		return nil, sessionMeta{}, nil
	}
	return &sess, m, nil
}

// save writes sess. A zero meta (new login) starts a new absolute lifetime and, with a store,
// a new session id, deleting the previous one (no session fixation across logins).
func (s *sessions) save(ctx context.Context, w http.ResponseWriter, r *http.Request, sess *Session, m sessionMeta) (sessionMeta, error) {
	now := s.now()
	if m.iat == 0 {
		m.iat = now.Unix()
		if s.cfg.Store != nil {
			if _, old, _ := s.load(ctx, r); old.id != "" {
				if err := s.cfg.Store.Delete(ctx, old.id); err != nil {
					return m, fmt.Errorf("webauth: session store delete: %w", err)
				}
			}
			m.id = ""
		}
	}
	m.uat = now.Unix()
	m.exp = s.expiry(m.iat, m.uat)
	header := map[string]any{"iat": m.iat, "uat": m.uat, "exp": m.exp}
	payload, err := json.Marshal(sess)
	if err != nil {
		return m, fmt.Errorf("webauth: encode session: %w", err)
	}
	sealed, err := s.sealer.seal(payload, header)
	if err != nil {
		return m, err
	}
	expires := time.Unix(m.exp, 0)
	if s.cfg.Store != nil {
		if m.id == "" {
			if m.id, err = randomID(); err != nil {
				return m, err
			}
		}
		if err := s.cfg.Store.Set(ctx, m.id, []byte(sealed), expires); err != nil {
			return m, fmt.Errorf("webauth: session store set: %w", err)
		}
		ref, _ := json.Marshal(map[string]string{"id": m.id})
		if sealed, err = s.sealer.seal(ref, header); err != nil {
			return m, err
		}
	}
	writeChunked(w, r, s.attrs, s.cfg.Name, sealed, expires, now)
	return m, nil
}

// remove expires the cookie(s) and deletes the stored session.
func (s *sessions) remove(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var err error
	if s.cfg.Store != nil {
		if _, m, _ := s.load(ctx, r); m.id != "" {
			if e := s.cfg.Store.Delete(ctx, m.id); e != nil {
				err = fmt.Errorf("webauth: session store delete: %w", e)
			}
		}
	}
	clearChunked(w, r, s.attrs, s.cfg.Name)
	return err
}

func randomID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webauth: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
