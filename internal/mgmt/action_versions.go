package mgmt

import (
	"context"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// deployAction compiles the action and snapshots it as a new deployed version (200, spec §4.4).
// A compile error is a 400 whose message carries the compiler's line and message.
func (g *actions) deployAction(c *call) (int, any, error) {
	a, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	if err := g.compile(a); err != nil {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "The action %q does not compile: %s", a.Name, strings.TrimSpace(err.Error()))
	}
	return g.deploy(c, a, a.Code, a.Runtime, a.SupportedTriggers, a.Secrets)
}

func (g *actions) deploy(c *call, a *domain.Action, code, runtime string, triggers []domain.ActionTrigger, secrets []domain.ActionSecret) (int, any, error) {
	now := g.now().UTC()
	v := &domain.ActionVersion{
		ID: domain.NewActionID(), ActionID: a.ID, Code: code, Secrets: secrets, Runtime: runtime,
		Triggers: triggers, Status: domain.ActionBuilt, CreatedAt: now,
	}
	ctx := c.ctx()
	err := g.tx.WithTx(ctx, func(tx store.Store) error {
		if err := tx.CreateActionVersion(ctx, v); err != nil {
			return err
		}
		fresh, err := tx.GetAction(ctx, a.ID)
		if err != nil {
			return err
		}
		a = fresh
		a.Status = domain.ActionBuilt
		a.DeployedVersionID = v.ID
		return tx.UpdateAction(ctx, a)
	})
	if err != nil {
		return 0, nil, err
	}
	v.Deployed = true
	out := viewVersion(v)
	av := viewAction(a, v)
	av.DeployedVersion = nil
	out.Action = &av
	return http.StatusOK, out, nil
}

func (g *actions) listVersions(c *call) (int, any, error) {
	p, err := c.parsePaging()
	if err != nil {
		return 0, nil, err
	}
	a, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	list, total, err := g.actions.ListActionVersions(c.ctx(), a.ID, p.Page)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, pageList(p.Page, "versions", views(list, func(v *domain.ActionVersion) any { return viewVersion(v) }), total), nil
}

// loadVersion loads the action and the version the path names.
func (g *actions) loadVersion(c *call) (*domain.Action, *domain.ActionVersion, error) {
	a, err := g.load(c)
	if err != nil {
		return nil, nil, err
	}
	v, err := load(c.ctx(), func(ctx context.Context, id string) (*domain.ActionVersion, error) {
		return g.actions.GetActionVersion(ctx, a.ID, id)
	}, c.r.PathValue("versionId"), nfVersion)
	return a, v, err
}

func (g *actions) getVersion(c *call) (int, any, error) {
	_, v, err := g.loadVersion(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewVersion(v), nil
}

// redeployVersion rolls back: the old version's code becomes a new deployed version.
func (g *actions) redeployVersion(c *call) (int, any, error) {
	a, v, err := g.loadVersion(c)
	if err != nil {
		return 0, nil, err
	}
	return g.deploy(c, a, v.Code, v.Runtime, v.Triggers, v.Secrets)
}
