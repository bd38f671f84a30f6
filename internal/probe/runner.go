package probe

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// DefaultConcurrency bounds the checks running at once.
const DefaultConcurrency = 8

// RunnerOptions tune a Runner.
type RunnerOptions struct {
	// OnTransition is called on every state change, from the changed
	// probe's goroutine: calls for one probe come in order, calls for
	// different probes may run concurrently. A slow callback delays only
	// its own probe's next check.
	OnTransition func(ctx context.Context, t Transition)
	// Concurrency bounds the checks in flight (default DefaultConcurrency).
	Concurrency int
	// Initial holds states restored from storage, by probe name, so that a
	// restart neither repeats nor forgets a transition.
	Initial map[string]Initial
	// Log receives one debug line per check.
	Log *slog.Logger
}

// Initial is a probe's state when the Runner starts.
type Initial struct {
	State State
	Since time.Time
}

// Runner checks every probe of a configuration on the probe's interval.
type Runner struct {
	opt     RunnerOptions
	entries []*entry
	sem     chan struct{}

	mu sync.Mutex // guards every entry's tracker
}

type entry struct {
	checker *Checker
	tr      *tracker
}

// NewRunner prepares the probes of cfg.
func NewRunner(cfg *Config, opt RunnerOptions) (*Runner, error) {
	if opt.Concurrency <= 0 {
		opt.Concurrency = DefaultConcurrency
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	r := &Runner{opt: opt, sem: make(chan struct{}, opt.Concurrency)}
	for _, p := range cfg.Probes {
		c, err := NewChecker(p)
		if err != nil {
			return nil, fmt.Errorf("prepare probes: %w", err)
		}
		in := opt.Initial[p.Name]
		r.entries = append(r.entries, &entry{checker: c, tr: newTracker(p, in.State, in.Since)})
	}
	return r, nil
}

// Run checks the probes until ctx is cancelled, then waits for the checks
// in flight to end and returns nil.
func (r *Runner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, e := range r.entries {
		wg.Go(func() { r.loop(ctx, e) })
	}
	wg.Wait()
	return nil
}

// jitter returns d ± 10%.
func jitter(d time.Duration) time.Duration {
	return d - d/10 + rand.N(d/5+1)
}

func (r *Runner) loop(ctx context.Context, e *entry) {
	p := e.checker.Probe()
	// Spread the first checks over a tenth of the interval, so that a
	// start does not fire every probe at once.
	t := time.NewTimer(rand.N(p.Interval/10 + 1))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		res := e.checker.Check(ctx)
		<-r.sem
		if ctx.Err() != nil {
			return // a check cut short by shutdown says nothing of the service
		}
		r.mu.Lock()
		from, changed := e.tr.observe(res)
		st := e.tr.st
		r.mu.Unlock()
		r.opt.Log.Debug("probe checked", "probe", p.Name, "outcome", res.Outcome, "latency", res.Latency, "detail", res.Detail, "state", st.State)
		if changed && r.opt.OnTransition != nil {
			r.opt.OnTransition(ctx, Transition{Probe: p, From: from, To: st.State, Status: st})
		}
		t.Reset(jitter(p.Interval))
	}
}

// States returns the current status of every probe, by name.
func (r *Runner) States() []Status {
	r.mu.Lock()
	out := make([]Status, len(r.entries))
	for i, e := range r.entries {
		out[i] = e.tr.st
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
