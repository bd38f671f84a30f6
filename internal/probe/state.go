package probe

import "time"

// State is what a probe currently says about its service.
type State string

// States. A probe starts unknown (or at the state restored from storage).
const (
	Unknown  State = "unknown"
	Up       State = "up"
	Degraded State = "degraded"
	Down     State = "down"
)

// States lists every state, best first.
var States = []State{Up, Degraded, Down, Unknown}

// Status is a probe's current state and the facts behind it.
type Status struct {
	Name      string
	Type      Type
	Target    string
	Component string // "" when the probe sets no component
	State     State
	// Since is when the streak of results that led to State began: the
	// first failed check of an outage, not the moment the threshold was
	// reached. Zero while unknown.
	Since time.Time
	// Last is the latest result; Last.At is zero before the first check.
	Last Result
	// Bad and Good count the consecutive results up to Last that were not
	// ok, and that were ok. One of them is always zero.
	Bad, Good int
}

// Transition is a change of a probe's state.
type Transition struct {
	Probe    Probe
	From, To State
	Status   Status // the status after the change
}

// streak counts consecutive results of one kind and when it began.
type streak struct {
	n     int
	since time.Time
}

func (s *streak) hit(at time.Time) {
	if s.n == 0 {
		s.since = at
	}
	s.n++
}

func (s *streak) reset() { s.n = 0 }

// tracker applies a probe's thresholds to its results.
//
//   - Unknown becomes up at the first ok result: there is nothing to doubt.
//   - Any state but up becomes up after Successes consecutive ok results.
//   - Any state but down becomes down after Failures consecutive failed results.
//   - Up (or unknown) becomes degraded after Failures consecutive results
//     that were not ok but not all failed.
//   - Down becomes degraded after Successes consecutive results that did not
//     fail but were not all ok.
//
// A single good result among bad ones restarts the count, so a flapping
// service does not flap the state.
type tracker struct {
	th                         Thresholds
	st                         Status
	ok, notFailed, bad, failed streak
}

func newTracker(p Probe, initial State, since time.Time) *tracker {
	t := &tracker{th: p.Thresholds, st: Status{Name: p.Name, Type: p.Type, Target: p.Target, State: Unknown}}
	if p.Component != nil {
		t.st.Component = p.Component.Name
	}
	if initial == Up || initial == Degraded || initial == Down {
		t.st.State, t.st.Since = initial, since
	}
	return t
}

// observe takes one result and reports the state before it and whether the
// state changed.
func (t *tracker) observe(r Result) (from State, changed bool) {
	switch r.Outcome {
	case OutcomeOK:
		t.ok.hit(r.At)
		t.notFailed.hit(r.At)
		t.bad.reset()
		t.failed.reset()
	case OutcomeDegraded:
		t.ok.reset()
		t.notFailed.hit(r.At)
		t.bad.hit(r.At)
		t.failed.reset()
	default:
		t.ok.reset()
		t.notFailed.reset()
		t.bad.hit(r.At)
		t.failed.hit(r.At)
	}
	t.st.Last, t.st.Bad, t.st.Good = r, t.bad.n, t.ok.n
	from = t.st.State
	next, since := from, t.st.Since
	switch {
	case t.ok.n >= t.th.Successes || from == Unknown && t.ok.n >= 1:
		next, since = Up, t.ok.since
	case t.failed.n >= t.th.Failures:
		next, since = Down, t.failed.since
	case from == Down && t.notFailed.n >= t.th.Successes:
		next, since = Degraded, t.notFailed.since
	case (from == Up || from == Unknown) && t.bad.n >= t.th.Failures:
		next, since = Degraded, t.bad.since
	}
	if next == from {
		return from, false
	}
	t.st.State, t.st.Since = next, since
	return from, true
}
