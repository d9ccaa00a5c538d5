package mgmt

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// triggerView is one trigger of GET /actions/triggers.
type triggerView struct {
	ID             string   `json:"id"`
	Version        string   `json:"version"`
	Status         string   `json:"status"`
	Runtimes       []string `json:"runtimes"`
	DefaultRuntime string   `json:"default_runtime"`
}

// supportedTriggers are the triggers Gatehouse runs (spec §5), with Auth0's current versions.
var supportedTriggers = []triggerView{
	{ID: domain.TriggerPostLogin, Version: "v3", Status: "CURRENT", Runtimes: []string{defaultRuntime}, DefaultRuntime: defaultRuntime},
	{ID: domain.TriggerCredentialsExchange, Version: "v2", Status: "CURRENT", Runtimes: []string{defaultRuntime}, DefaultRuntime: defaultRuntime},
}

func knownTrigger(id string) bool {
	for _, t := range supportedTriggers {
		if t.ID == id {
			return true
		}
	}
	return false
}

func (h *Handler) listTriggers(c *call) {
	c.json(http.StatusOK, map[string]any{"triggers": supportedTriggers})
}

// bindingView is a trigger binding with the bound action (spec §4.4).
type bindingView struct {
	ID          string     `json:"id"`
	TriggerID   string     `json:"trigger_id"`
	DisplayName string     `json:"display_name"`
	Action      actionView `json:"action"`
	CreatedAt   string     `json:"created_at"`
	UpdatedAt   string     `json:"updated_at"`
}

func (h *Handler) viewBindings(c *call, bs []*domain.TriggerBinding) ([]any, error) {
	out := make([]any, 0, len(bs))
	for _, b := range bs {
		a, err := h.st.GetAction(c.r.Context(), b.ActionID)
		if err != nil {
			return nil, err
		}
		dv, err := h.deployedVersion(c, a)
		if err != nil {
			return nil, err
		}
		out = append(out, bindingView{
			ID: b.ID, TriggerID: b.TriggerID, DisplayName: b.DisplayName, Action: viewAction(a, dv),
			CreatedAt: isoTime(b.CreatedAt), UpdatedAt: isoTime(b.UpdatedAt),
		})
	}
	return out, nil
}

func (h *Handler) listBindings(c *call) {
	p, ok := c.actionListPage()
	if !ok {
		return
	}
	trigger := c.r.PathValue("triggerId")
	if !knownTrigger(trigger) {
		c.notFound(nfTrigger)
		return
	}
	bs, err := h.st.ListTriggerBindings(c.r.Context(), trigger)
	if err != nil {
		c.fail(err)
		return
	}
	total := len(bs)
	lo := min(p.Offset(), total)
	hi := min(lo+p.Limit(), total)
	items, err := h.viewBindings(c, bs[lo:hi])
	if err != nil {
		c.fail(err)
		return
	}
	c.actionList(p, "bindings", items, total)
}

type bindingsBody struct {
	Bindings *[]struct {
		Ref struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"ref"`
		DisplayName string `json:"display_name"`
		Secrets     []any  `json:"secrets"` // accepted; binding secrets are not kept
	} `json:"bindings"`
}

// updateBindings replaces the trigger's bindings, in order; each ref names a deployed action that
// supports the trigger, by action_id, action_name, or binding_id (an existing binding kept).
func (h *Handler) updateBindings(c *call) {
	trigger := c.r.PathValue("triggerId")
	var b bindingsBody
	if !c.decode(&b) {
		return
	}
	if !knownTrigger(trigger) {
		c.notFound(nfTrigger)
		return
	}
	if b.Bindings == nil {
		c.invalid("bindings", "Missing required property: bindings")
		return
	}
	ctx := c.r.Context()
	existing, err := h.st.ListTriggerBindings(ctx, trigger)
	if err != nil {
		c.fail(err)
		return
	}
	now := h.now().UTC()
	next := make([]*domain.TriggerBinding, 0, len(*b.Bindings))
	for i, in := range *b.Bindings {
		f := "bindings[" + strconv.Itoa(i) + "].ref"
		var a *domain.Action
		bind := &domain.TriggerBinding{ID: domain.NewBindingID(), TriggerID: trigger, CreatedAt: now, UpdatedAt: now}
		switch in.Ref.Type {
		case "action_id":
			a, err = h.st.GetAction(ctx, in.Ref.Value)
		case "action_name":
			var list []*domain.Action
			list, _, err = h.st.ListActions(ctx, store.ActionFilter{ActionName: in.Ref.Value}, store.Page{PerPage: 1})
			if err == nil && len(list) == 0 {
				err = store.ErrNotFound
			}
			if err == nil {
				a = list[0]
			}
		case "binding_id":
			err = store.ErrNotFound
			for _, old := range existing {
				if old.ID == in.Ref.Value {
					bind.ID, bind.CreatedAt = old.ID, old.CreatedAt
					a, err = h.st.GetAction(ctx, old.ActionID)
					if in.DisplayName == "" {
						in.DisplayName = old.DisplayName
					}
				}
			}
		default:
			c.invalid(f+".type", "%q is not one of action_id, action_name, binding_id", in.Ref.Type)
			return
		}
		if errors.Is(err, store.ErrNotFound) {
			c.invalid(f+".value", "no action or binding %q", in.Ref.Value)
			return
		}
		if err != nil {
			c.fail(err)
			return
		}
		if !supports(a, trigger) {
			c.invalid(f, "the action %q does not support the %s trigger", a.Name, trigger)
			return
		}
		if a.DeployedVersionID == "" {
			c.invalid(f, "the action %q has not been deployed; deploy it before binding it", a.Name)
			return
		}
		bind.ActionID = a.ID
		bind.DisplayName = in.DisplayName
		if bind.DisplayName == "" {
			bind.DisplayName = a.Name
		}
		next = append(next, bind)
	}
	if err := h.st.SetTriggerBindings(ctx, trigger, next); err != nil {
		c.fail(err)
		return
	}
	items, err := h.viewBindings(c, next)
	if err != nil {
		c.fail(err)
		return
	}
	c.json(http.StatusOK, map[string]any{"bindings": items})
}

func supports(a *domain.Action, trigger string) bool {
	for _, t := range a.SupportedTriggers {
		if t.ID == trigger {
			return true
		}
	}
	return false
}
