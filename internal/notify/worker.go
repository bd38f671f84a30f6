package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// Outbox is the persistent queue the Worker drains; *store.Store is one.
type Outbox interface {
	ClaimDeliveries(ctx context.Context, owner string, lease time.Duration, limit int) ([]incident.Delivery, error)
	MarkDelivered(ctx context.Context, id int64) error
	FailDelivery(ctx context.Context, id int64, reason string, permanent bool, p incident.RetryPolicy) error
	ReleaseDeliveries(ctx context.Context, owner string) error
	PurgeUnconfirmed(ctx context.Context) (int, error)
	PurgeDeliveries(ctx context.Context) (int, error)
}

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	Page Page
	// Mailer sends e-mail; without one, e-mail deliveries wait (and are
	// retried) until a relay is configured.
	Mailer *Mailer
	// Webhooks sends webhook requests; without one, they wait likewise.
	Webhooks *WebhookSender
	// Owner names this worker in leases; default: host name, process id
	// and a random suffix.
	Owner string
	// Concurrency bounds deliveries in flight (default 4).
	Concurrency int
	// Lease is how long a claimed delivery is this worker's alone; it must
	// be longer than one delivery can take (default 2 min).
	Lease time.Duration
	// Poll is how often the outbox is checked when idle (default 2 s);
	// Poke checks it at once.
	Poll time.Duration
	// Retry is the backoff policy (default incident.DefaultRetry).
	Retry incident.RetryPolicy
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Worker delivers the outbox.
type Worker struct {
	box  Outbox
	opt  WorkerOptions
	log  *slog.Logger
	poke chan struct{}
}

// NewWorker returns a worker draining box.
func NewWorker(box Outbox, opt WorkerOptions) *Worker {
	if opt.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		opt.Owner = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 4
	}
	if opt.Lease <= 0 {
		opt.Lease = 2 * time.Minute
	}
	if opt.Poll <= 0 {
		opt.Poll = 2 * time.Second
	}
	if opt.Retry == (incident.RetryPolicy{}) {
		opt.Retry = incident.DefaultRetry
	}
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Worker{box: box, opt: opt, log: log.With("worker", opt.Owner), poke: make(chan struct{}, 1)}
}

// Poke makes the worker look at the outbox now, for example after a
// sign-up. It never blocks.
func (w *Worker) Poke() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// purgeEvery is how often unconfirmed sign-ups are purged.
const purgeEvery = time.Hour

// Run delivers until ctx is cancelled. On the way out it hands back its
// leases, so that another worker can take over at once; deliveries in flight
// are interrupted and stay pending.
func (w *Worker) Run(ctx context.Context) error {
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := w.box.ReleaseDeliveries(rctx, w.opt.Owner); err != nil {
			w.log.Warn("release deliveries", "err", err)
		}
	}()
	lastPurge := time.Time{}
	for {
		if time.Since(lastPurge) > purgeEvery {
			lastPurge = time.Now()
			if n, err := w.box.PurgeUnconfirmed(ctx); err != nil && ctx.Err() == nil {
				w.log.Warn("purge unconfirmed subscribers", "err", err)
			} else if n > 0 {
				w.log.Info("unconfirmed subscribers purged", "count", n)
			}
			if n, err := w.box.PurgeDeliveries(ctx); err != nil && ctx.Err() == nil {
				w.log.Warn("purge old deliveries", "err", err)
			} else if n > 0 {
				w.log.Info("old deliveries purged", "rows", n)
			}
		}
		n, err := w.RunOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			w.log.Warn("claim deliveries", "err", err)
		}
		if n == w.opt.Concurrency {
			continue // there may be more
		}
		t := time.NewTimer(w.opt.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-w.poke:
			t.Stop()
		case <-t.C:
		}
	}
}

// RunOnce claims up to Concurrency due deliveries, delivers them in
// parallel and returns how many it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	ds, err := w.box.ClaimDeliveries(ctx, w.opt.Owner, w.opt.Lease, w.opt.Concurrency)
	if err != nil {
		return 0, fmt.Errorf("claim deliveries: %w", err)
	}
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Go(func() { w.deliver(ctx, d) })
	}
	wg.Wait()
	return len(ds), nil
}

// deliver sends one delivery and records the outcome.
func (w *Worker) deliver(ctx context.Context, d incident.Delivery) {
	log := w.log.With("delivery_id", d.ID, "kind", d.Kind, "subscriber_id", d.Subscriber.ID, "attempt", d.Attempts)
	// Sending is bounded by the lease: past it, another worker may take over.
	sctx, cancel := context.WithTimeout(ctx, w.opt.Lease*3/4)
	err := w.send(sctx, d)
	cancel()
	if ctx.Err() != nil && err != nil {
		// Shutting down: the delivery stays pending and is not counted as
		// a failure of the receiver.
		log.Info("delivery interrupted by shutdown", "err", err)
		return
	}
	// Record the outcome even if a shutdown begins now: a message that was
	// accepted must be marked, or it would be sent again.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer rcancel()
	if err == nil {
		if err := w.box.MarkDelivered(rctx, d.ID); err != nil {
			log.Error("delivered but not marked: it may be sent again", "err", err)
			return
		}
		log.Debug("delivered")
		return
	}
	permanent := IsPermanent(err)
	if ferr := w.box.FailDelivery(rctx, d.ID, err.Error(), permanent, w.opt.Retry); ferr != nil {
		log.Error("record failed delivery", "err", ferr, "cause", err)
		return
	}
	log.Warn("delivery failed", "err", err, "permanent", permanent)
}

// errNoTransport is returned when no sender is configured for a kind.
var errNoTransport = errors.New("no sender is configured for this kind of subscriber")

// send builds and sends the message of one delivery.
func (w *Worker) send(ctx context.Context, d incident.Delivery) error {
	switch d.Subscriber.Kind {
	case incident.SubscriberEmail:
		if w.opt.Mailer == nil {
			return fmt.Errorf("e-mail: %w", errNoTransport)
		}
		msg, err := w.mail(d)
		if err != nil {
			return &PermanentError{err}
		}
		return w.opt.Mailer.Send(ctx, msg)
	case incident.SubscriberWebhook:
		if w.opt.Webhooks == nil {
			return fmt.Errorf("webhook: %w", errNoTransport)
		}
		if d.Notice == nil {
			return &PermanentError{fmt.Errorf("webhook delivery %d carries no notice", d.ID)}
		}
		body, err := webhookBody(w.opt.Page, d)
		if err != nil {
			return &PermanentError{fmt.Errorf("encode webhook body: %w", err)}
		}
		return w.opt.Webhooks.Send(ctx, Hook{URL: d.Subscriber.Address, Secret: d.Secret, DeliveryID: DeliveryID(d), Event: d.Notice.Kind, Body: body})
	}
	return &PermanentError{fmt.Errorf("subscriber kind %q", d.Subscriber.Kind)}
}

// mail builds the message of an e-mail delivery.
func (w *Worker) mail(d incident.Delivery) (Message, error) {
	msg := Message{To: d.Subscriber.Address, MessageID: w.opt.Mailer.MessageID(d), Date: d.CreatedAt}
	if d.Token == "" {
		return msg, fmt.Errorf("delivery %d: no token to put in the mail", d.ID)
	}
	unsub := w.opt.Page.UnsubscribeURL(d.Token)
	switch d.Kind {
	case incident.DeliveryConfirmation:
		msg.Subject, msg.Body = ConfirmText(w.opt.Page, w.opt.Page.ConfirmURL(d.Token), unsub)
	case incident.DeliveryNotice:
		if d.Notice == nil {
			return msg, fmt.Errorf("delivery %d carries no notice", d.ID)
		}
		msg.Subject, msg.Body = NoticeText(w.opt.Page, *d.Notice, unsub)
		// RFC 8058: one-click unsubscribe by POST to the HTTPS link.
		msg.Headers = [][2]string{
			{"List-Unsubscribe", "<" + unsub + ">"},
			{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
		}
	default:
		return msg, fmt.Errorf("delivery kind %q", d.Kind)
	}
	return msg, nil
}
