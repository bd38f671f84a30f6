package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/incident"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

//go:embed openapi.json
var openAPIDoc []byte

const sessionCookie = "fb_session"

// assets maps a static file's name to its content-hashed URL, so that
// static files can be cached forever and still change with each release.
var assets = func() map[string]string {
	m := map[string]string{}
	entries, _ := fs.ReadDir(staticFS, "static")
	for _, e := range entries {
		b, _ := staticFS.ReadFile("static/" + e.Name())
		sum := sha256.Sum256(b)
		ext := path.Ext(e.Name())
		m[e.Name()] = "/static/" + strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:6]) + ext
	}
	return m
}()

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"asset": func(name string) string { return assets[name] },
	"when":  func(t any) string { return formatWhen(t) },
	"add":   func(a, b int) int { return a + b },
	"list":  func(v ...string) []string { return v },
}).ParseFS(templateFS, "templates/*.html"))

type pageData struct {
	Title string
	User  *incident.User
	Data  any
}

// Can reports whether the signed-in user holds a permission, so that pages
// offer only the actions that would be allowed.
func (p pageData) Can(perm string) bool {
	return p.User != nil && auth.Can(p.User.Role, auth.Permission(perm))
}

func (s *Server) render(w http.ResponseWriter, status int, name string, c *caller, title string, data any) error {
	var buf bytes.Buffer
	pd := pageData{Title: title, Data: data}
	if c != nil {
		pd.User = &c.user
	}
	if err := pages.ExecuteTemplate(&buf, name, pd); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, ae *apiError) {
	c, _ := r.Context().Value(ctxKey{}).(*caller)
	if err := s.render(w, ae.status, "error.html", c, http.StatusText(ae.status), ae.message); err != nil {
		s.log.Error("render error page", "err", err)
	}
}

func (s *Server) static(w http.ResponseWriter, r *http.Request, _ *caller) error {
	name := r.PathValue("file")
	for orig, url := range assets {
		if url == "/static/"+name {
			b, _ := staticFS.ReadFile("static/" + orig)
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			http.ServeContent(w, r, orig, time.Time{}, bytes.NewReader(b))
			return nil
		}
	}
	return errNotFound("no such file")
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, _ *caller) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(openAPIDoc)
	return err
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

type loginData struct {
	Next, Username, Error string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.render(w, http.StatusOK, "login.html", nil, "Sign in", loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

// login checks a username and password from the form, rate-limited per
// address and per user name, and starts a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *caller) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return errBadRequest("bad_form", "could not read the form: %v", err)
	}
	name, pw := r.PostForm.Get("username"), r.PostForm.Get("password")
	d := loginData{Next: safeNext(r.PostForm.Get("next")), Username: name}
	now := s.now()
	for _, key := range []string{"ip:" + s.opt.ClientIP(r), "user:" + name} {
		if ok, wait := s.logins.Allow(key, now); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds())))) // delay-seconds (RFC 9110)
			d.Error = "Too many failed attempts. Try again in " + wait.Round(time.Minute).String() + "."
			return s.render(w, http.StatusTooManyRequests, "login.html", nil, "Sign in", d)
		}
	}
	u, hash, err := s.st.UserByName(r.Context(), name)
	ok := false
	if err == nil && !u.Disabled && !u.Expired(now) {
		ok, err = auth.VerifyPassword(hash, pw)
		if err != nil {
			return err
		}
	} else if err != nil && !isNotFound(err) {
		return err
	} else {
		// Spend the same time on unknown users, so timing does not reveal names.
		_, _ = auth.VerifyPassword(s.dummyHash(), pw)
	}
	if !ok {
		s.logins.Fail("ip:"+s.opt.ClientIP(r), now)
		s.logins.Fail("user:"+name, now)
		s.log.Warn("login failed", "user", name, "ip", s.opt.ClientIP(r))
		d.Error = "Wrong user name or password."
		return s.render(w, http.StatusUnauthorized, "login.html", nil, "Sign in", d)
	}
	s.logins.Reset("user:" + name)
	secret := auth.NewSecret()
	if err := s.st.CreateSession(r.Context(), u, auth.HashSecret(secret), s.opt.SessionTTL); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true,
		Secure: s.opt.SecureCookies || r.TLS != nil, SameSite: http.SameSiteLaxMode, MaxAge: int(s.opt.SessionTTL.Seconds())})
	s.log.Info("login", "user", u.Name)
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
	return nil
}

// dummyHash is a real hash of nothing, verified against on unknown user
// names so that a failed login takes as long whether or not the user exists.
func (s *Server) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy, _ = auth.HashPassword(auth.NewSecret(), s.opt.Passwords) })
	return s.dummy
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *caller) error {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if err := s.st.DeleteSession(r.Context(), auth.HashSecret(ck.Value)); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func isNotFound(err error) bool { return classify(err).status == http.StatusNotFound }

func formatWhen(v any) string {
	switch t := v.(type) {
	case time.Time:
		return t.UTC().Format("2006-01-02 15:04 UTC")
	case *time.Time:
		if t != nil {
			return t.UTC().Format("2006-01-02 15:04 UTC")
		}
	}
	return ""
}
