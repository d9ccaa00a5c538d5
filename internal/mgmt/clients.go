package mgmt

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// clients serves /clients: applications.
type clients struct {
	clients store.ClientStore
	st      store.ClientCredentialStore
	now     func() time.Time
	global  *domain.Client // the tenant's "All Applications" client; see globalClient
}

func (h *Handler) clientRoutes() []route {
	g := &clients{clients: h.st, st: h.st, now: h.now, global: globalClient(h.audience)}
	read := []string{"read:clients", "read:client_keys", "read:client_summary"}
	return []route{
		{method: "GET", path: "/clients", scopes: read, fields: clientReadScopes, fn: g.list},
		{method: "POST", path: "/clients", scopes: []string{"create:clients"}, desc: "Create a client", fn: g.create},
		{method: "GET", path: "/clients/{id}", scopes: read, fields: clientReadScopes, fn: g.get},
		{method: "PATCH", path: "/clients/{id}", scopes: []string{"update:clients", "update:client_keys", "update:client_credentials"}, desc: "Update a client", fields: clientFieldScopes, fn: g.update},
		{method: "DELETE", path: "/clients/{id}", scopes: []string{"delete:clients"}, desc: "Delete a client", fn: g.delete},
		{method: "POST", path: "/clients/{id}/rotate-secret", scopes: []string{"update:client_keys"}, desc: "Rotate a client secret", fn: g.rotateSecret},
	}
}

// nullable is a PATCH field whose JSON null unsets it: Set tells it was sent, V is nil for null.
type nullable[T any] struct {
	Set bool
	V   *T
}

func (n *nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(bytes.TrimSpace(b)) == "null" {
		n.V = nil
		return nil
	}
	var v T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	n.V = &v
	return nil
}

// clientReadScopes: Auth0's GET /api/v2/clients and /clients/{id} show client_id, app_type, name
// and description to any of their scopes; every other property only to read:clients or
// read:client_keys, so read:client_summary sees a summary.
var clientReadScopes = &fieldScopes{
	fields: map[string][]string{
		"client_id":   {"read:clients", "read:client_keys", "read:client_summary"},
		"app_type":    {"read:clients", "read:client_keys", "read:client_summary"},
		"name":        {"read:clients", "read:client_keys", "read:client_summary"},
		"description": {"read:clients", "read:client_keys", "read:client_summary"},
	},
	others: []string{"read:clients", "read:client_keys"},
}

// clientFieldScopes: Auth0's PATCH /api/v2/clients/{id} lets update:client_keys change only a
// client's keys (client_secret, signing_keys) and update:client_credentials only
// client_authentication_methods; everything else, jwt_configuration included, needs update:clients.
// Gatehouse's PATCH accepts none of those key fields (a secret changes through rotate-secret, which
// update:client_keys may call), so update:client_keys alone changes nothing here: every field it
// sends is refused. The route still accepts the scope so that the refusal names the field.
var clientFieldScopes = &fieldScopes{
	fields: map[string][]string{"client_authentication_methods": {"update:clients", "update:client_credentials"}},
	others: []string{"update:clients"},
}

// jwtConfigBody is jwt_configuration as clients send it; `scopes` is accepted and ignored (it only
// matters for HS256 legacy tokens, which Gatehouse does not issue).
type jwtConfigBody struct {
	Alg               string         `json:"alg"`
	LifetimeInSeconds int            `json:"lifetime_in_seconds"`
	SecretEncoded     bool           `json:"secret_encoded"`
	Scopes            map[string]any `json:"scopes"`
}

// refreshTokenBody is refresh_token as clients send it; `policies` is accepted and ignored.
type refreshTokenBody struct {
	domain.RefreshTokenConfig
	Policies []any `json:"policies"`
}

// clientBody is the writable part of a client (spec §3.1). Every field is a pointer so that a PATCH
// replaces exactly the top-level fields it names.
type clientBody struct {
	Name                           *string            `json:"name"`
	Description                    *string            `json:"description"`
	AppType                        *string            `json:"app_type"`
	IsFirstParty                   *bool              `json:"is_first_party"`
	OIDCConformant                 *bool              `json:"oidc_conformant"`
	Callbacks                      *[]string          `json:"callbacks"`
	AllowedLogoutURLs              *[]string          `json:"allowed_logout_urls"`
	WebOrigins                     *[]string          `json:"web_origins"`
	AllowedOrigins                 *[]string          `json:"allowed_origins"`
	GrantTypes                     *[]string          `json:"grant_types"`
	TokenEndpointAuthMethod        *string            `json:"token_endpoint_auth_method"`
	JWTConfiguration               *jwtConfigBody     `json:"jwt_configuration"`
	RefreshToken                   *refreshTokenBody  `json:"refresh_token"`
	SSODisabled                    *bool              `json:"sso_disabled"`
	CrossOriginAuthentication      *bool              `json:"cross_origin_authentication"`
	CustomLoginPageOn              *bool              `json:"custom_login_page_on"`
	ClientMetadata                 *map[string]string `json:"client_metadata"`
	InitiateLoginURI               *string            `json:"initiate_login_uri"`
	LogoURI                        *string            `json:"logo_uri"`
	IsTokenEndpointIPHeaderTrusted *bool              `json:"is_token_endpoint_ip_header_trusted"`
	// client_authentication_methods and oidc_logout: null removes them.
	ClientAuthenticationMethods        nullable[domain.ClientAuthenticationMethods] `json:"client_authentication_methods"`
	RequirePushedAuthorizationRequests *bool                                        `json:"require_pushed_authorization_requests"`
	OIDCLogout                         nullable[domain.OIDCLogout]                  `json:"oidc_logout"`
	OrganizationUsage                  *string                                      `json:"organization_usage"`
	OrganizationRequireBehavior        *string                                      `json:"organization_require_behavior"`
	// Accepted for compatibility with clients that always send it; Gatehouse has one behaviour.
	SSO *bool `json:"sso"`
}

// apply copies the given fields onto c.
func (b *clientBody) apply(c *domain.Client) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	setB := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	setL := func(dst *[]string, src *[]string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Name, b.Name)
	set(&c.Description, b.Description)
	set(&c.AppType, b.AppType)
	setB(&c.IsFirstParty, b.IsFirstParty)
	setB(&c.IsTokenEndpointIPHeaderTrusted, b.IsTokenEndpointIPHeaderTrusted)
	setL(&c.Callbacks, b.Callbacks)
	setL(&c.AllowedLogoutURLs, b.AllowedLogoutURLs)
	setL(&c.WebOrigins, b.WebOrigins)
	setL(&c.AllowedOrigins, b.AllowedOrigins)
	setL(&c.GrantTypes, b.GrantTypes)
	set(&c.TokenEndpointAuthMethod, b.TokenEndpointAuthMethod)
	if b.JWTConfiguration != nil {
		c.JWTConfiguration = domain.JWTConfiguration{
			Alg:               b.JWTConfiguration.Alg,
			LifetimeInSeconds: b.JWTConfiguration.LifetimeInSeconds,
			SecretEncoded:     b.JWTConfiguration.SecretEncoded,
		}
	}
	if b.RefreshToken != nil {
		c.RefreshToken = b.RefreshToken.RefreshTokenConfig
	}
	setB(&c.SSODisabled, b.SSODisabled)
	setB(&c.CrossOriginAuthentication, b.CrossOriginAuthentication)
	setB(&c.CustomLoginPageOn, b.CustomLoginPageOn)
	if b.ClientMetadata != nil {
		c.ClientMetadata = *b.ClientMetadata
	}
	set(&c.InitiateLoginURI, b.InitiateLoginURI)
	set(&c.LogoURI, b.LogoURI)
	if b.ClientAuthenticationMethods.Set {
		c.ClientAuthenticationMethods = b.ClientAuthenticationMethods.V
	}
	setB(&c.RequirePushedAuthorizationRequests, b.RequirePushedAuthorizationRequests)
	if b.OIDCLogout.Set {
		c.OIDCLogout = b.OIDCLogout.V
	}
	set(&c.OrganizationUsage, b.OrganizationUsage)
	set(&c.OrganizationRequireBehavior, b.OrganizationRequireBehavior)
}

// clientView is a client as the Management API returns it; ClientSecret is set only on create and
// rotate-secret (Gatehouse policy, spec "Gatehouse decisions").
type clientView struct {
	*domain.Client
	ClientSecret string `json:"client_secret,omitempty"`
	Global       bool   `json:"global"`
}

// maxAppTypes bounds app_type's list before it becomes query arguments: Auth0 has fewer types.
const maxAppTypes = 32

func (g *clients) list(c *call) (int, any, error) {
	p, pr, err := c.listQuery()
	if err != nil {
		return 0, nil, err
	}
	q := c.r.URL.Query()
	if q.Has("q") {
		// Auth0's q names clients by their grants' organizations; a grant here names none, so an
		// answer would be guesswork, and ignoring q would list clients the caller did not ask for.
		return 0, nil, queryInvalid("q", "client grants carry no organization here, so q is not supported")
	}
	var f store.ClientFilter
	if at := q.Get("app_type"); at != "" {
		f.AppType = strings.Split(at, ",")
		if len(f.AppType) > maxAppTypes {
			return 0, nil, queryInvalid("app_type", "at most %d application types", maxAppTypes)
		}
	}
	if f.IsFirstParty, err = c.boolParam("is_first_party"); err != nil {
		return 0, nil, err
	}
	global, err := c.boolParam("is_global")
	if err != nil {
		return 0, nil, err
	}
	if global != nil && *global {
		// Only the tenant's "All Applications" client is global; it is listed only when asked for
		// (is_global=true), so lists of the tenant's applications stay what the tenant created. It is
		// first-party and has no app_type: other filters that exclude it leave the list empty.
		total := 0
		if len(f.AppType) == 0 && (f.IsFirstParty == nil || *f.IsFirstParty) {
			total = 1
		}
		var items []any
		if total == 1 && p.Page.Page == 0 {
			items = []any{pr.apply(c.visible(clientView{Client: g.global, Global: true}))}
		}
		return http.StatusOK, p.list("clients", items, total), nil
	}
	list, total, err := g.clients.ListClients(c.ctx(), f, p.Page)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p.list("clients", views(list, func(cl *domain.Client) any { return pr.apply(c.visible(clientView{Client: cl})) }), total), nil
}

func (g *clients) get(c *call) (int, any, error) {
	pr, err := c.projection()
	if err != nil {
		return 0, nil, err
	}
	if c.r.PathValue("id") == g.global.ClientID {
		return http.StatusOK, pr.apply(c.visible(clientView{Client: g.global, Global: true})), nil
	}
	cl, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, pr.apply(c.visible(clientView{Client: cl})), nil
}

// globalClient is the tenant's "All Applications" client as Auth0 shows it (global: true): where
// Auth0 keeps tenant-wide login settings such as a custom login page, and what the Deploy CLI reads
// to export the login page. Gatehouse's login page is the hosted one, branded through
// /api/v2/branding, so this client holds nothing and is read-only; its id is derived from the
// tenant's Management API audience so every node and every restart shows the same one.
func globalClient(audience string) *domain.Client {
	sum := sha256.Sum256([]byte("gatehouse global client\x00" + audience))
	return &domain.Client{
		ClientID:     base64.RawURLEncoding.EncodeToString(sum[:24]),
		Name:         "All Applications",
		IsFirstParty: true,
		Callbacks:    []string{}, AllowedLogoutURLs: []string{}, WebOrigins: []string{}, AllowedOrigins: []string{},
		GrantTypes: []string{},
	}
}

func (g *clients) load(c *call) (*domain.Client, error) {
	if id := c.r.PathValue("id"); id == g.global.ClientID {
		return nil, refuse(http.StatusForbidden, codeNotSupported,
			"The client %s is the tenant's All Applications client: Gatehouse keeps no settings on it (the login page is branded through /api/v2/branding)", id)
	}
	return load(c.ctx(), g.clients.GetClient, c.r.PathValue("id"), nfClient)
}

// loadChangeable loads the client the path names, refusing with 403 Gatehouse's own Management API
// client, of which it "cannot be <what>".
func (g *clients) loadChangeable(c *call, what string) (*domain.Client, error) {
	cl, err := g.load(c)
	if err == nil && cl.IsSystem {
		err = refuse(http.StatusForbidden, codeNotSupported, "The client %s is used by Gatehouse itself and %s", cl.ClientID, what)
	}
	return cl, err
}

func (g *clients) create(c *call) (int, any, error) {
	var b clientBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if b.Name == nil {
		return 0, nil, domain.Invalidf("name", "Missing required property: name")
	}
	now := g.now().UTC()
	cl := &domain.Client{IsFirstParty: true, CustomLoginPageOn: true}
	if b.ClientAuthenticationMethods.V != nil {
		// A new client holds no credential yet: keys are added to it, then enabled by a PATCH.
		return 0, nil, domain.Invalidf("client_authentication_methods", "a new client has no credentials yet; add them with POST /clients/{id}/credentials, then enable them here with PATCH")
	}
	b.apply(cl)
	domain.ApplyClientDefaults(cl)
	if err := cl.Validate(); err != nil {
		return 0, nil, err
	}
	secret := domain.NewClientSecret()
	cl.ClientID = domain.NewClientID()
	cl.SecretHash = domain.HashSecret(secret)
	cl.CreatedAt, cl.UpdatedAt = now, now
	if err := g.clients.CreateClient(c.ctx(), cl); err != nil {
		return 0, nil, err
	}
	v := clientView{Client: cl}
	if cl.IsConfidential() {
		v.ClientSecret = secret
	}
	return http.StatusCreated, v, nil
}

func (g *clients) update(c *call) (int, any, error) {
	var b clientBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	// Gatehouse's own Management API client: new grant types, callbacks or an app type could turn
	// the all-powerful client into a sign-in client or lock the tenant's tools out.
	cl, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	before, _ := json.Marshal(cl)
	b.apply(cl)
	domain.ApplyClientDefaults(cl)
	if cl.IsSystem {
		// A body that changes nothing is accepted (a tool that writes back what it read, as the
		// Auth0 Deploy CLI's import does); any change is refused.
		if after, _ := json.Marshal(cl); !bytes.Equal(before, after) {
			_, err := g.loadChangeable(c, "cannot be changed")
			return 0, nil, err
		}
		return http.StatusOK, clientView{Client: cl}, nil
	}
	if err := cl.Validate(); err != nil {
		return 0, nil, err
	}
	if err := checkAuthMethods(c, g.st, cl, g.now()); err != nil {
		return 0, nil, err
	}
	cl.UpdatedAt = g.now().UTC()
	if err := g.clients.UpdateClient(c.ctx(), cl); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, clientView{Client: cl}, nil
}

func (g *clients) delete(c *call) (int, any, error) {
	cl, err := g.loadChangeable(c, "cannot be deleted")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, g.clients.DeleteClient(c.ctx(), cl.ClientID)
}

// rotateSecret issues a new secret; the old one stops working at once (Auth0 behaves the same).
func (g *clients) rotateSecret(c *call) (int, any, error) {
	// The old secret stops working at once, and `gatehouse dev` and the tools that read
	// dev-tenant.json hold it: a rotation of Gatehouse's own client locks them out of the
	// Management API.
	cl, err := g.loadChangeable(c, "its secret cannot be rotated through the API")
	if err != nil {
		return 0, nil, err
	}
	if !cl.IsConfidential() {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "The client %s is public (token_endpoint_auth_method none) and has no secret", cl.ClientID)
	}
	secret := domain.NewClientSecret()
	cl.SecretHash = domain.HashSecret(secret)
	cl.UpdatedAt = g.now().UTC()
	if err := g.clients.UpdateClient(c.ctx(), cl); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, clientView{Client: cl, ClientSecret: secret}, nil
}
