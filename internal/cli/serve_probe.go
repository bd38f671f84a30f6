package cli

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/probe"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// componentSetter sets a public status component's status; serve passes the
// store's method once the status page has one. reason says why, for the
// audit trail.
type componentSetter func(ctx context.Context, component string, status incident.ServiceStatus, reason string) error

// probeActor is the audit actor of everything the probes record.
const probeActor = "monitor"

// probeWiring joins the probe runner to the store and the status page.
type probeWiring struct {
	st           *store.Store
	setComponent componentSetter // nil: not available
	log          *slog.Logger
	flushEvery   time.Duration // how often the latest checks are saved
}

// startProbes loads the probe configuration at path (nothing to do when
// path is empty), restores the probes' stored states, forgets stored probes
// the file no longer has, and runs the probes in the background. Each state
// change is stored (with an audit entry) and, for a probe with a component,
// passed to setComponent; the latest checks are saved every 15 s. It
// returns a configuration error at once; stop ends the probes and waits
// for them and a last save. Call stop before closing the store.
func startProbes(ctx context.Context, st *store.Store, path string, setComponent componentSetter, log *slog.Logger) (stop func(), err error) {
	w := &probeWiring{st: st, setComponent: setComponent, log: log, flushEvery: 15 * time.Second}
	return w.start(ctx, path)
}

func (w *probeWiring) start(ctx context.Context, path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	cfg, err := probe.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	stored, err := w.st.ProbeStates(ctx)
	if err != nil {
		return nil, fmt.Errorf("start probes: %w", err)
	}
	byName := map[string]store.ProbeState{}
	for _, s := range stored {
		byName[s.Name] = s
	}
	initial := map[string]probe.Initial{}
	names := make([]string, 0, len(cfg.Probes))
	for _, p := range cfg.Probes {
		names = append(names, p.Name)
		// A stored state speaks for the same check only.
		if s, ok := byName[p.Name]; ok && s.Type == string(p.Type) && s.Target == p.Target {
			initial[p.Name] = probe.Initial{State: probe.State(s.State), Since: s.Since}
		}
	}
	removed, err := w.st.RemoveProbes(ctx, probeActor, names)
	if err != nil {
		return nil, fmt.Errorf("start probes: %w", err)
	}
	if len(removed) > 0 {
		w.log.Info("forgot probes no longer configured", "probes", removed)
	}
	runner, err := probe.NewRunner(cfg, probe.RunnerOptions{OnTransition: w.transition, Initial: initial, Log: w.log})
	if err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = runner.Run(ctx) })
	wg.Go(func() {
		t := time.NewTicker(w.flushEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				// A last save, so that a restart resumes from the latest counts.
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				w.save(sctx, runner)
				return
			case <-t.C:
				w.save(ctx, runner)
			}
		}
	})
	w.log.Info("probes started", "file", path, "probes", len(cfg.Probes), "restored", len(initial))
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			wg.Wait()
		})
	}, nil
}

// storedState is a probe's status as the store keeps it.
func storedState(s probe.Status) store.ProbeState {
	return store.ProbeState{Name: s.Name, Type: string(s.Type), Target: s.Target, Component: s.Component, State: string(s.State),
		Since: s.Since, Detail: s.Last.Detail, CheckedAt: s.Last.At, Bad: s.Bad, Good: s.Good}
}

// save stores the latest check of every probe that has a state.
func (w *probeWiring) save(ctx context.Context, r *probe.Runner) {
	var ps []store.ProbeState
	for _, s := range r.States() {
		if s.State != probe.Unknown && !s.Last.At.IsZero() {
			ps = append(ps, storedState(s))
		}
	}
	if err := w.st.SaveProbeStates(ctx, ps); err != nil {
		w.log.Error("save probe states", "err", err)
	}
}

// transition stores a state change and sets the probe's component.
func (w *probeWiring) transition(ctx context.Context, t probe.Transition) {
	s := t.Status
	level := slog.LevelWarn
	if t.To == probe.Up {
		level = slog.LevelInfo
	}
	w.log.Log(ctx, level, "probe state changed", "probe", s.Name, "from", t.From, "to", t.To, "detail", s.Last.Detail, "target", s.Target)
	// Record even while shutting down: the change happened.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := w.st.RecordProbeTransition(ctx, probeActor, string(t.From), storedState(s)); err != nil {
		w.log.Error("record probe transition", "probe", s.Name, "err", err)
	}
	c := t.Probe.Component
	// Unknown → up says only that the service works as at start: it must
	// not override a status set by hand.
	if c == nil || t.From == probe.Unknown && t.To == probe.Up {
		return
	}
	status := incident.StatusOperational
	switch t.To {
	case probe.Down:
		status = c.Down
	case probe.Degraded:
		status = c.Degraded
	}
	if w.setComponent == nil {
		w.log.Warn("probe cannot set its component: status components are not available", "probe", s.Name, "component", c.Name, "status", status)
		return
	}
	reason := fmt.Sprintf("probe %s: %s — %s", s.Name, t.To, s.Last.Detail)
	if err := w.setComponent(ctx, c.Name, status, reason); err != nil {
		w.log.Error("set component from probe", "probe", s.Name, "component", c.Name, "status", status, "err", err)
		return
	}
	w.log.Info("component set from probe", "probe", s.Name, "component", c.Name, "status", status)
}
