package admin

// Flows › Login (and Machine to Machine): the bound Actions of a trigger in order; add, remove, move.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// binding is a trigger binding as the API shows it.
type binding struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	Action      action `json:"action"`
}

// flowBindings reads a trigger's bindings in order (at most 10 pages of 50).
func flowBindings(ctx context.Context, a *api, trigger string) ([]binding, error) {
	var all []binding
	for p := 0; p < 10; p++ {
		var out struct {
			Bindings []binding `json:"bindings"`
		}
		if err := a.do(ctx, "GET", fmt.Sprintf("actions/triggers/%s/bindings?page=%d&per_page=50", url.PathEscape(trigger), p), nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Bindings...)
		if len(out.Bindings) < 50 {
			break
		}
	}
	return all, nil
}

type flowData struct {
	Flow      flow
	Flows     []flow
	Bindings  []binding
	Available []action // deployed actions for this trigger, not yet bound
	Drafts    []action // actions for this trigger never deployed
	CanWrite  bool
	Base      string
}

func (h *Handler) flowData(ctx context.Context, v *viewer, f flow) (flowData, error) {
	d := flowData{Flow: f, Flows: flows, CanWrite: v.Can("update:actions"), Base: Path + "flows/" + f.Slug}
	bs, err := flowBindings(ctx, v.api, f.Trigger)
	if err != nil {
		return d, err
	}
	d.Bindings = bs
	list, err := allActions(ctx, v.api, f.Trigger)
	if err != nil {
		return d, err
	}
	bound := map[string]bool{}
	for _, b := range bs {
		bound[b.Action.ID] = true
	}
	for _, a := range list {
		switch {
		case a.DeployedVersion == nil:
			d.Drafts = append(d.Drafts, a)
		case !bound[a.ID]:
			d.Available = append(d.Available, a)
		}
	}
	return d, nil
}

func (h *Handler) flowPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	f, ok := flowBySlug(r.PathValue("flow"))
	if !ok {
		h.render(w, r, http.StatusNotFound, "error", &layoutData{Title: "Not Found", Error: "There is no such flow."}, v)
		return
	}
	d, err := h.flowData(r.Context(), v, f)
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	lay := &layoutData{Title: "Flows · " + f.Label, Nav: "actions", Data: d}
	if r.URL.Query().Get("saved") == "1" {
		lay.Flash = "Flow updated. The change applies to the next " + strings.ToLower(f.Label) + "."
	}
	h.render(w, r, http.StatusOK, "action_flow", lay, v)
}

// changeFlow adds, removes or moves one binding and sends the whole ordered list, as the API
// takes it; existing bindings are referred to by their id so they keep it.
func (h *Handler) changeFlow(w http.ResponseWriter, r *http.Request, v *viewer) {
	f, ok := flowBySlug(r.PathValue("flow"))
	if !ok {
		h.render(w, r, http.StatusNotFound, "error", &layoutData{Title: "Not Found", Error: "There is no such flow."}, v)
		return
	}
	bs, err := flowBindings(r.Context(), v.api, f.Trigger)
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	type ref struct{ typ, value string }
	refs := make([]ref, len(bs))
	for i, b := range bs {
		refs[i] = ref{"binding_id", b.ID}
	}
	target := r.PostFormValue("binding")
	at := -1
	for i, b := range bs {
		if b.ID == target {
			at = i
		}
	}
	problem := ""
	switch op := r.PostFormValue("op"); op {
	case "add":
		if id := r.PostFormValue("action"); id == "" {
			problem = "Choose an action to add."
		} else {
			refs = append(refs, ref{"action_id", id})
		}
	case "remove", "up", "down":
		switch {
		case at < 0:
			problem = "That action is no longer in the flow; the page has been reloaded."
		case op == "remove":
			refs = append(refs[:at], refs[at+1:]...)
		case op == "up" && at > 0:
			refs[at-1], refs[at] = refs[at], refs[at-1]
		case op == "down" && at < len(refs)-1:
			refs[at], refs[at+1] = refs[at+1], refs[at]
		}
	default:
		problem = "Unknown change."
	}
	if problem == "" {
		body := make([]map[string]any, len(refs))
		for i, x := range refs {
			body[i] = map[string]any{"ref": map[string]string{"type": x.typ, "value": x.value}}
		}
		err = v.api.do(r.Context(), "PATCH", "actions/triggers/"+url.PathEscape(f.Trigger)+"/bindings", map[string]any{"bindings": body}, nil)
		if err == nil {
			http.Redirect(w, r, Path+"flows/"+f.Slug+"?saved=1", http.StatusSeeOther)
			return
		}
	}
	status := http.StatusBadRequest
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			h.apiFailed(w, r, v, err)
			return
		}
		status, problem = ae.StatusCode, ae.Message
	}
	d, err := h.flowData(r.Context(), v, f)
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	h.render(w, r, status, "action_flow", &layoutData{Title: "Flows · " + f.Label, Nav: "actions", Error: problem, Data: d}, v)
}
