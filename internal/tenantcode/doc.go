// Package tenantcode keeps a tenant's configuration in files: the Auth0 Deploy CLI's directory
// format (tenant.json, branding/, guardian/, clients/, resource-servers/, grants/, roles/,
// actions/ with their code, triggers/, database-connections/, connections/, organizations/,
// log-streams/, emails/) and its YAML format (one tenant.yaml, code and
// templates in the files it names), read and written for `gatehouse tenant export`, `plan` and
// `apply`. A tenant.yaml's sections become the directory's documents in memory, so both formats
// go through the same rules.
//
// It owns the mapping between the files and the domain entities, `##KEYWORD##` and `@@KEYWORD@@`
// replacement, the bounds on what it reads (file sizes, counts, paths inside the directory), the
// readable plan, and applying a plan through the store in one transaction per resource type.
//
// It must not: reach a flow or a route (it sees only the domain and the store), hold a key (secrets
// are sealed and code compiled through the interfaces the caller hands it), write a secret in clear
// to a file (client secrets and Action secret values are never exported; a connection's client
// secret and a log stream's Authorization header are exported as the Deploy CLI masks them, a
// keyword an import must map; a plan masks every secret), or
// change anything before the whole directory has been read and checked. Nothing is deleted unless
// the caller asks for it, and Gatehouse's own objects (system clients and APIs) are never touched.
package tenantcode
