package tenantcode

import (
	"context"
	"crypto/subtle"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

var maskUnsafe = regexp.MustCompile(`[^a-zA-Z0-9]`)

// secretMask is what the Deploy CLI writes in place of a connection's client secret (its
// maskSecretAtPath): a keyword naming the resource type and strategy, which an import must map to
// the secret. A Gatehouse export writes it where the connection has a secret.
func secretMask(kind, sub string) string {
	return strings.ToUpper("##" + maskUnsafe.ReplaceAllString(kind, "_") + "_" + maskUnsafe.ReplaceAllString(sub, "_") + "_SECRET##")
}

// connectionDoc is a connection to another provider as its connections/<name>.json holds it.
func (s *snapshot) connectionDoc(c *domain.Connection) map[string]any {
	m := toMap(c)
	delete(m, "id")
	names := []string{}
	for _, id := range c.EnabledClients {
		if cl := s.clientByID(id); cl != nil && !cl.IsSystem {
			names = append(names, cl.Name)
		}
	}
	slices.Sort(names)
	m["enabled_clients"] = toSlice(names)
	if len(c.SecretSealed) > 0 || c.Options.ClientSecret != "" {
		opts, _ := m["options"].(map[string]any)
		if opts == nil {
			opts = map[string]any{}
			m["options"] = opts
		}
		opts["client_secret"] = secretMask("connections", c.Strategy)
	}
	return m
}

func (b *builder) connections() error {
	if ok, err := b.dirPresent(dirConns); err != nil || !ok {
		b.d.connections = b.enabledKept(b.cur.connections, nil)
		return err
	}
	names, err := b.src.list(dirConns, ".json")
	if err != nil {
		return err
	}
	b.d.managed[KindConnection] = true
	known := jsonNames(reflect.TypeOf(domain.Connection{}), nil)
	var out []*domain.Connection
	seen := map[string]string{}
	for _, n := range names {
		file := dirConns + "/" + n
		doc, err := b.src.readJSON(file)
		if err != nil {
			b.fail(err)
			continue
		}
		b.warnings = append(b.warnings, ignored(file, doc, known, "enabled_clients")...)
		name, _ := str(doc, "name")
		if prev, dup := seen[name]; dup {
			b.fail(fileErr(file, "connection %q is also defined in %s", name, prev))
			continue
		}
		seen[name] = file
		strategy, _ := str(doc, "strategy")
		if strategy == domain.StrategyAuth0 {
			b.fail(fileErr(file, "strategy: a database connection belongs in %s/", dirDatabases))
			continue
		}
		if b.d.database(name) != nil {
			b.fail(fileErr(file, "name: %q is a database connection", name))
			continue
		}
		var refs []string
		if err := overlay(file, struct{}{}, map[string]any{"l": doc["enabled_clients"]}, &struct {
			L *[]string `json:"l"`
		}{&refs}); err != nil {
			b.fail(err)
			continue
		}
		var secret *string
		if opts, ok := doc["options"].(map[string]any); ok {
			if v, has := opts["client_secret"]; has {
				s, ok := v.(string)
				if !ok {
					b.fail(fileErr(file, "options.client_secret: must be a string"))
					continue
				}
				secret = &s
				delete(opts, "client_secret")
			}
		}
		delete(doc, "enabled_clients")
		delete(doc, "id")
		old := b.cur.connection(name)
		base := &domain.Connection{Name: name}
		if old != nil {
			base = old
		}
		c := &domain.Connection{}
		if err := overlay(file, base, doc, c); err != nil {
			b.fail(err)
			continue
		}
		if old != nil {
			c.ID, c.CreatedAt, c.UpdatedAt, c.SecretSealed, c.ClientKey = old.ID, old.CreatedAt, old.UpdatedAt, old.SecretSealed, old.ClientKey
			for _, id := range old.EnabledClients {
				if cl := b.d.clientByID(id); cl != nil && cl.IsSystem {
					c.EnabledClients = append(c.EnabledClients, id)
				}
			}
		} else {
			c.ID, c.CreatedAt, c.UpdatedAt = domain.NewConnectionID(), b.now, b.now
		}
		if secret != nil && !b.sameConnectionSecret(old, *secret) {
			if b.o.ConnectionSecrets == nil {
				b.fail(fileErr(file, "options.client_secret: no master key to seal it with"))
				continue
			}
			c.Options.ClientSecret = *secret
			b.setSecret(KindConnection, name, "options.client_secret")
		}
		domain.ApplyConnectionDefaults(c)
		if err := c.Validate(); err != nil {
			b.fail(&FileError{File: file, Err: err})
			continue
		}
		bad := false
		for i, ref := range refs {
			cl := b.resolveClient(ref)
			if cl == nil {
				b.fail(fileErr(file, "enabled_clients[%d]: client %q does not exist", i, ref))
				bad = true
			} else if !slices.Contains(c.EnabledClients, cl.ClientID) {
				c.EnabledClients = append(c.EnabledClients, cl.ClientID)
			}
		}
		if !bad {
			out = append(out, c)
		}
	}
	for _, c := range b.cur.connections {
		if _, inDir := seen[c.Name]; !inDir && !b.o.AllowDelete {
			out = append(out, c)
		}
	}
	b.d.connections = b.enabledKept(out, seen)
	return nil
}

// sameConnectionSecret reports whether secret is the one the connection has sealed already.
func (b *builder) sameConnectionSecret(old *domain.Connection, secret string) bool {
	if old == nil || len(old.SecretSealed) == 0 || b.o.ConnectionSecrets == nil {
		return false
	}
	was, err := b.o.ConnectionSecrets.Open(old.ID, old.SecretSealed)
	return err == nil && subtle.ConstantTimeCompare([]byte(was), []byte(secret)) == 1
}

func (a *applier) connection(ctx context.Context, tx store.Store, c Change) error {
	if c.Op == OpRemove {
		return tx.DeleteConnection(ctx, a.cur.connection(c.Key).ID)
	}
	conn := *a.des.connection(c.Key)
	if conn.Options.ClientSecret != "" {
		sealed, err := a.o.ConnectionSecrets.Seal(conn.ID, conn.Options.ClientSecret)
		if err != nil {
			return err
		}
		conn.SecretSealed, conn.Options.ClientSecret = sealed, ""
	}
	if c.Op == OpAdd {
		return tx.CreateConnection(ctx, &conn)
	}
	conn.UpdatedAt = a.now
	return tx.UpdateConnection(ctx, &conn)
}
