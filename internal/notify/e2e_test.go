package notify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/notify"
	"github.com/firebreak-ir/firebreak/internal/store"
)

var testPage = notify.Page{Name: "Example status", URL: "https://status.example.com"}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openStore opens (and migrates) the SQLite store at path.
func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), path, store.Options{})
	if err != nil {
		t.Fatalf("store.Open = %v", err)
	}
	if _, err := st.Migrate(t.Context()); err != nil {
		st.Close()
		t.Fatalf("Migrate = %v", err)
	}
	return st
}

func newMailer(t *testing.T, srv *smtpServer) *notify.Mailer {
	t.Helper()
	m, err := notify.NewMailer(notify.MailOptions{Relay: srv.Addr, From: "status@example.com", FromName: "Example status", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("NewMailer = %v", err)
	}
	return m
}

// onPage turns a link in a mail (on the public page's address) into one on
// the test server.
func onPage(t *testing.T, ts *httptest.Server, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(link, testPage.URL+"/") {
		t.Fatalf("link %q is not on the page %s", link, testPage.URL)
	}
	return ts.URL + u.RequestURI()
}

var linkRE = regexp.MustCompile(`https://status\.example\.com/[^\s]+`)

func mustRunOnce(t *testing.T, w *notify.Worker) int {
	t.Helper()
	n, err := w.RunOnce(t.Context())
	if err != nil {
		t.Fatalf("RunOnce = %v", err)
	}
	return n
}

// TestDoubleOptInOverSMTP: sign-up → confirmation mail → confirm link (a
// GET that changes nothing, then the POST) → a notice mail with RFC 8058
// headers → one-click unsubscribe → no more mail.
func TestDoubleOptInOverSMTP(t *testing.T) {
	srv := newSMTPServer(t, smtpOptions{})
	st := openStore(t, filepath.Join(t.TempDir(), "firebreak.db"))
	defer st.Close()
	w := notify.NewWorker(st, notify.WorkerOptions{Page: testPage, Mailer: newMailer(t, srv), Logger: quietLog()})
	h, err := notify.NewHandler(st, notify.HandlerOptions{Page: testPage, PerAddress: auth.NewLimiter(5, time.Hour), PerIP: auth.NewLimiter(20, time.Hour), Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	ctx := t.Context()

	resp, err := http.PostForm(ts.URL+"/subscribe", url.Values{"email": {"ann@example.com"}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST /subscribe = %v, %v", resp, err)
	}
	resp.Body.Close()
	if n := mustRunOnce(t, w); n != 1 {
		t.Fatalf("worker delivered %d, want the confirmation", n)
	}
	msgs := srv.messages()
	if len(msgs) != 1 || msgs[0].To != "ann@example.com" || !strings.Contains(msgs[0].Header.Get("Subject"), "Confirm") {
		t.Fatalf("after sign-up the server has %+v, want one confirmation to ann@example.com", msgs)
	}
	if msgs[0].Header.Get("List-Unsubscribe-Post") != "" {
		t.Errorf("the confirmation mail has a one-click header; only notices should")
	}
	confirm := firstLine(msgs[0].Body, testPage.URL+"/subscribe/confirm?token=")
	if confirm == "" {
		t.Fatalf("no confirmation link in %q", msgs[0].Body)
	}

	// A notice before confirming reaches nobody.
	notice := store.Notice{Kind: store.NoticeIncidentCreated, EventID: "ev1", EventName: "Portal unavailable", UpdateID: "up1",
		Status: "investigating", Body: "Customers cannot log in. We are investigating.", At: time.Now()}
	if err := st.EnqueueNotice(ctx, notice); err != nil {
		t.Fatal(err)
	}
	if n := mustRunOnce(t, w); n != 0 {
		t.Fatalf("an unconfirmed subscriber got %d deliveries", n)
	}

	// A link scanner's GET confirms nothing.
	get, err := http.Get(onPage(t, ts, confirm))
	if err != nil || get.StatusCode != 200 {
		t.Fatalf("GET confirm = %v, %v", get, err)
	}
	page, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if !strings.Contains(string(page), `method="post"`) {
		t.Errorf("confirm page has no POST form: %s", page)
	}
	if subs, _ := st.ListSubscribers(ctx, store.Page{}); len(subs) != 1 || subs[0].Confirmed {
		t.Fatalf("after GET confirm: %+v, want one unconfirmed subscriber", subs)
	}
	post, err := http.Post(onPage(t, ts, confirm), "application/x-www-form-urlencoded", nil)
	if err != nil || post.StatusCode != 200 {
		t.Fatalf("POST confirm = %v, %v", post, err)
	}
	post.Body.Close()

	notice.UpdateID, notice.Kind, notice.Status = "up2", store.NoticeIncidentUpdated, "identified"
	if err := st.EnqueueNotice(ctx, notice); err != nil {
		t.Fatal(err)
	}
	if n := mustRunOnce(t, w); n != 1 {
		t.Fatalf("worker delivered %d, want the notice", n)
	}
	msgs = srv.messages()
	if len(msgs) != 2 {
		t.Fatalf("server has %d messages, want 2", len(msgs))
	}
	n := msgs[1]
	lu := n.Header.Get("List-Unsubscribe")
	if !strings.HasPrefix(lu, "<"+testPage.URL+"/unsubscribe?token=") || !strings.HasSuffix(lu, ">") {
		t.Fatalf("List-Unsubscribe = %q", lu)
	}
	if p := n.Header.Get("List-Unsubscribe-Post"); p != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", p)
	}
	for _, want := range []string{"Portal unavailable", "Identified", "Customers cannot log in.", testPage.URL + "/incidents/ev1", lu[1 : len(lu)-1]} {
		if !strings.Contains(n.Body, want) {
			t.Errorf("notice body lacks %q:\n%s", want, n.Body)
		}
	}
	if got := len(linkRE.FindAllString(n.Body, -1)); got != 2 {
		t.Errorf("notice body has %d deep links, want the event's and unsubscribing's:\n%s", got, n.Body)
	}

	// RFC 8058 one-click: a POST with that body to the header's URL.
	one, err := http.Post(onPage(t, ts, lu[1:len(lu)-1]), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil || one.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe = %v, %v", one, err)
	}
	one.Body.Close()
	notice.UpdateID, notice.Kind, notice.Status = "up3", store.NoticeIncidentResolved, "resolved"
	if err := st.EnqueueNotice(ctx, notice); err != nil {
		t.Fatal(err)
	}
	if n := mustRunOnce(t, w); n != 0 {
		t.Fatalf("after unsubscribing, the worker delivered %d", n)
	}
	if got := len(srv.messages()); got != 2 {
		t.Fatalf("after unsubscribing the server has %d messages, want still 2", got)
	}
}

// crashOutbox is the real store with the orderly shutdown step removed: a
// worker on it that is stopped leaves its leases behind, as a killed
// process does.
type crashOutbox struct{ *store.Store }

func (crashOutbox) ReleaseDeliveries(context.Context, string) error { return nil }

// TestOutboxSurvivesRestart queues N notices, stops the worker and closes
// the store while the SMTP server holds one conversation mid-way, reopens
// the store with a new worker (a restart), and checks that every message
// arrived exactly once: after a crash (the dead worker's leases must run
// out) and after an orderly stop (the worker hands its leases back).
func TestOutboxSurvivesRestart(t *testing.T) {
	tests := []struct {
		name  string
		crash bool
	}{
		{"crash", true},
		{"orderly stop", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { testRestart(t, tc.crash) })
	}
}

func testRestart(t *testing.T, crash bool) {
	const n = 12
	srv := newSMTPServer(t, smtpOptions{})
	path := filepath.Join(t.TempDir(), "firebreak.db")
	st := openStore(t, path)
	ctx := t.Context()

	// One confirmed subscriber, n notices.
	if err := st.SubscribeEmail(ctx, "ann@example.com", nil, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	ds, err := st.ClaimDeliveries(ctx, "setup", time.Minute, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("claim confirmation = %v, %v", ds, err)
	}
	if ok, err := st.ConfirmSubscriber(ctx, ds[0].Token); !ok || err != nil {
		t.Fatalf("confirm = %v, %v", ok, err)
	}
	if err := st.MarkDelivered(ctx, ds[0].ID); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := st.EnqueueNotice(ctx, store.Notice{Kind: store.NoticeIncidentUpdated, EventID: "ev1", EventName: "Portal unavailable",
			UpdateID: fmt.Sprintf("up%02d", i), Status: "investigating", Body: fmt.Sprintf("Update %d.", i), At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}

	lease := time.Second
	if !crash {
		lease = time.Hour // handed back on the orderly stop, never waited for
	}
	var box notify.Outbox = st
	if crash {
		box = crashOutbox{st}
	}
	srv.hold(5) // the 5th conversation stops after RCPT TO
	wctx, stop := context.WithCancel(ctx)
	w1 := notify.NewWorker(box, notify.WorkerOptions{Page: testPage, Mailer: newMailer(t, srv), Owner: "before-restart",
		Concurrency: 3, Lease: lease, Poll: 10 * time.Millisecond, Logger: quietLog()})
	var wg sync.WaitGroup
	wg.Go(func() { _ = w1.Run(wctx) })
	select {
	case <-srv.held:
	case <-time.After(10 * time.Second):
		t.Fatal("the SMTP server never held a conversation")
	}
	before := len(srv.messages())
	stop() // the worker stops mid-delivery...
	wg.Wait()
	if err := st.Close(); err != nil { // ...and so does its database connection
		t.Fatal(err)
	}
	srv.releaseHold() // the held conversation's client is gone; no DATA follows
	if before >= n {
		t.Fatalf("all %d messages were sent before the stop; the test proves nothing", before)
	}

	// Restart: a new store on the same file, a new worker.
	st2 := openStore(t, path)
	defer st2.Close()
	w2 := notify.NewWorker(st2, notify.WorkerOptions{Page: testPage, Mailer: newMailer(t, srv), Owner: "after-restart",
		Concurrency: 3, Lease: lease, Poll: 20 * time.Millisecond, Logger: quietLog()})
	wctx2, stop2 := context.WithCancel(ctx)
	defer stop2()
	wg.Go(func() { _ = w2.Run(wctx2) })
	deadline := time.Now().Add(15 * time.Second)
	for {
		counts, err := st2.OutboxCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[store.OutboxSent] == n+1 && counts[store.OutboxPending] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox after restart: %v, want %d sent", counts, n+1)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop2()
	wg.Wait()

	msgs := srv.messages()
	seen := map[string]int{}
	updates := map[string]bool{}
	for _, m := range msgs {
		seen[m.MessageID]++
		updates[firstLine(m.Body, "Update ")] = true
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("Message-ID %s arrived %d times", id, c)
		}
	}
	if len(msgs) != n || len(seen) != n || len(updates) != n {
		t.Errorf("server accepted %d messages, %d distinct Message-IDs, %d distinct updates; want %d of each", len(msgs), len(seen), len(updates), n)
	}
	t.Logf("%d of %d sent before the stop, the rest after the restart", before, n)
}

// markFailsOnce is the real store, except that the first "sent" mark is
// lost, as when the process dies between the relay's 250 and the commit.
type markFailsOnce struct {
	*store.Store
	mu     sync.Mutex
	failed bool
}

func (m *markFailsOnce) MarkDelivered(ctx context.Context, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.failed {
		m.failed = true
		return fmt.Errorf("simulated crash before the mark of %d committed", id)
	}
	return m.Store.MarkDelivered(ctx, id)
}

// TestCrashAfterAcceptResendsSameMessage documents the one unavoidable
// duplicate: a message accepted but not marked is sent again, byte for byte
// the same, Message-ID included, so the receiver can drop it.
func TestCrashAfterAcceptResendsSameMessage(t *testing.T) {
	srv := newSMTPServer(t, smtpOptions{})
	st := openStore(t, filepath.Join(t.TempDir(), "firebreak.db"))
	defer st.Close()
	if err := st.SubscribeEmail(t.Context(), "ann@example.com", nil, ""); err != nil {
		t.Fatal(err)
	}
	box := &markFailsOnce{Store: st}
	w := notify.NewWorker(box, notify.WorkerOptions{Page: testPage, Mailer: newMailer(t, srv), Lease: 200 * time.Millisecond, Logger: quietLog()})
	mustRunOnce(t, w)
	time.Sleep(250 * time.Millisecond) // the lease runs out
	mustRunOnce(t, w)
	msgs := srv.messages()
	if len(msgs) != 2 {
		t.Fatalf("server has %d messages, want the message and its repeat", len(msgs))
	}
	if string(msgs[0].Raw) != string(msgs[1].Raw) || msgs[0].MessageID == "" {
		t.Errorf("the repeat differs from the first send:\n%s\n---\n%s", msgs[0].Raw, msgs[1].Raw)
	}
	if c, _ := st.OutboxCounts(t.Context()); c[store.OutboxSent] != 1 {
		t.Errorf("outbox %v, want 1 sent", c)
	}
}

// TestWorkerSMTPFailures: a 4xx answer is retried after the backoff, a 5xx
// answer ends the delivery at once (dead), and the attempts are counted.
func TestWorkerSMTPFailures(t *testing.T) {
	tests := []struct {
		name      string
		refuse    error
		wantState string
	}{
		{"4xx is retried", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}, store.OutboxPending},
		{"5xx is permanent", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, store.OutboxDead},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newSMTPServer(t, smtpOptions{})
			srv.refuseRcpt(tc.refuse)
			st := openStore(t, filepath.Join(t.TempDir(), "firebreak.db"))
			defer st.Close()
			if err := st.SubscribeEmail(t.Context(), "ann@example.com", nil, ""); err != nil {
				t.Fatal(err)
			}
			w := notify.NewWorker(st, notify.WorkerOptions{Page: testPage, Mailer: newMailer(t, srv), Logger: quietLog(),
				Retry: incident.RetryPolicy{Base: time.Hour, Max: time.Hour, MaxAttempts: 5}})
			if n := mustRunOnce(t, w); n != 1 {
				t.Fatalf("RunOnce = %d, want 1", n)
			}
			if n := mustRunOnce(t, w); n != 0 {
				t.Fatalf("the failed delivery was tried again at once (%d)", n)
			}
			c, err := st.OutboxCounts(t.Context())
			if err != nil || c[tc.wantState] != 1 {
				t.Fatalf("outbox %v, %v, want one %s", c, err, tc.wantState)
			}
			if len(srv.messages()) != 0 {
				t.Errorf("a refused message was stored")
			}
		})
	}
}
