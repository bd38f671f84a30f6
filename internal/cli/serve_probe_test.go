package cli

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

type componentCall struct {
	component string
	status    incident.ServiceStatus
	reason    string
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func probeStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "firebreak.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestStartProbes runs a real probe against a test server through the
// serve wiring: restored state, forgotten probes, stored transitions with
// audit entries, component updates, and the last save on stop.
func TestStartProbes(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(int(status.Load())) }))
	defer srv.Close()
	st := probeStore(t)
	ctx := t.Context()
	long := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// The portal was down when the last server stopped; "Old" is no longer configured.
	for _, p := range []store.ProbeState{
		{Name: "Portal", Type: "http", Target: srv.URL + "/", State: store.ProbeDown, Since: long, Detail: "HTTP 500", CheckedAt: long, Bad: 3},
		{Name: "Old", Type: "tcp", Target: "old:1", State: store.ProbeDown, Since: long, Detail: "refused", CheckedAt: long, Bad: 3},
	} {
		if err := st.RecordProbeTransition(ctx, "monitor", store.ProbeUp, p); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "probes.yml")
	cfg := fmt.Sprintf("probes:\n  - name: Portal\n    type: http\n    target: %s/\n    interval: 1s\n    thresholds: {failures: 1, successes: 1}\n    component: {name: Customer portal, down: partial_outage}\n", srv.URL)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	calls := make(chan componentCall, 8)
	set := func(ctx context.Context, component string, s incident.ServiceStatus, reason string) error {
		calls <- componentCall{component, s, reason}
		return nil
	}
	var logs syncBuffer
	w := &probeWiring{st: st, setComponent: set, log: slog.New(slog.NewTextHandler(&logs, nil)), flushEvery: 100 * time.Millisecond}
	stop, err := w.start(ctx, path)
	if err != nil {
		t.Fatalf("start(%s) = %v", path, err)
	}
	defer stop()
	next := func(want incident.ServiceStatus, reason string) {
		t.Helper()
		select {
		case c := <-calls:
			if c.component != "Customer portal" || c.status != want || !strings.Contains(c.reason, reason) {
				t.Fatalf("setComponent(%q, %s, %q), want Customer portal, %s and a reason with %q", c.component, c.status, c.reason, want, reason)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no setComponent(%s) within 5s", want)
		}
	}
	// Restored as down, the first good check brings it up: operational.
	next(incident.StatusOperational, "probe Portal: up — HTTP 200")
	status.Store(503)
	next(incident.StatusPartial, "probe Portal: down — HTTP 503")

	time.Sleep(300 * time.Millisecond) // let a periodic save run
	stop()
	states, err := st.ProbeStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 1 || states[0].Name != "Portal" || states[0].State != store.ProbeDown || states[0].Detail != "HTTP 503" || states[0].CheckedAt.Before(long) {
		t.Errorf("stored probes after stop = %+v, want only Portal, down with HTTP 503", states)
	}
	hist, err := st.ProbeTransitions(ctx, "Portal", store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var path2 []string
	for _, h := range hist {
		path2 = append(path2, h.From+"→"+h.To)
	}
	if strings.Join(path2, " ") != "up→down down→up up→down" {
		t.Errorf("Portal transitions = %v, want the seeded up→down, then down→up, up→down", path2)
	}
	entries, err := st.AuditEntries(ctx, store.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Actor+":"+e.Action+":"+e.Target)
	}
	if got := strings.Join(actions, " "); !strings.Contains(got, "monitor:probe.remove: monitor:probe.transition:Portal monitor:probe.transition:Portal") {
		t.Errorf("audit trail = %s, want the removal and both transitions by monitor", got)
	}
	for _, want := range []string{"probe state changed", "forgot probes no longer configured", "component set from probe"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
}

// TestStartProbesWithoutComponents: a probe with a component but no way to
// set it still runs and records, and says so in the log.
func TestStartProbesWithoutComponents(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer srv.Close()
	st := probeStore(t)
	path := filepath.Join(t.TempDir(), "probes.yml")
	cfg := fmt.Sprintf("probes:\n  - name: Portal\n    type: http\n    target: %s\n    interval: 1s\n    thresholds: {failures: 1}\n    component: {name: Customer portal}\n", srv.URL)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	stop, err := startProbes(t.Context(), st, path, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "probe cannot set its component") {
		if time.Now().After(deadline) {
			t.Fatalf("no warning about the missing component setter within 10s; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if sig, err := st.ProbeSignals(t.Context()); err != nil || len(sig) != 1 || sig[0].State != store.ProbeDown {
		t.Errorf("ProbeSignals() = %+v, %v, want Portal down", sig, err)
	}
}

func TestStartProbesConfigErrors(t *testing.T) {
	st := probeStore(t)
	stop, err := startProbes(t.Context(), st, "", nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("startProbes(no file) = %v", err)
	}
	stop()
	path := filepath.Join(t.TempDir(), "probes.yml")
	if err := os.WriteFile(path, []byte("probes:\n  - name: x\n    type: ping\n    target: h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := startProbes(t.Context(), st, path, nil, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), path+":3: type:") {
		t.Errorf("startProbes(bad file) = %v, want an error naming %s:3", err, path)
	}
	if _, err := startProbes(t.Context(), st, filepath.Join(t.TempDir(), "missing.yml"), nil, slog.New(slog.DiscardHandler)); err == nil {
		t.Errorf("startProbes(missing file) = nil, want an error")
	}
}

func TestProbesCheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yml", fmt.Sprintf("probes:\n  - {name: Portal, type: http, target: '%s'}\n", srv.URL))
	mixed := write("mixed.yml", fmt.Sprintf("probes:\n  - {name: Portal, type: http, target: '%s'}\n  - {name: SIP edge, type: tcp, target: '%s', timeout: 2s}\n", srv.URL, closed))
	bad := write("bad.yml", "probes:\n  - {name: Portal, type: http, target: portal}\n")
	for _, c := range []struct {
		name  string
		args  []string
		code  int
		wants []string
	}{
		{"all ok", []string{"probes", "check", good}, 0, []string{"ok  ", "Portal", "HTTP 200 in"}},
		{"one fails", []string{"probes", "check", mixed}, 1, []string{"HTTP 200 in", "failed", "SIP edge", "connection refused", "1 of 2 probe(s) failed"}},
		{"parse only", []string{"probes", "check", "--parse-only", mixed}, 0, []string{"mixed.yml: 2 probe(s), valid"}},
		{"invalid file", []string{"probes", "check", bad}, 1, []string{bad + ":2: target:"}},
		{"example file", []string{"probes", "check", "--parse-only", "../../examples/probes.yml"}, 0, []string{"5 probe(s), valid"}},
		{"usage", []string{"probes"}, 2, []string{"probes check"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, nil, c.args...)
			if r.code != c.code {
				t.Errorf("firebreak %v exited %d, want %d; stdout:\n%s\nstderr:\n%s", c.args, r.code, c.code, r.stdout, r.stderr)
			}
			for _, w := range c.wants {
				if !strings.Contains(r.stdout+r.stderr, w) {
					t.Errorf("firebreak %v output lacks %q:\n%s%s", c.args, w, r.stdout, r.stderr)
				}
			}
		})
	}
}
