package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/clientip"
	"github.com/firebreak-ir/firebreak/internal/config"
	"github.com/firebreak-ir/firebreak/internal/demo"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/publish"
	"github.com/firebreak-ir/firebreak/internal/store"
	"github.com/firebreak-ir/firebreak/internal/web"
)

func serve(ctx context.Context, args []string, env Env) error {
	c, err := loadConfig(env, flag.NewFlagSet("serve", flag.ContinueOnError), args, (*config.Config).Flags)
	if err != nil {
		return err
	}
	log := newLogger(c, env.Stderr)
	start := time.Now()
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()

	// A brand-new database gets its schema; an outdated one is refused.
	if v, err := st.SchemaVersion(ctx); err != nil {
		return err
	} else if v == 0 {
		if _, err := st.Migrate(ctx); err != nil {
			return err
		}
		log.Info("created database schema", "version", store.LatestVersion(), "dialect", st.Dialect())
	}
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	// Nothing may reach the status tables that the page could not render.
	st.SetStatusCheck(publish.Check(pageDefaults(c)))
	params := auth.DefaultParams
	params.Memory = c.PasswordMemoryKiB
	if err := firstAdmin(ctx, st, c, params, env, log); err != nil {
		return err
	}
	if c.Demo {
		ref, created, err := demo.Load(ctx, st, "demo")
		if err != nil {
			return fmt.Errorf("load demo incident: %w", err)
		}
		log.Info("demo incident", "ref", ref, "created", created)
	}

	// The public plane runs beside the console, on its own listener:
	// the page, and the subscription pages when notifications are on.
	pctx, stopPublic := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPublic()
	settings, err := st.StatusSettings(ctx)
	if err != nil {
		return err
	}
	proxies, err := c.Proxies()
	if err != nil {
		return err
	}
	clientIP := clientip.New(proxies).Of
	subscribe, stopNotify, err := startNotify(pctx, st, c.ForNotify(settings.Name), clientIP, log)
	if err != nil {
		return err
	}
	defer stopNotify() // runs before st.Close: the worker hands back its leases
	public, err := startPublic(pctx, st, c, log, subscribe)
	if err != nil {
		return err
	}
	// On an early error return below, the public listener closes too; after
	// the orderly shutdown at the end this does nothing.
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.ShutdownTimeout)
		defer cancel()
		_ = public.shutdown(sctx)
	}()
	if env.PublicReady != nil && public.addr != "" {
		env.PublicReady(public.addr)
	}

	// Service probes: state changes are recorded; a probe naming a public
	// component sets its status, and the page re-renders.
	setComponent := func(ctx context.Context, component string, status incident.ServiceStatus, reason string) error {
		changed, err := st.SetComponentStatus(ctx, probeActor, component, status, reason)
		if changed {
			public.pub.Kick()
		}
		return err
	}
	stopProbes, err := startProbes(pctx, st, c.Probes, setComponent, log)
	if err != nil {
		return err
	}
	defer stopProbes()

	srv := web.New(web.Options{Store: st, Blobs: store.Blobs{Dir: c.EvidenceDir()}, Log: log, Passwords: params,
		MaxEvidence: c.MaxEvidence, SessionTTL: c.SessionTTL, SecureCookies: c.SecureCookies, Version: version(),
		StatusChanged: public.pub.Kick, PublicURL: pageDefaults(c).URL, AllowPrivateWebhooks: c.Notify.WebhookAllowPrivate,
		ClientIP: clientIP})
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("serving", "addr", "http://"+ln.Addr().String(), "dialect", st.Dialect(), "version", version(), "startup", time.Since(start).Round(time.Millisecond))
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.ShutdownTimeout)
	defer cancel()
	// The console stops first; the status page serves until the very end.
	err = hs.Shutdown(sctx)
	if perr := public.shutdown(sctx); err == nil {
		err = perr
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// firstAdmin creates the user admin on first start, with the configured
// password or a random one printed once.
func firstAdmin(ctx context.Context, st *store.Store, c config.Config, params auth.Params, env Env, log interface{ Info(string, ...any) }) error {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	pw := string(c.AdminPassword)
	printed := false
	if pw == "" {
		pw = auth.NewSecret()[:24]
		printed = true
	} else if err := auth.CheckPassword(pw); err != nil {
		return fmt.Errorf("FIREBREAK_ADMIN_PASSWORD: %w", err)
	}
	hash, err := auth.HashPassword(pw, params)
	if err != nil {
		return err
	}
	if _, err := st.CreateUser(ctx, "system", incident.User{Name: "admin", Role: incident.RoleAdmin}, hash); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil // another replica created it first
		}
		return err
	}
	if printed {
		fmt.Fprintf(env.Stderr, "\n  Created user 'admin' with password: %s\n  It is shown only once. Set FIREBREAK_ADMIN_PASSWORD to choose it.\n\n", pw)
	}
	log.Info("created first user", "user", "admin")
	return nil
}
