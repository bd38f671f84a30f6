package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// apiError is an error with an HTTP status and a stable code for clients.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

func errBadRequest(code, format string, a ...any) error {
	return &apiError{http.StatusBadRequest, code, fmt.Sprintf(format, a...)}
}
func errUnauthenticated(msg string) error {
	return &apiError{http.StatusUnauthorized, "unauthenticated", msg}
}
func errForbidden(msg string) error { return &apiError{http.StatusForbidden, "forbidden", msg} }
func errNotFound(msg string) error  { return &apiError{http.StatusNotFound, "not_found", msg} }

// classify maps an error to what the client is told. Errors it does not
// know are internal: the client gets a generic message, the log the cause.
func classify(err error) *apiError {
	var ae *apiError
	var ve *incident.ValidationError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ve):
		return &apiError{http.StatusUnprocessableEntity, "invalid", ve.Error()}
	case errors.As(err, &mbe), errors.Is(err, store.ErrTooLarge):
		return &apiError{http.StatusRequestEntityTooLarge, "too_large", "request body too large: " + err.Error()}
	case errors.Is(err, store.ErrNotFound):
		return &apiError{http.StatusNotFound, "not_found", err.Error()}
	case errors.Is(err, store.ErrConflict):
		return &apiError{http.StatusConflict, "conflict", err.Error()}
	case errors.Is(err, store.ErrState):
		return &apiError{http.StatusConflict, "state", strings.TrimSuffix(err.Error(), ": "+store.ErrState.Error())}
	}
	return &apiError{http.StatusInternalServerError, "internal", "internal error; the server log has the cause"}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, api bool, err error) {
	ae := classify(err)
	if ae.status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if ae.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="firebreak"`)
	}
	if !api {
		if ae.status == http.StatusUnauthorized && r.Method == http.MethodGet {
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		s.renderError(w, r, ae)
		return
	}
	writeJSON(w, ae.status, map[string]any{"error": map[string]string{"code": ae.code, "message": ae.message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// decodeJSON reads one JSON value from r's body into v, refusing unknown
// fields, trailing data and bodies over the limit, with a message that says
// where and why.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSON(ct) {
		return &apiError{http.StatusUnsupportedMediaType, "unsupported_media_type", fmt.Sprintf("body must be application/json, not %q", ct)}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.opt.MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, s.opt.MaxBody)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errBadRequest("malformed_json", "body: unexpected data after the JSON value")
	}
	return nil
}

func jsonError(err error, limit int64) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &apiError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body is larger than %d bytes", limit)}
	case errors.Is(err, io.EOF):
		return errBadRequest("malformed_json", "body is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errBadRequest("malformed_json", "body: JSON ends early")
	case errors.As(err, &syn):
		return errBadRequest("malformed_json", "body: malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(top level)"
		}
		return errBadRequest("wrong_type", "body: field %s must be %s, not a JSON %s", field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errBadRequest("unknown_field", "body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	var ve *incident.ValidationError
	if errors.As(err, &ve) {
		return err
	}
	return errBadRequest("malformed_json", "body: %v", err)
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}
