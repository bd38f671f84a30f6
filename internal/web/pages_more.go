package web

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/intel"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// inferIndicatorType guesses the type of a bare indicator value.
func inferIndicatorType(v string) (incident.IndicatorType, bool) {
	for _, t := range []incident.IndicatorType{incident.IndIPv4, incident.IndIPv6, incident.IndCIDR, incident.IndSHA256, incident.IndSHA1,
		incident.IndMD5, incident.IndURL, incident.IndEmail, incident.IndURLPath, incident.IndDomain} {
		if t == incident.IndURL && !strings.Contains(v, "://") {
			continue
		}
		if _, err := incident.NormalizeIndicator(t, v); err == nil {
			return t, true
		}
	}
	return "", false
}

type indicatorsView struct {
	incidentFrame
	Indicators []incident.Indicator
	Types      []incident.IndicatorType
	TLPs       []incident.TLP
	Form       *form
	Added      string
	Rejected   string
}

func (s *Server) indicatorsPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.renderIndicators(w, r, c, http.StatusOK, nil)
}

func (s *Server) renderIndicators(w http.ResponseWriter, r *http.Request, c *caller, status int, fm *form) error {
	ref := r.PathValue("ref")
	fr, err := s.frame(r, ref, "indicators")
	if err != nil {
		return err
	}
	v := indicatorsView{incidentFrame: fr, Types: incident.IndicatorTypes, TLPs: incident.TLPs, Form: fm, Added: r.URL.Query().Get("added"),
		Rejected: r.URL.Query().Get("rejected")}
	if v.Indicators, err = s.st.ListIndicatorsFor(r.Context(), ref, all, c.indicatorViewer(ref)); err != nil {
		return err
	}
	return s.render(w, status, "indicators.html", c, "Indicators · "+ref, v)
}

// addIndicatorsForm adds one typed indicator, or a pasted list with one
// value per line (types inferred, # comments ignored). Any bad line fails
// the whole paste with its line number, so nothing is half-imported.
func (s *Server) addIndicatorsForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	base := incident.Indicator{TLP: incident.TLP(fm.Get("tlp")), Source: strings.TrimSpace(fm.Get("source")), Note: fm.Get("note")}
	var batch []incident.Indicator
	field := "value"
	if v := strings.TrimSpace(fm.Get("value")); v != "" {
		ind := base
		ind.Type, ind.Value = incident.IndicatorType(fm.Get("type")), v
		if ind.Type == "" {
			if t, ok := inferIndicatorType(v); ok {
				ind.Type = t
			} else {
				fm.fail("type", "choose the type: it cannot be inferred from the value")
			}
		}
		batch = append(batch, ind)
	} else if bulk := fm.Get("bulk"); strings.TrimSpace(bulk) != "" {
		field = "bulk"
		sc := bufio.NewScanner(strings.NewReader(bulk))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if i := strings.Index(line, " #"); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			t, ok := inferIndicatorType(line)
			if !ok {
				fm.fail("bulk", fmt.Sprintf("line %d: %q is not an address, prefix, domain, URL, path, e-mail or hash", n, line))
				break
			}
			ind := base
			ind.Type, ind.Value = t, line
			batch = append(batch, ind)
		}
	} else {
		fm.fail("value", "enter a value, or paste a list below")
	}
	if !fm.Invalid() {
		_, created, err := s.st.AddIndicators(r.Context(), c.user.Name, r.PathValue("ref"), batch)
		if err == nil {
			n := 0
			for _, c := range created {
				if c {
					n++
				}
			}
			return seeOther(w, r, fmt.Sprintf("/incidents/%s/indicators?added=%d+of+%d", r.PathValue("ref"), n, len(batch)))
		}
		var ve *incident.ValidationError
		if asValidation(err, &ve) {
			fm.fail(field, ve.Error())
		} else {
			return err
		}
	}
	return s.renderIndicators(w, r, c, http.StatusUnprocessableEntity, fm)
}

type evidenceView struct {
	incidentFrame
	Evidence []incident.Evidence
	Form     *form
}

func (s *Server) evidencePage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.renderEvidence(w, r, c, http.StatusOK, nil)
}

func (s *Server) renderEvidence(w http.ResponseWriter, r *http.Request, c *caller, status int, fm *form) error {
	ref := r.PathValue("ref")
	fr, err := s.frame(r, ref, "evidence")
	if err != nil {
		return err
	}
	v := evidenceView{incidentFrame: fr, Form: fm}
	list, err := s.st.ListEvidence(r.Context(), ref, all)
	if err != nil {
		return err
	}
	for i := len(list) - 1; i >= 0; i-- {
		ev, err := s.st.GetEvidence(r.Context(), ref, list[i].ID) // with custody
		if err != nil {
			return err
		}
		v.Evidence = append(v.Evidence, ev)
	}
	return s.render(w, status, "evidence.html", c, "Evidence · "+ref, v)
}

// uploadEvidenceForm takes the console's upload form; the API handler does the work.
func (s *Server) uploadEvidenceForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	rec := &captureWriter{header: http.Header{}}
	err := s.uploadEvidence(rec, r, c)
	if err == nil {
		return seeOther(w, r, "/incidents/"+r.PathValue("ref")+"/evidence")
	}
	fm := &form{}
	ae := classify(err)
	if ae.status >= 500 {
		return err
	}
	fm.fail("file", ae.message)
	return s.renderEvidence(w, r, c, ae.status, fm)
}

// captureWriter swallows an API handler's JSON answer when a console form reuses it.
type captureWriter struct {
	header http.Header
	status int
}

func (w *captureWriter) Header() http.Header         { return w.header }
func (w *captureWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *captureWriter) WriteHeader(code int)        { w.status = code }

type accountView struct {
	Tokens   []incident.Token
	NewToken string
	Form     *form
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.renderAccount(w, r, c, http.StatusOK, accountView{})
}

// renderAccount shows the account page with the caller's tokens listed.
func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, c *caller, status int, v accountView) error {
	var err error
	if v.Tokens, err = s.st.ListTokens(r.Context(), c.user.ID); err != nil {
		return err
	}
	return s.render(w, status, "account.html", c, "Your account", v)
}

// revokeTokenForm deletes one of the caller's own tokens.
func (s *Server) revokeTokenForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.st.RevokeToken(r.Context(), c.user.Name, c.user.ID, id); err != nil {
		return err
	}
	return seeOther(w, r, "/account")
}

func (s *Server) changePasswordForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	_, hash, err := s.st.UserByName(r.Context(), c.user.Name)
	if err != nil {
		return err
	}
	if ok, err := auth.VerifyPassword(hash, fm.Get("current")); err != nil {
		return err
	} else if !ok {
		fm.fail("current", "this is not your current password")
	}
	if err := auth.CheckPassword(fm.Get("new")); err != nil {
		fm.fail("new", err.Error())
	} else if fm.Get("new") != fm.Get("confirm") {
		fm.fail("confirm", "the two new passwords differ")
	}
	if fm.Invalid() {
		return s.renderAccount(w, r, c, http.StatusUnprocessableEntity, accountView{Form: fm})
	}
	newHash, err := auth.HashPassword(fm.Get("new"), s.opt.Passwords)
	if err != nil {
		return err
	}
	if _, err := s.st.UpdateUser(r.Context(), c.user.Name, c.user.ID, store.UserPatch{PasswordHash: newHash}); err != nil {
		return err
	}
	// Every session ended with the change: sign in again with the new password.
	return seeOther(w, r, "/login")
}

// maxTokenDays bounds a token's lifetime as entered in the console.
const maxTokenDays = 3660

func (s *Server) createTokenForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	var exp *time.Time
	if d := fm.Get("days"); d != "" && d != "0" {
		days := fm.intField("days")
		if days > maxTokenDays { // and time.Duration would overflow
			fm.fail("days", fmt.Sprintf("at most %d; 0 = never", maxTokenDays))
		}
		t := s.now().Add(time.Duration(min(days, maxTokenDays)) * 24 * time.Hour).UTC()
		exp = &t
	}
	tok, hash := auth.NewToken()
	if !fm.Invalid() {
		_, err = s.st.CreateToken(r.Context(), c.user.Name, c.user.ID, strings.TrimSpace(fm.Get("name")), hash, exp)
		if err == nil {
			// Shown once, on this page only; it is stored hashed.
			return s.renderAccount(w, r, c, http.StatusCreated, accountView{NewToken: tok})
		}
		if !fm.takeError(err) {
			return err
		}
	}
	return s.renderAccount(w, r, c, http.StatusUnprocessableEntity, accountView{Form: fm})
}

type usersView struct {
	Users []incident.User
	Roles []incident.Role
	Form  *form
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.renderUsers(w, r, c, http.StatusOK, nil)
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, c *caller, status int, fm *form) error {
	users, err := s.st.ListUsers(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, status, "users.html", c, "Users", usersView{Users: users, Roles: incident.Roles, Form: fm})
}

func (s *Server) createUserForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	u := incident.User{Name: strings.TrimSpace(fm.Get("name")), Role: incident.Role(fm.Get("role")), ExpiresAt: fm.timeField("expires_at")}
	u.Incidents = append(u.Incidents, strings.FieldsFunc(fm.Get("incidents"), func(r rune) bool { return r == ',' || r == ' ' })...)
	if err := auth.CheckPassword(fm.Get("password")); err != nil {
		fm.fail("password", err.Error())
	}
	if u.Role == incident.RoleGuest && u.ExpiresAt == nil && fm.Err("expires_at") == "" {
		fm.fail("expires_at", "guests need an end to their access")
	}
	if !fm.Invalid() {
		hash, err := auth.HashPassword(fm.Get("password"), s.opt.Passwords)
		if err != nil {
			return err
		}
		_, err = s.st.CreateUser(r.Context(), c.user.Name, u, hash)
		switch {
		case err == nil:
			return seeOther(w, r, "/admin/users")
		case classify(err).code == "conflict":
			fm.fail("name", "this name is taken")
		case !fm.takeError(err):
			return err
		}
	}
	return s.renderUsers(w, r, c, http.StatusUnprocessableEntity, fm)
}

func (s *Server) updateUserForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	var p store.UserPatch
	if v := incident.Role(fm.Get("role")); v != "" {
		p.Role = &v
	}
	if fm.Values.Has("disabled") {
		d := fm.Get("disabled") == "true"
		p.Disabled = &d
	}
	if id == c.user.ID && p.Disabled != nil && *p.Disabled {
		fm.fail("disabled", "you cannot disable yourself")
	}
	// The incidents the user is named on (a guest's only ones; for others,
	// the TLP:RED ones they see) and, for guests, until when.
	if fm.Values.Has("incidents") {
		split := func(v string) []string {
			return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
		}
		refs := split(fm.Get("incidents"))
		if fm.Values.Has("incidents_was") {
			// The page showed incidents_was: apply only what this form
			// changed, to the names as they are now — someone may have
			// been named since (setting TLP:RED names its setter).
			was := split(fm.Get("incidents_was"))
			cur, err := s.st.GetUser(r.Context(), id)
			if err != nil {
				return err
			}
			next := []string{}
			for _, ref := range cur.Incidents {
				if !slices.Contains(was, ref) || slices.Contains(refs, ref) {
					next = append(next, ref)
				}
			}
			for _, ref := range refs {
				if !slices.Contains(next, ref) {
					next = append(next, ref)
				}
			}
			refs = next
		}
		if refs == nil {
			refs = []string{}
		}
		p.Incidents = &refs
	}
	p.ExpiresAt = fm.timeField("expires_at")
	if !fm.Invalid() {
		_, err = s.st.UpdateUser(r.Context(), c.user.Name, id, p)
	}
	return settle(w, r, fm, err, "/admin/users", func(st int, fm *form) error { return s.renderUsers(w, r, c, st, fm) })
}

// importIndicatorsForm imports an indicator file (plain list, CSV or STIX
// 2.1 bundle, detected from its content) uploaded from the console. Entries
// that cannot be read are listed on the page with their line and reason;
// the rest are added.
func (s *Server) importIndicatorsForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	ref := r.PathValue("ref")
	fm := &form{}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<20+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		fm.fail("import", "send the file as multipart/form-data")
		return s.renderIndicators(w, r, c, http.StatusBadRequest, fm)
	}
	var res intel.Result
	got := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return uploadError(err)
		}
		if part.FormName() != "file" {
			continue
		}
		name := rawFileName(part)
		if name == "" {
			name = "upload"
		}
		if res, err = intel.Parse(name, part, intel.Options{Source: name}); err != nil {
			fm.fail("import", err.Error())
			return s.renderIndicators(w, r, c, http.StatusUnprocessableEntity, fm)
		}
		got = true
	}
	if !got || len(res.Indicators) == 0 {
		fm.fail("import", "the file holds no indicator Firebreak can read")
		for i, p := range res.Rejected {
			if i == 20 {
				break
			}
			fm.fail("import", fm.Err("import")+"; "+p.Error())
		}
		return s.renderIndicators(w, r, c, http.StatusUnprocessableEntity, fm)
	}
	created := 0
	for start := 0; start < len(res.Indicators); start += store.MaxBatch {
		batch := res.Indicators[start:min(start+store.MaxBatch, len(res.Indicators))]
		_, made, err := s.st.AddIndicators(r.Context(), c.user.Name, ref, batch)
		if err != nil {
			return err
		}
		for _, m := range made {
			if m {
				created++
			}
		}
	}
	to := fmt.Sprintf("/incidents/%s/indicators?added=%d+of+%d", ref, created, len(res.Indicators))
	if n := len(res.Rejected); n > 0 {
		to += fmt.Sprintf("&rejected=%d", n)
	}
	return seeOther(w, r, to)
}
