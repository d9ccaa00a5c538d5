package tenantcode

import (
	"sort"

	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/domain"
)

// Kind is a resource type; the order of Kinds is the order of apply (what a later kind refers to
// exists by then).
type Kind string

const (
	KindTenant       Kind = "tenant"
	KindClient       Kind = "client"
	KindAPI          Kind = "resource server"
	KindGrant        Kind = "client grant"
	KindRole         Kind = "role"
	KindAction       Kind = "action"
	KindTriggers     Kind = "triggers"
	KindDatabase     Kind = "database connection"
	KindConnection   Kind = "connection"
	KindOrganization Kind = "organization"
	KindLogStream    Kind = "log stream"
	KindBranding     Kind = "branding"
	// KindGuardianFactor and KindGuardianPolicies are the tenant's MFA settings (one document).
	KindGuardianFactor   Kind = "guardian factor"
	KindGuardianPolicies Kind = "guardian policies"
	KindEmailProvider    Kind = "email provider"
	KindEmailTemplate    Kind = "email template"
)

// Kinds lists every resource type, in apply order.
var Kinds = []Kind{KindTenant, KindBranding, KindGuardianFactor, KindGuardianPolicies, KindClient, KindAPI, KindGrant, KindRole, KindAction, KindTriggers,
	KindDatabase, KindConnection, KindOrganization, KindLogStream, KindEmailProvider, KindEmailTemplate}

// triggerIDs are the triggers whose bindings triggers.json holds.
var triggerIDs = []string{domain.TriggerPostLogin, domain.TriggerCredentialsExchange,
	domain.TriggerPreUserRegistration, domain.TriggerPostUserRegistration}

// role is a role with its permissions.
type role struct {
	*domain.Role
	perms []domain.Permission
}

// systemRole reports whether a role is one of the dashboard's own (their permissions are on this
// tenant's Management API, whose identifier is its issuer): `gatehouse admin` keeps them.
func systemRole(name string) bool {
	return name == bootstrap.AdminRole || name == bootstrap.ReadOnlyRole
}

// action is an Action with whether its current code is deployed (the Deploy CLI's `deployed`).
type action struct {
	*domain.Action
	deployed bool
}

// binding is one place in a trigger's chain, naming its action.
type binding struct {
	actionName  string
	displayName string
}

// snapshot is a tenant's configuration as typed objects: what the store holds (current), or
// what a directory asks for (desired). Lists are sorted by their key.
type snapshot struct {
	managed   map[Kind]bool // desired: the kinds the directory has; current: all
	settings  *domain.TenantSettings
	clients   []*domain.Client // system clients included (names resolve through them), never written
	apis      []*domain.ResourceServer
	grants    []*domain.ClientGrant
	roles     []*role
	actions   []*action
	triggers  map[string][]binding
	databases []*domain.Connection
	// connections are the connections to other identity providers (oidc, oauth2, samlp, the
	// social presets); their secrets are sealed, never in a snapshot's documents.
	connections []*domain.Connection
	orgs        []*org
	streams     []*domain.LogStream
	guardian    *domain.GuardianSettings
	provider    *domain.EmailProvider
	templates   []*domain.EmailTemplate

	// secretsSet names, per resource (kind/key), the secrets the directory sets to a new value:
	// shown masked in a plan, written by apply.
	secretsSet map[string][]string
}

func resourceID(k Kind, key string) string { return string(k) + "\x00" + key }

func (s *snapshot) clientByID(id string) *domain.Client {
	for _, c := range s.clients {
		if c.ClientID == id {
			return c
		}
	}
	return nil
}

func (s *snapshot) clientByName(name string) *domain.Client {
	for _, c := range s.clients {
		if c.Name == name && !c.IsSystem {
			return c
		}
	}
	for _, c := range s.clients {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (s *snapshot) api(identifier string) *domain.ResourceServer {
	for _, a := range s.apis {
		if a.Identifier == identifier {
			return a
		}
	}
	return nil
}

func (s *snapshot) roleByName(name string) *role {
	for _, r := range s.roles {
		if r.Name == name {
			return r
		}
	}
	return nil
}

func (s *snapshot) actionByName(name string) *action {
	for _, a := range s.actions {
		if a.Name == name {
			return a
		}
	}
	return nil
}

func (s *snapshot) database(name string) *domain.Connection {
	for _, c := range s.databases {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (s *snapshot) connection(name string) *domain.Connection {
	for _, c := range s.connections {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// anyConnection finds a connection of either list by name.
func (s *snapshot) anyConnection(name string) *domain.Connection {
	if c := s.database(name); c != nil {
		return c
	}
	return s.connection(name)
}

func (s *snapshot) template(name string) *domain.EmailTemplate {
	for _, t := range s.templates {
		if t.Template == name {
			return t
		}
	}
	return nil
}

func (s *snapshot) grant(clientID, audience string) *domain.ClientGrant {
	for _, g := range s.grants {
		if g.ClientID == clientID && g.Audience == audience {
			return g
		}
	}
	return nil
}

func (s *snapshot) sort() {
	sort.SliceStable(s.clients, func(i, j int) bool { return s.clients[i].Name < s.clients[j].Name })
	sort.SliceStable(s.apis, func(i, j int) bool { return s.apis[i].Identifier < s.apis[j].Identifier })
	sort.SliceStable(s.grants, func(i, j int) bool { return s.grantKey(s.grants[i]) < s.grantKey(s.grants[j]) })
	sort.SliceStable(s.roles, func(i, j int) bool { return s.roles[i].Name < s.roles[j].Name })
	sort.SliceStable(s.actions, func(i, j int) bool { return s.actions[i].Name < s.actions[j].Name })
	sort.SliceStable(s.databases, func(i, j int) bool { return s.databases[i].Name < s.databases[j].Name })
	sort.SliceStable(s.connections, func(i, j int) bool { return s.connections[i].Name < s.connections[j].Name })
	sort.SliceStable(s.orgs, func(i, j int) bool { return s.orgs[i].Name < s.orgs[j].Name })
	sort.SliceStable(s.streams, func(i, j int) bool { return s.streams[i].Name < s.streams[j].Name })
	sort.SliceStable(s.templates, func(i, j int) bool { return s.templates[i].Template < s.templates[j].Template })
}

// grantKey names a grant by its client's name and its audience (ids differ between tenants).
func (s *snapshot) grantKey(g *domain.ClientGrant) string {
	name := g.ClientID
	if c := s.clientByID(g.ClientID); c != nil {
		name = c.Name
	}
	return name + " → " + g.Audience
}
