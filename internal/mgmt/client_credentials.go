package mgmt

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// clientCredentials serves /clients/{id}/credentials: the public keys a client's private_key_jwt
// assertions are verified with (Auth0's client credentials, credential_type public_key). A new
// credential is not used until the client's client_authentication_methods lists it.
type clientCredentials struct {
	st  store.Store
	now func() time.Time
}

var nfCredential = &apiError{http.StatusNotFound, "inexistent_client_credential", "The client credential does not exist"}

func (h *Handler) clientCredentialRoutes() []route {
	g := &clientCredentials{st: h.st, now: h.now}
	return []route{
		{method: "GET", path: "/clients/{id}/credentials", scopes: []string{"read:client_credentials"}, fn: g.list},
		{method: "POST", path: "/clients/{id}/credentials", scopes: []string{"create:client_credentials"}, desc: "Create a client credential", fn: g.create},
		{method: "GET", path: "/clients/{id}/credentials/{credential_id}", scopes: []string{"read:client_credentials"}, fn: g.get},
		{method: "PATCH", path: "/clients/{id}/credentials/{credential_id}", scopes: []string{"update:client_credentials"}, desc: "Update a client credential", fn: g.update},
		{method: "DELETE", path: "/clients/{id}/credentials/{credential_id}", scopes: []string{"delete:client_credentials"}, desc: "Delete a client credential", fn: g.delete},
	}
}

// credentialBody is POST /clients/{id}/credentials (Auth0's public_key shape).
type credentialBody struct {
	CredentialType      string     `json:"credential_type"`
	Name                string     `json:"name"`
	PEM                 string     `json:"pem"`
	Alg                 string     `json:"alg"`
	KID                 string     `json:"kid"`
	ParseExpiryFromCert bool       `json:"parse_expiry_from_cert"`
	ExpiresAt           *time.Time `json:"expires_at"`
}

// credentialView is a credential as Auth0 returns it: never the key material.
type credentialView struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	KID            string     `json:"kid"`
	Alg            string     `json:"alg"`
	CredentialType string     `json:"credential_type"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
}

func viewCredential(c *domain.ClientCredential) credentialView {
	return credentialView{ID: c.ID, Name: c.Name, KID: c.KID, Alg: c.Alg, CredentialType: c.CredentialType,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, ExpiresAt: c.ExpiresAt}
}

func (g *clientCredentials) client(c *call) (*domain.Client, error) {
	return load(c.ctx(), g.st.GetClient, c.r.PathValue("id"), nfClient)
}

func (g *clientCredentials) list(c *call) (int, any, error) {
	cl, err := g.client(c)
	if err != nil {
		return 0, nil, err
	}
	creds, err := g.st.ListClientCredentials(c.ctx(), cl.ClientID)
	if err != nil {
		return 0, nil, err
	}
	out := make([]credentialView, 0, len(creds))
	for _, cr := range creds {
		out = append(out, viewCredential(cr))
	}
	return http.StatusOK, out, nil
}

// maxCredentials bounds a client's keys: enough for a rotation with room to spare.
const maxCredentials = 5

func (g *clientCredentials) create(c *call) (int, any, error) {
	var b credentialBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	cl, err := g.client(c)
	if err != nil {
		return 0, nil, err
	}
	if cl.IsSystem {
		return 0, nil, refuse(http.StatusForbidden, codeNotSupported, "The client %s is used by Gatehouse itself and its credentials cannot be changed", cl.ClientID)
	}
	if b.CredentialType == "" {
		return 0, nil, domain.Invalidf("credential_type", "Missing required property: credential_type")
	}
	if b.PEM == "" {
		return 0, nil, domain.Invalidf("pem", "Missing required property: pem")
	}
	existing, err := g.st.ListClientCredentials(c.ctx(), cl.ClientID)
	if err != nil {
		return 0, nil, err
	}
	if len(existing) >= maxCredentials {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "A client may hold at most %d credentials; delete one first", maxCredentials)
	}
	now := g.now().UTC()
	cr := &domain.ClientCredential{ID: domain.NewCredentialID(), ClientID: cl.ClientID, Name: b.Name, KID: b.KID, Alg: b.Alg,
		CredentialType: b.CredentialType, PEM: b.PEM, CreatedAt: now, UpdatedAt: now}
	if b.ExpiresAt != nil {
		t := b.ExpiresAt.UTC()
		if !t.After(now) {
			return 0, nil, domain.Invalidf("expires_at", "must be in the future")
		}
		cr.ExpiresAt = &t
	}
	if err := domain.ValidateCredential(cr, b.ParseExpiryFromCert); err != nil {
		return 0, nil, err
	}
	for _, e := range existing {
		if e.KID == cr.KID {
			return 0, nil, refuse(http.StatusConflict, "credential_conflict", "The client already has a credential with kid %s", cr.KID)
		}
	}
	if err := g.st.CreateClientCredential(c.ctx(), cr); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewCredential(cr), nil
}

func (g *clientCredentials) get(c *call) (int, any, error) {
	cl, err := g.client(c)
	if err != nil {
		return 0, nil, err
	}
	cr, err := g.st.GetClientCredential(c.ctx(), cl.ClientID, c.r.PathValue("credential_id"))
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfCredential
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewCredential(cr), nil
}

// credentialPatch is Auth0's PATCH body: only the expiry changes (null: never expires).
type credentialPatch struct {
	ExpiresAt nullable[time.Time] `json:"expires_at"`
}

// update changes a credential's expiry; a past expiry is refused (delete the credential instead).
func (g *clientCredentials) update(c *call) (int, any, error) {
	var b credentialPatch
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	cl, err := g.client(c)
	if err != nil {
		return 0, nil, err
	}
	cr, err := g.st.GetClientCredential(c.ctx(), cl.ClientID, c.r.PathValue("credential_id"))
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfCredential
	}
	if err != nil {
		return 0, nil, err
	}
	now := g.now().UTC()
	if b.ExpiresAt.Set {
		if b.ExpiresAt.V == nil {
			cr.ExpiresAt = nil
		} else {
			t := b.ExpiresAt.V.UTC()
			if !t.After(now) {
				return 0, nil, domain.Invalidf("expires_at", "must be in the future")
			}
			cr.ExpiresAt = &t
		}
	}
	cr.UpdatedAt = now
	if err := g.st.UpdateClientCredential(c.ctx(), cr); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewCredential(cr), nil
}

// delete removes a credential; a client whose client_authentication_methods still lists it is
// refused, so that a client is never left enabled for private_key_jwt with a key it cannot use
// (disable the method, or list the other key, first).
func (g *clientCredentials) delete(c *call) (int, any, error) {
	cl, err := g.client(c)
	if err != nil {
		return 0, nil, err
	}
	id := c.r.PathValue("credential_id")
	if cl.EnabledCredential(id) {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "The credential %s is in use by client_authentication_methods; remove it there first", id)
	}
	err = g.st.DeleteClientCredential(c.ctx(), cl.ClientID, id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfCredential
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// checkAuthMethods refuses client_authentication_methods naming a credential the client does not
// hold, or one that has expired.
func checkAuthMethods(c *call, st store.ClientCredentialStore, cl *domain.Client, now time.Time) error {
	m := cl.ClientAuthenticationMethods
	if m == nil || m.PrivateKeyJWT == nil {
		return nil
	}
	for i, ref := range m.PrivateKeyJWT.Credentials {
		cr, err := st.GetClientCredential(c.ctx(), cl.ClientID, ref.ID)
		if errors.Is(err, store.ErrNotFound) {
			return domain.Invalidf("client_authentication_methods.private_key_jwt.credentials["+strconv.Itoa(i)+"].id", "%q is not a credential of this client", ref.ID)
		}
		if err != nil {
			return err
		}
		if cr.Expired(now) {
			return domain.Invalidf("client_authentication_methods.private_key_jwt.credentials["+strconv.Itoa(i)+"].id", "%q has expired", ref.ID)
		}
	}
	return nil
}
