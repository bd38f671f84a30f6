package probe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// flipSite answers with whatever status it is set to.
type flipSite struct{ status atomic.Int32 }

func (s *flipSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(int(s.status.Load()))
}

func fastProbe(name, target string) Probe {
	p := httpProbe(target)
	p.Name, p.Interval, p.Timeout = name, 20*time.Millisecond, time.Second
	p.Thresholds = Thresholds{Failures: 2, Successes: 2}
	return p
}

// startRunner runs r until the test ends, and returns its transitions.
func startRunner(t *testing.T, cfg *Config, opt RunnerOptions) (*Runner, <-chan Transition) {
	t.Helper()
	ch := make(chan Transition, 16)
	opt.OnTransition = func(ctx context.Context, tr Transition) { ch <- tr }
	r, err := NewRunner(cfg, opt)
	if err != nil {
		t.Fatalf("NewRunner() = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v, want nil after cancellation", err)
		}
	})
	return r, ch
}

func next(t *testing.T, ch <-chan Transition) Transition {
	t.Helper()
	select {
	case tr := <-ch:
		return tr
	case <-time.After(5 * time.Second):
		t.Fatal("no transition within 5s")
	}
	panic("unreachable")
}

func TestRunnerTransitions(t *testing.T) {
	site := &flipSite{}
	site.status.Store(200)
	srv := httptest.NewServer(site)
	defer srv.Close()
	p := fastProbe("Customer portal", srv.URL)
	p.Component = &Component{Name: "Portal"}
	r, ch := startRunner(t, &Config{Probes: []Probe{p}}, RunnerOptions{})

	tr := next(t, ch)
	if tr.From != Unknown || tr.To != Up || tr.Probe.Name != "Customer portal" || tr.Status.Component != "Portal" {
		t.Fatalf("first transition = %+v, want unknown→up of the portal", tr)
	}
	site.status.Store(503)
	tr = next(t, ch)
	if tr.From != Up || tr.To != Down || tr.Status.Last.Detail != "HTTP 503" || tr.Status.Bad != 2 || tr.Status.Good != 0 {
		t.Fatalf("second transition = %+v, want up→down after 2 × HTTP 503", tr)
	}
	if !tr.Status.Since.Before(tr.Status.Last.At) {
		t.Errorf("down since %v, want the first failure, before the last check at %v", tr.Status.Since, tr.Status.Last.At)
	}
	states := r.States()
	if len(states) != 1 || states[0].State != Down || states[0].Name != "Customer portal" {
		t.Errorf("States() = %+v, want the portal down", states)
	}
	site.status.Store(200)
	tr = next(t, ch)
	if tr.From != Down || tr.To != Up || tr.Status.Good != 2 {
		t.Fatalf("third transition = %+v, want down→up after 2 good checks", tr)
	}
}

func TestRunnerInitialState(t *testing.T) {
	srv := httptest.NewServer(&flipSite{})
	defer srv.Close()
	site := srv.Config.Handler.(*flipSite)
	site.status.Store(200)
	since := time.Now().Add(-time.Hour).UTC()
	p, q := fastProbe("restored down", srv.URL), fastProbe("restored up", srv.URL)
	r, ch := startRunner(t, &Config{Probes: []Probe{p, q}}, RunnerOptions{Initial: map[string]Initial{
		"restored down": {State: Down, Since: since},
		"restored up":   {State: Up, Since: since},
	}})
	if st := r.States(); st[0].State != Down || !st[0].Since.Equal(since) || st[1].State != Up {
		t.Errorf("States() before any check = %+v, want the restored states", st)
	}
	tr := next(t, ch)
	if tr.Probe.Name != "restored down" || tr.From != Down || tr.To != Up {
		t.Fatalf("transition = %+v, want restored down → up (and nothing for the restored up probe)", tr)
	}
	time.Sleep(100 * time.Millisecond) // several more checks
	select {
	case tr := <-ch:
		t.Errorf("unexpected transition %+v", tr)
	default:
	}
}

func TestRunnerConcurrencyBound(t *testing.T) {
	var mu sync.Mutex
	inFlight, most, total := 0, 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		total++
		most = max(most, inFlight)
		mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
	}))
	defer srv.Close()
	var probes []Probe
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		probes = append(probes, fastProbe(n, srv.URL))
	}
	startRunner(t, &Config{Probes: probes}, RunnerOptions{Concurrency: 2})
	time.Sleep(400 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if most > 2 || total < 5 {
		t.Errorf("with Concurrency 2: %d checks, at most %d at once; want ≥ 5 checks, never more than 2 at once", total, most)
	}
}

// TestRunnerStops cancels the runner while a check hangs: Run returns at
// once, and the cut-short check is not counted as a failure.
func TestRunnerStops(t *testing.T) {
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	}))
	defer srv.Close()
	p := fastProbe("hangs", srv.URL)
	p.Interval, p.Timeout, p.Thresholds.Failures = time.Minute, time.Minute, 1
	var transitions atomic.Int32
	r, err := NewRunner(&Config{Probes: []Probe{p}}, RunnerOptions{OnTransition: func(context.Context, Transition) { transitions.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the check never reached the server")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return within 2s of cancellation")
	}
	if n := transitions.Load(); n != 0 {
		t.Errorf("%d transitions after a cancelled check, want 0", n)
	}
	if st := r.States()[0]; st.State != Unknown || !st.Last.At.IsZero() {
		t.Errorf("States() = %+v, want unknown and no result", st)
	}
}

func TestNewRunnerRejectsUnknownType(t *testing.T) {
	_, err := NewRunner(&Config{Probes: []Probe{{Name: "x", Type: "icmp"}}}, RunnerOptions{})
	if err == nil || !strings.Contains(err.Error(), `unknown type "icmp"`) {
		t.Errorf("NewRunner(icmp) = %v, want an error", err)
	}
}
