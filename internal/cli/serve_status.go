package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/firebreak-ir/firebreak/internal/config"
	"github.com/firebreak-ir/firebreak/internal/publish"
	"github.com/firebreak-ir/firebreak/internal/status"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// publicPlane is the running public status page: its publisher and, when
// --public-addr is set, its own HTTP server (separate from the console's, so
// that a console under load or locked does not take the page down).
type publicPlane struct {
	pub  *publish.Publisher
	ln   *status.Listener
	addr string

	stop    sync.Once
	stopErr error
}

// pageDefaults are the page settings used until an administrator sets them.
func pageDefaults(c config.Config) store.StatusSettings {
	u := c.PublicURL
	if u == "" {
		addr := c.PublicAddr
		if addr == "" {
			addr = "localhost"
		}
		u = "http://" + addr
	}
	return store.StatusSettings{Name: "Service status", URL: u, TimeZone: "Etc/UTC"}
}

// startPublic renders the page once (so the first request already has it),
// starts the publisher, and listens on --public-addr when set. subscribe,
// when not nil, serves the subscription pages (/subscribe, /unsubscribe),
// and the page then shows a sign-up form.
func startPublic(ctx context.Context, st *store.Store, c config.Config, log *slog.Logger, subscribe http.Handler) (*publicPlane, error) {
	srv := status.NewServer(nil)
	opt := publish.Options{Defaults: pageDefaults(c), ExportDir: c.StatusExportDir, Logger: log}
	if subscribe != nil && c.PublicAddr != "" {
		opt.SubscribeURL = strings.TrimSuffix(c.PublicURL, "/") + "/subscribe"
	}
	pub := publish.New(st, srv, opt)
	if err := pub.Refresh(ctx, true); err != nil {
		// Not fatal: the console must start to fix what is wrong. The page
		// answers 503 until a render succeeds; Run keeps trying.
		log.Error("status page not rendered; it answers 503 until it is", "err", err)
	}
	go pub.Run(ctx)
	p := &publicPlane{pub: pub}
	if c.PublicAddr == "" {
		return p, nil
	}
	ln, err := net.Listen("tcp", c.PublicAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", c.PublicAddr, err)
	}
	// The page's GET and HEAD requests take the fast path; the
	// subscription pages (and anything else) go to net/http.
	p.ln = &status.Listener{Server: srv, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute,
		WriteTimeout: 30 * time.Second, MaxHeaderBytes: 16 << 10, Logger: log}
	if subscribe != nil {
		mux := http.NewServeMux()
		mux.Handle("/", srv)
		for _, path := range subscriptionPaths {
			mux.Handle(path, subscribe)
		}
		p.ln.Fallback = mux
		p.ln.Dynamic = func(path string) bool { return slices.Contains(subscriptionPaths, path) }
	}
	p.addr = ln.Addr().String()
	go func() {
		if err := p.ln.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.Error("public status page stopped", "err", err)
		}
	}()
	log.Info("serving status page", "addr", "http://"+p.addr, "export_dir", c.StatusExportDir)
	return p, nil
}

// subscriptionPaths are served by the notification handler.
var subscriptionPaths = []string{"/subscribe", "/subscribe/confirm", "/unsubscribe"}

// shutdown stops the public listener once; later calls return the first
// call's result.
func (p *publicPlane) shutdown(ctx context.Context) error {
	if p == nil || p.ln == nil {
		return nil
	}
	p.stop.Do(func() { p.stopErr = p.ln.Shutdown(ctx) })
	return p.stopErr
}

// statusCmd runs `firebreak status export DIR`: the whole public site as
// static files, for any web host or object store.
func statusCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "export" {
		return fmt.Errorf("%w: want 'status export DIR'", errUsage)
	}
	fs := flag.NewFlagSet("status export", flag.ContinueOnError)
	c, err := loadConfig(env, fs, args[1:], func(c *config.Config, fs *flag.FlagSet) {
		c.StoreFlags(fs)
		fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "the status page's public URL (env FIREBREAK_PUBLIC_URL)")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: status export needs one output directory", errUsage)
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	d, err := st.StatusData(ctx)
	if err != nil {
		return err
	}
	snap, err := status.Render(publish.Project(d, pageDefaults(c)), time.Now())
	if err != nil {
		return fmt.Errorf("render status page: %w", err)
	}
	if err := status.Export(snap, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "status page (version %d, %d files) written to %s\n", d.Version, len(snap.Paths()), fs.Arg(0))
	return nil
}
