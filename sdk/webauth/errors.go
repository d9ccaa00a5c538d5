package webauth

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
)

// HandlerError is a failure of an auth route. Code and Description are safe to show a user;
// they never contain tokens or secrets. Err is the internal cause, for logs only.
type HandlerError struct {
	Status      int
	Code        string
	Description string
	Err         error
}

func (e *HandlerError) Error() string {
	return fmt.Sprintf("webauth: %s: %s", e.Code, e.Description)
}

func (e *HandlerError) Unwrap() error { return e.Err }

func badRequest(code, desc string, cause error) *HandlerError {
	return &HandlerError{Status: http.StatusBadRequest, Code: code, Description: desc, Err: cause}
}

func errDiscovery(err error) *HandlerError {
	return &HandlerError{Status: http.StatusInternalServerError, Code: "discovery_failed",
		Description: "The identity provider could not be reached. Try again later.", Err: err}
}

func errInternal(err error) *HandlerError {
	return &HandlerError{Status: http.StatusInternalServerError, Code: "server_error",
		Description: "An internal error occurred.", Err: err}
}

// fail logs the cause and hands the error to the configured renderer.
func (c *Client) fail(w http.ResponseWriter, r *http.Request, e *HandlerError) {
	attrs := []any{"code", e.Code, "path", r.URL.Path}
	if e.Err != nil {
		attrs = append(attrs, "err", e.Err.Error())
	}
	if e.Status >= 500 {
		c.cfg.Logger.ErrorContext(r.Context(), "webauth: auth route failed", attrs...)
	} else {
		c.cfg.Logger.InfoContext(r.Context(), "webauth: auth route rejected request", attrs...)
	}
	c.cfg.OnError(w, r, e)
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Login failed</title></head>
<body><h1>Login failed</h1><p><code>{{.Code}}</code>: {{.Description}}</p>
<p><a href="/">Return to the application</a></p></body></html>
`))

// RenderError is the default OnError: JSON {"error","error_description"} when the request
// prefers JSON, otherwise a small HTML page, with the error's status.
func RenderError(w http.ResponseWriter, r *http.Request, e *HandlerError) {
	w.Header().Set("Cache-Control", "no-store")
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeJSON(w, e.Status, map[string]string{"error": e.Code, "error_description": e.Description})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(e.Status)
	_ = errorPage.Execute(w, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
