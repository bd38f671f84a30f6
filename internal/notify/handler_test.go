package notify_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/notify"
	"github.com/firebreak-ir/firebreak/internal/store"
)

type handlerEnv struct {
	st *store.Store
	h  *notify.Handler
}

func newHandlerEnv(t *testing.T, perAddr, perIP int) handlerEnv {
	t.Helper()
	st := openStore(t, filepath.Join(t.TempDir(), "firebreak.db"))
	t.Cleanup(func() { st.Close() })
	h, err := notify.NewHandler(st, notify.HandlerOptions{Page: testPage,
		PerAddress: auth.NewLimiter(perAddr, time.Hour), PerIP: auth.NewLimiter(perIP, time.Hour),
		Components: func(context.Context) ([]notify.Component, error) {
			return []notify.Component{{ID: "api", Name: "API"}, {ID: "web", Name: "Website"}}, nil
		},
		Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	return handlerEnv{st: st, h: h}
}

func (e handlerEnv) do(method, target, ip, ct, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	if ip != "" {
		r.RemoteAddr = ip + ":40000"
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	return rec
}

const formCT = "application/x-www-form-urlencoded"

func TestHandlerRejectsGarbage(t *testing.T) {
	e := newHandlerEnv(t, 100, 100)
	tests := []struct {
		name, method, target, ct, body string
		want                           int
		wantText                       string
	}{
		{"no email", "POST", "/subscribe", formCT, "", 400, "email: is required"},
		{"not an address", "POST", "/subscribe", formCT, "email=hello", 400, "plain address"},
		{"display name", "POST", "/subscribe", formCT, url.Values{"email": {"Ann <ann@example.com>"}}.Encode(), 400, "plain address"},
		{"header injection", "POST", "/subscribe", formCT, url.Values{"email": {"ann@example.com\r\nBcc: x@example.com"}}.Encode(), 400, "plain address"},
		{"two addresses", "POST", "/subscribe", formCT, "email=a@example.com&email=b@example.com", 400, "give one address"},
		{"unknown field", "POST", "/subscribe", formCT, "email=a@example.com&admin=1", 400, "admin: is not a field"},
		{"bad component id", "POST", "/subscribe", formCT, "email=a@example.com&component=%3Cscript%3E", 400, "is not a component id"},
		{"unknown component", "POST", "/subscribe", formCT, "email=a@example.com&component=db", 400, "does not have"},
		{"oversized body", "POST", "/subscribe", formCT, "email=a@example.com&component=" + strings.Repeat("a", notify.MaxFormBytes), 400, "8 KiB"},
		{"confirm without token", "GET", "/subscribe/confirm", "", "", 400, "no token"},
		{"confirm short token", "GET", "/subscribe/confirm?token=abc", "", "", 400, "cut off"},
		{"confirm bad characters", "POST", "/subscribe/confirm?token=" + strings.Repeat("%21", notify.TokenLen), "", "", 400, "never has"},
		{"confirm unknown token", "POST", "/subscribe/confirm?token=" + strings.Repeat("A", notify.TokenLen), "", "", 404, "unknown or has expired"},
		{"unsubscribe no token", "POST", "/unsubscribe", formCT, "List-Unsubscribe=One-Click", 400, "no token"},
		{"wrong method", "PUT", "/subscribe", formCT, "", 405, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do(tc.method, tc.target, "192.0.2.10", tc.ct, tc.body)
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.wantText) {
				t.Errorf("%s %s = %d %.300q, want %d containing %q", tc.method, tc.target, rec.Code, rec.Body.String(), tc.want, tc.wantText)
			}
			if tc.want != 405 {
				for k, want := range map[string]string{"Content-Security-Policy": "default-src 'none'", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
					if v := rec.Header().Get(k); !strings.Contains(v, want) {
						t.Errorf("%s = %q, want %q", k, v, want)
					}
				}
			}
		})
	}
	if subs, _ := e.st.ListSubscribers(t.Context(), store.Page{}); len(subs) != 0 {
		t.Errorf("garbage created subscribers: %+v", subs)
	}
}

// TestHandlerSameAnswer: an address already subscribed gets the same page
// as a new one.
func TestHandlerSameAnswer(t *testing.T) {
	e := newHandlerEnv(t, 100, 100)
	first := e.do("POST", "/subscribe", "192.0.2.10", formCT, "email=ann@example.com&component=api")
	ds, _ := e.st.ClaimDeliveries(t.Context(), "t", time.Minute, 10)
	if len(ds) != 1 {
		t.Fatalf("claimed %d, want the confirmation", len(ds))
	}
	if ok, err := e.st.ConfirmSubscriber(t.Context(), ds[0].Token); !ok || err != nil {
		t.Fatal(ok, err)
	}
	again := e.do("POST", "/subscribe", "192.0.2.10", formCT, "email=ann@example.com")
	fresh := e.do("POST", "/subscribe", "192.0.2.10", formCT, "email=bob@example.com")
	if first.Code != 200 || again.Code != first.Code || again.Body.String() != first.Body.String() || fresh.Body.String() != first.Body.String() {
		t.Errorf("answers differ: new %d, subscribed %d, other new %d", first.Code, again.Code, fresh.Code)
	}
}

func TestHandlerRateLimits(t *testing.T) {
	tests := []struct {
		name     string
		perAddr  int
		perIP    int
		requests [][2]string // ip, email
		want     []int
	}{
		{"per address across addresses", 2, 100, [][2]string{{"192.0.2.1", "a@example.com"}, {"192.0.2.2", "A@example.com"}, {"192.0.2.3", "a@example.com"}, {"192.0.2.3", "b@example.com"}}, []int{200, 200, 429, 200}},
		{"per IP across addresses", 100, 2, [][2]string{{"192.0.2.1", "a@example.com"}, {"192.0.2.1", "b@example.com"}, {"192.0.2.1", "c@example.com"}, {"192.0.2.2", "c@example.com"}}, []int{200, 200, 429, 200}},
		{"garbage counts per IP", 100, 2, [][2]string{{"192.0.2.1", "nonsense"}, {"192.0.2.1", "nonsense"}, {"192.0.2.1", "a@example.com"}}, []int{400, 400, 429}},
		{"IPv6 by /64", 100, 2, [][2]string{{"2001:db8::1", "a@example.com"}, {"2001:db8::2", "b@example.com"}, {"2001:db8::3", "c@example.com"}, {"2001:db8:1::1", "c@example.com"}}, []int{200, 200, 429, 200}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newHandlerEnv(t, tc.perAddr, tc.perIP)
			for i, rq := range tc.requests {
				ip := rq[0]
				if strings.Contains(ip, ":") {
					ip = "[" + ip + "]"
				}
				rec := e.do("POST", "/subscribe", ip, formCT, url.Values{"email": {rq[1]}}.Encode())
				if rec.Code != tc.want[i] {
					t.Errorf("request %d (%s, %s) = %d, want %d", i, rq[0], rq[1], rec.Code, tc.want[i])
				}
				if rec.Code == 429 && rec.Header().Get("Retry-After") == "" {
					t.Errorf("429 without Retry-After")
				}
			}
		})
	}
}

func TestHandlerFormPage(t *testing.T) {
	e := newHandlerEnv(t, 10, 10)
	rec := e.do("GET", "/subscribe", "192.0.2.1", "", "")
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{`name="email"`, `value="api"`, "Website", `action="subscribe"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("form lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "<style", " style=", " on"} {
		if strings.Contains(strings.ToLower(string(body)), bad) {
			t.Errorf("form has %q: inline script or style", bad)
		}
	}
}

func TestHandlerCrossOriginSignup(t *testing.T) {
	e := newHandlerEnv(t, 10, 10)
	r := httptest.NewRequest("POST", "/subscribe", strings.NewReader("email=a@example.com"))
	r.Header.Set("Content-Type", formCT)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	if rec.Code != http.StatusForbidden {
		t.Errorf("cross-site sign-up = %d, want 403", rec.Code)
	}
}
