package notify_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/notify"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// hookReceiver is a real HTTP endpoint that checks signatures the way a
// subscriber would and answers with the statuses it is given, in order.
type hookReceiver struct {
	secret   string
	mu       sync.Mutex
	statuses []int
	got      []hookRequest
}

type hookRequest struct {
	delivery, event string
	sigErr          error
	payload         notify.WebhookPayload
	body            []byte
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := hookRequest{delivery: r.Header.Get(notify.DeliveryHeader), event: r.Header.Get(notify.EventHeader), body: body,
		sigErr: notify.VerifySignature(h.secret, r.Header.Get(notify.SignatureHeader), body, time.Now(), 5*time.Minute)}
	_ = json.Unmarshal(body, &req.payload)
	h.mu.Lock()
	h.got = append(h.got, req)
	code := 200
	if len(h.statuses) > 0 {
		code, h.statuses = h.statuses[0], h.statuses[1:]
	}
	h.mu.Unlock()
	w.WriteHeader(code)
}

func (h *hookReceiver) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.got...)
}

// TestWebhookDelivery: a signed POST, retried with backoff after a 500 with
// the same delivery id and body, and marked sent after the 2xx.
func TestWebhookDelivery(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "firebreak.db"))
	defer st.Close()
	recv := &hookReceiver{statuses: []int{500, 302, 204}}
	ts := httptest.NewServer(recv)
	defer ts.Close()
	sub, secret, err := st.AddWebhook(t.Context(), "alice", ts.URL+"/hook", []string{"api"}, true)
	if err != nil {
		t.Fatal(err)
	}
	recv.secret = secret
	if err := st.EnqueueNotice(t.Context(), store.Notice{Kind: store.NoticeMaintenanceStarted, EventID: "mw1", EventName: "Database upgrade",
		UpdateID: "u1", Status: "in_progress", Body: "Started.", ComponentIDs: []string{"api", "web"}, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	w := notify.NewWorker(st, notify.WorkerOptions{Page: testPage, Webhooks: notify.NewWebhookSender(notify.WebhookOptions{AllowPrivate: true, Timeout: 5 * time.Second}),
		Retry: incident.RetryPolicy{Base: 50 * time.Millisecond, Max: time.Second, MaxAttempts: 5}, Logger: quietLog()})
	for i := 0; i < 50 && len(recv.requests()) < 3; i++ {
		mustRunOnce(t, w)
		time.Sleep(30 * time.Millisecond)
	}
	reqs := recv.requests()
	if len(reqs) != 3 {
		t.Fatalf("receiver got %d requests, want 3 (500, 302, then 204)", len(reqs))
	}
	for i, r := range reqs {
		if r.sigErr != nil {
			t.Errorf("request %d: signature: %v", i, r.sigErr)
		}
		if r.delivery == "" || r.delivery != reqs[0].delivery || string(r.body) != string(reqs[0].body) {
			t.Errorf("request %d: delivery id %q and body must be the same on every try", i, r.delivery)
		}
		if r.event != "maintenance.started" {
			t.Errorf("request %d: event header %q", i, r.event)
		}
	}
	p := reqs[0].payload
	if p.ID != reqs[0].delivery || p.Type != "maintenance.started" || p.Event.Name != "Database upgrade" || p.Event.URL != testPage.URL+"/incidents/mw1" || p.Page.Name != testPage.Name {
		t.Errorf("payload = %+v", p)
	}
	if c, _ := st.OutboxCounts(t.Context()); c[store.OutboxSent] != 1 || c[store.OutboxPending] != 0 {
		t.Errorf("outbox %v, want 1 sent", c)
	}
	_ = sub
}

// TestWebhookErrors: what is permanent, and that errors (which reach logs
// and the outbox) never carry the secret part of a hook URL.
func TestWebhookErrors(t *testing.T) {
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }))
	defer gone.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name          string
		url           string
		wantPermanent bool
	}{
		{"410 Gone", gone.URL + "/services/SECRET-PATH?token=SECRET-QUERY", true},
		{"connection refused", closed.URL + "/services/SECRET-PATH?token=SECRET-QUERY", false},
		{"not a hook URL", "ftp://example.com/SECRET-PATH", true},
	}
	s := notify.NewWebhookSender(notify.WebhookOptions{AllowPrivate: true, Timeout: 2 * time.Second})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Send(t.Context(), notify.Hook{URL: tc.url, Secret: "k", DeliveryID: "d", Event: "e", Body: []byte("{}")})
			if err == nil || notify.IsPermanent(err) != tc.wantPermanent {
				t.Fatalf("Send = %v, want permanent: %v", err, tc.wantPermanent)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q carries the secret part of the URL", err)
			}
		})
	}
}

// TestWebhookRefusesInternalAddresses: by default a hook may not reach
// loopback or private addresses, by URL or by DNS.
func TestWebhookRefusesInternalAddresses(t *testing.T) {
	hit := false
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer ts.Close()
	s := notify.NewWebhookSender(notify.WebhookOptions{Timeout: 2 * time.Second})
	port := ts.URL[strings.LastIndexByte(ts.URL, ':'):]
	for _, u := range []string{ts.URL, "http://localhost" + port, "http://[::1]" + port, "http://10.0.0.1" + port} {
		err := s.Send(t.Context(), notify.Hook{URL: u, Secret: "k", DeliveryID: "d", Event: "e", Body: []byte("{}")})
		if err == nil || !strings.Contains(err.Error(), "internal") {
			t.Errorf("Send(%s) = %v, want a refusal naming internal addresses", u, err)
		}
	}
	if hit {
		t.Error("the loopback server was reached")
	}
}

func TestVerifySignature(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"fbd_1"}`)
	good := notify.Sign("k", now, body)
	tests := []struct {
		name, secret, header string
		body                 []byte
		wantErr              string
	}{
		{"good", "k", good, body, ""},
		{"two signatures, one good", "k", good + ",v1=" + strings.Repeat("00", 32), body, ""},
		{"wrong secret", "other", good, body, "does not match"},
		{"body changed", "k", good, []byte(`{"id":"fbd_2"}`), "does not match"},
		{"too old", "k", notify.Sign("k", now.Add(-10*time.Minute), body), body, "tolerance"},
		{"empty", "k", "", body, "not key=value"},
		{"no v1", "k", "t=1800000000", body, "want t=UNIX,v1=HEX"},
		{"bad hex", "k", "t=1800000000,v1=zz", body, "not a hex"},
		{"bad time", "k", "t=soon,v1=" + strings.Repeat("00", 32), body, "not a Unix time"},
		{"two times", "k", "t=1,t=2,v1=" + strings.Repeat("00", 32), body, "more than one"},
		{"huge", "k", strings.Repeat("v1=00,", 400), body, "limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := notify.VerifySignature(tc.secret, tc.header, tc.body, now, 5*time.Minute)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("VerifySignature(%q) = %v, want nil", tc.header, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("VerifySignature(%q) = %v, want an error containing %q", tc.header, err, tc.wantErr)
			}
		})
	}
}
