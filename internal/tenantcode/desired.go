package tenantcode

import (
	"context"
	"crypto/subtle"
	"fmt"
	"path"
	"reflect"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Compiler checks an Action's code for one trigger without running it.
type Compiler interface {
	Compile(name, code, trigger string) error
}

// Sealer seals the email provider's SMTP password for storage and opens the stored one (to tell
// whether a directory changes it).
type Sealer interface {
	Seal(plaintext string) ([]byte, error)
	Open(sealed []byte) (string, error)
}

// IDSealer seals a secret bound to the id of what it belongs to, and opens it.
type IDSealer interface {
	Seal(id, secret string) ([]byte, error)
	Open(id string, sealed []byte) (string, error)
}

// Options configure plan and apply.
type Options struct {
	Mappings    Mappings
	AllowDelete bool
	Compiler    Compiler // nil: Action code is stored unchecked, with status "pending"
	Sealer      Sealer   // nil: a directory giving an SMTP password is refused
	// ConnectionSecrets seal a connection's client secret (or SAML signing key) under its id and
	// ready a connection as the Management API does; nil: a directory with a new or changed
	// connection to another provider is refused.
	ConnectionSecrets ConnectionSecrets
	// CallbackURL is the node's /login/callback, from which a samlp connection's ACS derives.
	CallbackURL string
	// LogStreamSecrets seal a log stream's Authorization header and check its endpoint; nil: a
	// directory with a new or changed log stream endpoint is refused.
	LogStreamSecrets LogStreamSecrets
	// PrepareSigningAlg makes sure signing keys exist for an API's algorithm before it is saved;
	// nil: only RS256 APIs may be created or changed to another algorithm.
	PrepareSigningAlg func(alg string) error
	Now               func() time.Time
}

// builder turns a directory into the desired snapshot, collecting every problem.
type builder struct {
	ctx      context.Context
	src      *source
	cur      *snapshot
	d        *snapshot
	o        Options
	now      time.Time
	problems Problems
	warnings []string
}

func (b *builder) fail(err error) { b.problems = append(b.problems, err) }

func (b *builder) setSecret(k Kind, key, what string) {
	id := resourceID(k, key)
	b.d.secretsSet[id] = append(b.d.secretsSet[id], what)
}

// desired reads dir against the current snapshot.
func desired(ctx context.Context, cur *snapshot, dir string, o Options) (*snapshot, []string, error) {
	src := &source{root: dir, mappings: o.Mappings}
	var warnings []string
	if IsYAML(dir) {
		var err error
		if src, warnings, err = openYAML(dir, o.Mappings); err != nil {
			return nil, warnings, err
		}
	} else if ok, err := src.exists(".", true); err != nil || !ok {
		return nil, nil, fmt.Errorf("%s: not a directory", dir)
	}
	b := &builder{ctx: ctx, src: src, cur: cur, o: o, now: time.Now().UTC(), warnings: warnings}
	if o.Now != nil {
		b.now = o.Now().UTC()
	}
	b.d = &snapshot{managed: map[Kind]bool{}, secretsSet: map[string][]string{},
		settings: cur.settings, clients: cur.clients, apis: cur.apis, grants: cur.grants, roles: cur.roles,
		actions: cur.actions, triggers: cur.triggers, databases: cur.databases, connections: cur.connections,
		orgs: cur.orgs, streams: cur.streams, guardian: cur.guardian, provider: cur.provider, templates: cur.templates}
	steps := []func() error{b.tenant, b.branding, b.guardian, b.clients, b.apis, b.grants, b.roles, b.actions, b.triggers, b.databases,
		b.connections, b.organizations, b.logStreams, b.emails}
	for _, step := range steps {
		if err := step(); err != nil {
			b.fail(err)
		}
	}
	b.src.relabel(b.problems, b.warnings)
	if len(b.problems) > 0 {
		return nil, b.warnings, b.problems
	}
	b.d.sort()
	return b.d, b.warnings, nil
}

// dirPresent reports whether a kind's directory is there (a kind whose directory is absent is
// left as the tenant has it, as the Deploy CLI does).
func (b *builder) dirPresent(rel string) (bool, error) { return b.src.exists(rel, true) }

// readNamed reads one file of a directory of named resources (what: their kind, for errors),
// warns of the fields it does not know (known, extra), and checks that its name is given and
// not taken by a file read before (seen: name → file, which it updates). false: the problem is
// reported and the file is skipped.
func (b *builder) readNamed(file, what string, known map[string]bool, seen map[string]string, extra ...string) (map[string]any, string, bool) {
	doc, err := b.src.readJSON(file)
	if err != nil {
		b.fail(err)
		return nil, "", false
	}
	b.warnings = append(b.warnings, ignored(file, doc, known, extra...)...)
	name, _ := str(doc, "name")
	if name == "" {
		b.fail(fileErr(file, "name: is required"))
		return nil, "", false
	}
	if prev, dup := seen[name]; dup {
		b.fail(fileErr(file, "%s %q is also defined in %s", what, name, prev))
		return nil, "", false
	}
	seen[name] = file
	return doc, name, true
}

// enabledRefs takes enabled_clients (names or ids) out of a connection's document.
func enabledRefs(file string, doc map[string]any) ([]string, error) {
	var refs []string
	err := overlay(file, struct{}{}, map[string]any{"l": doc["enabled_clients"]}, &struct {
		L *[]string `json:"l"`
	}{&refs})
	delete(doc, "enabled_clients")
	return refs, err
}

func (b *builder) tenant() error {
	ok, err := b.src.exists(tenantFile, false)
	if err != nil || !ok {
		return err
	}
	doc, err := b.src.readJSON(tenantFile)
	if err != nil {
		return err
	}
	b.warnings = append(b.warnings, ignored(tenantFile, doc, jsonNames(reflect.TypeOf(domain.TenantSettings{}), nil))...)
	delete(doc, "branding")
	if f, ok := doc["flags"].(map[string]any); ok {
		// Flags merge one by one, as the Management API's PATCH merges them (the Deploy CLI leaves
		// out the flags it will not set).
		merged := map[string]any{}
		for k, v := range b.cur.settings.Flags {
			merged[k] = v
		}
		for k, v := range f {
			merged[k] = v
		}
		doc["flags"] = merged
	}
	var s domain.TenantSettings
	if err := overlay(tenantFile, b.cur.settings, doc, &s); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return &FileError{File: tenantFile, Err: err}
	}
	b.d.managed[KindTenant] = true
	b.d.settings = &s
	return nil
}

func (b *builder) clients() error {
	if ok, err := b.dirPresent(dirClients); err != nil || !ok {
		return err
	}
	names, err := b.src.list(dirClients, ".json")
	if err != nil {
		return err
	}
	b.d.managed[KindClient] = true
	known := jsonNames(reflect.TypeOf(domain.Client{}), nil)
	var out []*domain.Client
	seen := map[string]string{}
	for _, n := range names {
		file := dirClients + "/" + n
		doc, name, ok := b.readNamed(file, "client", known, seen, "client_secret", "custom_login_page")
		if !ok {
			continue
		}
		secret, hasSecret := str(doc, "client_secret")
		delete(doc, "client_secret")
		delete(doc, "client_id")
		delete(doc, "custom_login_page")
		old := b.cur.clientByName(name)
		if old != nil && old.IsSystem {
			// An export by the Deploy CLI through the Management API lists Gatehouse's own clients.
			b.warnings = append(b.warnings, file+": skipped: "+name+" is a client Gatehouse itself uses (not managed from files)")
			continue
		}
		base := &domain.Client{IsFirstParty: true, CustomLoginPageOn: true}
		if old != nil {
			base = old
		}
		c := &domain.Client{}
		if err := overlay(file, base, doc, c); err != nil {
			b.fail(err)
			continue
		}
		domain.ApplyClientDefaults(c)
		if err := c.Validate(); err != nil {
			b.fail(&FileError{File: file, Err: err})
			continue
		}
		if old != nil {
			c.ClientID, c.SecretHash, c.CreatedAt, c.UpdatedAt = old.ClientID, old.SecretHash, old.CreatedAt, old.UpdatedAt
		} else {
			c.ClientID, c.SecretHash = domain.NewClientID(), domain.HashSecret(domain.NewClientSecret())
			c.CreatedAt, c.UpdatedAt = b.now, b.now
		}
		if hasSecret {
			if len(secret) < 16 {
				b.fail(fileErr(file, "client_secret: must be at least 16 characters"))
				continue
			}
			h := domain.HashSecret(secret)
			if old == nil || subtle.ConstantTimeCompare(h, old.SecretHash) != 1 {
				c.SecretHash = h
				b.setSecret(KindClient, name, "client_secret")
			}
		}
		out = append(out, c)
	}
	for _, c := range b.cur.clients {
		if _, inDir := seen[c.Name]; c.IsSystem || (!inDir && !b.o.AllowDelete) {
			out = append(out, c)
		}
	}
	b.d.clients = out
	return nil
}

func (b *builder) apis() error {
	if ok, err := b.dirPresent(dirAPIs); err != nil || !ok {
		return err
	}
	names, err := b.src.list(dirAPIs, ".json")
	if err != nil {
		return err
	}
	b.d.managed[KindAPI] = true
	known := jsonNames(reflect.TypeOf(domain.ResourceServer{}), nil)
	var out []*domain.ResourceServer
	seen := map[string]string{}
	for _, n := range names {
		file := dirAPIs + "/" + n
		doc, err := b.src.readJSON(file)
		if err != nil {
			b.fail(err)
			continue
		}
		b.warnings = append(b.warnings, ignored(file, doc, known, "signing_secret", "client_id")...)
		id, _ := str(doc, "identifier")
		if id == "" {
			b.fail(fileErr(file, "identifier: is required"))
			continue
		}
		if prev, dup := seen[id]; dup {
			b.fail(fileErr(file, "resource server %q is also defined in %s", id, prev))
			continue
		}
		seen[id] = file
		if _, has := doc["signing_secret"]; has {
			b.fail(fileErr(file, "signing_secret: an HS256 secret is set through the Management API, where it is sealed; it is never kept in files"))
			continue
		}
		for _, k := range []string{"id", "is_system", "signing_secret_sealed", "client_id"} {
			delete(doc, k)
		}
		old := b.cur.api(id)
		if old != nil && old.IsSystem {
			b.warnings = append(b.warnings, file+": skipped: "+id+" is Gatehouse's own API (not managed from files)")
			continue
		}
		base := &domain.ResourceServer{}
		if old != nil {
			base = old
		}
		rs := &domain.ResourceServer{}
		if err := overlay(file, base, doc, rs); err != nil {
			b.fail(err)
			continue
		}
		domain.ApplyResourceServerDefaults(rs)
		if old != nil {
			rs.ID, rs.SigningSecretSealed, rs.CreatedAt, rs.UpdatedAt = old.ID, old.SigningSecretSealed, old.CreatedAt, old.UpdatedAt
		} else {
			rs.ID, rs.CreatedAt, rs.UpdatedAt = domain.NewResourceServerID(), b.now, b.now
		}
		if rs.SigningAlg == "HS256" && rs.SigningSecretSealed == "" {
			b.fail(fileErr(file, "signing_alg: an HS256 API is created through the Management API (its secret is generated and sealed there)"))
			continue
		}
		if err := rs.Validate(); err != nil {
			b.fail(&FileError{File: file, Err: err})
			continue
		}
		if rs.SigningAlg != "RS256" && rs.SigningAlg != "HS256" && (old == nil || old.SigningAlg != rs.SigningAlg) && b.o.PrepareSigningAlg == nil {
			b.fail(fileErr(file, "signing_alg: %s keys cannot be prepared here", rs.SigningAlg))
			continue
		}
		out = append(out, rs)
	}
	for _, a := range b.cur.apis {
		if _, inDir := seen[a.Identifier]; a.IsSystem || (!inDir && !b.o.AllowDelete) {
			out = append(out, a)
		}
	}
	b.d.apis = out
	return nil
}

// resolveClient finds a client of the desired tenant by name, or by id.
func (b *builder) resolveClient(ref string) *domain.Client {
	if c := b.d.clientByName(ref); c != nil {
		return c
	}
	return b.d.clientByID(ref)
}

func (b *builder) grants() error {
	if ok, err := b.dirPresent(dirGrants); err != nil || !ok {
		b.keepGrants(nil)
		return err
	}
	names, err := b.src.list(dirGrants, ".json")
	if err != nil {
		return err
	}
	b.d.managed[KindGrant] = true
	var out []*domain.ClientGrant
	seen := map[string]string{}
	for _, n := range names {
		file := dirGrants + "/" + n
		doc, err := b.src.readJSON(file)
		if err != nil {
			b.fail(err)
			continue
		}
		b.warnings = append(b.warnings, ignored(file, doc, map[string]bool{"client_id": true, "audience": true, "scope": true}, "id")...)
		ref, _ := str(doc, "client_id")
		aud, _ := str(doc, "audience")
		c := b.resolveClient(ref)
		switch {
		case ref == "" || aud == "":
			b.fail(fileErr(file, "client_id and audience are required"))
			continue
		case c == nil:
			b.fail(fileErr(file, "client_id: client %q does not exist", ref))
			continue
		case c.IsSystem:
			b.warnings = append(b.warnings, file+": skipped: "+ref+" is a client Gatehouse itself uses; its grants are not managed from files")
			continue
		}
		api := b.d.api(aud)
		if api == nil {
			b.fail(fileErr(file, "audience: resource server %q does not exist", aud))
			continue
		}
		g := &domain.ClientGrant{}
		if err := overlay(file, &domain.ClientGrant{}, map[string]any{"scope": doc["scope"]}, g); err != nil {
			b.fail(err)
			continue
		}
		g.ClientID, g.Audience = c.ClientID, aud
		if g.Scope == nil {
			g.Scope = []string{}
		}
		bad := false
		for i, sc := range g.Scope {
			if !api.HasScope(sc) {
				b.fail(fileErr(file, "scope[%d]: %q is not a permission of %s", i, sc, aud))
				bad = true
			}
		}
		if err := g.Validate(); err != nil {
			b.fail(&FileError{File: file, Err: err})
			bad = true
		}
		key := g.ClientID + "\x00" + aud
		if prev, dup := seen[key]; dup {
			b.fail(fileErr(file, "the grant of %q to %s is also defined in %s", ref, aud, prev))
			bad = true
		}
		if bad {
			continue
		}
		seen[key] = file
		if old := b.cur.grant(g.ClientID, aud); old != nil {
			g.ID, g.CreatedAt = old.ID, old.CreatedAt
		} else {
			g.ID, g.CreatedAt = domain.NewClientGrantID(), b.now
		}
		out = append(out, g)
	}
	b.keepGrants(func(g *domain.ClientGrant) bool {
		_, inDir := seen[g.ClientID+"\x00"+g.Audience]
		c := b.d.clientByID(g.ClientID)
		return c != nil && c.IsSystem || (!inDir && !b.o.AllowDelete)
	})
	b.d.grants = append(b.d.grants, out...)
	return nil
}

// keepGrants keeps the current grants whose client and API remain and that keep says to keep
// (all, when keep is nil).
func (b *builder) keepGrants(keep func(*domain.ClientGrant) bool) {
	var out []*domain.ClientGrant
	for _, g := range b.cur.grants {
		if b.d.clientByID(g.ClientID) != nil && b.d.api(g.Audience) != nil && (keep == nil || keep(g)) {
			out = append(out, g)
		}
	}
	b.d.grants = out
}

// codePath resolves a path a file names to a file inside the directory.
func (b *builder) codePath(file, field, ref, base string) (string, error) {
	p, ok := clean(path.Join(base, ref))
	if path.IsAbs(ref) || !ok {
		return "", fileErr(file, "%s: %q is outside the directory", field, ref)
	}
	return p, nil
}
