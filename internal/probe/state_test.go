package probe

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestTracker feeds sequences of outcomes (o = ok, d = degraded, f = failed)
// through the thresholds and checks every transition: where it happens,
// from and to what, and the "since" it reports.
func TestTracker(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name              string
		failures, succ    int
		initial           State
		results           string
		want              []string // "step:from→to@sinceStep" for each transition
		wantState         State
		wantBad, wantGood int
	}{
		{"first ok is up", 3, 2, Unknown, "o", []string{"0:unknown→up@0"}, Up, 0, 1},
		{"stays unknown below threshold", 3, 2, Unknown, "ff", nil, Unknown, 2, 0},
		{"unknown to down", 3, 2, Unknown, "fff", []string{"2:unknown→down@0"}, Down, 3, 0},
		{"up to down after 3", 3, 2, Unknown, "offf", []string{"0:unknown→up@0", "3:up→down@1"}, Down, 3, 0},
		{"a good result restarts the count", 3, 2, Up, "ffoffof", nil, Up, 1, 0},
		{"down back up after 2", 3, 2, Down, "foo", []string{"2:down→up@1"}, Up, 0, 2},
		{"one ok is not enough", 3, 2, Down, "ofo", nil, Down, 0, 1},
		{"degraded after 3 slow", 3, 2, Up, "ddd", []string{"2:up→degraded@0"}, Degraded, 3, 0},
		{"mixed bad is degraded", 3, 2, Up, "dfd", []string{"2:up→degraded@0"}, Degraded, 3, 0},
		{"degraded worsens to down", 3, 2, Up, "dddfff", []string{"2:up→degraded@0", "5:degraded→down@3"}, Down, 6, 0},
		{"degraded recovers", 3, 2, Up, "dddoo", []string{"2:up→degraded@0", "4:degraded→up@3"}, Up, 0, 2},
		{"down improves to degraded", 3, 2, Down, "dd", []string{"1:down→degraded@0"}, Degraded, 2, 0},
		{"down to up through ok and slow", 3, 2, Down, "odoo", []string{"1:down→degraded@0", "3:degraded→up@2"}, Up, 0, 2},
		{"threshold of one", 1, 1, Up, "fof", []string{"0:up→down@0", "1:down→up@1", "2:up→down@2"}, Down, 1, 0},
		{"restored degraded stays until better", 3, 2, Degraded, "dddd", nil, Degraded, 4, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Probe{Name: "p", Thresholds: Thresholds{Failures: tc.failures, Successes: tc.succ}}
			tr := newTracker(p, tc.initial, t0.Add(-time.Hour))
			var got []string
			for i, c := range tc.results {
				r := Result{At: t0.Add(time.Duration(i) * time.Minute), Outcome: map[rune]Outcome{'o': OutcomeOK, 'd': OutcomeDegraded, 'f': OutcomeFailed}[c]}
				from, changed := tr.observe(r)
				if changed {
					since := int(tr.st.Since.Sub(t0) / time.Minute)
					got = append(got, fmt.Sprintf("%d:%s→%s@%d", i, from, tr.st.State, since))
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("transitions of %q from %s = %v, want %v", tc.results, tc.initial, got, tc.want)
			}
			if tr.st.State != tc.wantState || tr.st.Bad != tc.wantBad || tr.st.Good != tc.wantGood {
				t.Errorf("after %q: state %s bad %d good %d, want %s %d %d", tc.results, tr.st.State, tr.st.Bad, tr.st.Good, tc.wantState, tc.wantBad, tc.wantGood)
			}
		})
	}
}
