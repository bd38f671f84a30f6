package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// signalView is one service probe that is not up, as the incident list's
// banner shows it: "Customer portal: down since 10:02 UTC — HTTP 503 (3 checks)".
type signalView struct {
	Name, State, Since, Detail, Checks string
}

// probeSignals returns the banner lines for the probes that are not up.
// Guests, who see only the incidents they are scoped to, get none.
func (s *Server) probeSignals(r *http.Request, c *caller) ([]signalView, error) {
	if c == nil || auth.Scoped(c.user.Role) {
		return nil, nil
	}
	ps, err := s.st.ProbeSignals(r.Context())
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	out := make([]signalView, 0, len(ps))
	for _, p := range ps {
		out = append(out, signalView{Name: p.Name, State: p.State, Since: sinceText(now, p.Since), Detail: p.Detail, Checks: checksText(p)})
	}
	return out, nil
}

// sinceText gives a time of today as "10:02 UTC", an earlier one with its date.
func sinceText(now, t time.Time) string {
	t = t.UTC()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04 UTC")
	}
	return t.Format("2 Jan 15:04 UTC")
}

func checksText(p store.ProbeState) string {
	n := p.Bad
	if n == 0 {
		n = p.Good // down → degraded counts results that did not fail
	}
	if n == 1 {
		return "1 check"
	}
	return fmt.Sprintf("%d checks", n)
}

// writeProbeMetrics adds the stored state of every service probe to a
// /metrics answer.
func (s *Server) writeProbeMetrics(r *http.Request, b *strings.Builder) error {
	ps, err := s.st.ProbeStates(r.Context())
	if err != nil {
		return err
	}
	b.WriteString("# HELP firebreak_probe_up Whether the service probe's last known state is up.\n# TYPE firebreak_probe_up gauge\n")
	for _, p := range ps {
		up := 0
		if p.State == store.ProbeUp {
			up = 1
		}
		fmt.Fprintf(b, "firebreak_probe_up{probe=%q} %d\n", p.Name, up)
	}
	b.WriteString("# HELP firebreak_probe_state The service probe's state: 1 for the current one.\n# TYPE firebreak_probe_state gauge\n")
	for _, p := range ps {
		for _, st := range []string{store.ProbeUp, store.ProbeDegraded, store.ProbeDown} {
			v := 0
			if p.State == st {
				v = 1
			}
			fmt.Fprintf(b, "firebreak_probe_state{probe=%q,state=%q} %d\n", p.Name, st, v)
		}
	}
	b.WriteString("# HELP firebreak_probe_since_seconds Unix time at which the service probe's current state began.\n# TYPE firebreak_probe_since_seconds gauge\n")
	for _, p := range ps {
		fmt.Fprintf(b, "firebreak_probe_since_seconds{probe=%q} %d\n", p.Name, p.Since.Unix())
	}
	return nil
}
