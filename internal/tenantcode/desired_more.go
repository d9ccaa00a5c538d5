package tenantcode

import (
	"crypto/subtle"
	"reflect"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
)

func (b *builder) roles() error {
	if ok, err := b.dirPresent(dirRoles); err != nil || !ok {
		return err
	}
	names, err := b.src.list(dirRoles, ".json")
	if err != nil {
		return err
	}
	b.d.managed[KindRole] = true
	var out []*role
	seen := map[string]string{}
	for _, n := range names {
		file := dirRoles + "/" + n
		doc, err := b.src.readJSON(file)
		if err != nil {
			b.fail(err)
			continue
		}
		b.warnings = append(b.warnings, ignored(file, doc, map[string]bool{"name": true, "description": true, "permissions": true}, "id")...)
		var body struct {
			Name        string              `json:"name"`
			Description string              `json:"description"`
			Permissions []domain.Permission `json:"permissions"`
		}
		if err := overlay(file, struct{}{}, doc, &body); err != nil {
			b.fail(err)
			continue
		}
		if prev, dup := seen[body.Name]; dup {
			b.fail(fileErr(file, "role %q is also defined in %s", body.Name, prev))
			continue
		}
		if systemRole(body.Name) {
			b.warnings = append(b.warnings, file+": skipped: "+body.Name+" is a dashboard role (kept by gatehouse admin, not from files)")
			continue
		}
		r := &role{Role: &domain.Role{Name: body.Name, Description: body.Description}, perms: []domain.Permission{}}
		if err := r.Validate(); err != nil {
			b.fail(&FileError{File: file, Err: err})
			continue
		}
		seen[body.Name] = file
		bad := false
		for i, p := range body.Permissions {
			api := b.d.api(p.ResourceServerIdentifier)
			switch {
			case api == nil:
				b.fail(fileErr(file, "permissions[%d]: resource server %q does not exist", i, p.ResourceServerIdentifier))
				bad = true
			case !api.HasScope(p.PermissionName):
				b.fail(fileErr(file, "permissions[%d]: %q is not a permission of %s", i, p.PermissionName, p.ResourceServerIdentifier))
				bad = true
			case !slices.Contains(r.perms, p):
				r.perms = append(r.perms, p)
			}
		}
		if bad {
			continue
		}
		if old := b.cur.roleByName(body.Name); old != nil {
			r.ID, r.CreatedAt = old.ID, old.CreatedAt
		} else {
			r.ID, r.CreatedAt = domain.NewRoleID(), b.now
		}
		out = append(out, r)
	}
	for _, r := range b.cur.roles {
		if _, inDir := seen[r.Name]; systemRole(r.Name) || (!inDir && !b.o.AllowDelete) {
			out = append(out, r)
		}
	}
	b.d.roles = out
	return nil
}

func (b *builder) actions() error {
	if ok, err := b.dirPresent(dirActions); err != nil || !ok {
		return err
	}
	names, err := b.src.list(dirActions, ".json")
	if err != nil {
		return err
	}
	b.d.managed[KindAction] = true
	var out []*action
	seen := map[string]string{}
	for _, n := range names {
		file := dirActions + "/" + n
		doc, err := b.src.readJSON(file)
		if err != nil {
			b.fail(err)
			continue
		}
		b.warnings = append(b.warnings, ignored(file, doc, map[string]bool{"name": true, "code": true, "runtime": true,
			"dependencies": true, "secrets": true, "supported_triggers": true, "deployed": true, "status": true}, "id")...)
		var body struct {
			Name         string                    `json:"name"`
			Code         string                    `json:"code"`
			Runtime      string                    `json:"runtime"`
			Dependencies []domain.ActionDependency `json:"dependencies"`
			Secrets      []struct {
				Name  string  `json:"name"`
				Value *string `json:"value"`
			} `json:"secrets"`
			Triggers []domain.ActionTrigger `json:"supported_triggers"`
			Deployed bool                   `json:"deployed"`
		}
		if err := overlay(file, struct{}{}, doc, &body); err != nil {
			b.fail(err)
			continue
		}
		if prev, dup := seen[body.Name]; dup {
			b.fail(fileErr(file, "action %q is also defined in %s", body.Name, prev))
			continue
		}
		seen[body.Name] = file
		code := ""
		if body.Code != "" {
			p, err := b.codePath(file, "code", body.Code, "")
			if err == nil {
				code, err = b.src.read(p, false)
			}
			if err != nil {
				b.fail(err)
				continue
			}
		}
		old := b.cur.actionByName(body.Name)
		a := &domain.Action{Name: body.Name, Code: code, Runtime: body.Runtime, Dependencies: body.Dependencies,
			SupportedTriggers: body.Triggers, Secrets: []domain.ActionSecret{}, Status: domain.ActionPending,
			CreatedAt: b.now, UpdatedAt: b.now}
		if a.Dependencies == nil {
			a.Dependencies = []domain.ActionDependency{}
		}
		if old != nil {
			a.ID, a.DeployedVersionID, a.CreatedAt, a.UpdatedAt = old.ID, old.DeployedVersionID, old.CreatedAt, old.UpdatedAt
		} else {
			a.ID = domain.NewActionID()
		}
		for _, s := range body.Secrets {
			var prev *domain.ActionSecret
			if old != nil {
				for i := range old.Secrets {
					if old.Secrets[i].Name == s.Name {
						prev = &old.Secrets[i]
					}
				}
			}
			switch {
			case s.Value == nil && prev != nil:
				a.Secrets = append(a.Secrets, *prev)
			case s.Value == nil:
				b.warnings = append(b.warnings, file+": secret "+s.Name+" has no value; it is created empty (give it with a keyword)")
				a.Secrets = append(a.Secrets, domain.ActionSecret{Name: s.Name, UpdatedAt: b.now})
				b.setSecret(KindAction, body.Name, "secrets."+s.Name)
			case prev != nil && subtle.ConstantTimeCompare([]byte(*s.Value), []byte(prev.Value)) == 1:
				a.Secrets = append(a.Secrets, *prev)
			default:
				a.Secrets = append(a.Secrets, domain.ActionSecret{Name: s.Name, Value: *s.Value, UpdatedAt: b.now})
				b.setSecret(KindAction, body.Name, "secrets."+s.Name)
			}
		}
		if err := a.Validate(); err != nil {
			b.fail(&FileError{File: file, Err: err})
			continue
		}
		if b.o.Compiler != nil {
			a.Status = domain.ActionBuilt
			for _, t := range a.SupportedTriggers {
				if err := b.o.Compiler.Compile(a.Name, a.Code, t.ID); err != nil {
					b.fail(fileErr(file, "code does not compile for %s: %s", t.ID, strings.TrimSpace(err.Error())))
					a.Status = domain.ActionFailed
				}
			}
			if a.Status == domain.ActionFailed {
				continue
			}
		}
		if old != nil && old.Status == a.Status && sameAction(old.Action, a) {
			a.UpdatedAt = old.UpdatedAt
		}
		deployed := body.Deployed
		if !deployed && old != nil && old.deployed && sameAction(old.Action, a) {
			deployed = true // deployed as it stands already: nothing to take back
		}
		out = append(out, &action{Action: a, deployed: deployed})
	}
	for _, a := range b.cur.actions {
		if _, inDir := seen[a.Name]; !inDir && !b.o.AllowDelete {
			out = append(out, a)
		}
	}
	b.d.actions = out
	return nil
}

// sameAction reports whether two drafts hold the same code and settings.
func sameAction(x, y *domain.Action) bool {
	return x.Code == y.Code && x.Runtime == y.Runtime && reflect.DeepEqual(x.SupportedTriggers, y.SupportedTriggers) &&
		reflect.DeepEqual(x.Secrets, y.Secrets) && len(x.Dependencies) == len(y.Dependencies) &&
		(len(x.Dependencies) == 0 || reflect.DeepEqual(x.Dependencies, y.Dependencies))
}

func (b *builder) triggers() error {
	file := dirTriggers + "/" + triggersFile
	if ok, err := b.dirPresent(dirTriggers); err != nil || !ok {
		b.keepBindings()
		return err
	}
	doc, err := b.src.readJSON(file)
	if err != nil {
		return err
	}
	b.d.managed[KindTriggers] = true
	out := map[string][]binding{}
	for id, bs := range b.cur.triggers {
		out[id] = bs
	}
	for _, id := range sortedKeys(doc) {
		if !slices.Contains(triggerIDs, id) {
			b.fail(fileErr(file, "%s: not a trigger Gatehouse runs (%s)", id, strings.Join(triggerIDs, ", ")))
			continue
		}
		var list []struct {
			ActionName  string `json:"action_name"`
			DisplayName string `json:"display_name"`
		}
		if err := overlay(file, struct{}{}, map[string]any{"list": doc[id]}, &struct {
			List *[]struct {
				ActionName  string `json:"action_name"`
				DisplayName string `json:"display_name"`
			} `json:"list"`
		}{List: &list}); err != nil {
			b.fail(err)
			continue
		}
		var bs []binding
		for i, e := range list {
			a := b.d.actionByName(e.ActionName)
			switch {
			case a == nil:
				b.fail(fileErr(file, "%s[%d]: action %q does not exist", id, i, e.ActionName))
			case !a.deployed:
				b.fail(fileErr(file, "%s[%d]: action %q is not deployed (\"deployed\": true in its file)", id, i, e.ActionName))
			case !slices.ContainsFunc(a.SupportedTriggers, func(t domain.ActionTrigger) bool { return t.ID == id }):
				b.fail(fileErr(file, "%s[%d]: action %q does not support %s", id, i, e.ActionName, id))
			default:
				dn := e.DisplayName
				if dn == "" {
					dn = e.ActionName
				}
				bs = append(bs, binding{actionName: e.ActionName, displayName: dn})
			}
		}
		out[id] = bs
	}
	b.d.triggers = out
	b.keepBindings()
	return nil
}

// keepBindings drops bindings whose action is gone (deleting an action deletes its bindings).
func (b *builder) keepBindings() {
	out := map[string][]binding{}
	for id, bs := range b.d.triggers {
		for _, x := range bs {
			if b.d.actionByName(x.actionName) != nil {
				out[id] = append(out[id], x)
			}
		}
	}
	b.d.triggers = out
}

func (b *builder) databases() error {
	if ok, err := b.dirPresent(dirDatabases); err != nil || !ok {
		b.keepEnabledClients(b.cur.databases, nil)
		return err
	}
	dirs, err := b.src.list(dirDatabases, "")
	if err != nil {
		return err
	}
	b.d.managed[KindDatabase] = true
	known := jsonNames(reflect.TypeOf(domain.Connection{}), nil)
	var out []*domain.Connection
	seen := map[string]string{}
	for _, dn := range dirs {
		file := dirDatabases + "/" + dn + "/" + databaseFile
		doc, name, ok := b.readNamed(file, "connection", known, seen, "enabled_clients")
		if !ok {
			continue
		}
		if s, ok := str(doc, "strategy"); ok && s != domain.StrategyAuth0 {
			b.fail(fileErr(file, "strategy: a database connection's strategy is auth0, not %q", s))
			continue
		}
		if opts, ok := doc["options"].(map[string]any); ok && opts["customScripts"] != nil {
			b.fail(fileErr(file, "options.customScripts: Gatehouse keeps users itself; custom database scripts are not run"))
			continue
		}
		refs, err := enabledRefs(file, doc)
		if err != nil {
			b.fail(err)
			continue
		}
		delete(doc, "id")
		old := b.cur.database(name)
		base := &domain.Connection{Name: name, Strategy: domain.StrategyAuth0, Options: domain.ConnectionOptions{BruteForceProtection: true}}
		if old != nil {
			base = old
		}
		c := &domain.Connection{}
		if err := overlay(file, base, doc, c); err != nil {
			b.fail(err)
			continue
		}
		domain.ApplyConnectionDefaults(c)
		if err := c.Validate(); err != nil {
			b.fail(&FileError{File: file, Err: err})
			continue
		}
		b.carryIdentity(old, c)
		if b.enableClients(file, c, refs) {
			out = append(out, c)
		}
	}
	b.keepEnabledClients(b.keptUndeleted(out, b.cur.databases, seen), seen)
	return nil
}

// keepEnabledClients sets the desired connections, each enabled for the clients of its list that
// remain; a connection whose file does not list them (fromFile) is also enabled for every client
// the directory creates, as a new client is enabled on every connection.
func (b *builder) keepEnabledClients(list []*domain.Connection, fromFile map[string]string) {
	b.d.databases = b.enabledKept(list, fromFile)
}

// enabledKept is list with each connection's enabled clients as keepEnabledClients says.
func (b *builder) enabledKept(list []*domain.Connection, fromFile map[string]string) []*domain.Connection {
	var out []*domain.Connection
	for _, c := range list {
		cp := *c
		cp.EnabledClients = nil
		for _, id := range c.EnabledClients {
			if b.d.clientByID(id) != nil {
				cp.EnabledClients = append(cp.EnabledClients, id)
			}
		}
		if _, listed := fromFile[c.Name]; listed {
			out = append(out, &cp)
			continue
		}
		for _, cl := range b.d.clients {
			if b.cur.clientByID(cl.ClientID) == nil {
				cp.EnabledClients = append(cp.EnabledClients, cl.ClientID)
			}
		}
		out = append(out, &cp)
	}
	return out
}

// carryIdentity gives c, read from a file, the id and dates of the connection it replaces (old),
// and keeps old enabled for Gatehouse's own clients, which no file names; a new connection gets
// a new id.
func (b *builder) carryIdentity(old, c *domain.Connection) {
	if old == nil {
		c.ID, c.CreatedAt, c.UpdatedAt = domain.NewConnectionID(), b.now, b.now
		return
	}
	c.ID, c.CreatedAt, c.UpdatedAt = old.ID, old.CreatedAt, old.UpdatedAt
	for _, id := range old.EnabledClients {
		if cl := b.d.clientByID(id); cl != nil && cl.IsSystem {
			c.EnabledClients = append(c.EnabledClients, id)
		}
	}
}

// enableClients enables c for the clients its file names (refs, by name or id); false, with
// each unknown one reported against file, when any does not exist.
func (b *builder) enableClients(file string, c *domain.Connection, refs []string) bool {
	ok := true
	for i, ref := range refs {
		cl := b.resolveClient(ref)
		if cl == nil {
			b.fail(fileErr(file, "enabled_clients[%d]: client %q does not exist", i, ref))
			ok = false
		} else if !slices.Contains(c.EnabledClients, cl.ClientID) {
			c.EnabledClients = append(c.EnabledClients, cl.ClientID)
		}
	}
	return ok
}

// keptUndeleted is out plus the current connections no file named (seen), unless deleting was
// asked for: without --allow-delete, what is missing from the files stays.
func (b *builder) keptUndeleted(out, current []*domain.Connection, seen map[string]string) []*domain.Connection {
	if b.o.AllowDelete {
		return out
	}
	for _, c := range current {
		if _, inDir := seen[c.Name]; !inDir {
			out = append(out, c)
		}
	}
	return out
}
