package notify

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// Subscriptions is what the public handler changes; *store.Store is one.
type Subscriptions interface {
	SubscribeEmail(ctx context.Context, address string, components []string, fromIP string) error
	ConfirmSubscriber(ctx context.Context, token string) (bool, error)
	Unsubscribe(ctx context.Context, token string) error
}

// Limiter counts attempts per key; *auth.Limiter is one.
type Limiter interface {
	Allow(key string, now time.Time) (bool, time.Duration)
	Fail(key string, now time.Time)
}

// Component is a choice offered on the sign-up form.
type Component struct {
	ID   string // public id
	Name string
}

// HandlerOptions configure a Handler.
type HandlerOptions struct {
	Page Page
	// PerIP limits sign-up requests per client address (IPv6: per /64),
	// valid or not; PerAddress limits sign-ups per e-mail address. Both
	// are required.
	PerAddress Limiter
	PerIP      Limiter
	// Components, when set, lists the components offered on the form; a
	// sign-up naming any other id is refused.
	Components func(ctx context.Context) ([]Component, error)
	// ClientIP returns the client's address; default: the connection's
	// (set it when behind a trusted proxy).
	ClientIP func(r *http.Request) string
	// Queued is called after a sign-up is stored, typically Worker.Poke.
	Queued func()
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
}

// Handler serves the public subscription endpoints:
//
//	GET  /subscribe            the sign-up form
//	POST /subscribe            sign up (email, component…)
//	GET  /subscribe/confirm    a page with a button that confirms
//	POST /subscribe/confirm    confirm
//	GET  /unsubscribe          a page with a button that unsubscribes
//	POST /unsubscribe          unsubscribe; RFC 8058 one-click
//
// Confirmation and unsubscription need a POST so that a mail scanner that
// fetches links does neither.
type Handler struct {
	subs Subscriptions
	opt  HandlerOptions
	log  *slog.Logger
	mux  *http.ServeMux
}

//go:embed templates/*.html
var templateFS embed.FS

var pageTmpl = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// NewHandler returns the public handler.
func NewHandler(subs Subscriptions, opt HandlerOptions) (*Handler, error) {
	if opt.PerAddress == nil || opt.PerIP == nil {
		return nil, errors.New("notify handler: sign-up rate limiters are required")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.ClientIP == nil {
		opt.ClientIP = remoteIP
	}
	h := &Handler{subs: subs, opt: opt, log: opt.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	cop := http.NewCrossOriginProtection()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /subscribe", h.form)
	mux.Handle("POST /subscribe", cop.Handler(http.HandlerFunc(h.subscribe)))
	mux.HandleFunc("GET /subscribe/confirm", h.confirmPage)
	mux.Handle("POST /subscribe/confirm", cop.Handler(http.HandlerFunc(h.confirm)))
	mux.HandleFunc("GET /unsubscribe", h.unsubscribePage)
	// No cross-origin check: RFC 8058 one-click POSTs come from mail
	// providers, not from our pages, and carry their own secret.
	mux.HandleFunc("POST /unsubscribe", h.unsubscribe)
	h.mux = mux
	return h, nil
}

// ServeHTTP serves the subscription endpoints with strict headers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer") // the URLs carry tokens
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Frame-Options", "DENY")
	h.mux.ServeHTTP(w, r)
}

// view is what the page template shows.
type view struct {
	Page       Page
	Title      string
	Message    string
	Error      string
	Form       bool // the sign-up form
	Components []Component
	Email      string
	Action     string // a form posting to this URL (relative: this path) with one button
	Button     string
}

func (h *Handler) render(w http.ResponseWriter, code int, v view) {
	v.Page = h.opt.Page
	var b bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&b, "page.html", v); err != nil {
		h.log.Error("render subscription page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(b.Bytes())
}

func (h *Handler) components(ctx context.Context) ([]Component, error) {
	if h.opt.Components == nil {
		return nil, nil
	}
	return h.opt.Components(ctx)
}

func (h *Handler) form(w http.ResponseWriter, r *http.Request) {
	comps, err := h.components(r.Context())
	if err != nil {
		h.fail(w, "list components", err)
		return
	}
	h.render(w, http.StatusOK, view{Title: "Subscribe", Form: true, Components: comps})
}

func (h *Handler) fail(w http.ResponseWriter, what string, err error) {
	h.log.Error(what, "err", err)
	h.render(w, http.StatusInternalServerError, view{Title: "Something went wrong", Error: "We could not do that just now. Please try again in a few minutes."})
}

func (h *Handler) subscribe(w http.ResponseWriter, r *http.Request) {
	// Every POST from a client address counts, valid or not; the address
	// being signed up is limited once it is known to be one.
	now := h.opt.Now()
	ip := h.opt.ClientIP(r)
	ipKey := ipBucket(ip)
	if ok, wait := h.opt.PerIP.Allow(ipKey, now); !ok {
		h.tooMany(w, wait)
		return
	}
	h.opt.PerIP.Fail(ipKey, now)
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.render(w, http.StatusBadRequest, view{Title: "Subscribe", Form: true, Error: "The form could not be read (is it larger than 8 KiB?)."})
		return
	}
	comps, err := h.components(r.Context())
	if err != nil {
		h.fail(w, "list components", err)
		return
	}
	s, err := ParseSignup(r.PostForm)
	if err == nil && comps != nil {
		for _, id := range s.Components {
			if !slices.ContainsFunc(comps, func(c Component) bool { return c.ID == id }) {
				err = &incident.ValidationError{Field: "component", Reason: "names a component this page does not have"}
			}
		}
	}
	if err != nil {
		h.render(w, http.StatusBadRequest, view{Title: "Subscribe", Form: true, Components: comps, Email: r.PostForm.Get("email"), Error: "Please check the form: " + err.Error()})
		return
	}
	addrKey := strings.ToLower(s.Email)
	if ok, wait := h.opt.PerAddress.Allow(addrKey, now); !ok {
		h.tooMany(w, wait)
		return
	}
	h.opt.PerAddress.Fail(addrKey, now)
	if err := h.subs.SubscribeEmail(r.Context(), s.Email, s.Components, ip); err != nil {
		var ve *incident.ValidationError
		if errors.As(err, &ve) {
			h.render(w, http.StatusBadRequest, view{Title: "Subscribe", Form: true, Components: comps, Error: "Please check the form: " + err.Error()})
			return
		}
		h.fail(w, "sign up", err)
		return
	}
	if h.opt.Queued != nil {
		h.opt.Queued()
	}
	// The same answer whether or not the address was already subscribed.
	h.render(w, http.StatusOK, view{Title: "Check your mail",
		Message: "If the address can receive mail, a message with a confirmation link is on its way. Nothing is sent until you confirm."})
}

func (h *Handler) tooMany(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	h.render(w, http.StatusTooManyRequests, view{Title: "Please wait", Error: "Too many sign-ups from here or for this address. Please try again later."})
}

// token reads the token from the query, or else from a form field.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) (string, error) {
	if t := r.URL.Query().Get("token"); t != "" || r.Method == http.MethodGet {
		return ParseToken(t)
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
	if err := r.ParseMultipartForm(MaxFormBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return "", errors.New("the request could not be read")
	}
	return ParseToken(r.FormValue("token"))
}

func (h *Handler) confirmPage(w http.ResponseWriter, r *http.Request) {
	tok, err := h.token(w, r)
	if err != nil {
		h.render(w, http.StatusBadRequest, view{Title: "Invalid link", Error: err.Error()})
		return
	}
	h.render(w, http.StatusOK, view{Title: "Confirm your subscription", Message: "Press the button to start receiving updates by e-mail.",
		Action: "?token=" + tok, Button: "Confirm subscription"})
}

func (h *Handler) confirm(w http.ResponseWriter, r *http.Request) {
	tok, err := h.token(w, r)
	if err != nil {
		h.render(w, http.StatusBadRequest, view{Title: "Invalid link", Error: err.Error()})
		return
	}
	ok, err := h.subs.ConfirmSubscriber(r.Context(), tok)
	if err != nil {
		h.fail(w, "confirm subscriber", err)
		return
	}
	if !ok {
		h.render(w, http.StatusNotFound, view{Title: "Link expired", Error: "This confirmation link is unknown or has expired (links work for 7 days). Please sign up again."})
		return
	}
	h.render(w, http.StatusOK, view{Title: "Subscribed", Message: "Thank you: you will be told about incidents and maintenance by e-mail. Every message has a link to unsubscribe."})
}

func (h *Handler) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	tok, err := h.token(w, r)
	if err != nil {
		h.render(w, http.StatusBadRequest, view{Title: "Invalid link", Error: err.Error()})
		return
	}
	h.render(w, http.StatusOK, view{Title: "Unsubscribe", Message: "Press the button to stop receiving updates by e-mail.",
		Action: "?token=" + tok, Button: "Unsubscribe"})
}

// unsubscribe serves both the page's button and RFC 8058 one-click
// requests (body "List-Unsubscribe=One-Click"). It answers the same for a
// token that is unknown or already used, so it reveals nothing.
func (h *Handler) unsubscribe(w http.ResponseWriter, r *http.Request) {
	tok, err := h.token(w, r)
	if err != nil {
		h.render(w, http.StatusBadRequest, view{Title: "Invalid link", Error: err.Error()})
		return
	}
	if err := h.subs.Unsubscribe(r.Context(), tok); err != nil {
		h.fail(w, "unsubscribe", err)
		return
	}
	h.render(w, http.StatusOK, view{Title: "Unsubscribed", Message: "You will receive no more e-mail from this status page."})
}

// remoteIP is the connection's client address.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ipBucket is the rate-limit key of a client address: the address for
// IPv4, its /64 for IPv6 (one host usually has a whole /64).
func ipBucket(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "ip:" + ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + a.String()
}
