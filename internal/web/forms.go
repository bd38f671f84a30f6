package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// form is a submitted HTML form and its validation errors, keyed by field,
// so that a page can show each error next to its field.
type form struct {
	Values url.Values
	Errors map[string]string
}

// Get returns a submitted value; a nil form (a page shown fresh) has none.
func (f *form) Get(name string) string {
	if f == nil {
		return ""
	}
	return f.Values.Get(name)
}

// Err returns the error for a field, if any.
func (f *form) Err(name string) string {
	if f == nil {
		return ""
	}
	return f.Errors[name]
}

// Invalid reports whether the form carries errors.
func (f *form) Invalid() bool { return f != nil && len(f.Errors) > 0 }

func (f *form) fail(field, msg string) {
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	f.Errors[field] = msg
}

// takeError files a validation error under its field and reports whether
// err was one; other errors are left for the caller.
func (f *form) takeError(err error) bool {
	var ve *incident.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	field := ve.Field
	if i := strings.IndexAny(field, ".["); i > 0 {
		field = field[:i]
	}
	f.fail(field, ve.Reason)
	return true
}

// parseForm reads a urlencoded form of bounded size.
func parseForm(w http.ResponseWriter, r *http.Request) (*form, error) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &apiError{http.StatusRequestEntityTooLarge, "too_large", "the form is larger than 1 MiB"}
		}
		return nil, errBadRequest("bad_form", "could not read the form: %v", err)
	}
	return &form{Values: r.PostForm}, nil
}

// timeField parses a datetime-local or RFC 3339 value as UTC; empty gives nil.
func (f *form) timeField(name string) *time.Time {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, v); err == nil {
			t = t.UTC()
			return &t
		}
	}
	f.fail(name, "not a time: use 2025-07-19T07:20 (UTC)")
	return nil
}

func (f *form) intField(name string) int64 {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		f.fail(name, "not a number")
	}
	return n
}

// seeOther redirects after a successful POST.
func seeOther(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func asValidation(err error, target **incident.ValidationError) bool { return errors.As(err, target) }

// settle ends a console form action: with no error and a valid form it
// redirects to the page the action belongs to; a validation error is filed
// next to its field and the page shown again (422) by rerender; any other
// error is returned.
func settle(w http.ResponseWriter, r *http.Request, fm *form, err error, to string, rerender func(int, *form) error) error {
	if err == nil && !fm.Invalid() {
		return seeOther(w, r, to)
	}
	if err != nil && !fm.takeError(err) {
		return err
	}
	return rerender(http.StatusUnprocessableEntity, fm)
}
