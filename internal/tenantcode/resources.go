package tenantcode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Resource is one file's worth of configuration in the Deploy CLI's shape: Doc is what the JSON
// file holds, Side the files it names (an Action's code, a template's HTML), by path.
type Resource struct {
	Kind Kind
	Key  string
	File string
	Doc  map[string]any
	Side map[string]string
}

// toMap is v's JSON object, numbers kept as written.
func toMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("tenantcode: %T does not marshal: %v", v, err)) // domain types always do
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		panic(fmt.Sprintf("tenantcode: %T is not an object: %v", v, err))
	}
	return m
}

var unsafeName = regexp.MustCompile(`[/?<>\\:*|"\x00-\x1f\x80-\x9f]`)

// sanitize makes a name a file name as the Deploy CLI does (sanitize-filename, "-" for what a file
// system refuses).
func sanitize(name string) string {
	if name == "" {
		return "undefined"
	}
	s := unsafeName.ReplaceAllString(name, "-")
	s = strings.TrimRight(s, ". ")
	if s == "" || s == "." || s == ".." {
		return "-"
	}
	if len(s) > 255 {
		s = s[:255]
	}
	return s
}

// resources lists the snapshot's resources of the kinds it manages, in Kinds order and key order.
func (s *snapshot) resources() []*Resource {
	var out []*Resource
	add := func(k Kind, r *Resource) {
		if s.managed[k] {
			r.Kind = k
			out = append(out, r)
		}
	}
	if s.settings != nil {
		m := toMap(s.settings)
		delete(m, "branding") // the Deploy CLI keeps branding apart
		if f, ok := m["flags"].(map[string]any); ok && len(f) == 0 {
			delete(m, "flags")
		}
		add(KindTenant, &Resource{Key: "tenant", File: tenantFile, Doc: m})
	}
	s.brandingResource(add)
	s.guardianResources(add)
	for _, c := range s.clients {
		if c.IsSystem {
			continue
		}
		m := toMap(c)
		delete(m, "client_id")
		delete(m, "client_authentication_methods") // credentials are per tenant, added through the API
		for _, k := range []string{"callbacks", "allowed_logout_urls", "allowed_origins", "web_origins"} {
			if _, ok := m[k]; !ok {
				m[k] = []any{}
			}
		}
		add(KindClient, &Resource{Key: c.Name, File: dirClients + "/" + sanitize(c.Name) + ".json", Doc: m})
	}
	for _, a := range s.apis {
		if a.IsSystem {
			continue
		}
		m := toMap(a)
		delete(m, "id")
		delete(m, "signing_secret_sealed")
		delete(m, "is_system")
		add(KindAPI, &Resource{Key: a.Identifier, File: dirAPIs + "/" + sanitize(a.Name) + ".json", Doc: m})
	}
	for _, g := range s.grants {
		c := s.clientByID(g.ClientID)
		if c == nil || c.IsSystem {
			continue
		}
		apiName := g.Audience
		if a := s.api(g.Audience); a != nil {
			apiName = a.Name
		}
		scope := g.Scope
		if scope == nil {
			scope = []string{}
		}
		add(KindGrant, &Resource{Key: s.grantKey(g), File: dirGrants + "/" + sanitize(c.Name+"-"+apiName) + ".json",
			Doc: toMap(map[string]any{"client_id": c.Name, "audience": g.Audience, "scope": scope})})
	}
	for _, r := range s.roles {
		if systemRole(r.Name) {
			continue
		}
		perms := append([]domain.Permission{}, r.perms...)
		sort.Slice(perms, func(i, j int) bool {
			if perms[i].ResourceServerIdentifier != perms[j].ResourceServerIdentifier {
				return perms[i].ResourceServerIdentifier < perms[j].ResourceServerIdentifier
			}
			return perms[i].PermissionName < perms[j].PermissionName
		})
		m := toMap(map[string]any{"name": r.Name, "permissions": perms})
		if r.Description != "" {
			m["description"] = r.Description
		}
		add(KindRole, &Resource{Key: r.Name, File: dirRoles + "/" + sanitize(r.Name) + ".json", Doc: m})
	}
	for _, a := range s.actions {
		code := dirActions + "/" + sanitize(a.Name) + "/code.js"
		secrets := []map[string]string{}
		for _, sec := range a.Secrets {
			secrets = append(secrets, map[string]string{"name": sec.Name})
		}
		deps := a.Dependencies
		if deps == nil {
			deps = []domain.ActionDependency{}
		}
		m := toMap(map[string]any{"name": a.Name, "code": "./" + code, "runtime": a.Runtime, "dependencies": deps,
			"secrets": secrets, "supported_triggers": a.SupportedTriggers, "deployed": a.deployed, "status": a.Status})
		add(KindAction, &Resource{Key: a.Name, File: dirActions + "/" + sanitize(a.Name) + ".json", Doc: m,
			Side: map[string]string{code: a.Code}})
	}
	if s.triggers != nil {
		m := map[string]any{}
		for _, id := range triggerIDs {
			list := []any{}
			for _, b := range s.triggers[id] {
				list = append(list, map[string]any{"action_name": b.actionName, "display_name": b.displayName})
			}
			m[id] = list
		}
		add(KindTriggers, &Resource{Key: "triggers", File: dirTriggers + "/" + triggersFile, Doc: m})
	}
	for _, c := range s.databases {
		m := toMap(c)
		delete(m, "id")
		names := []string{}
		for _, id := range c.EnabledClients {
			if cl := s.clientByID(id); cl != nil && !cl.IsSystem {
				names = append(names, cl.Name)
			}
		}
		sort.Strings(names)
		m["enabled_clients"] = toSlice(names)
		add(KindDatabase, &Resource{Key: c.Name, File: dirDatabases + "/" + sanitize(c.Name) + "/" + databaseFile, Doc: m})
	}
	for _, c := range s.connections {
		add(KindConnection, &Resource{Key: c.Name, File: dirConns + "/" + sanitize(c.Name) + ".json", Doc: s.connectionDoc(c)})
	}
	for _, o := range s.orgs {
		add(KindOrganization, &Resource{Key: o.Name, File: dirOrgs + "/" + sanitize(o.Name) + ".json", Doc: s.orgDoc(o)})
	}
	for _, ls := range s.streams {
		add(KindLogStream, &Resource{Key: ls.Name, File: dirLogStreams + "/" + sanitize(ls.Name) + ".json", Doc: logStreamDoc(ls)})
	}
	if s.provider != nil {
		add(KindEmailProvider, &Resource{Key: "provider", File: dirEmails + "/" + providerFile, Doc: toMap(s.provider)})
	}
	for _, t := range s.templates {
		html := sanitize(t.Template) + ".html"
		m := toMap(t)
		m["body"] = "./" + html
		add(KindEmailTemplate, &Resource{Key: t.Template, File: dirEmails + "/" + sanitize(t.Template) + ".json", Doc: m,
			Side: map[string]string{dirEmails + "/" + html: t.Body}})
	}
	return out
}

func toSlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
