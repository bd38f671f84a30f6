package cli

import (
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/firebreak-ir/firebreak/internal/config"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// sink is an in-process SMTP server that keeps the recipients of what it accepts.
type sink struct {
	mu   sync.Mutex
	to   []string
	msgs []string // the messages as received, in order
}

type sinkSession struct {
	s  *sink
	to string
}

func (ss *sinkSession) Reset()                                    {}
func (ss *sinkSession) Logout() error                             { return nil }
func (ss *sinkSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error { ss.to = to; return nil }
func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.to = append(ss.s.to, ss.to)
	ss.s.msgs = append(ss.s.msgs, string(b))
	return nil
}

func (s *sink) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

func (s *sink) recipients() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.to...)
}

func TestStartNotify(t *testing.T) {
	sk := &sink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: sk}, nil }))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name        string
		set         func(*config.Notify)
		wantHandler bool
	}{
		{"off without a page URL", func(*config.Notify) {}, false},
		{"webhooks only without a relay", func(n *config.Notify) { n.PageURL = "https://status.example.com" }, false},
		{"e-mail with a relay", func(n *config.Notify) {
			n.PageURL, n.SMTPRelay, n.SMTPFrom = "https://status.example.com", ln.Addr().String(), "status@example.com"
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := config.DefaultNotify()
			tc.set(&c)
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate = %v", err)
			}
			path := filepath.Join(t.TempDir(), "fb.db")
			st, err := store.Open(t.Context(), path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := st.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			// One component on the page (written directly: the console
			// that manages components is not part of this package).
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`INSERT INTO status_components (public_id, name, description, position, status, created_at, updated_at)
				VALUES ('cmp_api', 'Public API', '', 1, 'operational', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z')`); err != nil {
				t.Fatal(err)
			}
			h, stop, err := startNotify(t.Context(), st, c, nil, log)
			if err != nil {
				t.Fatalf("startNotify = %v", err)
			}
			defer stop() // before st.Close: the worker is done with the store
			if (h != nil) != tc.wantHandler {
				t.Fatalf("handler = %v, want one: %v", h, tc.wantHandler)
			}
			if h == nil {
				return
			}
			post := func(v url.Values) *httptest.ResponseRecorder {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest("POST", "/subscribe", strings.NewReader(v.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				h.ServeHTTP(rec, req)
				return rec
			}
			form := httptest.NewRecorder()
			h.ServeHTTP(form, httptest.NewRequest("GET", "/subscribe", nil))
			if !strings.Contains(form.Body.String(), `value="cmp_api"`) || !strings.Contains(form.Body.String(), "Public API") {
				t.Errorf("the form does not offer the page's component:\n%s", form.Body.String())
			}
			if rec := post(url.Values{"email": {"bob@example.com"}, "component": {"cmp_nope"}}); rec.Code != http.StatusBadRequest {
				t.Errorf("sign-up for an unknown component = %d, want 400", rec.Code)
			}
			if rec := post(url.Values{"email": {"ann@example.com"}, "component": {"cmp_api"}}); rec.Code != http.StatusOK {
				t.Fatalf("POST /subscribe = %d %s", rec.Code, rec.Body.String())
			}
			deadline := time.Now().Add(5 * time.Second)
			for len(sk.recipients()) == 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if got := sk.recipients(); len(got) != 1 || got[0] != "ann@example.com" {
				t.Fatalf("relay got mail for %v, want the confirmation for ann@example.com", got)
			}
		})
	}
}
