package mgmt

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ConnectionSecrets seals an upstream connection's client secret (bound to the connection's id)
// and checks its upstream URLs against the node's rule (https outside development, addresses the
// node may reach) before the connection is saved.
type ConnectionSecrets interface {
	Seal(connectionID, secret string) ([]byte, error)
	CheckConnection(ctx context.Context, c *domain.Connection) error
	// PrepareSAML readies a samlp connection's service provider key (one given is checked and
	// put in Options.ClientSecret to be sealed; a new connection without one gets a new key), for
	// the node's /login/callback.
	PrepareSAML(c *domain.Connection, callbackURL string) error
	// PrepareClientKey gives an oidc connection that authenticates with private_key_jwt its key
	// pair (sealed) when it has none.
	PrepareClientKey(c *domain.Connection) error
	// NewClientKey makes a key pair for an oidc connection's private_key_jwt keys (slow: RSA).
	NewClientKey(c *domain.Connection) (*domain.ConnectionKey, error)
	// RotateClientKey rotates an oidc connection's private_key_jwt keys: the next key becomes
	// current, and next (from NewClientKey) is published as next.
	RotateClientKey(c *domain.Connection, next *domain.ConnectionKey) error
	// LoadSAMLMetadata fills a samlp connection's IdP options from its metadataUrl.
	LoadSAMLMetadata(ctx context.Context, c *domain.Connection) error
}

// upstreamOptionsBody is the part of options an oidc, oauth2, github or google-oauth2 connection
// takes, with Auth0's names. client_secret is write-only.
type upstreamOptionsBody struct {
	ClientID              *string              `json:"client_id"`
	ClientSecret          *string              `json:"client_secret"`
	Type                  *string              `json:"type"`
	Scope                 *string              `json:"scope"`
	DiscoveryURL          *string              `json:"discovery_url"`
	Issuer                *string              `json:"issuer"`
	AuthorizationEndpoint *string              `json:"authorization_endpoint"`
	TokenEndpoint         *string              `json:"token_endpoint"`
	JWKSURI               *string              `json:"jwks_uri"`
	UserinfoEndpoint      *string              `json:"userinfo_endpoint"`
	DomainAliases         *[]string            `json:"domain_aliases"`
	IconURL               *string              `json:"icon_url"`
	AuthorizationURL      *string              `json:"authorizationURL"`
	TokenURL              *string              `json:"tokenURL"`
	ProfileURL            *string              `json:"profileURL"`
	AttributeMap          *domain.AttributeMap `json:"attribute_map"`
	// apple: Auth0 names the key app_secret; client_secret is taken too.
	AppSecret *string `json:"app_secret"`
	TeamID    *string `json:"team_id"`
	KeyID     *string `json:"kid"`
	// oidc: token endpoint authentication (Auth0's names).
	TokenEndpointAuthMethod     *string `json:"token_endpoint_auth_method"`
	TokenEndpointAuthSigningAlg *string `json:"token_endpoint_auth_signing_alg"`
}

func (b *upstreamOptionsBody) options() domain.UpstreamOptions {
	var o domain.UpstreamOptions
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&o.ClientID, b.ClientID)
	set(&o.ClientSecret, b.AppSecret)
	set(&o.ClientSecret, b.ClientSecret)
	set(&o.TeamID, b.TeamID)
	set(&o.KeyID, b.KeyID)
	set(&o.Type, b.Type)
	set(&o.Scope, b.Scope)
	set(&o.DiscoveryURL, b.DiscoveryURL)
	set(&o.Issuer, b.Issuer)
	set(&o.AuthorizationEndpoint, b.AuthorizationEndpoint)
	set(&o.TokenEndpoint, b.TokenEndpoint)
	set(&o.JWKSURI, b.JWKSURI)
	set(&o.UserinfoEndpoint, b.UserinfoEndpoint)
	set(&o.IconURL, b.IconURL)
	set(&o.AuthorizationURL, b.AuthorizationURL)
	set(&o.TokenURL, b.TokenURL)
	set(&o.ProfileURL, b.ProfileURL)
	set(&o.TokenEndpointAuthMethod, b.TokenEndpointAuthMethod)
	set(&o.TokenEndpointAuthSigningAlg, b.TokenEndpointAuthSigningAlg)
	if b.DomainAliases != nil {
		o.DomainAliases = *b.DomainAliases
	}
	o.AttributeMap = b.AttributeMap
	return o
}

// saveUpstream checks an upstream connection's URLs and seals a new client secret before the
// connection is written; a database connection passes untouched. An options object without
// client_secret keeps the sealed one (the secret is write-only, so a read-modify-write of options
// cannot send it back).
func (g *connections) saveUpstream(c *call, conn *domain.Connection) error {
	if !domain.IsUpstreamStrategy(conn.Strategy) {
		return nil
	}
	if g.secrets == nil {
		return refuse(http.StatusNotImplemented, codeNotSupported, "This node cannot store a connection's client secret.")
	}
	if err := g.secrets.CheckConnection(c.ctx(), conn); err != nil {
		return err
	}
	if err := g.secrets.PrepareSAML(conn, g.callbackURL); err != nil {
		return err
	}
	if err := g.secrets.PrepareClientKey(conn); err != nil {
		return err
	}
	if s := conn.Options.ClientSecret; s != "" {
		sealed, err := g.secrets.Seal(conn.ID, s)
		if err != nil {
			return err
		}
		conn.SecretSealed = sealed
		conn.Options.ClientSecret = ""
	}
	return nil
}

// loadMetadata fills a samlp connection's IdP options from its metadataUrl before it is
// checked (upstream.Broker.LoadSAMLMetadata: bounded, timed out, the node's address rule).
func (g *connections) loadMetadata(c *call, conn *domain.Connection) error {
	if conn.Strategy != domain.StrategySAMLP || conn.Options.MetadataURL == "" {
		return nil
	}
	if g.secrets == nil {
		return refuse(http.StatusNotImplemented, codeNotSupported, "This node cannot read IdP metadata.")
	}
	return g.secrets.LoadSAMLMetadata(c.ctx(), conn)
}

// maxAliasScan bounds how many connections a domain_alias filter reads.
const maxAliasScan = 1000

// listConnections is the store's listing, or, with a domain_alias filter, the connections whose
// domain_aliases hold it (only connections to other providers have any), paged here: the aliases
// live in the connection's document, which the store does not query.
func (g *connections) listConnections(c *call, f store.ConnectionFilter, pg store.Page, alias string) ([]*domain.Connection, int, error) {
	if alias == "" {
		return g.st.ListConnections(c.ctx(), f, pg)
	}
	alias = strings.ToLower(strings.TrimSpace(alias))
	if len(f.Strategy) == 0 {
		f.Strategy = domain.UpstreamStrategies
	}
	var matches []*domain.Connection
	for page := 0; page*100 < maxAliasScan; page++ {
		list, _, err := g.st.ListConnections(c.ctx(), f, store.Page{Page: page, PerPage: 100})
		if err != nil {
			return nil, 0, err
		}
		for _, conn := range list {
			if slices.Contains(conn.Options.DomainAliases, alias) {
				matches = append(matches, conn)
			}
		}
		if len(list) < 100 {
			break
		}
	}
	per := pg.PerPage
	if per <= 0 {
		per = 50
	}
	start := min(pg.Page*per, len(matches))
	return matches[start:min(start+per, len(matches))], len(matches), nil
}
