package mgmt

import (
	"context"
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
	{ID: domain.TriggerPreUserRegistration, Version: "v2", Status: "CURRENT", Runtimes: []string{defaultRuntime}, DefaultRuntime: defaultRuntime},
	{ID: domain.TriggerPostUserRegistration, Version: "v2", Status: "CURRENT", Runtimes: []string{defaultRuntime}, DefaultRuntime: defaultRuntime},
	{ID: domain.TriggerPostChangePassword, Version: "v2", Status: "CURRENT", Runtimes: []string{defaultRuntime}, DefaultRuntime: defaultRuntime},
	{ID: domain.TriggerPasswordResetPostChallenge, Version: "v1", Status: "CURRENT", Runtimes: []string{defaultRuntime}, DefaultRuntime: defaultRuntime},
	{ID: domain.TriggerSendPhoneMessage, Version: "v2", Status: "CURRENT", Runtimes: []string{defaultRuntime}, DefaultRuntime: defaultRuntime},
}

func listTriggers(*call) (int, any, error) {
	return http.StatusOK, map[string]any{"triggers": supportedTriggers}, nil
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

func (g *actions) viewBindings(ctx context.Context, bs []*domain.TriggerBinding) ([]any, error) {
	out := make([]any, 0, len(bs))
	for _, b := range bs {
		a, err := g.actions.GetAction(ctx, b.ActionID)
		if err != nil {
			return nil, err
		}
		av, err := g.view(ctx, a)
		if err != nil {
			return nil, err
		}
		out = append(out, bindingView{
			ID: b.ID, TriggerID: b.TriggerID, DisplayName: b.DisplayName, Action: av,
			CreatedAt: isoTime(b.CreatedAt), UpdatedAt: isoTime(b.UpdatedAt),
		})
	}
	return out, nil
}

// trigger is the trigger the path names, or its 404.
func trigger(c *call) (string, error) {
	id := c.r.PathValue("triggerId")
	for _, t := range supportedTriggers {
		if t.ID == id {
			return id, nil
		}
	}
	return "", nfTrigger
}

func (g *actions) listBindings(c *call) (int, any, error) {
	p, err := c.parsePaging()
	if err != nil {
		return 0, nil, err
	}
	trigger, err := trigger(c)
	if err != nil {
		return 0, nil, err
	}
	bs, err := g.actions.ListTriggerBindings(c.ctx(), trigger)
	if err != nil {
		return 0, nil, err
	}
	total := len(bs)
	lo := min(p.Offset(), total)
	hi := min(lo+p.Limit(), total)
	items, err := g.viewBindings(c.ctx(), bs[lo:hi])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, pageList(p.Page, "bindings", items, total), nil
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
func (g *actions) updateBindings(c *call) (int, any, error) {
	var b bindingsBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	trigger, err := trigger(c)
	if err != nil {
		return 0, nil, err
	}
	if b.Bindings == nil {
		return 0, nil, domain.Invalidf("bindings", "Missing required property: bindings")
	}
	ctx := c.ctx()
	existing, err := g.actions.ListTriggerBindings(ctx, trigger)
	if err != nil {
		return 0, nil, err
	}
	now := g.now().UTC()
	next := make([]*domain.TriggerBinding, 0, len(*b.Bindings))
	for i, in := range *b.Bindings {
		f := "bindings[" + strconv.Itoa(i) + "].ref"
		var a *domain.Action
		bind := &domain.TriggerBinding{ID: domain.NewBindingID(), TriggerID: trigger, CreatedAt: now, UpdatedAt: now}
		switch in.Ref.Type {
		case "action_id":
			a, err = g.actions.GetAction(ctx, in.Ref.Value)
		case "action_name":
			var list []*domain.Action
			list, _, err = g.actions.ListActions(ctx, store.ActionFilter{ActionName: in.Ref.Value}, store.Page{PerPage: 1})
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
					a, err = g.actions.GetAction(ctx, old.ActionID)
					if in.DisplayName == "" {
						in.DisplayName = old.DisplayName
					}
				}
			}
		default:
			return 0, nil, domain.Invalidf(f+".type", "%q is not one of action_id, action_name, binding_id", in.Ref.Type)
		}
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil, domain.Invalidf(f+".value", "no action or binding %q", in.Ref.Value)
		}
		if err != nil {
			return 0, nil, err
		}
		if !supports(a, trigger) {
			return 0, nil, domain.Invalidf(f, "the action %q does not support the %s trigger", a.Name, trigger)
		}
		if a.DeployedVersionID == "" {
			return 0, nil, domain.Invalidf(f, "the action %q has not been deployed; deploy it before binding it", a.Name)
		}
		bind.ActionID = a.ID
		bind.DisplayName = in.DisplayName
		if bind.DisplayName == "" {
			bind.DisplayName = a.Name
		}
		next = append(next, bind)
	}
	if err := g.actions.SetTriggerBindings(ctx, trigger, next); err != nil {
		return 0, nil, err
	}
	items, err := g.viewBindings(ctx, next)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"bindings": items}, nil
}

func supports(a *domain.Action, trigger string) bool {
	for _, t := range a.SupportedTriggers {
		if t.ID == trigger {
			return true
		}
	}
	return false
}
