package tenantcode

import (
	"context"
	"crypto/subtle"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ConnectionSecrets are what the Management API uses to save a connection to another provider:
// sealing, the node's address rule for its endpoints, the SAML and private_key_jwt keys, and a
// samlp connection's IdP metadata.
type ConnectionSecrets interface {
	IDSealer
	CheckConnection(ctx context.Context, c *domain.Connection) error
	PrepareSAML(c *domain.Connection, callbackURL string) error
	PrepareClientKey(c *domain.Connection) error
	LoadSAMLMetadata(ctx context.Context, c *domain.Connection) error
}

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
		if c.Strategy == domain.StrategySAMLP {
			// A samlp connection's secret is the service provider's private key.
			k, _ := opts["signing_key"].(map[string]any)
			if k == nil {
				k = map[string]any{}
				opts["signing_key"] = k
			}
			k["key"] = secretMask("connections", c.Strategy)
		} else {
			opts["client_secret"] = secretMask("connections", c.Strategy)
		}
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
		doc, name, ok := b.readNamed(file, "connection", known, seen, "enabled_clients")
		if !ok {
			continue
		}
		strategy, _ := str(doc, "strategy")
		if strategy == domain.StrategyAuth0 {
			b.fail(fileErr(file, "strategy: a database connection belongs in %s/", dirDatabases))
			continue
		}
		if b.d.database(name) != nil {
			b.fail(fileErr(file, "name: %q is a database connection", name))
			continue
		}
		refs, err := enabledRefs(file, doc)
		if err != nil {
			b.fail(err)
			continue
		}
		secret, secretPath, err := popSecret(file, strategy, doc)
		if err != nil {
			b.fail(err)
			continue
		}
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
		b.carryIdentity(old, c)
		if old != nil {
			c.SecretSealed, c.ClientKey = old.SecretSealed, old.ClientKey
		}
		newSecret := secret != nil && !b.sameConnectionSecret(old, *secret)
		if newSecret {
			if c.Strategy == domain.StrategySAMLP {
				if c.Options.SigningKey == nil {
					c.Options.SigningKey = &domain.SAMLSigningKey{}
				}
				c.Options.SigningKey.Key = *secret
			} else {
				c.Options.ClientSecret = *secret
			}
		}
		domain.ApplyConnectionDefaults(c)
		if err := b.prepareConnection(old, c, newSecret); err != nil {
			b.fail(fileErr(file, "%v", err))
			continue
		}
		if c.Options.ClientSecret != "" {
			b.setSecret(KindConnection, name, secretPath)
		}
		if err := c.Validate(); err != nil {
			b.fail(&FileError{File: file, Err: err})
			continue
		}
		if b.enableClients(file, c, refs) {
			out = append(out, c)
		}
	}
	b.d.connections = b.enabledKept(b.keptUndeleted(out, b.cur.connections, seen), seen)
	return nil
}

// popSecret takes the connection's secret out of its document: options.client_secret, or a
// samlp connection's options.signing_key.key. It returns the field's path for the plan.
func popSecret(file, strategy string, doc map[string]any) (*string, string, error) {
	opts, _ := doc["options"].(map[string]any)
	holder, field, path := opts, "client_secret", "options.client_secret"
	if strategy == domain.StrategySAMLP {
		holder, _ = opts["signing_key"].(map[string]any)
		field, path = "key", "options.signing_key.key"
	}
	v, has := holder[field]
	if !has {
		return nil, path, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, path, fileErr(file, "%s: must be a string", path)
	}
	delete(holder, field)
	return &s, path, nil
}

// prepareConnection readies a new or changed connection as the Management API does before it is
// saved: its IdP metadata read, its SAML or private_key_jwt key made or checked, and its
// endpoints checked against the node's address rule. An unchanged connection is left as it is.
func (b *builder) prepareConnection(old, c *domain.Connection, newSecret bool) error {
	if old != nil && !newSecret && reflect.DeepEqual(toMap(old), toMap(c)) {
		return nil
	}
	cs := b.o.ConnectionSecrets
	if cs == nil {
		return fmt.Errorf("a connection to another provider cannot be saved here (no master key)")
	}
	if old == nil || old.Options.MetadataURL != c.Options.MetadataURL {
		if err := cs.LoadSAMLMetadata(b.ctx, c); err != nil {
			return err
		}
	}
	if old == nil || newSecret {
		if err := cs.PrepareSAML(c, b.o.CallbackURL); err != nil {
			return err
		}
	}
	if err := cs.PrepareClientKey(c); err != nil {
		return err
	}
	return cs.CheckConnection(b.ctx, c)
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
