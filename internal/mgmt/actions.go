package mgmt

import (
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func (h *Handler) actionRoutes() []route {
	read := []string{"read:actions"}
	return []route{
		{method: "GET", path: "/actions/actions", scopes: read, fn: h.listActions},
		{method: "POST", path: "/actions/actions", scopes: []string{"create:actions"}, desc: "Create an action", fn: h.createAction},
		{method: "GET", path: "/actions/actions/{id}", scopes: read, fn: h.getAction},
		{method: "PATCH", path: "/actions/actions/{id}", scopes: []string{"update:actions"}, desc: "Update an action", fn: h.updateAction},
		{method: "DELETE", path: "/actions/actions/{id}", scopes: []string{"delete:actions"}, desc: "Delete an action", fn: h.deleteAction},
		{method: "POST", path: "/actions/actions/{id}/deploy", scopes: []string{"create:actions"}, desc: "Deploy an action", fn: h.deployAction},
		{method: "GET", path: "/actions/actions/{id}/versions", scopes: read, fn: h.listVersions},
		{method: "GET", path: "/actions/actions/{id}/versions/{versionId}", scopes: read, fn: h.getVersion},
		{method: "POST", path: "/actions/actions/{id}/versions/{versionId}/deploy", scopes: []string{"create:actions"}, desc: "Deploy an action version", fn: h.redeployVersion},
		{method: "GET", path: "/actions/triggers", scopes: read, fn: h.listTriggers},
		{method: "GET", path: "/actions/triggers/{triggerId}/bindings", scopes: read, fn: h.listBindings},
		{method: "PATCH", path: "/actions/triggers/{triggerId}/bindings", scopes: []string{"update:actions"}, desc: "Update trigger bindings", fn: h.updateBindings},
	}
}

// defaultRuntime is the runtime Auth0 gives new actions; Gatehouse runs every action in its own
// JavaScript runtime whatever the label says.
const defaultRuntime = "node22"

// secretView is a secret as reads show it: the name and when it changed, never the value.
type secretView struct {
	Name      string `json:"name"`
	UpdatedAt string `json:"updated_at"`
}

func viewSecrets(ss []domain.ActionSecret) []secretView {
	out := make([]secretView, len(ss))
	for i, s := range ss {
		out[i] = secretView{Name: s.Name, UpdatedAt: isoTime(s.UpdatedAt)}
	}
	return out
}

// actionView is an action as the Management API returns it (spec §4.4 Actions).
type actionView struct {
	ID                 string                    `json:"id"`
	Name               string                    `json:"name"`
	SupportedTriggers  []domain.ActionTrigger    `json:"supported_triggers"`
	Code               string                    `json:"code"`
	Dependencies       []domain.ActionDependency `json:"dependencies"`
	Runtime            string                    `json:"runtime"`
	Status             string                    `json:"status"`
	Secrets            []secretView              `json:"secrets"`
	AllChangesDeployed bool                      `json:"all_changes_deployed"`
	DeployedVersion    *versionView              `json:"deployed_version,omitempty"`
	CreatedAt          string                    `json:"created_at"`
	UpdatedAt          string                    `json:"updated_at"`
}

// versionView is an action version (spec §4.4 deploy).
type versionView struct {
	ID                string                    `json:"id"`
	ActionID          string                    `json:"action_id"`
	Number            int                       `json:"number"`
	Code              string                    `json:"code"`
	Dependencies      []domain.ActionDependency `json:"dependencies"`
	Runtime           string                    `json:"runtime"`
	SupportedTriggers []domain.ActionTrigger    `json:"supported_triggers"`
	Secrets           []secretView              `json:"secrets"`
	Deployed          bool                      `json:"deployed"`
	Status            string                    `json:"status"`
	CreatedAt         string                    `json:"created_at"`
	UpdatedAt         string                    `json:"updated_at"`
	Action            *actionView               `json:"action,omitempty"`
}

func viewVersion(v *domain.ActionVersion) *versionView {
	return &versionView{
		ID: v.ID, ActionID: v.ActionID, Number: v.Number, Code: v.Code, Dependencies: []domain.ActionDependency{},
		Runtime: v.Runtime, SupportedTriggers: v.Triggers, Secrets: viewSecrets(v.Secrets), Deployed: v.Deployed,
		Status: v.Status, CreatedAt: isoTime(v.CreatedAt), UpdatedAt: isoTime(v.CreatedAt),
	}
}

// viewAction renders a; deployed is its deployed version when the caller has it at hand.
func viewAction(a *domain.Action, deployed *domain.ActionVersion) actionView {
	v := actionView{
		ID: a.ID, Name: a.Name, SupportedTriggers: a.SupportedTriggers, Code: a.Code,
		Dependencies: a.Dependencies, Runtime: a.Runtime, Status: a.Status, Secrets: viewSecrets(a.Secrets),
		CreatedAt: isoTime(a.CreatedAt), UpdatedAt: isoTime(a.UpdatedAt),
	}
	if v.Dependencies == nil {
		v.Dependencies = []domain.ActionDependency{}
	}
	if deployed != nil {
		v.DeployedVersion = viewVersion(deployed)
		v.AllChangesDeployed = !a.UpdatedAt.After(deployed.CreatedAt)
	}
	return v
}

// deployedVersion returns a's deployed version, or nil.
func (h *Handler) deployedVersion(c *call, a *domain.Action) (*domain.ActionVersion, error) {
	if a.DeployedVersionID == "" {
		return nil, nil
	}
	v, err := h.st.GetActionVersion(c.r.Context(), a.ID, a.DeployedVersionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// actionListPage reads page/per_page for the actions lists, which answer
// {<key>, total, page, per_page} whatever include_totals says (spec §4.3).
func (c *call) actionListPage() (store.Page, bool) {
	p, ok := c.parsePaging()
	return p.Page, ok
}

func (c *call) actionList(p store.Page, key string, items []any, total int) {
	if items == nil {
		items = []any{}
	}
	c.json(http.StatusOK, map[string]any{key: items, "total": total, "page": p.Page, "per_page": p.Limit()})
}

func (h *Handler) listActions(c *call) {
	p, ok := c.actionListPage()
	if !ok {
		return
	}
	q := c.r.URL.Query()
	f := store.ActionFilter{TriggerID: q.Get("triggerId"), ActionName: q.Get("actionName")}
	if f.Deployed, ok = c.boolParam("deployed"); !ok {
		return
	}
	list, total, err := h.st.ListActions(c.r.Context(), f, p)
	if err != nil {
		c.fail(err)
		return
	}
	items := make([]any, len(list))
	for i, a := range list {
		dv, err := h.deployedVersion(c, a)
		if err != nil {
			c.fail(err)
			return
		}
		items[i] = viewAction(a, dv)
	}
	c.actionList(p, "actions", items, total)
}

func (h *Handler) loadAction(c *call) (*domain.Action, bool) {
	return load(c, h.st.GetAction, c.r.PathValue("id"), nfAction)
}

func (h *Handler) getAction(c *call) {
	a, ok := h.loadAction(c)
	if !ok {
		return
	}
	dv, err := h.deployedVersion(c, a)
	if err != nil {
		c.fail(err)
		return
	}
	c.json(http.StatusOK, viewAction(a, dv))
}

// actionBody is what POST and PATCH /actions/actions take.
type actionBody struct {
	Name              *string                    `json:"name"`
	SupportedTriggers *[]domain.ActionTrigger    `json:"supported_triggers"`
	Code              *string                    `json:"code"`
	Dependencies      *[]domain.ActionDependency `json:"dependencies"`
	Runtime           *string                    `json:"runtime"`
	Secrets           *[]struct {
		Name  string  `json:"name"`
		Value *string `json:"value"`
	} `json:"secrets"`
}

// apply copies the given fields onto a. A secrets list replaces the action's secrets; an entry
// without a value keeps the stored value of the secret of that name (so that a client can resend
// the names it read back without knowing the values).
func (b *actionBody) apply(a *domain.Action, now time.Time) {
	if b.Name != nil {
		a.Name = *b.Name
	}
	if b.SupportedTriggers != nil {
		a.SupportedTriggers = *b.SupportedTriggers
	}
	if b.Code != nil {
		a.Code = *b.Code
	}
	if b.Dependencies != nil {
		a.Dependencies = *b.Dependencies
	}
	if b.Runtime != nil {
		a.Runtime = *b.Runtime
	}
	if b.Secrets != nil {
		old := map[string]domain.ActionSecret{}
		for _, s := range a.Secrets {
			old[s.Name] = s
		}
		next := make([]domain.ActionSecret, 0, len(*b.Secrets))
		for _, s := range *b.Secrets {
			if s.Value == nil {
				if prev, ok := old[s.Name]; ok {
					next = append(next, prev)
					continue
				}
				next = append(next, domain.ActionSecret{Name: s.Name, UpdatedAt: now})
				continue
			}
			next = append(next, domain.ActionSecret{Name: s.Name, Value: *s.Value, UpdatedAt: now})
		}
		a.Secrets = next
	}
	if a.Runtime == "" {
		a.Runtime = defaultRuntime
	}
	if a.Secrets == nil {
		a.Secrets = []domain.ActionSecret{}
	}
	if a.Dependencies == nil {
		a.Dependencies = []domain.ActionDependency{}
	}
}

// compile checks a's code for every trigger it supports; the returned error's text is safe to show.
func (h *Handler) compile(a *domain.Action) error {
	if h.opts.Actions == nil {
		return nil
	}
	for _, t := range a.SupportedTriggers {
		if err := h.opts.Actions.Compile(a.Name, a.Code, t.ID); err != nil {
			return err
		}
	}
	return nil
}

// buildStatus is the status an edit leaves the action in: "built" when the code compiles,
// "failed" when it does not, "pending" when no compiler is wired.
func (h *Handler) buildStatus(a *domain.Action) string {
	if h.opts.Actions == nil {
		return domain.ActionPending
	}
	if h.compile(a) != nil {
		return domain.ActionFailed
	}
	return domain.ActionBuilt
}

func (h *Handler) createAction(c *call) {
	var b actionBody
	if !c.decode(&b) {
		return
	}
	if b.Name == nil {
		c.invalid("name", "Missing required property: name")
		return
	}
	if b.SupportedTriggers == nil {
		c.invalid("supported_triggers", "Missing required property: supported_triggers")
		return
	}
	now := h.now().UTC()
	a := &domain.Action{ID: domain.NewActionID(), CreatedAt: now, UpdatedAt: now}
	b.apply(a, now)
	if err := a.Validate(); err != nil {
		c.fail(err)
		return
	}
	a.Status = h.buildStatus(a)
	if err := h.st.CreateAction(c.r.Context(), a); err != nil {
		if errors.Is(err, store.ErrConflict) {
			c.errorf(http.StatusConflict, "conflict", "An action named %q already exists", a.Name)
			return
		}
		c.fail(err)
		return
	}
	c.json(http.StatusCreated, viewAction(a, nil))
}

func (h *Handler) updateAction(c *call) {
	var b actionBody
	if !c.decode(&b) {
		return
	}
	a, ok := h.loadAction(c)
	if !ok {
		return
	}
	now := h.now().UTC()
	b.apply(a, now)
	if err := a.Validate(); err != nil {
		c.fail(err)
		return
	}
	a.Status = h.buildStatus(a)
	a.UpdatedAt = now
	if err := h.st.UpdateAction(c.r.Context(), a); err != nil {
		if errors.Is(err, store.ErrConflict) {
			c.errorf(http.StatusConflict, "conflict", "An action named %q already exists", a.Name)
			return
		}
		c.fail(err)
		return
	}
	dv, err := h.deployedVersion(c, a)
	if err != nil {
		c.fail(err)
		return
	}
	c.json(http.StatusOK, viewAction(a, dv))
}

// deleteAction refuses to delete a bound action unless force=true, which unbinds it first.
func (h *Handler) deleteAction(c *call) {
	a, ok := h.loadAction(c)
	if !ok {
		return
	}
	force, ok := c.boolParam("force")
	if !ok {
		return
	}
	ctx := c.r.Context()
	err := h.st.WithTx(ctx, func(tx store.Store) error {
		for _, t := range supportedTriggers {
			bs, err := tx.ListTriggerBindings(ctx, t.ID)
			if err != nil {
				return err
			}
			kept := bs[:0:0]
			for _, b := range bs {
				if b.ActionID != a.ID {
					kept = append(kept, b)
				}
			}
			if len(kept) == len(bs) {
				continue
			}
			if force == nil || !*force {
				return errBound(t.ID)
			}
			if err := tx.SetTriggerBindings(ctx, t.ID, kept); err != nil {
				return err
			}
		}
		return tx.DeleteAction(ctx, a.ID)
	})
	var bound errBound
	if errors.As(err, &bound) {
		c.errorf(http.StatusBadRequest, "action_bound", "The action is bound to the %s trigger; remove the binding or delete with force=true", string(bound))
		return
	}
	if err != nil {
		c.fail(err)
		return
	}
	c.noContent()
}

type errBound string

func (e errBound) Error() string { return "action bound to " + string(e) }
