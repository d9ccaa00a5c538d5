package admin

import "net/http"

// tenantPageRoutes registers the pages that run the tenant rather than its applications and
// people: Actions and Flows, Monitoring, Settings and Security.
func (h *Handler) tenantPageRoutes(mux *http.ServeMux) {
	h.actionRoutes(mux)
	h.monitoringRoutes(mux)
	h.settingsRoutes(mux)
	h.securityRoutes(mux)
	h.mfaRoutes(mux)
}
