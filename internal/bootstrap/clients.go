package bootstrap

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ManagementClient asks for a machine-to-machine client of the Management API.
type ManagementClient struct {
	Name string
	// Scopes granted; nil means every Management API permission.
	Scopes []string
}

// Credentials are a new client's id and its secret in clear, which exists only here: the store
// keeps its hash.
type Credentials struct {
	ClientID, ClientSecret string
}

// CreateManagementClient creates a non-interactive client with a client grant on the Management
// API, in one transaction. A client of the same name is refused rather than created twice: its
// secret cannot be shown again, and two clients of one name are hard to tell apart when revoking.
func CreateManagementClient(ctx context.Context, st store.Store, o Options, m ManagementClient) (Credentials, error) {
	name := strings.TrimSpace(m.Name)
	scopes := m.Scopes
	if scopes == nil {
		scopes = o.ManagementScopes
	}
	known := map[string]bool{}
	for _, s := range o.ManagementScopes {
		known[s] = true
	}
	for _, s := range scopes {
		if !known[s] {
			return Credentials{}, domain.Invalidf("scope", "%q is not a Management API permission", s)
		}
	}
	if len(scopes) == 0 {
		return Credentials{}, domain.Invalidf("scope", "at least one Management API permission is required")
	}
	secret := domain.NewClientSecret()
	now := o.now()
	c := &domain.Client{Name: name, AppType: domain.AppTypeNonInteractive, Description: "Management API client for automation"}
	domain.ApplyClientDefaults(c)
	c.ClientID, c.SecretHash, c.IsFirstParty, c.CreatedAt, c.UpdatedAt = domain.NewClientID(), domain.HashSecret(secret), true, now, now
	if err := c.Validate(); err != nil {
		return Credentials{}, err
	}
	err := st.WithTx(ctx, func(tx store.Store) error {
		if id, err := findClientByName(ctx, tx, name); err != nil {
			return err
		} else if id != "" {
			return domain.Conflictf("name", "a client named %q already exists (%s); its secret is not shown again: "+
				"choose another --name, or rotate that client's secret through the Management API", name, id)
		}
		if err := tx.CreateClient(ctx, c); err != nil {
			return fmt.Errorf("create the client: %w", err)
		}
		g := &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: c.ClientID, Audience: o.ManagementAudience,
			Scope: append([]string(nil), scopes...), CreatedAt: now}
		if err := tx.CreateClientGrant(ctx, g); err != nil {
			return fmt.Errorf("grant the client the Management API: %w", err)
		}
		return nil
	})
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{ClientID: c.ClientID, ClientSecret: secret}, nil
}

func findClientByName(ctx context.Context, st store.ClientStore, name string) (string, error) {
	for page := 0; ; page++ {
		list, _, err := st.ListClients(ctx, store.ClientFilter{}, store.Page{Page: page, PerPage: 100})
		if err != nil {
			return "", fmt.Errorf("list clients: %w", err)
		}
		for _, c := range list {
			if c.Name == name {
				return c.ClientID, nil
			}
		}
		if len(list) < 100 {
			return "", nil
		}
	}
}
