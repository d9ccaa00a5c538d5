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
func (h *Handler) deployAction(c *call) {
	a, ok := h.loadAction(c)
	if !ok {
		return
	}
	if err := h.compile(a); err != nil {
		c.errorf(http.StatusBadRequest, codeInvalidBody, "The action %q does not compile: %s", a.Name, strings.TrimSpace(err.Error()))
		return
	}
	h.deploy(c, a, a.Code, a.Runtime, a.SupportedTriggers, a.Secrets)
}

func (h *Handler) deploy(c *call, a *domain.Action, code, runtime string, triggers []domain.ActionTrigger, secrets []domain.ActionSecret) {
	now := h.now().UTC()
	v := &domain.ActionVersion{
		ID: domain.NewActionID(), ActionID: a.ID, Code: code, Secrets: secrets, Runtime: runtime,
		Triggers: triggers, Status: domain.ActionBuilt, CreatedAt: now,
	}
	ctx := c.r.Context()
	err := h.st.WithTx(ctx, func(tx store.Store) error {
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
		c.fail(err)
		return
	}
	v.Deployed = true
	out := viewVersion(v)
	av := viewAction(a, v)
	av.DeployedVersion = nil
	out.Action = &av
	c.json(http.StatusOK, out)
}

func (h *Handler) listVersions(c *call) {
	p, ok := c.actionListPage()
	if !ok {
		return
	}
	a, ok := h.loadAction(c)
	if !ok {
		return
	}
	list, total, err := h.st.ListActionVersions(c.r.Context(), a.ID, p)
	if err != nil {
		c.fail(err)
		return
	}
	items := make([]any, len(list))
	for i, v := range list {
		items[i] = viewVersion(v)
	}
	c.actionList(p, "versions", items, total)
}

func (h *Handler) loadVersion(c *call, a *domain.Action) (*domain.ActionVersion, bool) {
	return load(c, func(ctx context.Context, id string) (*domain.ActionVersion, error) {
		return h.st.GetActionVersion(ctx, a.ID, id)
	}, c.r.PathValue("versionId"), nfVersion)
}

func (h *Handler) getVersion(c *call) {
	a, ok := h.loadAction(c)
	if !ok {
		return
	}
	if v, ok := h.loadVersion(c, a); ok {
		c.json(http.StatusOK, viewVersion(v))
	}
}

// redeployVersion rolls back: the old version's code becomes a new deployed version.
func (h *Handler) redeployVersion(c *call) {
	a, ok := h.loadAction(c)
	if !ok {
		return
	}
	v, ok := h.loadVersion(c, a)
	if !ok {
		return
	}
	h.deploy(c, a, v.Code, v.Runtime, v.Triggers, v.Secrets)
}
