package admin

import (
	"net/http"
	"sync"
)

type stat struct {
	Label, Href string
	N           int // -1 when the count could not be read (a scope the person lacks)
}

type homeData struct {
	Tenant   string
	Stats    []stat
	Activity *activity // nil when the log cannot be read
}

// home shows the tenant's name and how many of each thing it has, each read through the API.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, v *viewer) {
	d := homeData{Stats: []stat{
		{Label: "Applications", Href: "/admin/applications"},
		{Label: "APIs"}, {Label: "Users"}, {Label: "Roles"},
	}}
	paths := []string{"clients", "resource-servers", "users", "roles"}
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var page struct {
				Total int `json:"total"`
			}
			d.Stats[i].N = -1
			if err := v.api.do(r.Context(), "GET", p+"?include_totals=true&per_page=1&page=0", nil, &page); err == nil {
				d.Stats[i].N = page.Total
			}
		}()
	}
	if v.Can("read:logs") {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.Activity, _ = loadActivity(r.Context(), v.api, h.opts.Now())
		}()
	}
	var settings struct {
		FriendlyName string `json:"friendly_name"`
	}
	if err := v.api.do(r.Context(), "GET", "tenants/settings", nil, &settings); err == nil {
		d.Tenant = settings.FriendlyName
	}
	wg.Wait()
	h.render(w, r, http.StatusOK, "home", &layoutData{Title: "Home", Nav: "home", Data: d}, v)
}
