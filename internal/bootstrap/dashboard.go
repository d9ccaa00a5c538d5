package bootstrap

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// DashboardClientName names the dashboard's client; together with IsSystem (which the Management
// API can neither set nor clear) it identifies the client, so that an application someone names
// the same is never mistaken for it.
const DashboardClientName = "Gatehouse Dashboard"

// DashboardPath is where the dashboard is served, relative to the issuer.
const DashboardPath = "admin/"

// DashboardClient is what EnsureDashboardClient returns.
type DashboardClient struct {
	ClientID string
}

// EnsureDashboardClient makes sure the dashboard's first-party Regular Web App exists with the
// callback and logout URLs of issuer, a secret whose hash matches secret (the caller derives it
// from the master key, so every node knows it without storing it in clear), and a grant on the
// Management API with every permission. The grant is the ceiling of what the dashboard may do;
// each signed-in person gets the part their dashboard roles allow. The client has no
// client_credentials grant type: its Management API tokens are minted in-process, per person,
// so its secret alone obtains none at the token endpoint.
//
// clientID is the id to create it with. The caller derives it from the master key, like the
// secret, so that nodes starting together on an empty database all create the same client and
// the losers of that race, refused with store.ErrConflict, find the winner's on a second try.
func EnsureDashboardClient(ctx context.Context, st store.Store, o Options, issuer, clientID, secret string) (DashboardClient, error) {
	out, err := ensureDashboardClient(ctx, st, o, issuer, clientID, secret)
	if errors.Is(err, store.ErrConflict) {
		out, err = ensureDashboardClient(ctx, st, o, issuer, clientID, secret)
	}
	return out, err
}

func ensureDashboardClient(ctx context.Context, st store.Store, o Options, issuer, clientID, secret string) (DashboardClient, error) {
	var out DashboardClient
	err := st.WithTx(ctx, func(tx store.Store) error {
		c, err := findDashboardClient(ctx, tx, clientID)
		if err != nil {
			return err
		}
		now := o.now()
		want := func(c *domain.Client) {
			c.Name, c.AppType, c.IsSystem, c.IsFirstParty = DashboardClientName, domain.AppTypeRegularWeb, true, true
			c.Description = "Gatehouse's own dashboard, served at " + issuer + DashboardPath
			c.Callbacks = []string{issuer + DashboardPath + "auth/callback"}
			c.AllowedLogoutURLs = []string{issuer + DashboardPath}
			c.WebOrigins = nil
			c.GrantTypes = []string{domain.GrantAuthorizationCode}
			c.TokenEndpointAuthMethod = domain.AuthMethodSecretBasic
			c.SecretHash, c.UpdatedAt = domain.HashSecret(secret), now
		}
		if c == nil {
			c = &domain.Client{}
			domain.ApplyClientDefaults(c)
			want(c)
			c.ClientID, c.CreatedAt = clientID, now
			if err := c.Validate(); err != nil {
				return err
			}
			if err := tx.CreateClient(ctx, c); err != nil {
				return fmt.Errorf("create the dashboard client: %w", err)
			}
		} else {
			want(c)
			if err := c.Validate(); err != nil {
				return err
			}
			if err := tx.UpdateClient(ctx, c); err != nil {
				return fmt.Errorf("update the dashboard client: %w", err)
			}
		}
		out.ClientID = c.ClientID
		g, err := tx.FindClientGrant(ctx, c.ClientID, o.ManagementAudience)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return tx.CreateClientGrant(ctx, &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: c.ClientID,
				Audience: o.ManagementAudience, Scope: append([]string(nil), o.ManagementScopes...), CreatedAt: now})
		case err != nil:
			return err
		}
		g.Scope = append([]string(nil), o.ManagementScopes...)
		return tx.UpdateClientGrant(ctx, g)
	})
	return out, err
}

// findDashboardClient finds the dashboard's client by id, or else by name among Gatehouse's own
// clients (one made under an earlier master key).
func findDashboardClient(ctx context.Context, st store.ClientStore, id string) (*domain.Client, error) {
	c, err := st.GetClient(ctx, id)
	if err == nil && c.IsSystem {
		return c, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	for page := 0; ; page++ {
		list, _, err := st.ListClients(ctx, store.ClientFilter{}, store.Page{Page: page, PerPage: 100})
		if err != nil {
			return nil, fmt.Errorf("list clients: %w", err)
		}
		for _, c := range list {
			if c.IsSystem && c.Name == DashboardClientName {
				return c, nil
			}
		}
		if len(list) < 100 {
			return nil, nil
		}
	}
}
