package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// subscriberTests are the subscriber and outbox part of the contract; Run
// runs them with the rest.
var subscriberTests = []struct {
	name string
	fn   func(t *testing.T, e *env)
}{
	{"Subscriber/DoubleOptIn", testSubscriberOptIn},
	{"Subscriber/ComponentChoice", testSubscriberComponents},
	{"Subscriber/InvalidInput", testSubscriberInvalid},
	{"Subscriber/Webhook", testSubscriberWebhook},
	{"Subscriber/PurgeUnconfirmed", testSubscriberPurge},
	{"Outbox/LeaseRetryDead", testOutboxLease},
	{"Outbox/ConcurrentClaims", testOutboxConcurrentClaims},
	{"Outbox/Purge", testOutboxPurge},
	{"Subscriber/ConcurrentSignups", testSubscriberConcurrent},
}

func (e *env) claim(t *testing.T, owner string) []incident.Delivery {
	t.Helper()
	ds, err := e.s.ClaimDeliveries(e.ctx, owner, time.Minute, 100)
	if err != nil {
		t.Fatalf("ClaimDeliveries(%s) = %v", owner, err)
	}
	return ds
}

func (e *env) deliverAll(t *testing.T, ds []incident.Delivery) {
	t.Helper()
	for _, d := range ds {
		if err := e.s.MarkDelivered(e.ctx, d.ID); err != nil {
			t.Fatalf("MarkDelivered(%d) = %v", d.ID, err)
		}
	}
}

func notice(kind store.NoticeKind, update string, comps ...string) store.Notice {
	return store.Notice{Kind: kind, EventID: "ev1", EventName: "Portal down", UpdateID: update,
		Status: "investigating", Body: "We are looking into it.", ComponentIDs: comps, At: Start}
}

func testSubscriberOptIn(t *testing.T, e *env) {
	if err := e.s.SubscribeEmail(e.ctx, "Ann@Example.COM", nil, "198.51.100.7"); err != nil {
		t.Fatalf("SubscribeEmail = %v", err)
	}
	ds := e.claim(t, "w1")
	if len(ds) != 1 || ds[0].Kind != incident.DeliveryConfirmation || ds[0].Subscriber.Address != "Ann@example.com" || len(ds[0].Token) != 43 {
		t.Fatalf("after sign-up, claimed %+v, want one confirmation to Ann@example.com with a token", ds)
	}
	confirmToken := ds[0].Token
	e.deliverAll(t, ds)

	// Not confirmed yet: no notice.
	if err := e.s.EnqueueNotice(e.ctx, notice(store.NoticeIncidentCreated, "u1")); err != nil {
		t.Fatalf("EnqueueNotice = %v", err)
	}
	if ds := e.claim(t, "w1"); len(ds) != 0 {
		t.Fatalf("unconfirmed subscriber got %+v", ds)
	}
	for _, tok := range []string{"", "short", confirmToken[:42] + "x"} {
		if ok, err := e.s.ConfirmSubscriber(e.ctx, tok); ok || err != nil {
			t.Errorf("ConfirmSubscriber(%q) = %v, %v, want false, nil", tok, ok, err)
		}
	}
	for range 2 { // confirming twice is fine
		if ok, err := e.s.ConfirmSubscriber(e.ctx, confirmToken); !ok || err != nil {
			t.Fatalf("ConfirmSubscriber(token) = %v, %v, want true, nil", ok, err)
		}
	}
	// Signing up again when confirmed queues nothing and changes nothing.
	if err := e.s.SubscribeEmail(e.ctx, "Ann@example.com", []string{"c1"}, "203.0.113.9"); err != nil {
		t.Fatalf("SubscribeEmail again = %v", err)
	}
	if cs, err := e.s.ComponentChoices(e.ctx); err != nil || cs == nil || len(cs) != 0 {
		t.Errorf("ComponentChoices on a page without components = %v, %v, want an empty list", cs, err)
	}
	subs, err := e.s.ListSubscribers(e.ctx, store.Page{})
	if err != nil || len(subs) != 1 || !subs[0].Confirmed || subs[0].ConfirmedAt == nil || len(subs[0].Components) != 0 || subs[0].CreatedFrom != "198.51.100.7" {
		t.Fatalf("ListSubscribers = %+v, %v, want one confirmed subscriber to everything", subs, err)
	}

	n := notice(store.NoticeIncidentUpdated, "u2", "c9")
	for range 2 { // the same notice twice is queued once
		if err := e.s.EnqueueNotice(e.ctx, n); err != nil {
			t.Fatalf("EnqueueNotice = %v", err)
		}
	}
	ds = e.claim(t, "w1")
	if len(ds) != 1 || ds[0].Kind != incident.DeliveryNotice || ds[0].Notice == nil || ds[0].Notice.UpdateID != "u2" || ds[0].Notice.Body != n.Body || len(ds[0].Token) != 43 {
		t.Fatalf("claimed %+v, want the one notice u2 with an unsubscribe token", ds)
	}
	unsub := ds[0].Token
	e.deliverAll(t, ds)
	if err := e.s.EnqueueNotice(e.ctx, n); err != nil {
		t.Fatalf("EnqueueNotice after delivery = %v", err)
	}
	if ds := e.claim(t, "w1"); len(ds) != 0 {
		t.Fatalf("a delivered notice was queued again: %+v", ds)
	}
	for range 2 { // idempotent
		if err := e.s.Unsubscribe(e.ctx, unsub); err != nil {
			t.Fatalf("Unsubscribe = %v", err)
		}
	}
	if err := e.s.Unsubscribe(e.ctx, "not a token"); err != nil {
		t.Fatalf("Unsubscribe(garbage) = %v, want nil", err)
	}
	if subs, err := e.s.ListSubscribers(e.ctx, store.Page{}); err != nil || len(subs) != 0 {
		t.Fatalf("after unsubscribe, ListSubscribers = %+v, %v, want none", subs, err)
	}
	if err := e.s.EnqueueNotice(e.ctx, notice(store.NoticeIncidentResolved, "u3")); err != nil {
		t.Fatalf("EnqueueNotice = %v", err)
	}
	if ds := e.claim(t, "w1"); len(ds) != 0 {
		t.Fatalf("unsubscribed address got %+v", ds)
	}
}

func testSubscriberComponents(t *testing.T, e *env) {
	choices := map[string][]string{
		"all@example.com":  nil,
		"api@example.com":  {"api"},
		"both@example.com": {"web", "api"},
		"web@example.com":  {"web"},
	}
	for addr, comps := range choices {
		if err := e.s.SubscribeEmail(e.ctx, addr, comps, ""); err != nil {
			t.Fatalf("SubscribeEmail(%s) = %v", addr, err)
		}
	}
	for _, d := range e.claim(t, "w") {
		if ok, err := e.s.ConfirmSubscriber(e.ctx, d.Token); !ok || err != nil {
			t.Fatalf("ConfirmSubscriber = %v, %v", ok, err)
		}
		e.deliverAll(t, []incident.Delivery{d})
	}
	tests := []struct {
		update string
		comps  []string
		want   []string
	}{
		{"u-api", []string{"api"}, []string{"all@example.com", "api@example.com", "both@example.com"}},
		{"u-web", []string{"web"}, []string{"all@example.com", "both@example.com", "web@example.com"}},
		{"u-db", []string{"db"}, []string{"all@example.com"}},
		{"u-none", nil, []string{"all@example.com"}},
		{"u-many", []string{"db", "web", "api"}, []string{"all@example.com", "api@example.com", "both@example.com", "web@example.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.update, func(t *testing.T) {
			if err := e.s.EnqueueNotice(e.ctx, notice(store.NoticeIncidentUpdated, tc.update, tc.comps...)); err != nil {
				t.Fatalf("EnqueueNotice = %v", err)
			}
			var got []string
			ds := e.claim(t, "w")
			for _, d := range ds {
				got = append(got, d.Subscriber.Address)
			}
			e.deliverAll(t, ds)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("notice on %v went to %v, want %v", tc.comps, got, tc.want)
			}
		})
	}
}

func testSubscriberInvalid(t *testing.T, e *env) {
	tests := []struct {
		addr  string
		comps []string
	}{
		{"", nil},
		{"no-at-sign", nil},
		{"Ann <ann@example.com>", nil},
		{"ann@example.com\r\nBcc: x@example.com", nil},
		{"ann@localhost", nil},
		{"ann@@example.com", nil},
		{"ann@example.com", []string{"bad id!"}},
		{"ann@example.com", make([]string, incident.MaxSubComponents+1)},
	}
	for _, tc := range tests {
		wantValidation(t, "SubscribeEmail("+tc.addr+")", e.s.SubscribeEmail(e.ctx, tc.addr, tc.comps, ""))
	}
	if subs, _ := e.s.ListSubscribers(e.ctx, store.Page{}); len(subs) != 0 {
		t.Errorf("invalid sign-ups stored %+v", subs)
	}
}

func testSubscriberWebhook(t *testing.T, e *env) {
	for _, u := range []string{"http://127.0.0.1/hook", "http://10.1.2.3/hook", "http://localhost:8080/", "ftp://example.com/", "https://user:pw@example.com/"} {
		_, _, err := e.s.AddWebhook(e.ctx, "alice", u, nil, false)
		wantValidation(t, "AddWebhook("+u+")", err)
	}
	before := e.auditCount(t)
	sub, secret, err := e.s.AddWebhook(e.ctx, "alice", "https://hooks.example.com/firebreak", []string{"api"}, false)
	if err != nil || sub.ID == 0 || len(secret) < 40 || !sub.Confirmed {
		t.Fatalf("AddWebhook = %+v, %q, %v", sub, secret, err)
	}
	if _, _, err := e.s.AddWebhook(e.ctx, "alice", "https://hooks.example.com/firebreak", nil, false); err == nil {
		t.Errorf("adding the same webhook twice succeeded")
	} else {
		wantIs(t, "AddWebhook(same)", err, store.ErrConflict)
	}
	if _, _, err := e.s.AddWebhook(e.ctx, "alice", "http://127.0.0.1:9/hook", nil, true); err != nil {
		t.Errorf("AddWebhook(loopback, allowPrivate) = %v", err)
	}
	if err := e.s.EnqueueNotice(e.ctx, notice(store.NoticeMaintenanceStarted, "m1", "api")); err != nil {
		t.Fatalf("EnqueueNotice = %v", err)
	}
	ds := e.claim(t, "w")
	var got *incident.Delivery
	for i := range ds {
		if ds[i].Subscriber.ID == sub.ID {
			got = &ds[i]
		}
	}
	if got == nil || got.Secret != secret || got.Token != "" || got.Notice.Kind != "maintenance.started" {
		t.Fatalf("claimed %+v, want the notice for webhook %d with its secret and no token", ds, sub.ID)
	}
	if err := e.s.DeleteSubscriber(e.ctx, "alice", sub.ID); err != nil {
		t.Fatalf("DeleteSubscriber = %v", err)
	}
	wantIs(t, "DeleteSubscriber(again)", e.s.DeleteSubscriber(e.ctx, "alice", sub.ID), store.ErrNotFound)
	if after := e.auditCount(t); after != before+3 { // add, add (loopback), delete
		t.Errorf("audit entries: %d → %d, want 3 more", before, after)
	}
	entries, err := e.s.AuditEntries(e.ctx, store.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range entries {
		if strings.Contains(a.Detail, "com/firebreak") || strings.Contains(a.Detail, ":9/hook") {
			t.Errorf("audit entry %d %s keeps a hook's path (often its secret): %s", a.Seq, a.Action, a.Detail)
		}
	}
	// The delivery of a deleted subscriber is gone; marking it is harmless.
	if err := e.s.MarkDelivered(e.ctx, got.ID); err != nil {
		t.Errorf("MarkDelivered(deleted) = %v", err)
	}
}

func testSubscriberPurge(t *testing.T, e *env) {
	if err := e.s.SubscribeEmail(e.ctx, "old@example.com", nil, ""); err != nil {
		t.Fatal(err)
	}
	tok := e.claim(t, "w")[0].Token
	e.clk.Advance(store.ConfirmTTL + time.Minute)
	if err := e.s.SubscribeEmail(e.ctx, "new@example.com", nil, ""); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.s.ConfirmSubscriber(e.ctx, tok); ok || err != nil {
		t.Errorf("ConfirmSubscriber(expired) = %v, %v, want false, nil", ok, err)
	}
	n, err := e.s.PurgeUnconfirmed(e.ctx)
	if err != nil || n != 1 {
		t.Fatalf("PurgeUnconfirmed = %d, %v, want 1", n, err)
	}
	subs, _ := e.s.ListSubscribers(e.ctx, store.Page{})
	if len(subs) != 1 || subs[0].Address != "new@example.com" {
		t.Errorf("after purge: %+v", subs)
	}
}

func testOutboxLease(t *testing.T, e *env) {
	if err := e.s.SubscribeEmail(e.ctx, "ann@example.com", nil, ""); err != nil {
		t.Fatal(err)
	}
	p := incident.RetryPolicy{Base: time.Minute, Max: 10 * time.Minute, MaxAttempts: 3}
	ds := e.claim(t, "w1")
	if len(ds) != 1 || ds[0].Attempts != 1 {
		t.Fatalf("first claim = %+v", ds)
	}
	id := ds[0].ID
	if again := e.claim(t, "w2"); len(again) != 0 {
		t.Fatalf("a leased delivery was claimed again: %+v", again)
	}
	e.clk.Advance(time.Minute + time.Second) // w1 died: its lease runs out
	ds = e.claim(t, "w2")
	if len(ds) != 1 || ds[0].ID != id || ds[0].Attempts != 2 {
		t.Fatalf("claim after lease expiry = %+v", ds)
	}
	if err := e.s.FailDelivery(e.ctx, id, "451 try later", false, p); err != nil {
		t.Fatal(err)
	}
	if ds := e.claim(t, "w2"); len(ds) != 0 {
		t.Fatalf("claimed before the backoff ran out: %+v", ds)
	}
	e.clk.Advance(2*time.Minute + time.Second) // base 1m doubled once for the 2nd attempt
	ds = e.claim(t, "w2")
	if len(ds) != 1 || ds[0].Attempts != 3 {
		t.Fatalf("claim after backoff = %+v", ds)
	}
	if err := e.s.FailDelivery(e.ctx, id, "451 still", false, p); err != nil {
		t.Fatal(err)
	}
	counts, err := e.s.OutboxCounts(e.ctx)
	if err != nil || counts[store.OutboxDead] != 1 || counts[store.OutboxPending] != 0 {
		t.Fatalf("after max attempts: counts %v, %v, want one dead", counts, err)
	}
	// Release hands leases back at once.
	if err := e.s.SubscribeEmail(e.ctx, "bob@example.com", nil, ""); err != nil {
		t.Fatal(err)
	}
	if len(e.claim(t, "w3")) != 1 {
		t.Fatal("no delivery for bob")
	}
	if err := e.s.ReleaseDeliveries(e.ctx, "w3"); err != nil {
		t.Fatal(err)
	}
	ds = e.claim(t, "w4")
	if len(ds) != 1 {
		t.Fatalf("after release, claim = %+v", ds)
	}
	if err := e.s.FailDelivery(e.ctx, ds[0].ID, "550 no such user", true, p); err != nil {
		t.Fatal(err)
	}
	if counts, _ := e.s.OutboxCounts(e.ctx); counts[store.OutboxDead] != 2 {
		t.Errorf("a permanent failure did not kill the delivery: %v", counts)
	}
}

// testOutboxConcurrentClaims: workers claiming at once never get the same
// delivery while its lease holds, and together get every one.
func testOutboxConcurrentClaims(t *testing.T, e *env) {
	const subs, workers = 40, 6
	for i := range subs {
		if err := e.s.SubscribeEmail(e.ctx, fmt.Sprintf("s%02d@example.com", i), nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claimedBy := map[int64]string{}
	var wg sync.WaitGroup
	for w := range workers {
		owner := fmt.Sprintf("w%d", w)
		wg.Go(func() {
			for {
				ds, err := e.s.ClaimDeliveries(e.ctx, owner, time.Hour, 3)
				if err != nil {
					t.Errorf("ClaimDeliveries(%s) = %v", owner, err)
					return
				}
				if len(ds) == 0 {
					return
				}
				mu.Lock()
				for _, d := range ds {
					if other, dup := claimedBy[d.ID]; dup {
						t.Errorf("delivery %d claimed by %s and %s", d.ID, other, owner)
					}
					claimedBy[d.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimedBy) != subs {
		t.Errorf("%d deliveries claimed, want %d", len(claimedBy), subs)
	}
}

func testOutboxPurge(t *testing.T, e *env) {
	if err := e.s.SubscribeEmail(e.ctx, "ann@example.com", nil, ""); err != nil {
		t.Fatal(err)
	}
	ds := e.claim(t, "w")
	if ok, err := e.s.ConfirmSubscriber(e.ctx, ds[0].Token); !ok || err != nil {
		t.Fatal(ok, err)
	}
	e.deliverAll(t, ds)
	if err := e.s.EnqueueNotice(e.ctx, notice(store.NoticeIncidentCreated, "u1")); err != nil {
		t.Fatal(err)
	}
	unsub := e.claim(t, "w")[0].Token // left pending: never purged
	if n, err := e.s.PurgeDeliveries(e.ctx); err != nil || n != 0 {
		t.Fatalf("PurgeDeliveries (fresh) = %d, %v, want 0", n, err)
	}
	e.clk.Advance(store.DeliveryRetention + time.Hour)
	if n, err := e.s.PurgeDeliveries(e.ctx); err != nil || n != 1 {
		t.Fatalf("PurgeDeliveries = %d, %v, want the sent confirmation", n, err)
	}
	if c, _ := e.s.OutboxCounts(e.ctx); c[store.OutboxPending] != 1 || c[store.OutboxSent] != 0 {
		t.Errorf("after purge: %v, want the pending notice kept", c)
	}
	// The unsubscribe link still works within TokenRetention...
	e.clk.Advance(store.TokenRetention - store.DeliveryRetention - 2*time.Hour)
	if _, err := e.s.PurgeDeliveries(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Unsubscribe(e.ctx, unsub); err != nil {
		t.Fatal(err)
	}
	if subs, _ := e.s.ListSubscribers(e.ctx, store.Page{}); len(subs) != 0 {
		t.Errorf("unsubscribe with an 11-month-old link failed: %+v", subs)
	}
}

// testSubscriberConcurrent: the same address signing up many times at once
// gives one subscriber and no errors.
func testSubscriberConcurrent(t *testing.T, e *env) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := e.s.SubscribeEmail(e.ctx, "ann@example.com", nil, ""); err != nil {
				t.Errorf("SubscribeEmail = %v", err)
			}
		})
	}
	wg.Wait()
	subs, err := e.s.ListSubscribers(e.ctx, store.Page{})
	if err != nil || len(subs) != 1 {
		t.Fatalf("ListSubscribers = %+v, %v, want one", subs, err)
	}
	if ds := e.claim(t, "w"); len(ds) < 1 || len(ds) > 8 {
		t.Errorf("%d confirmations queued for 8 sign-ups", len(ds))
	}
}
