package tenantcode

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

const dirOrgs = "organizations"

// org is an organization with its enabled connections, each named by its connection's name
// (ids differ between tenants), sorted by it.
type org struct {
	*domain.Organization
	conns []orgConn
}

// orgConn is one enabled connection of an organization, as the Deploy CLI writes it.
type orgConn struct {
	Name                    string `json:"name"`
	AssignMembershipOnLogin bool   `json:"assign_membership_on_login"`
	ShowAsButton            bool   `json:"show_as_button"`
	IsSignupEnabled         bool   `json:"is_signup_enabled"`
}

func (s *snapshot) orgByName(name string) *org {
	for _, o := range s.orgs {
		if o.Name == name {
			return o
		}
	}
	return nil
}

func (s *snapshot) orgDoc(o *org) map[string]any {
	m := toMap(o.Organization)
	delete(m, "id")
	conns := o.conns
	if conns == nil {
		conns = []orgConn{}
	}
	m["connections"] = toMap(map[string]any{"l": conns})["l"]
	return m
}

// currentOrgs reads every organization with its connections.
func currentOrgs(ctx context.Context, st store.Store) ([]*org, error) {
	list, err := all(func(p store.Page) ([]*domain.Organization, int, error) { return st.ListOrganizations(ctx, p) })
	if err != nil {
		return nil, fmt.Errorf("organizations: %w", err)
	}
	var out []*org
	for _, o := range list {
		cs, err := st.ListOrganizationConnections(ctx, o.ID)
		if err != nil {
			return nil, fmt.Errorf("organization %q: %w", o.Name, err)
		}
		x := &org{Organization: o}
		for _, c := range cs {
			x.conns = append(x.conns, orgConn{Name: c.ConnectionName, AssignMembershipOnLogin: c.AssignMembershipOnLogin,
				ShowAsButton: c.ShowAsButton, IsSignupEnabled: c.IsSignupEnabled})
		}
		sortConns(x.conns)
		out = append(out, x)
	}
	return out, nil
}

func sortConns(cs []orgConn) { sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name }) }

func (b *builder) organizations() error {
	if ok, err := b.dirPresent(dirOrgs); err != nil || !ok {
		b.d.orgs = b.orgsKept(b.cur.orgs)
		return err
	}
	names, err := b.src.list(dirOrgs, ".json")
	if err != nil {
		return err
	}
	b.d.managed[KindOrganization] = true
	known := jsonNames(reflect.TypeOf(domain.Organization{}), map[string]bool{"connections": true})
	var out []*org
	seen := map[string]string{}
	for _, n := range names {
		file := dirOrgs + "/" + n
		doc, name, ok := b.readNamed(file, "organization", known, seen)
		if !ok {
			continue
		}
		var conns []orgConn
		if err := overlay(file, struct{}{}, map[string]any{"l": doc["connections"]}, &struct {
			L *[]orgConn `json:"l"`
		}{&conns}); err != nil {
			b.fail(err)
			continue
		}
		delete(doc, "connections")
		delete(doc, "id")
		delete(doc, "discovery_domains")
		old := b.cur.orgByName(name)
		base := &domain.Organization{}
		if old != nil {
			base = old.Organization
		}
		o := &domain.Organization{}
		if err := overlay(file, base, doc, o); err != nil {
			b.fail(err)
			continue
		}
		if err := o.Validate(); err != nil {
			b.fail(&FileError{File: file, Err: err})
			continue
		}
		if old != nil {
			o.ID, o.CreatedAt, o.UpdatedAt = old.ID, old.CreatedAt, old.UpdatedAt
		} else {
			o.ID, o.CreatedAt, o.UpdatedAt = domain.NewOrganizationID(), b.now, b.now
		}
		bad := false
		names := map[string]bool{}
		for i, c := range conns {
			switch {
			case b.d.anyConnection(c.Name) == nil:
				b.fail(fileErr(file, "connections[%d]: connection %q does not exist", i, c.Name))
				bad = true
			case names[c.Name]:
				b.fail(fileErr(file, "connections[%d]: connection %q is listed twice", i, c.Name))
				bad = true
			}
			names[c.Name] = true
		}
		if bad {
			continue
		}
		sortConns(conns)
		out = append(out, &org{Organization: o, conns: conns})
	}
	for _, o := range b.cur.orgs {
		if _, inDir := seen[o.Name]; !inDir && !b.o.AllowDelete {
			out = append(out, o)
		}
	}
	b.d.orgs = b.orgsKept(out)
	return nil
}

// orgsKept drops from each organization the connections that do not remain (deleting a
// connection disables it everywhere).
func (b *builder) orgsKept(list []*org) []*org {
	var out []*org
	for _, o := range list {
		cp := &org{Organization: o.Organization}
		for _, c := range o.conns {
			if b.d.anyConnection(c.Name) != nil {
				cp.conns = append(cp.conns, c)
			}
		}
		out = append(out, cp)
	}
	return out
}

func (a *applier) organization(ctx context.Context, tx store.Store, c Change) error {
	if c.Op == OpRemove {
		return tx.DeleteOrganization(ctx, a.cur.orgByName(c.Key).ID)
	}
	o := a.des.orgByName(c.Key)
	var was []orgConn
	if c.Op == OpAdd {
		if err := tx.CreateOrganization(ctx, o.Organization); err != nil {
			return err
		}
	} else {
		old := a.cur.orgByName(c.Key)
		if !reflect.DeepEqual(toMap(old.Organization), toMap(o.Organization)) {
			up := *o.Organization
			up.UpdatedAt = a.now
			if err := tx.UpdateOrganization(ctx, &up); err != nil {
				return err
			}
		}
		was = old.conns
	}
	idOf := func(name string) string { return a.des.anyConnection(name).ID }
	wasBy := map[string]orgConn{}
	for _, x := range was {
		wasBy[x.Name] = x
	}
	for _, x := range o.conns {
		oc := &domain.OrganizationConnection{OrganizationID: o.ID, ConnectionID: idOf(x.Name), AssignMembershipOnLogin: x.AssignMembershipOnLogin,
			ShowAsButton: x.ShowAsButton, IsSignupEnabled: x.IsSignupEnabled, CreatedAt: a.now}
		prev, had := wasBy[x.Name]
		delete(wasBy, x.Name)
		switch {
		case !had:
			if err := tx.AddOrganizationConnection(ctx, oc); err != nil {
				return err
			}
		case prev != x:
			if err := tx.UpdateOrganizationConnection(ctx, oc); err != nil {
				return err
			}
		}
	}
	for _, name := range sortedKeys(wasBy) {
		conn := a.cur.anyConnection(name)
		if conn == nil {
			continue
		}
		if err := tx.RemoveOrganizationConnection(ctx, o.ID, conn.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err // not found: gone with its connection, deleted before
		}
	}
	return nil
}
