package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/gatehouse/gatehouse/internal/checklist"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// loadStoreTenant reads the tenant of a local node straight from its database, for `gatehouse doctor`
// run beside the data.
func loadStoreTenant(ctx context.Context, st store.Store) (checklist.Tenant, error) {
	var t checklist.Tenant
	for p := 0; ; p++ {
		cs, _, err := st.ListClients(ctx, store.ClientFilter{}, store.Page{Page: p, PerPage: 100})
		if err != nil {
			return t, err
		}
		for _, dc := range cs {
			if dc.IsSystem {
				continue
			}
			var c checklist.Client
			if err := reshape(dc, &c); err != nil {
				return t, err
			}
			t.Clients = append(t.Clients, c)
		}
		if len(cs) < 100 {
			break
		}
	}
	for p := 0; ; p++ {
		rs, _, err := st.ListResourceServers(ctx, store.Page{Page: p, PerPage: 100})
		if err != nil {
			return t, err
		}
		for _, dr := range rs {
			if dr.IsSystem {
				continue
			}
			var a checklist.API
			if err := reshape(dr, &a); err != nil {
				return t, err
			}
			t.APIs = append(t.APIs, a)
		}
		if len(rs) < 100 {
			break
		}
	}
	bs, err := st.ListTriggerBindings(ctx, domain.TriggerPostLogin)
	if err != nil {
		return t, err
	}
	for _, b := range bs {
		a, err := st.GetAction(ctx, b.ActionID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return t, err
		}
		if a.DeployedVersionID == "" {
			continue // a binding runs the deployed version; none is deployed
		}
		v, err := st.GetActionVersion(ctx, a.ID, a.DeployedVersionID)
		if err != nil {
			return t, err
		}
		t.LoginBindings = append(t.LoginBindings, checklist.Binding{DisplayName: b.DisplayName, Code: v.Code})
	}
	return t, nil
}

// storeKeys is what a local node publishes in its JWKS: its keys not revoked.
func storeKeys(ctx context.Context, st store.Store) checklist.Keys {
	ks, err := st.ListSigningKeys(ctx)
	if err != nil {
		return checklist.Keys{Err: err}
	}
	var k checklist.Keys
	for _, s := range ks {
		if s.RevokedAt == nil {
			k.Algs = append(k.Algs, s.Alg)
		}
	}
	return k
}

// reshape turns a domain object into the checklist's view through their shared JSON names.
func reshape(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}
