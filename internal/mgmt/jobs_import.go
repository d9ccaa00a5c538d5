package mgmt

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/userimport"
)

// importRoutes serves Auth0's bulk user import: POST /jobs/users-imports stores the file with a
// pending job, which a node's userimport.Runner imports in the background; /jobs/{id}/errors
// lists the rows that failed.
func (h *Handler) importRoutes() []route {
	return []route{
		{method: "POST", path: "/jobs/users-imports", scopes: []string{"create:users"}, desc: "Import users", fn: h.usersImport},
		{method: "POST", path: "/jobs/users-exports", scopes: []string{"read:users"}, desc: "Export users", fn: h.usersExport},
		{method: "GET", path: "/jobs/{id}/errors", scopes: []string{"create:users", "read:users"}, desc: "Get job error details", fn: h.jobErrors},
	}
}

// maxImportRequest is the largest multipart request taken: the file's limit and room for the
// form's other fields and part headers. A request that says it is larger is refused before any of
// it is read.
const maxImportRequest = userimport.MaxFileBytes + 64*1024

var tooLarge = &apiError{http.StatusRequestEntityTooLarge, "payload_too_large",
	"The users file is larger than the limit of " + strconv.Itoa(userimport.MaxFileBytes) + " bytes."}

func formBool(v string, field string) (bool, error) {
	switch v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: '%s' must be true or false.", field)
}

func (h *Handler) usersImport(c *call) (int, any, error) {
	if c.r.ContentLength > maxImportRequest {
		return 0, nil, tooLarge
	}
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, maxImportRequest)
	if err := c.r.ParseMultipartForm(maxImportRequest); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return 0, nil, tooLarge
		}
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "The request must be multipart/form-data with a users file.")
	}
	defer c.r.MultipartForm.RemoveAll()
	f, fh, err := c.r.FormFile("users")
	if err != nil {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: 'Missing required property: users'.")
	}
	defer f.Close()
	if fh.Size > userimport.MaxFileBytes {
		return 0, nil, tooLarge
	}
	file, err := io.ReadAll(io.LimitReader(f, userimport.MaxFileBytes+1))
	if err != nil {
		return 0, nil, err
	}
	connID := c.r.FormValue("connection_id")
	if connID == "" {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: 'Missing required property: connection_id'.")
	}
	upsert, err := formBool(c.r.FormValue("upsert"), "upsert")
	if err != nil {
		return 0, nil, err
	}
	// Auth0's default: the tenant's owners are emailed when the job completes.
	mail := true
	if v := c.r.FormValue("send_completion_email"); v != "" {
		if mail, err = formBool(v, "send_completion_email"); err != nil {
			return 0, nil, err
		}
	}
	ctx := c.ctx()
	conn, err := h.st.GetConnection(ctx, connID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, refuse(http.StatusBadRequest, "inexistent_connection", "The connection does not exist.")
	} else if err != nil {
		return 0, nil, err
	}
	job, err := userimport.Create(ctx, h.st, h.now(), userimport.Settings{Connection: conn, Upsert: upsert,
		ExternalID: c.r.FormValue("external_id"), SendCompletionEmail: mail}, file)
	if err != nil {
		return 0, nil, err
	}
	if h.opts.ImportStarted != nil {
		h.opts.ImportStarted()
	}
	return http.StatusAccepted, job, nil
}

func (h *Handler) jobErrors(c *call) (int, any, error) {
	ctx := c.ctx()
	job, err := load(ctx, h.st.GetJob, c.r.PathValue("id"), nfJob)
	if err != nil {
		return 0, nil, err
	}
	if job.Type != domain.JobUsersImport {
		return http.StatusNoContent, nil, nil
	}
	errs, err := userimport.Errors(ctx, h.st, job.ID)
	if err != nil {
		return 0, nil, err
	}
	if len(errs) == 0 {
		return http.StatusNoContent, nil, nil // as Auth0 answers for a job without errors
	}
	return http.StatusOK, errs, nil
}

// exportBody is Auth0's PostUsersExportsRequest.
type exportBody struct {
	ConnectionID *string              `json:"connection_id"`
	Format       *string              `json:"format"`
	Limit        *int                 `json:"limit"`
	Fields       []domain.ExportField `json:"fields"`
}

func (h *Handler) usersExport(c *call) (int, any, error) {
	if h.opts.ExportLinks == nil {
		return 0, nil, refuse(http.StatusNotImplemented, codeNotSupported, "This node cannot sign export download links.")
	}
	var b exportBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	ctx := c.ctx()
	var conn *domain.Connection
	if b.ConnectionID != nil {
		cn, err := h.st.GetConnection(ctx, *b.ConnectionID)
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil, refuse(http.StatusBadRequest, "inexistent_connection", "The connection does not exist.")
		} else if err != nil {
			return 0, nil, err
		}
		conn = cn
	}
	format, limit := "", 0
	if b.Format != nil {
		format = *b.Format
	}
	if b.Limit != nil {
		limit = *b.Limit
	}
	job, err := userimport.CreateExport(ctx, h.st, h.now(), conn, format, limit, b.Fields)
	if err != nil {
		return 0, nil, err
	}
	if h.opts.ImportStarted != nil {
		h.opts.ImportStarted()
	}
	return http.StatusCreated, job, nil
}

// exportDownload serves a completed export's file at the job's location, a link signed when the
// job was read (userimport.ExportLinks). A forged or altered link and an expired one are 403s that
// say which, told apart only once the signature checked out; a link to a job no longer there, 404.
func (h *Handler) exportDownload(w http.ResponseWriter, r *http.Request) {
	refuse := func(status int, message string) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		b, _ := json.Marshal(map[string]any{"statusCode": status, "error": http.StatusText(status), "message": message})
		_, _ = w.Write(b)
	}
	if h.opts.ExportLinks == nil {
		refuse(http.StatusNotFound, "The export does not exist.")
		return
	}
	id, q := r.PathValue("id"), r.URL.Query()
	switch err := h.opts.ExportLinks.Check(id, q.Get("expires"), q.Get("signature"), h.now()); {
	case errors.Is(err, userimport.ErrLinkExpired):
		refuse(http.StatusForbidden, "The download link has expired; read the job again for a fresh one.")
		return
	case err != nil:
		refuse(http.StatusForbidden, "The download link is not valid.")
		return
	}
	file, err := userimport.ExportFile(r.Context(), h.st, id)
	if errors.Is(err, store.ErrNotFound) {
		refuse(http.StatusNotFound, "The export does not exist.")
		return
	} else if err != nil {
		h.log.Error("users export download", "job", id, "err", err)
		refuse(http.StatusInternalServerError, "The export could not be read.")
		return
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(file)
}
