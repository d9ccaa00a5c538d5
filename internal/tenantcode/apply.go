package tenantcode

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Apply carries out a plan made with the same options: one transaction per resource type, in
// Kinds order. Only the kinds the directory holds are written (the others change as a
// consequence, in the store); nothing is removed unless the plan was made with AllowDelete.
func Apply(ctx context.Context, st store.Store, p *Plan, o Options) error {
	if p.Empty() {
		return nil
	}
	now := time.Now().UTC()
	if o.Now != nil {
		now = o.Now().UTC()
	}
	byKind := map[Kind][]Change{}
	for _, c := range p.Changes {
		if c.Op == OpRemove && !o.AllowDelete {
			continue // kept: the plan only has it when a consequence of another change
		}
		byKind[c.Kind] = append(byKind[c.Kind], c)
	}
	a := &applier{cur: p.cur, des: p.des, o: o, now: now}
	if err := a.prepareKeys(byKind[KindAPI]); err != nil {
		return err
	}
	for _, k := range Kinds {
		cs := byKind[k]
		if len(cs) == 0 || !p.des.managed[k] {
			continue
		}
		err := st.WithTx(ctx, func(tx store.Store) error {
			for _, c := range cs {
				if err := a.apply(ctx, tx, c); err != nil {
					return fmt.Errorf("%s %q (%s): %w", c.Kind, c.Key, c.File, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

type applier struct {
	cur, des *snapshot
	o        Options
	now      time.Time
}

// prepareKeys makes signing keys for the algorithms new or changed APIs choose, before any write.
func (a *applier) prepareKeys(cs []Change) error {
	for _, c := range cs {
		if c.Op == OpRemove {
			continue
		}
		rs := a.des.api(c.Key)
		if rs.SigningAlg == "RS256" || rs.SigningAlg == "HS256" {
			continue
		}
		if a.o.PrepareSigningAlg == nil {
			return fmt.Errorf("%s: signing_alg: %s keys cannot be prepared here", c.File, rs.SigningAlg)
		}
		if err := a.o.PrepareSigningAlg(rs.SigningAlg); err != nil {
			return fmt.Errorf("%s: signing keys for %s: %w", c.File, rs.SigningAlg, err)
		}
	}
	return nil
}

func (a *applier) apply(ctx context.Context, tx store.Store, c Change) error {
	switch c.Kind {
	case KindTenant, KindBranding:
		return tx.PutTenantSettings(ctx, *a.des.settings)
	case KindGuardianFactor, KindGuardianPolicies:
		return a.putGuardian(ctx, tx)
	case KindClient:
		return a.client(ctx, tx, c)
	case KindAPI:
		return a.api(ctx, tx, c)
	case KindGrant:
		return a.grant(ctx, tx, c)
	case KindRole:
		return a.role(ctx, tx, c)
	case KindAction:
		return a.action(ctx, tx, c)
	case KindTriggers:
		return a.triggers(ctx, tx)
	case KindDatabase:
		return a.database(ctx, tx, c)
	case KindConnection:
		return a.connection(ctx, tx, c)
	case KindOrganization:
		return a.organization(ctx, tx, c)
	case KindLogStream:
		return a.logStream(ctx, tx, c)
	case KindEmailProvider:
		p := *a.des.provider
		if p.Password != "" {
			sealed, err := a.o.Sealer.Seal(p.Password)
			if err != nil {
				return err
			}
			p.PasswordSealed, p.Password = sealed, ""
		}
		p.UpdatedAt = a.now
		return tx.PutEmailProvider(ctx, &p)
	case KindEmailTemplate:
		t := *a.des.template(c.Key)
		t.UpdatedAt = a.now
		return tx.PutEmailTemplate(ctx, &t)
	}
	return fmt.Errorf("unknown kind %q", c.Kind)
}

func (a *applier) client(ctx context.Context, tx store.Store, c Change) error {
	switch c.Op {
	case OpAdd:
		return tx.CreateClient(ctx, a.des.clientByName(c.Key))
	case OpChange:
		cl := *a.des.clientByName(c.Key)
		cl.UpdatedAt = a.now
		return tx.UpdateClient(ctx, &cl)
	}
	return tx.DeleteClient(ctx, a.cur.clientByName(c.Key).ClientID)
}

func (a *applier) api(ctx context.Context, tx store.Store, c Change) error {
	switch c.Op {
	case OpAdd:
		return tx.CreateResourceServer(ctx, a.des.api(c.Key))
	case OpChange:
		rs := *a.des.api(c.Key)
		rs.UpdatedAt = a.now
		return tx.UpdateResourceServer(ctx, &rs)
	}
	return tx.DeleteResourceServer(ctx, a.cur.api(c.Key).ID)
}

func grantByKey(s *snapshot, key string) *domain.ClientGrant {
	for _, g := range s.grants {
		if s.grantKey(g) == key {
			return g
		}
	}
	return nil
}

func (a *applier) grant(ctx context.Context, tx store.Store, c Change) error {
	switch c.Op {
	case OpAdd:
		return tx.CreateClientGrant(ctx, grantByKey(a.des, c.Key))
	case OpChange:
		return tx.UpdateClientGrant(ctx, grantByKey(a.des, c.Key))
	}
	g := grantByKey(a.cur, c.Key)
	if _, err := tx.GetClientGrant(ctx, g.ID); err != nil {
		return nil // gone with its client or API
	}
	return tx.DeleteClientGrant(ctx, g.ID)
}

func (a *applier) role(ctx context.Context, tx store.Store, c Change) error {
	if c.Op == OpRemove {
		return tx.DeleteRole(ctx, a.cur.roleByName(c.Key).ID)
	}
	r := a.des.roleByName(c.Key)
	var was []domain.Permission
	if c.Op == OpAdd {
		if err := tx.CreateRole(ctx, r.Role); err != nil {
			return err
		}
	} else {
		if err := tx.UpdateRole(ctx, r.Role); err != nil {
			return err
		}
		was = a.cur.roleByName(c.Key).perms
	}
	var gone, added []domain.Permission
	for _, p := range was {
		if !slices.Contains(r.perms, p) {
			gone = append(gone, p)
		}
	}
	for _, p := range r.perms {
		if !slices.Contains(was, p) {
			added = append(added, p)
		}
	}
	if len(gone) > 0 {
		if err := tx.RemoveRolePermissions(ctx, r.ID, gone); err != nil {
			return err
		}
	}
	if len(added) > 0 {
		return tx.AddRolePermissions(ctx, r.ID, added)
	}
	return nil
}

func (a *applier) action(ctx context.Context, tx store.Store, c Change) error {
	if c.Op == OpRemove {
		return tx.DeleteAction(ctx, a.cur.actionByName(c.Key).ID)
	}
	d := a.des.actionByName(c.Key)
	act := *d.Action
	old := a.cur.actionByName(c.Key)
	if c.Op == OpAdd {
		if err := tx.CreateAction(ctx, &act); err != nil {
			return err
		}
	} else if !sameAction(old.Action, &act) || old.Status != act.Status {
		act.UpdatedAt = a.now
		if err := tx.UpdateAction(ctx, &act); err != nil {
			return err
		}
	}
	if !d.deployed || (old != nil && old.deployed && sameAction(old.Action, &act)) {
		return nil
	}
	v := &domain.ActionVersion{ID: domain.NewActionID(), ActionID: act.ID, Code: act.Code, Secrets: act.Secrets,
		Runtime: act.Runtime, Triggers: act.SupportedTriggers, Status: domain.ActionBuilt, CreatedAt: a.now}
	if err := tx.CreateActionVersion(ctx, v); err != nil {
		return err
	}
	fresh, err := tx.GetAction(ctx, act.ID)
	if err != nil {
		return err
	}
	fresh.Status, fresh.DeployedVersionID = domain.ActionBuilt, v.ID
	return tx.UpdateAction(ctx, fresh)
}

func (a *applier) triggers(ctx context.Context, tx store.Store) error {
	for _, id := range triggerIDs {
		if slices.Equal(a.cur.triggers[id], a.des.triggers[id]) {
			continue
		}
		var bs []*domain.TriggerBinding
		for _, b := range a.des.triggers[id] {
			bs = append(bs, &domain.TriggerBinding{ActionID: a.des.actionByName(b.actionName).ID, DisplayName: b.displayName})
		}
		if err := tx.SetTriggerBindings(ctx, id, bs); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) database(ctx context.Context, tx store.Store, c Change) error {
	switch c.Op {
	case OpAdd:
		return tx.CreateConnection(ctx, a.des.database(c.Key))
	case OpChange:
		conn := *a.des.database(c.Key)
		conn.UpdatedAt = a.now
		return tx.UpdateConnection(ctx, &conn)
	}
	return tx.DeleteConnection(ctx, a.cur.database(c.Key).ID)
}
