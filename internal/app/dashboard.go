package app

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/admin"
	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
)

// dashboardSecrets derives, from the master key, the dashboard client's id, its secret and its
// cookie secret. Every node derives the same values, so none is stored in clear or configured, and
// nodes starting together create one client; a new master key changes the secrets (the client's
// stored hash is updated at start, and dashboard sessions end).
func dashboardSecrets(masterKey []byte) (clientID, clientSecret, cookieSecret string, err error) {
	derive := func(info string) []byte {
		if err != nil {
			return nil
		}
		var b []byte
		b, err = hkdf.Key(sha256.New, masterKey, nil, info, 32)
		return b
	}
	// A client id is 32 letters and digits, like domain.NewClientID's.
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var id strings.Builder
	for _, c := range derive("gatehouse dashboard client id v1") {
		id.WriteByte(alnum[int(c)%len(alnum)])
	}
	clientSecret = base64.RawURLEncoding.EncodeToString(derive("gatehouse dashboard client secret v1"))
	cookieSecret = base64.RawURLEncoding.EncodeToString(derive("gatehouse dashboard cookie secret v1"))
	return id.String(), clientSecret, cookieSecret, err
}

// dashboard makes sure the dashboard's roles and client exist for this issuer and builds it.
func (a *App) dashboard(ctx context.Context, masterKey []byte, root http.Handler) (*admin.Handler, error) {
	o := bootstrap.Options{ManagementAudience: a.Config.Issuer + mgmt.APIPath, ManagementScopes: mgmt.Scopes(), Now: a.now}
	ensureRoles := func() error {
		return a.Store.WithTx(ctx, func(tx store.Store) error {
			_, err := bootstrap.EnsureDashboardRoles(ctx, tx, o)
			return err
		})
	}
	err := ensureRoles()
	if errors.Is(err, store.ErrConflict) { // another node created them first
		err = ensureRoles()
	}
	if err != nil {
		return nil, fmt.Errorf("dashboard roles: %w", err)
	}
	clientID, clientSecret, cookieSecret, err := dashboardSecrets(masterKey)
	if err != nil {
		return nil, err
	}
	client, err := bootstrap.EnsureDashboardClient(ctx, a.Store, o, a.Config.Issuer, clientID, clientSecret)
	if err != nil {
		return nil, fmt.Errorf("dashboard client: %w", err)
	}
	return admin.New(admin.Options{Issuer: a.Config.Issuer, ClientID: client.ClientID, ClientSecret: clientSecret,
		CookieSecret: cookieSecret, Logger: a.Logger, Now: a.now,
		Tokens:   dashboardTokens{store: a.Store, tokens: a.Tokens, clientID: client.ClientID, audience: o.ManagementAudience},
		Upstream: func() http.Handler { return a.server.Handler() }, Root: root})
}

// dashboardTokens mints the dashboard's Management API tokens: for the dashboard client, as a
// client-credentials token would be, scoped to the permissions the person's roles hold on the
// Management API within the client's grant, and naming the person in act.
type dashboardTokens struct {
	store    store.Store
	tokens   *token.Issuer
	clientID string
	audience string
}

func (d dashboardTokens) ForUser(ctx context.Context, userID string) (admin.Token, error) {
	u, err := d.store.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return admin.Token{}, admin.ErrNoAccess
	}
	if err != nil {
		return admin.Token{}, err
	}
	if u.Blocked {
		return admin.Token{}, admin.ErrNoAccess
	}
	held := map[string]bool{}
	for page := 0; ; page++ {
		perms, _, err := d.store.ListUserPermissions(ctx, userID, store.Page{Page: page, PerPage: 100})
		if err != nil {
			return admin.Token{}, err
		}
		for _, p := range perms {
			if p.ResourceServerIdentifier == d.audience {
				held[p.PermissionName] = true
			}
		}
		if len(perms) < 100 {
			break
		}
	}
	grant, err := d.store.FindClientGrant(ctx, d.clientID, d.audience)
	if err != nil {
		return admin.Token{}, fmt.Errorf("the dashboard's grant: %w", err)
	}
	var scopes []string
	for _, s := range grant.Scope {
		if held[s] {
			scopes = append(scopes, s)
		}
	}
	if len(scopes) == 0 {
		return admin.Token{}, admin.ErrNoAccess
	}
	api, err := d.store.GetResourceServerByIdentifier(ctx, d.audience)
	if err != nil {
		return admin.Token{}, err
	}
	t, err := d.tokens.AccessToken(ctx, token.AccessTokenParams{Subject: d.clientID + "@clients", ClientID: d.clientID,
		API: api, Scope: strings.Join(scopes, " "), GrantType: token.GTYClientCredentials, Actor: userID})
	if err != nil {
		return admin.Token{}, err
	}
	return admin.Token{Value: t.Token, Scopes: scopes}, nil
}
