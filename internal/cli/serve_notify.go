package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/config"
	"github.com/firebreak-ir/firebreak/internal/notify"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// startNotify starts subscriber notifications for serve: an outbox worker
// that runs until ctx ends or stop is called, and the public sign-up
// handler. It returns the handler to mount on the public listener next to
// the status page (it serves /subscribe, /subscribe/confirm and
// /unsubscribe; nil when notifications are off or no SMTP relay is
// configured, since sign-ups then could never be confirmed), and stop,
// which stops the worker and returns once it has handed back its leases.
// Call stop before closing st (defer it right after a successful call).
//
// Notifications are off while c.PageURL is empty; stop is then a no-op.
// Every replica may call it: the workers share the outbox through leases.
//
// clientIP gives a sign-up's client address for the per-client limit (nil:
// the connection's).
func startNotify(ctx context.Context, st *store.Store, c config.Notify, clientIP func(*http.Request) string, log *slog.Logger) (h http.Handler, stop func(), err error) {
	if !c.Enabled() {
		return nil, func() {}, nil
	}
	page := notify.Page{Name: c.PageName, URL: c.PageURL}
	var mailer *notify.Mailer
	if c.SMTPRelay != "" {
		mailer, err = notify.NewMailer(notify.MailOptions{
			Relay: c.SMTPRelay, Username: c.SMTPUser, Password: string(c.SMTPPassword),
			From: c.SMTPFrom, FromName: c.PageName,
			ImplicitTLS: c.SMTPTLS == "implicit", RequireTLS: c.SMTPTLS == "require",
		})
		if err != nil {
			return nil, nil, fmt.Errorf("notifications: %w", err)
		}
	}
	w := notify.NewWorker(st, notify.WorkerOptions{
		Page: page, Mailer: mailer, Concurrency: c.Workers, Logger: log.With("component", "notify"),
		Webhooks: notify.NewWebhookSender(notify.WebhookOptions{AllowPrivate: c.WebhookAllowPrivate}),
	})
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := w.Run(ctx); err != nil {
			log.Error("notification worker stopped", "err", err)
		}
	})
	stop = func() {
		cancel()
		wg.Wait()
	}
	if mailer == nil {
		log.Warn("no SMTP relay: e-mail sign-ups are off, webhooks only")
		return nil, stop, nil
	}
	h, err = notify.NewHandler(st, notify.HandlerOptions{
		Page: page,
		// The form offers the page's components; other ids are refused.
		Components: func(ctx context.Context) ([]notify.Component, error) {
			cs, err := st.ComponentChoices(ctx)
			out := make([]notify.Component, 0, len(cs))
			for _, c := range cs {
				out = append(out, notify.Component{ID: c.PublicID, Name: c.Name})
			}
			return out, err
		},
		PerAddress: auth.NewLimiter(c.SignupsPerAddress, c.SignupWindow),
		PerIP:      auth.NewLimiter(c.SignupsPerIP, c.SignupWindow),
		ClientIP:   clientIP,
		Queued:     w.Poke,
		Logger:     log.With("component", "subscribe"),
	})
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("notifications: %w", err)
	}
	log.Info("notifications on", "page", c.PageURL, "smtp_relay", c.SMTPRelay, "smtp_tls", c.SMTPTLS)
	return h, stop, nil
}
