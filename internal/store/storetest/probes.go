package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/store"
)

func probeState(name, state string, since, checked time.Time, detail string, bad, good int) store.ProbeState {
	return store.ProbeState{Name: name, Type: "http", Target: "https://" + name + ".example/", State: state,
		Since: since, Detail: detail, CheckedAt: checked, Bad: bad, Good: good}
}

// testProbes records probe transitions and checks, and reads back the
// states, the signals (probes not up), the history and the audit trail.
func testProbes(t *testing.T, e *env) {
	t0 := Start
	audit0 := e.auditCount(t)
	portal := probeState("portal", store.ProbeUp, t0, t0, "HTTP 200 in 12ms", 0, 1)
	portal.Component = "Customer portal"
	steps := []struct {
		name string
		from string
		p    store.ProbeState
	}{
		{"portal up", store.ProbeUnknown, portal},
		{"api up", store.ProbeUnknown, probeState("api", store.ProbeUp, t0, t0, "HTTP 204 in 8ms", 0, 1)},
		{"portal down", store.ProbeUp, func() store.ProbeState {
			p := probeState("portal", store.ProbeDown, t0.Add(time.Minute), t0.Add(3*time.Minute), "HTTP 503", 3, 0)
			p.Component = "Customer portal"
			return p
		}()},
		{"api degraded", store.ProbeUp, probeState("api", store.ProbeDegraded, t0.Add(30*time.Second), t0.Add(2*time.Minute), "slow: 2.5s, above 2s", 3, 0)},
	}
	for _, st := range steps {
		e.clk.Advance(time.Second)
		if err := e.s.RecordProbeTransition(e.ctx, "monitor", st.from, st.p); err != nil {
			t.Fatalf("RecordProbeTransition(%s) = %v", st.name, err)
		}
	}
	if n := e.auditCount(t); n != audit0+int64(len(steps)) {
		t.Errorf("audit entries after %d transitions = %d, want %d", len(steps), n-audit0, len(steps))
	}

	signals, err := e.s.ProbeSignals(e.ctx)
	if err != nil {
		t.Fatalf("ProbeSignals() = %v", err)
	}
	if len(signals) != 2 || signals[0].Name != "portal" || signals[1].Name != "api" {
		t.Fatalf("ProbeSignals() = %+v, want portal (down) then api (degraded)", signals)
	}
	got := signals[0]
	want := steps[2].p
	want.UpdatedAt = got.UpdatedAt
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ProbeSignals()[0] = %+v\nwant %+v", got, want)
	}
	if at := t0.Add(3 * time.Second); !got.Signal() || !got.UpdatedAt.Equal(at) { // the clock moved 1s before each step
		t.Errorf("portal Signal() = %v, UpdatedAt = %v, want true and %v", got.Signal(), got.UpdatedAt, at)
	}

	// A later check updates counts and detail without an audit entry; an
	// older snapshot (a lost race) does not roll the state back.
	before := e.auditCount(t)
	newer := steps[2].p
	newer.CheckedAt, newer.Bad, newer.Detail = t0.Add(4*time.Minute), 4, "HTTP 502"
	older := steps[0].p // up, checked at t0
	if err := e.s.SaveProbeStates(e.ctx, []store.ProbeState{newer, older}); err != nil {
		t.Fatalf("SaveProbeStates() = %v", err)
	}
	if n := e.auditCount(t); n != before {
		t.Errorf("SaveProbeStates wrote %d audit entries, want 0", n-before)
	}
	all, err := e.s.ProbeStates(e.ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("ProbeStates() = %+v, %v, want 2", all, err)
	}
	if p := all[1]; p.Name != "portal" || p.State != store.ProbeDown || p.Bad != 4 || p.Detail != "HTTP 502" || !p.CheckedAt.Equal(newer.CheckedAt) {
		t.Errorf("portal after SaveProbeStates = %+v, want down, 4 bad, HTTP 502", p)
	}

	// Recovery clears the signal.
	up := probeState("api", store.ProbeUp, t0.Add(5*time.Minute), t0.Add(6*time.Minute), "HTTP 204 in 9ms", 0, 2)
	if err := e.s.RecordProbeTransition(e.ctx, "monitor", store.ProbeDegraded, up); err != nil {
		t.Fatal(err)
	}
	if signals, err := e.s.ProbeSignals(e.ctx); err != nil || len(signals) != 1 || signals[0].Name != "portal" {
		t.Errorf("ProbeSignals() after api recovered = %+v, %v, want portal only", signals, err)
	}

	hist := collect(t, 2, func(tr store.ProbeTransition) int64 { return tr.ID }, func(p store.Page) ([]store.ProbeTransition, error) {
		return e.s.ProbeTransitions(e.ctx, "api", p)
	})
	var path []string
	for _, h := range hist {
		path = append(path, h.From+"→"+h.To)
	}
	if !reflect.DeepEqual(path, []string{"unknown→up", "up→degraded", "degraded→up"}) || !hist[1].Since.Equal(t0.Add(30*time.Second)) || hist[1].Detail != "slow: 2.5s, above 2s" {
		t.Errorf("ProbeTransitions(api) = %+v", hist)
	}
	if all, err := e.s.ProbeTransitions(e.ctx, "", store.Page{}); err != nil || len(all) != 5 {
		t.Errorf("ProbeTransitions(all) = %d, %v, want 5", len(all), err)
	}

	// Invalid input writes nothing.
	before = e.auditCount(t)
	for _, bad := range []store.ProbeState{probeState("", store.ProbeDown, t0, t0, "", 1, 0), probeState("x", "sideways", t0, t0, "", 1, 0)} {
		wantValidation(t, "RecordProbeTransition(invalid)", e.s.RecordProbeTransition(e.ctx, "monitor", store.ProbeUp, bad))
		wantValidation(t, "SaveProbeStates(invalid)", e.s.SaveProbeStates(e.ctx, []store.ProbeState{bad}))
	}
	wantValidation(t, "RecordProbeTransition(from sideways)", e.s.RecordProbeTransition(e.ctx, "monitor", "sideways", up))
	if n := e.auditCount(t); n != before {
		t.Errorf("invalid probe writes added %d audit entries, want 0", n-before)
	}

	// Probes dropped from the configuration are removed, with one entry.
	removed, err := e.s.RemoveProbes(e.ctx, "system", []string{"api", "not stored"})
	if err != nil || !reflect.DeepEqual(removed, []string{"portal"}) {
		t.Errorf("RemoveProbes(keep api) = %v, %v, want [portal]", removed, err)
	}
	if n := e.auditCount(t); n != before+1 {
		t.Errorf("RemoveProbes wrote %d audit entries, want 1", n-before)
	}
	if removed, err := e.s.RemoveProbes(e.ctx, "system", []string{"api"}); err != nil || len(removed) != 0 {
		t.Errorf("RemoveProbes again = %v, %v, want nothing", removed, err)
	}
	if signals, err := e.s.ProbeSignals(e.ctx); err != nil || len(signals) != 0 {
		t.Errorf("ProbeSignals() after removing portal = %+v, %v, want none", signals, err)
	}
}
