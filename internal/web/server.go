// Package web is Firebreak's HTTP face: the JSON API under /api/v1, the
// responder console, and the operational endpoints. routes.go lists every
// route with the permission it needs; nothing is reachable otherwise.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/clientip"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// Options configure a Server.
type Options struct {
	Store *store.Store
	Blobs store.Blobs
	Log   *slog.Logger
	Now   func() time.Time
	// Passwords are hashed with these argon2id parameters.
	Passwords auth.Params
	// MaxBody bounds JSON request bodies (default 1 MiB).
	MaxBody int64
	// MaxEvidence bounds one evidence upload (default 512 MiB).
	MaxEvidence int64
	// SessionTTL is how long a browser session lasts (default 12 h).
	SessionTTL time.Duration
	// ClientIP returns a request's client address, for the sign-in rate
	// limit and logs; default: the connection's peer. Set it behind a
	// reverse proxy (clientip.Resolver.Of with the trusted proxies).
	ClientIP func(r *http.Request) string
	// SecureCookies marks session cookies Secure (set behind TLS).
	SecureCookies bool
	// Version is reported by /healthz and /metrics.
	Version string
	// StatusChanged is called after a change of the public status page
	// commits (the publisher re-renders); nil: nothing to tell.
	StatusChanged func()
	// PublicURL is where the status page is published (linked from the
	// console).
	PublicURL string
	// AllowPrivateWebhooks lets webhook subscribers point to loopback and
	// private addresses (off: SSRF).
	AllowPrivateWebhooks bool
}

// Server serves the API and console.
type Server struct {
	opt     Options
	st      *store.Store
	log     *slog.Logger
	now     func() time.Time
	logins  *auth.Limiter
	metrics *metrics
	routes  []route
	handler http.Handler
	// paths knows every route's path pattern; allow, its methods (405).
	paths *http.ServeMux
	allow map[string][]string

	dummyOnce sync.Once
	dummy     string
}

// New builds a Server and its route table.
func New(opt Options) *Server {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.MaxBody <= 0 {
		opt.MaxBody = 1 << 20
	}
	if opt.MaxEvidence <= 0 {
		opt.MaxEvidence = 512 << 20
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = 12 * time.Hour
	}
	if opt.Passwords == (auth.Params{}) {
		opt.Passwords = auth.DefaultParams
	}
	if opt.ClientIP == nil {
		opt.ClientIP = clientip.New(nil).Of
	}
	s := &Server{opt: opt, st: opt.Store, log: opt.Log, now: opt.Now,
		logins: auth.NewLimiter(10, 15*time.Minute), metrics: newMetrics()}
	s.routes = s.routeTable()
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	mux.Handle("/", s.wrap(route{Path: "/", Perm: auth.Public, h: s.notFound}))
	// Which methods a path takes, for 405 and its Allow header: a mux that
	// knows every route's path, whatever the method.
	s.allow = map[string][]string{}
	s.paths = http.NewServeMux()
	for _, rt := range s.routes {
		if _, seen := s.allow[rt.Path]; !seen {
			s.paths.Handle(rt.Path, http.NotFoundHandler())
		}
		s.allow[rt.Path] = append(s.allow[rt.Path], rt.Method)
		if rt.Method == http.MethodGet {
			s.allow[rt.Path] = append(s.allow[rt.Path], http.MethodHead)
		}
	}
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, true, errForbidden("cross-origin request refused"))
	}))
	s.handler = securityHeaders(csrf.Handler(mux))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes returns the route table, for documentation and tests.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, r := range s.routes {
		out[i] = RouteInfo{Method: r.Method, Path: r.Path, Perm: r.Perm, Scoped: r.scoped(), API: r.api()}
	}
	return out
}

// RouteInfo describes one route.
type RouteInfo struct {
	Method, Path string
	Perm         auth.Permission
	Scoped       bool // the route names an incident: guests need it in scope
	API          bool
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// caller is who is making a request; nil for anonymous requests.
type caller struct {
	user  incident.User
	token bool // authenticated by API token rather than session
}

type ctxKey struct{}

// identify finds the caller of r from a bearer token or a session cookie.
// An expired or disabled user is not a caller.
func (s *Server) identify(r *http.Request) (*caller, error) {
	var u incident.User
	var err error
	c := &caller{}
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := cutPrefixFold(h, "Bearer ")
		if !ok || !auth.LooksLikeToken(tok) {
			return nil, errUnauthenticated("the Authorization header must be 'Bearer <token>'")
		}
		u, err = s.st.UserForToken(r.Context(), auth.HashSecret(tok))
		c.token = true
	} else if ck, cerr := r.Cookie(sessionCookie); cerr == nil && ck.Value != "" {
		u, err = s.st.UserForSession(r.Context(), auth.HashSecret(ck.Value))
	} else {
		return nil, nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnauthenticated("the token or session is unknown or expired")
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled || u.Expired(s.now()) {
		return nil, errUnauthenticated("this account is disabled or its access has expired")
	}
	c.user = u
	return c, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// Ready reports whether the server can serve: the database answers and its
// schema is current.
func (s *Server) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.st.Ping(ctx); err != nil {
		return err
	}
	return s.st.CheckSchema(ctx)
}
