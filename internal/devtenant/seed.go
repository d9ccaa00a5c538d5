package devtenant

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

type seeder struct {
	tx   store.Store
	o    Options
	now  time.Time
	prev *File
}

func (s *seeder) run(ctx context.Context) (*File, error) {
	f := &File{Issuer: s.o.Issuer, CACert: s.o.CACert, Mailbox: s.o.Mailbox}
	var prev File
	if s.prev != nil {
		prev = *s.prev
	}
	f.Upstream = prev.Upstream // its credentials, for SeedUpstream to reuse

	// The database connection first, so that every client created below is enabled on it.
	if err := s.ensureConnection(ctx); err != nil {
		return nil, err
	}
	if err := s.ensureAPI(ctx); err != nil {
		return nil, err
	}
	web, err := s.ensureClient(ctx, &domain.Client{
		Name: WebAppName, AppType: domain.AppTypeRegularWeb,
		Callbacks: []string{Callback}, AllowedLogoutURLs: []string{LogoutURL}, WebOrigins: []string{AppOrigin},
		GrantTypes:              []string{domain.GrantAuthorizationCode, domain.GrantRefreshToken},
		TokenEndpointAuthMethod: domain.AuthMethodSecretPost,
		// The guide's step 1: rotation on, absolute expiry of 30 days, ID tokens for 10 hours.
		RefreshToken: domain.RefreshTokenConfig{RotationType: domain.RotationRotating, ExpirationType: domain.ExpirationExpiring,
			TokenLifetime: 2592000, IdleTokenLifetime: 1296000},
		JWTConfiguration: domain.JWTConfiguration{Alg: "RS256", LifetimeInSeconds: 36000},
	}, Credentials{prev.WebApp.ClientID, prev.WebApp.ClientSecret})
	if err != nil {
		return nil, err
	}
	f.WebApp = WebApp{ClientID: web.ClientID, ClientSecret: web.ClientSecret, Callback: Callback, LogoutURL: LogoutURL}
	f.API = API{Identifier: APIIdentifier}

	m2m, err := s.ensureClient(ctx, &domain.Client{Name: WebAppName + " (machine to machine)", AppType: domain.AppTypeNonInteractive},
		prev.M2MApp)
	if err != nil {
		return nil, err
	}
	if err := s.ensureGrant(ctx, m2m.ClientID, APIIdentifier, []string{"read:own_data"}); err != nil {
		return nil, err
	}
	f.M2MApp = m2m

	// The Management client is Gatehouse's own: the Management API refuses to change or delete it,
	// rotate its secret or touch its grant, so that no token it issues can lock the tenant's tools out.
	mgmt, err := s.ensureClient(ctx, &domain.Client{Name: "Gatehouse Management Client", AppType: domain.AppTypeNonInteractive, IsSystem: true},
		Credentials{prev.ManagementAPI.ClientID, prev.ManagementAPI.ClientSecret})
	if err != nil {
		return nil, err
	}
	if err := s.ensureGrant(ctx, mgmt.ClientID, s.o.ManagementAudience, s.o.ManagementScopes); err != nil {
		return nil, err
	}
	f.ManagementAPI = ManagementAPI{Audience: s.o.ManagementAudience, ClientID: mgmt.ClientID, ClientSecret: mgmt.ClientSecret}

	roleIDs := map[string]string{}
	for _, name := range []string{"user", "admin"} {
		id, err := s.ensureRole(ctx, name)
		if err != nil {
			return nil, err
		}
		roleIDs[name] = id
	}
	prevUsers := map[string]User{}
	for _, u := range prev.Users {
		prevUsers[u.Email] = u
	}
	for _, su := range seedUsers {
		pw, err := s.ensureUser(ctx, su.email, su.name, prevUsers[su.email])
		if err != nil {
			return nil, err
		}
		u, err := s.tx.GetUserByEmail(ctx, domain.DefaultConnection, su.email)
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, r := range su.roles {
			ids = append(ids, roleIDs[r])
		}
		if err := s.tx.AssignRolesToUser(ctx, u.UserID, ids); err != nil {
			return nil, fmt.Errorf("assign roles to %s: %w", su.email, err)
		}
		f.Users = append(f.Users, User{Email: su.email, Password: pw, Roles: su.roles, PasswordHashSHA256: hashDigest(u.PasswordHash)})
	}
	if err := s.ensureAction(ctx); err != nil {
		return nil, err
	}
	if f.UserSync, err = s.ensureSyncAction(ctx, prev.UserSync.Secret); err != nil {
		return nil, err
	}
	if f.Dashboard, err = s.ensureDashboardAdmin(ctx, prev.Dashboard); err != nil {
		return nil, err
	}
	return f, s.ensureTenant(ctx)
}

// ensureDashboardAdmin seeds a Dashboard Admin with a password kept across restarts.
func (s *seeder) ensureDashboardAdmin(ctx context.Context, prev Dashboard) (Dashboard, error) {
	roles, err := bootstrap.EnsureDashboardRoles(ctx, s.tx, bootstrap.Options{ManagementAudience: s.o.ManagementAudience,
		ManagementScopes: s.o.ManagementScopes, Now: s.o.Now})
	if err != nil {
		return Dashboard{}, err
	}
	pw, err := s.ensureUser(ctx, DashboardEmail, "Dana Dashboard", User{Password: prev.Password, PasswordHashSHA256: prev.PasswordHashSHA256})
	if err != nil {
		return Dashboard{}, err
	}
	u, err := s.tx.GetUserByEmail(ctx, domain.DefaultConnection, DashboardEmail)
	if err != nil {
		return Dashboard{}, err
	}
	if err := s.tx.AssignRolesToUser(ctx, u.UserID, []string{roles.Admin}); err != nil {
		return Dashboard{}, fmt.Errorf("make %s a dashboard administrator: %w", DashboardEmail, err)
	}
	return Dashboard{URL: s.o.Issuer + bootstrap.DashboardPath, Email: DashboardEmail, Password: pw,
		PasswordHashSHA256: hashDigest(u.PasswordHash)}, nil
}

func (s *seeder) ensureAPI(ctx context.Context) error {
	_, err := s.tx.GetResourceServerByIdentifier(ctx, APIIdentifier)
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	rs := &domain.ResourceServer{ID: domain.NewResourceServerID(), Name: APIName, Identifier: APIIdentifier,
		Scopes: Permissions(), SigningAlg: "RS256", AllowOfflineAccess: true,
		// RBAC with permissions in the token: what the guide's /api/admin check needs.
		EnforcePolicies: true, TokenDialect: domain.DialectAccessTokenAuthz,
		SkipConsentForVerifiableFirstPartyClients: true, CreatedAt: s.now, UpdatedAt: s.now}
	domain.ApplyResourceServerDefaults(rs)
	if err := rs.Validate(); err != nil {
		return err
	}
	return s.tx.CreateResourceServer(ctx, rs)
}

// ensureClient finds the client by its previous id or its name, or creates it, and returns working
// credentials: the previous secret when it still matches, a fresh one otherwise.
func (s *seeder) ensureClient(ctx context.Context, want *domain.Client, prev Credentials) (Credentials, error) {
	c, err := s.findClient(ctx, prev.ClientID, want.Name)
	if err != nil {
		return Credentials{}, err
	}
	if c != nil && want.IsSystem && !c.IsSystem {
		// A tenant seeded before its Management client was marked as Gatehouse's own.
		c.IsSystem, c.UpdatedAt = true, s.now
		if err := s.tx.UpdateClient(ctx, c); err != nil {
			return Credentials{}, err
		}
	}
	if c != nil && prev.ClientSecret != "" && c.ClientID == prev.ClientID && domain.SecretMatches(c.SecretHash, prev.ClientSecret) {
		return prev, nil
	}
	secret := domain.NewClientSecret()
	if c != nil {
		c.SecretHash, c.UpdatedAt = domain.HashSecret(secret), s.now
		return Credentials{c.ClientID, secret}, s.tx.UpdateClient(ctx, c)
	}
	c = want
	domain.ApplyClientDefaults(c)
	c.ClientID, c.SecretHash, c.IsFirstParty, c.CreatedAt, c.UpdatedAt = domain.NewClientID(), domain.HashSecret(secret), true, s.now, s.now
	if err := c.Validate(); err != nil {
		return Credentials{}, err
	}
	return Credentials{c.ClientID, secret}, s.tx.CreateClient(ctx, c)
}

func (s *seeder) findClient(ctx context.Context, id, name string) (*domain.Client, error) {
	if id != "" {
		c, err := s.tx.GetClient(ctx, id)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	for page := 0; ; page++ {
		list, _, err := s.tx.ListClients(ctx, store.ClientFilter{}, store.Page{Page: page, PerPage: 100})
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			if c.Name == name {
				return c, nil
			}
		}
		if len(list) < 100 {
			return nil, nil
		}
	}
}

func (s *seeder) ensureGrant(ctx context.Context, clientID, audience string, scopes []string) error {
	if _, err := s.tx.FindClientGrant(ctx, clientID, audience); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return s.tx.CreateClientGrant(ctx, &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: clientID,
		Audience: audience, Scope: scopes, CreatedAt: s.now})
}

func (s *seeder) ensureRole(ctx context.Context, name string) (string, error) {
	roles, _, err := s.tx.ListRoles(ctx, name, store.Page{PerPage: 100})
	if err != nil {
		return "", err
	}
	for _, r := range roles {
		if r.Name == name {
			return r.ID, nil
		}
	}
	r := &domain.Role{ID: domain.NewRoleID(), Name: name, Description: "Seeded by gatehouse dev", CreatedAt: s.now}
	if err := s.tx.CreateRole(ctx, r); err != nil {
		return "", err
	}
	var perms []domain.Permission
	for _, p := range rolePermissions[name] {
		perms = append(perms, domain.Permission{ResourceServerIdentifier: APIIdentifier, PermissionName: p})
	}
	return r.ID, s.tx.AddRolePermissions(ctx, r.ID, perms)
}

// ensureUser returns the user's clear password: the previous one when it still signs in. The
// stored hash being the one the file recorded proves that without an argon2id verification; a
// file from before the digest was recorded falls back to verifying once.
func (s *seeder) ensureUser(ctx context.Context, email, name string, prev User) (string, error) {
	u, err := s.tx.GetUserByEmail(ctx, domain.DefaultConnection, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	if u != nil && prev.Password != "" {
		if prev.PasswordHashSHA256 != "" {
			if subtle.ConstantTimeCompare([]byte(prev.PasswordHashSHA256), []byte(hashDigest(u.PasswordHash))) == 1 {
				return prev.Password, nil
			}
		} else if _, err := s.o.Hasher.Verify(u.PasswordHash, prev.Password); err == nil {
			return prev.Password, nil
		}
	}
	pw := domain.RandomToken(9) + "-Aa1"
	hash, err := s.o.Hasher.Hash(pw)
	if err != nil {
		return "", err
	}
	if u != nil {
		u.PasswordHash, u.UpdatedAt = hash, s.now
		return pw, s.tx.UpdateUser(ctx, u)
	}
	u = &domain.User{UserID: domain.NewUserID(), Email: email, EmailVerified: true, Name: name,
		PasswordHash: hash, CreatedAt: s.now, UpdatedAt: s.now}
	domain.ApplyUserDefaults(u)
	if err := u.Validate(); err != nil {
		return "", err
	}
	return pw, s.tx.CreateUser(ctx, u)
}

// hashDigest is the SHA-256 (hex) of a stored password hash.
func hashDigest(stored string) string {
	sum := sha256.Sum256([]byte(stored))
	return hex.EncodeToString(sum[:])
}

// ensureAction deploys the guide's post-login Action and binds it, once.
func (s *seeder) ensureAction(ctx context.Context) error {
	list, _, err := s.tx.ListActions(ctx, store.ActionFilter{ActionName: ActionName}, store.Page{PerPage: 10})
	if err != nil || len(list) > 0 {
		return err
	}
	trig := []domain.ActionTrigger{{ID: domain.TriggerPostLogin, Version: "v3"}}
	a := &domain.Action{ID: domain.NewActionID(), Name: ActionName, SupportedTriggers: trig, Code: GuideAction,
		Dependencies: []domain.ActionDependency{}, Runtime: "node22", Secrets: []domain.ActionSecret{},
		Status: domain.ActionBuilt, CreatedAt: s.now, UpdatedAt: s.now}
	if err := s.tx.CreateAction(ctx, a); err != nil {
		return err
	}
	v := &domain.ActionVersion{ID: domain.NewActionID(), ActionID: a.ID, Code: a.Code, Runtime: a.Runtime,
		Triggers: trig, Status: domain.ActionBuilt, CreatedAt: s.now}
	if err := s.tx.CreateActionVersion(ctx, v); err != nil {
		return err
	}
	return s.tx.SetTriggerBindings(ctx, domain.TriggerPostLogin, []*domain.TriggerBinding{{
		ID: domain.NewBindingID(), TriggerID: domain.TriggerPostLogin, ActionID: a.ID, DisplayName: ActionName,
		CreatedAt: s.now, UpdatedAt: s.now}})
}

// ensureSyncAction deploys the user-sync Action once, with a shared secret kept across restarts, and
// binds it after the guide's Action when Options.UserSync asks.
func (s *seeder) ensureSyncAction(ctx context.Context, secret string) (UserSync, error) {
	us := UserSync{Action: SyncActionName, URL: SyncURL, Secret: secret}
	list, _, err := s.tx.ListActions(ctx, store.ActionFilter{ActionName: SyncActionName}, store.Page{PerPage: 10})
	if err != nil {
		return us, err
	}
	var a *domain.Action
	if len(list) > 0 {
		a = list[0]
		if v, err := s.tx.GetActionVersion(ctx, a.ID, a.DeployedVersionID); err == nil {
			for _, sec := range v.Secrets {
				if sec.Name == "SYNC_SECRET" {
					us.Secret = sec.Value // what the deployed Action sends is what the app must expect
				}
			}
		}
	} else {
		if us.Secret == "" {
			if us.Secret, err = randomToken(); err != nil {
				return us, err
			}
		}
		trig := []domain.ActionTrigger{{ID: domain.TriggerPostLogin, Version: "v3"}}
		secrets := []domain.ActionSecret{{Name: "SYNC_URL", Value: SyncURL, UpdatedAt: s.now}, {Name: "SYNC_SECRET", Value: us.Secret, UpdatedAt: s.now}}
		a = &domain.Action{ID: domain.NewActionID(), Name: SyncActionName, SupportedTriggers: trig, Code: SyncAction,
			Dependencies: []domain.ActionDependency{}, Runtime: "node22", Secrets: secrets,
			Status: domain.ActionBuilt, CreatedAt: s.now, UpdatedAt: s.now}
		if err := s.tx.CreateAction(ctx, a); err != nil {
			return us, err
		}
		v := &domain.ActionVersion{ID: domain.NewActionID(), ActionID: a.ID, Code: a.Code, Runtime: a.Runtime, Secrets: secrets,
			Triggers: trig, Status: domain.ActionBuilt, CreatedAt: s.now}
		if err := s.tx.CreateActionVersion(ctx, v); err != nil {
			return us, err
		}
	}
	bindings, err := s.tx.ListTriggerBindings(ctx, domain.TriggerPostLogin)
	if err != nil {
		return us, err
	}
	for _, b := range bindings {
		if b.ActionID == a.ID {
			us.Enabled = true
		}
	}
	if us.Enabled || !s.o.UserSync {
		return us, nil
	}
	bindings = append(bindings, &domain.TriggerBinding{ID: domain.NewBindingID(), TriggerID: domain.TriggerPostLogin,
		ActionID: a.ID, DisplayName: SyncActionName, CreatedAt: s.now, UpdatedAt: s.now})
	us.Enabled = true
	return us, s.tx.SetTriggerBindings(ctx, domain.TriggerPostLogin, bindings)
}

func (s *seeder) ensureTenant(ctx context.Context) error {
	t, err := s.tx.GetTenantSettings(ctx)
	if err != nil {
		return err
	}
	if t.FriendlyName == domain.DefaultTenantSettings().FriendlyName {
		t.FriendlyName = "Gatehouse (dev)"
	}
	if len(t.AllowedLogoutURLs) == 0 {
		t.AllowedLogoutURLs = []string{LogoutURL}
	}
	return s.tx.PutTenantSettings(ctx, t)
}

// ensureConnection makes sure the dev tenant has Username-Password-Authentication as a connection
// object. The schema migration creates it in every database; this covers a database where an
// administrator removed it by hand. Its policy is the one the dev tenant always had: at least 8
// characters with 3 of the 4 character classes (Auth0's "good"), brute-force protection on.
func (s *seeder) ensureConnection(ctx context.Context) error {
	_, err := s.tx.GetConnectionByName(ctx, domain.DefaultConnection)
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	c := &domain.Connection{ID: domain.NewConnectionID(), Name: domain.DefaultConnection, Strategy: domain.StrategyAuth0,
		Options:   domain.ConnectionOptions{PasswordPolicy: domain.PasswordPolicyGood, BruteForceProtection: true, StrategyVersion: 2},
		CreatedAt: s.now}
	domain.ApplyConnectionDefaults(c)
	clients, _, err := s.tx.ListClients(ctx, store.ClientFilter{}, store.Page{PerPage: 100})
	if err != nil {
		return err
	}
	for _, cl := range clients {
		c.EnabledClients = append(c.EnabledClients, cl.ClientID)
	}
	return s.tx.CreateConnection(ctx, c)
}

// randomToken is 32 random bytes, base64url: the user-sync hook's shared secret.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
