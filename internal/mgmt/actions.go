package mgmt

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// actions serves /actions: Actions, their deployed versions and the triggers' bindings.
type actions struct {
	actions  store.ActionStore
	tx       transactor     // deploying and deleting change several records at once
	compiler ActionCompiler // nil: actions are stored "pending" and deploy without a check
	tester   ActionTester   // nil: /test answers 501
	now      func() time.Time
}

func (h *Handler) actionRoutes() []route {
	g := &actions{actions: h.st, tx: h.st, compiler: h.opts.Actions, tester: h.opts.ActionTests, now: h.now}
	read := []string{"read:actions"}
	return []route{
		{method: "GET", path: "/actions/actions", scopes: read, fn: g.list},
		{method: "POST", path: "/actions/actions", scopes: []string{"create:actions"}, desc: "Create an action", fn: g.create},
		{method: "GET", path: "/actions/actions/{id}", scopes: read, fn: g.get},
		{method: "PATCH", path: "/actions/actions/{id}", scopes: []string{"update:actions"}, desc: "Update an action", fn: g.update},
		{method: "DELETE", path: "/actions/actions/{id}", scopes: []string{"delete:actions"}, desc: "Delete an action", fn: g.delete},
		{method: "POST", path: "/actions/actions/{id}/deploy", scopes: []string{"create:actions"}, desc: "Deploy an action", fn: g.deployAction},
		{method: "POST", path: "/actions/actions/{id}/test", scopes: []string{"create:actions"}, fn: g.testAction},
		{method: "GET", path: "/actions/actions/{id}/versions", scopes: read, fn: g.listVersions},
		{method: "GET", path: "/actions/actions/{id}/versions/{versionId}", scopes: read, fn: g.getVersion},
		{method: "POST", path: "/actions/actions/{id}/versions/{versionId}/deploy", scopes: []string{"create:actions"}, desc: "Deploy an action version", fn: g.redeployVersion},
		{method: "GET", path: "/actions/triggers", scopes: read, fn: listTriggers},
		{method: "GET", path: "/actions/triggers/{triggerId}/bindings", scopes: read, fn: g.listBindings},
		{method: "PATCH", path: "/actions/triggers/{triggerId}/bindings", scopes: []string{"update:actions"}, desc: "Update trigger bindings", fn: g.updateBindings},
		{method: "GET", path: "/actions/executions/{id}", scopes: read, fn: getExecution(h.st)},
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
		v.AllChangesDeployed = deployedAsIs(a, deployed)
	}
	return v
}

// deployedAsIs reports whether the deployed version runs the action as it stands: the same code,
// runtime and secrets. It compares content rather than times, since deploying itself stamps the
// action (and a roll back deploys older code than the draft's).
func deployedAsIs(a *domain.Action, v *domain.ActionVersion) bool {
	if a.Code != v.Code || a.Runtime != v.Runtime || len(a.Secrets) != len(v.Secrets) {
		return false
	}
	for i, s := range a.Secrets {
		if s.Name != v.Secrets[i].Name || !s.UpdatedAt.Equal(v.Secrets[i].UpdatedAt) {
			return false
		}
	}
	return true
}

// view renders a with its deployed version, when it has one.
func (g *actions) view(ctx context.Context, a *domain.Action) (actionView, error) {
	if a.DeployedVersionID == "" {
		return viewAction(a, nil), nil
	}
	dv, err := g.actions.GetActionVersion(ctx, a.ID, a.DeployedVersionID)
	if errors.Is(err, store.ErrNotFound) {
		dv, err = nil, nil
	}
	return viewAction(a, dv), err
}

// pageList is the body of the actions lists, which answer {<key>, total, page, per_page} whatever
// include_totals says (spec §4.3).
func pageList(p store.Page, key string, items []any, total int) any {
	if items == nil {
		items = []any{}
	}
	return map[string]any{key: items, "total": total, "page": p.Page, "per_page": p.Limit()}
}

func (g *actions) list(c *call) (int, any, error) {
	p, err := c.parsePaging()
	if err != nil {
		return 0, nil, err
	}
	q := c.r.URL.Query()
	f := store.ActionFilter{TriggerID: q.Get("triggerId"), ActionName: q.Get("actionName")}
	if f.Deployed, err = c.boolParam("deployed"); err != nil {
		return 0, nil, err
	}
	list, total, err := g.actions.ListActions(c.ctx(), f, p.Page)
	if err != nil {
		return 0, nil, err
	}
	items := make([]any, len(list))
	for i, a := range list {
		if items[i], err = g.view(c.ctx(), a); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusOK, pageList(p.Page, "actions", items, total), nil
}

func (g *actions) load(c *call) (*domain.Action, error) {
	return load(c.ctx(), g.actions.GetAction, c.r.PathValue("id"), nfAction)
}

func (g *actions) get(c *call) (int, any, error) {
	a, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	v, err := g.view(c.ctx(), a)
	return http.StatusOK, v, err
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
func (g *actions) compile(a *domain.Action) error {
	if g.compiler == nil {
		return nil
	}
	for _, t := range a.SupportedTriggers {
		if err := g.compiler.Compile(a.Name, a.Code, t.ID); err != nil {
			return err
		}
	}
	return nil
}

// buildStatus is the status an edit leaves the action in: "built" when the code compiles,
// "failed" when it does not, "pending" when no compiler is wired.
func (g *actions) buildStatus(a *domain.Action) string {
	if g.compiler == nil {
		return domain.ActionPending
	}
	if g.compile(a) != nil {
		return domain.ActionFailed
	}
	return domain.ActionBuilt
}

// actionNameTaken is the 409 for an action name already in use.
func actionNameTaken(a *domain.Action) error {
	return refuse(http.StatusConflict, "conflict", "An action named %q already exists", a.Name)
}

func (g *actions) create(c *call) (int, any, error) {
	var b actionBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if b.Name == nil {
		return 0, nil, domain.Invalidf("name", "Missing required property: name")
	}
	if b.SupportedTriggers == nil {
		return 0, nil, domain.Invalidf("supported_triggers", "Missing required property: supported_triggers")
	}
	now := g.now().UTC()
	a := &domain.Action{ID: domain.NewActionID(), CreatedAt: now, UpdatedAt: now}
	b.apply(a, now)
	if err := a.Validate(); err != nil {
		return 0, nil, err
	}
	a.Status = g.buildStatus(a)
	if err := g.actions.CreateAction(c.ctx(), a); err != nil {
		return 0, nil, onConflict(err, actionNameTaken(a))
	}
	return http.StatusCreated, viewAction(a, nil), nil
}

func (g *actions) update(c *call) (int, any, error) {
	var b actionBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	a, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	now := g.now().UTC()
	b.apply(a, now)
	if err := a.Validate(); err != nil {
		return 0, nil, err
	}
	a.Status = g.buildStatus(a)
	a.UpdatedAt = now
	if err := g.actions.UpdateAction(c.ctx(), a); err != nil {
		return 0, nil, onConflict(err, actionNameTaken(a))
	}
	v, err := g.view(c.ctx(), a)
	return http.StatusOK, v, err
}

// delete refuses to delete a bound action unless force=true, which unbinds it first.
func (g *actions) delete(c *call) (int, any, error) {
	a, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	force, err := c.boolParam("force")
	if err != nil {
		return 0, nil, err
	}
	ctx := c.ctx()
	err = g.tx.WithTx(ctx, func(tx store.Store) error {
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
				return refuse(http.StatusBadRequest, "action_bound", "The action is bound to the %s trigger; remove the binding or delete with force=true", t.ID)
			}
			if err := tx.SetTriggerBindings(ctx, t.ID, kept); err != nil {
				return err
			}
		}
		return tx.DeleteAction(ctx, a.ID)
	})
	return http.StatusNoContent, nil, err
}
