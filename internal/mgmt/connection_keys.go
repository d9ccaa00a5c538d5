package mgmt

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/upstream"
)

// connectionKeyView is one of Auth0's connection keys (GET /api/v2/connections/{id}/keys): the
// certificate an oidc connection's private_key_jwt assertions are verified with, for the
// provider to register. The private key is never shown. A connection lists its current key,
// the next one once a rotation has published it, and the previous one a rotation retired.
type connectionKeyView struct {
	KID          string `json:"kid"`
	Cert         string `json:"cert"`
	Fingerprint  string `json:"fingerprint"`
	Thumbprint   string `json:"thumbprint"`
	Current      bool   `json:"current"`
	CurrentSince string `json:"current_since,omitempty"`
	Next         bool   `json:"next,omitempty"`
	Previous     bool   `json:"previous,omitempty"`
	Algorithm    string `json:"algorithm"`
	KeyUse       string `json:"key_use"`
	SubjectDN    string `json:"subject_dn"`
}

// viewConnectionKey is k as Auth0 shows it; the flags say its place in the rotation.
func viewConnectionKey(conn *domain.Connection, k *domain.ConnectionKey) (connectionKeyView, error) {
	cert, err := domain.ParseCertificatePEM(k.Cert)
	if err != nil {
		return connectionKeyView{}, err
	}
	return connectionKeyView{KID: k.KID, Cert: k.Cert, Fingerprint: upstream.KeyFingerprint(cert),
		Thumbprint: upstream.KeyThumbprint(cert), Algorithm: conn.AssertionAlg(), KeyUse: "signing",
		SubjectDN: "CN=" + cert.Subject.CommonName}, nil
}

var errKeysOIDCOnly = refuse(http.StatusBadRequest, codeInvalidURI, "Connection keys are only available for oidc connections.")

// keys lists the connection's keys: none until the connection uses private_key_jwt (the key is
// made when it is first set); Auth0 answers the same for an oidc connection without keys.
func (g *connections) keys(c *call) (int, any, error) {
	conn, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	if conn.Strategy != domain.StrategyOIDC {
		return 0, nil, errKeysOIDCOnly
	}
	out := []connectionKeyView{}
	for _, k := range []struct {
		key                     *domain.ConnectionKey
		current, next, previous bool
	}{{conn.ClientKey, true, false, false}, {conn.NextClientKey, false, true, false}, {conn.PreviousClientKey, false, false, true}} {
		if k.key == nil {
			continue
		}
		v, err := viewConnectionKey(conn, k.key)
		if err != nil {
			return 0, nil, err
		}
		v.Current, v.Next, v.Previous = k.current, k.next, k.previous
		if k.current {
			v.CurrentSince = isoTime(k.key.Since())
		}
		out = append(out, v)
	}
	return http.StatusOK, out, nil
}

type rotateKeysBody struct {
	SigningAlg *string `json:"signing_alg"`
}

// rotateKeys is POST /connections/{id}/keys/rotate (Auth0's "Rotate connection keys"): the next
// key, published by the previous rotation, becomes current and a new next key is published and
// returned; the first rotation only publishes a next key (upstream.RotateClientKey). The
// connection is read and written in one transaction: on SQLite two rotations at once run one
// after the other; on PostgreSQL (read committed) the later write wins, so of two concurrent
// rotations only the last one's next key is kept (GET …/keys shows which).
func (g *connections) rotateKeys(c *call) (int, any, error) {
	var b rotateKeysBody
	if c.r.ContentLength != 0 {
		if err := c.decode(&b); err != nil {
			return 0, nil, err
		}
	}
	if g.secrets == nil {
		return 0, nil, refuse(http.StatusNotImplemented, codeNotSupported, "This node cannot make connection keys.")
	}
	// The key pair is made before the transaction: RSA generation takes tens of milliseconds,
	// and the transaction holds the database's writer (all of it, on SQLite).
	conn, err := g.st.GetConnection(c.ctx(), c.r.PathValue("id"))
	if err = rotatable(conn, err, b); err != nil {
		return 0, nil, err
	}
	next, err := g.secrets.NewClientKey(conn)
	if err != nil {
		return 0, nil, err
	}
	var view connectionKeyView
	err = g.st.WithTx(c.ctx(), func(tx store.Store) error {
		conn, err := tx.GetConnection(c.ctx(), c.r.PathValue("id"))
		if err := rotatable(conn, err, b); err != nil {
			return err
		}
		if err := g.secrets.RotateClientKey(conn, next); err != nil {
			return err
		}
		if err := tx.UpdateConnection(c.ctx(), conn); err != nil {
			return err
		}
		view, err = viewConnectionKey(conn, next)
		view.Next = true
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, view, nil
}

// rotatable refuses a rotation of conn (read with err) that cannot be done: no such connection,
// not oidc, another signing_alg asked for, or no private_key_jwt key yet.
func rotatable(conn *domain.Connection, err error, b rotateKeysBody) error {
	if errors.Is(err, store.ErrNotFound) {
		return nfConnectionByID
	}
	if err != nil {
		return err
	}
	if conn.Strategy != domain.StrategyOIDC {
		return errKeysOIDCOnly
	}
	// The algorithm is the connection's token_endpoint_auth_signing_alg, which every key
	// signs with: another is refused rather than accepted and ignored.
	if b.SigningAlg != nil && !strings.EqualFold(*b.SigningAlg, conn.AssertionAlg()) {
		return refuse(http.StatusBadRequest, codeInvalidBody,
			"signing_alg must be the connection's token_endpoint_auth_signing_alg (%s); change that option to sign with another.", conn.AssertionAlg())
	}
	if conn.ClientKey == nil {
		return refuse(http.StatusBadRequest, codeInvalidBody, "The connection has no keys to rotate: set options.token_endpoint_auth_method to private_key_jwt first.")
	}
	return nil
}
