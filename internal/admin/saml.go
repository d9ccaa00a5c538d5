package admin

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Authentication › Enterprise › SAML: samlp connections (Gatehouse as the service provider). A
// list, a create form and the settings of one — sign-in URL, the IdP's certificate (pasted or
// uploaded), metadata URL, sign requests, protocol binding, sign-out URL, email domains — with the
// addresses to give the IdP (SP metadata, ACS, entity id) ready to copy. The Applications tab is
// the providers pages' own. Every read and write is the Management API's /connections.

const samlPath = Path + "saml"

// samlBindings are the AuthnRequest bindings (options.protocolBinding), with how each is named.
var samlBindings = []struct{ Value, Label string }{
	{"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", "HTTP-Redirect"},
	{"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", "HTTP-POST"},
}

// maxCertUpload bounds an uploaded certificate file.
const maxCertUpload = 64 << 10

func (h *Handler) samlRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+samlPath, h.page(h.samlList))
	mux.Handle("GET "+samlPath+"/new", h.page(h.newSAML))
	mux.Handle("POST "+samlPath+"/new", h.page(h.createSAML))
	mux.Handle("GET "+samlPath+"/{id}", h.page(h.samlSettings))
	mux.Handle("POST "+samlPath+"/{id}", h.page(h.saveSAML))
}

// samlForm is the settings form as typed, by Auth0's option names.
type samlForm struct {
	Name, DisplayName, SignInEndpoint, SignOutEndpoint, Cert, MetadataURL, Binding, Issuer string
	DomainAliases                                                                          string // one per line
	SignRequest, ShowAsButton, DisableSignout                                              bool
}

type samlData struct {
	Form     samlForm
	Bindings any
	Conn     connection
	Base     string
	CanWrite bool
	// The addresses the IdP's administrator needs, for this connection.
	MetadataURL, ACSURL, EntityID, LogoutURL string
}

func (h *Handler) samlAddresses(d *samlData) {
	iss := strings.TrimSuffix(h.opts.Issuer, "/")
	name := url.QueryEscape(d.Form.Name)
	d.MetadataURL = iss + "/samlp/metadata?connection=" + name
	d.ACSURL = iss + "/login/callback?connection=" + name
	d.LogoutURL = iss + "/samlp/logout?connection=" + name
	tenant := "gatehouse"
	if u, err := url.Parse(h.opts.Issuer); err == nil && u.Hostname() != "" {
		tenant, _, _ = strings.Cut(u.Hostname(), ".")
	}
	d.EntityID = "urn:auth0:" + tenant + ":" + d.Form.Name
}

func (h *Handler) samlList(w http.ResponseWriter, r *http.Request, v *viewer) {
	all, err := walk[connection](r, v.api, "connections?strategy=samlp", "connections")
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	_, page := listParams(r)
	rows := pageOf(all, page)
	d := connectionListData{Rows: rows, Pager: newPager(samlPath, url.Values{}, page, len(rows), len(all))}
	h.render(w, r, http.StatusOK, "saml_list", &layoutData{Title: "SAML Connections", Nav: "saml", Flash: flashFor(r), Data: d}, v)
}

func (h *Handler) newSAML(w http.ResponseWriter, r *http.Request, v *viewer) {
	d := samlData{Form: samlForm{SignRequest: true}, Bindings: samlBindings, CanWrite: v.Can("create:connections")}
	h.render(w, r, http.StatusOK, "saml_new", &layoutData{Title: "New SAML Connection", Nav: "saml", Data: d}, v)
}

// samlFormFrom reads the form (multipart, for the certificate file). An uploaded certificate
// wins over the pasted one; either is sent as Auth0's signingCert (base64 of the PEM).
func samlFormFrom(r *http.Request) (samlForm, string) {
	r.Body = http.MaxBytesReader(nil, r.Body, 2*maxCertUpload)
	if err := r.ParseMultipartForm(maxCertUpload); err != nil && err != http.ErrNotMultipart {
		return samlForm{}, "The form could not be read (a certificate file is at most 64 KiB)."
	}
	t := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := samlForm{Name: t("name"), DisplayName: t("display_name"), SignInEndpoint: t("signInEndpoint"), SignOutEndpoint: t("signOutEndpoint"),
		Cert: strings.TrimSpace(r.PostFormValue("cert")), MetadataURL: t("metadataUrl"), Binding: t("protocolBinding"), Issuer: t("issuer"),
		DomainAliases: r.PostFormValue("domain_aliases"), SignRequest: r.PostFormValue("signSAMLRequest") == "on",
		ShowAsButton: r.PostFormValue("show_as_button") == "on", DisableSignout: r.PostFormValue("disableSignout") == "on"}
	if file, _, err := r.FormFile("cert_file"); err == nil {
		defer file.Close()
		buf, err := io.ReadAll(io.LimitReader(file, maxCertUpload+1))
		if err != nil || len(buf) > maxCertUpload {
			return f, "The certificate file could not be read (at most 64 KiB)."
		}
		if s := strings.TrimSpace(string(buf)); s != "" {
			f.Cert = s
		}
	}
	return f, ""
}

// signingCert is the certificate as Auth0's signingCert takes it: base64 of the PEM (a pasted
// base64 value is sent as it is).
func signingCert(cert string) string {
	if strings.HasPrefix(cert, "-----") {
		return base64.StdEncoding.EncodeToString([]byte(cert + "\n"))
	}
	return strings.Join(strings.Fields(cert), "")
}

// options writes the form over opts (the connection's current options on a save); an empty
// field removes its option, except the certificate, which an empty field keeps.
func (f samlForm) options(opts map[string]any) map[string]any {
	setOption(opts, "signInEndpoint", f.SignInEndpoint)
	setOption(opts, "signOutEndpoint", f.SignOutEndpoint)
	setOption(opts, "metadataUrl", f.MetadataURL)
	setOption(opts, "protocolBinding", f.Binding)
	setOption(opts, "issuer", f.Issuer)
	if f.Cert != "" {
		opts["signingCert"] = signingCert(f.Cert)
		delete(opts, "cert")
	}
	opts["signSAMLRequest"] = f.SignRequest
	opts["disableSignout"] = f.DisableSignout
	setDomainAliases(opts, f.DomainAliases)
	return opts
}

func (h *Handler) createSAML(w http.ResponseWriter, r *http.Request, v *viewer) {
	f, problem := samlFormFrom(r)
	d := samlData{Form: f, Bindings: samlBindings, CanWrite: v.Can("create:connections")}
	if problem != "" {
		h.render(w, r, http.StatusBadRequest, "saml_new", &layoutData{Title: "New SAML Connection", Nav: "saml", Error: problem, Data: d}, v)
		return
	}
	body := map[string]any{"name": f.Name, "strategy": "samlp", "show_as_button": f.ShowAsButton, "options": f.options(map[string]any{})}
	if f.DisplayName != "" {
		body["display_name"] = f.DisplayName
	}
	var created connection
	if err := v.api.do(r.Context(), "POST", "connections", body, &created); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.render(w, r, status, "saml_new", &layoutData{Title: "New SAML Connection", Nav: "saml", Error: msg, Data: d}, v)
		}
		return
	}
	redirect(w, r, samlPath+"/"+url.PathEscape(created.ID), "created")
}

func (h *Handler) loadSAML(w http.ResponseWriter, r *http.Request, v *viewer) (samlData, bool) {
	var c struct {
		connection
		ShowAsButton bool `json:"show_as_button"`
	}
	if err := v.api.do(r.Context(), "GET", "connections/"+url.PathEscape(r.PathValue("id")), nil, &c); err != nil {
		h.apiFailed(w, r, v, err)
		return samlData{}, false
	}
	if c.Strategy != "samlp" {
		http.Redirect(w, r, providersPath+"/"+url.PathEscape(c.ID), http.StatusSeeOther)
		return samlData{}, false
	}
	if c.Options == nil {
		c.Options = map[string]json.RawMessage{}
	}
	s := func(k string) string { x, _ := option[string](c.Options, k); return x }
	b := func(k string) bool { x, _ := option[bool](c.Options, k); return x }
	aliases, _ := option[[]string](c.Options, "domain_aliases")
	f := samlForm{Name: c.Name, DisplayName: c.DisplayName, SignInEndpoint: s("signInEndpoint"), SignOutEndpoint: s("signOutEndpoint"),
		MetadataURL: s("metadataUrl"), Binding: s("protocolBinding"), Issuer: s("issuer"), DomainAliases: strings.Join(aliases, "\n"),
		SignRequest: b("signSAMLRequest"), ShowAsButton: c.ShowAsButton, DisableSignout: b("disableSignout")}
	d := samlData{Form: f, Bindings: samlBindings, Conn: c.connection, Base: samlPath + "/" + url.PathEscape(c.ID), CanWrite: v.Can("update:connections")}
	h.samlAddresses(&d)
	return d, true
}

func (h *Handler) renderSAML(w http.ResponseWriter, r *http.Request, v *viewer, status int, d samlData, msg string) {
	flash := ""
	if msg == "" {
		flash = flashFor(r)
	}
	h.render(w, r, status, "saml", &layoutData{Title: d.Conn.Name, Nav: "saml", Error: msg, Flash: flash, Data: d}, v)
}

func (h *Handler) samlSettings(w http.ResponseWriter, r *http.Request, v *viewer) {
	if d, ok := h.loadSAML(w, r, v); ok {
		h.renderSAML(w, r, v, http.StatusOK, d, "")
	}
}

// saveSAML PATCHes display_name, show_as_button and the options, those this page does not show
// (signing_key, fieldsMap, idpinitiated, …) sent back as the API returned them.
func (h *Handler) saveSAML(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadSAML(w, r, v)
	if !ok {
		return
	}
	f, problem := samlFormFrom(r)
	f.Name = d.Form.Name
	if problem != "" {
		d.Form = f
		h.renderSAML(w, r, v, http.StatusBadRequest, d, problem)
		return
	}
	opts := map[string]any{}
	for k, raw := range d.Conn.Options {
		opts[k] = raw
	}
	delete(opts, "signing_key") // the SP key is kept when options leave it out
	body := map[string]any{"display_name": f.DisplayName, "show_as_button": f.ShowAsButton, "options": f.options(opts)}
	if err := v.api.do(r.Context(), "PATCH", "connections/"+url.PathEscape(d.Conn.ID), body, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			f.Cert = ""
			d.Form = f
			h.renderSAML(w, r, v, status, d, msg)
		}
		return
	}
	redirect(w, r, d.Base, "saved")
}
