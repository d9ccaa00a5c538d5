package grant

import (
	"context"
	"errors"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// ClientCredentials is the client credentials grant (RFC 6749 §4.4) with Auth0's client grants: a
// machine gets a token for an API only through a client grant, and only the scopes it lists (§3.3).
type ClientCredentials struct{ Deps *Deps }

// Type implements Grant.
func (ClientCredentials) Type() string { return domain.GrantClientCredentials }

// LogTypes implements Grant.
func (ClientCredentials) LogTypes() (string, string) {
	return audit.TypeClientCredentials, audit.TypeClientCredentialsFail
}

// Exchange implements Grant.
func (g ClientCredentials) Exchange(ctx context.Context, req *protocol.TokenRequest) (*Response, error) {
	d := g.Deps
	c := req.Client
	if !c.HasGrant(domain.GrantClientCredentials) || !c.IsConfidential() {
		return nil, protocol.UnauthorizedClient(domain.GrantClientCredentials)
	}
	audience := req.Audience
	if audience == "" {
		ts, err := d.Config.TenantSettings(ctx)
		if err != nil {
			return nil, protocol.ServerError(err)
		}
		if audience = ts.DefaultAudience; audience == "" {
			// Gatehouse policy (spec §1.3): the text the seed guide's troubleshooting names.
			return nil, protocol.MissingParameter("audience")
		}
	}
	api, err := d.audienceAPI(ctx, audience)
	if err != nil {
		return nil, err
	}
	cg, err := d.Config.ClientGrant(ctx, c.ClientID, api.Identifier)
	if errors.Is(err, store.ErrNotFound) {
		return nil, protocol.AccessDenied(`Client "%s" is not authorized to access resource server "%s". You need to create a "client-grant" associated to this API.`, c.ClientID, api.Identifier)
	}
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	requested := Fields(req.Scope)
	var missing []string
	for _, s := range requested {
		if !contains(cg.Scope, s) && !contains(missing, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return nil, protocol.AccessDenied("Client has not been granted scopes: %s", strings.Join(missing, " "))
	}
	res := protocol.ResolveScopes(protocol.ScopeInput{Requested: requested, API: api, Held: cg.Scope, Machine: true})

	var tk trigger.Tokens
	if d.Actions != nil {
		out, err := d.Actions.CredentialsExchange(ctx, trigger.CredentialsExchange{
			Client: c, API: api, RequestedScopes: requested, Scopes: res.Scopes, IP: req.IP, UserAgent: req.UserAgent,
		})
		if err != nil {
			return nil, protocol.ServerError(err)
		}
		// A machine has no user: the outcome carries no metadata, and its scopes are the grant's.
		tk.ScopesFixed = true
		if deny, err := trigger.Apply(ctx, d.Store, "", out, &tk); deny != nil {
			return nil, denial(deny)
		} else if err != nil {
			return nil, protocol.ServerError(err)
		}
	}
	scope := res.Scope()
	at, err := d.Tokens.AccessToken(ctx, token.AccessTokenParams{
		Subject:     c.ClientID + "@clients",
		ClientID:    c.ClientID,
		API:         api,
		Scope:       scope,
		GrantType:   token.GTYClientCredentials,
		Permissions: res.Permissions,
		Custom:      tk.AccessTokenClaims,
		JKT:         req.DPoPJKT,
	})
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	return &Response{AccessToken: at.Token, ExpiresIn: at.ExpiresIn, Scope: scope, Audience: api.Identifier,
		ActionExecutions: tk.Executions}, nil
}
