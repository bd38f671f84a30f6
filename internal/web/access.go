package web

import (
	"context"
	"errors"
	"slices"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// Who sees an incident, beyond the role's permissions:
//   - a guest sees only the incidents they are named on;
//   - a TLP:RED incident is seen only by the people named on it and by
//     whoever opened it (setting TLP:RED names the person who sets it).
//
// Everyone else is told the incident does not exist. Within an incident a
// TLP:RED indicator is likewise listed only for the people named on the
// incident and whoever added it, and so are the findings that carry its
// value. These rules live here, and every place
// that reads an incident by reference or lists incidents or indicators
// goes through them.

// maySee reports whether c may see incident ref, whose TLP and opener are
// given.
func (c *caller) maySee(ref string, tlp incident.TLP, openedBy string) bool {
	named := slices.Contains(c.user.Incidents, ref)
	if auth.Scoped(c.user.Role) {
		return named
	}
	return tlp != incident.TLPRed || named || openedBy == c.user.Name
}

// checkIncident returns a not-found error when c may not see incident ref,
// or there is no such incident: the same answer, before anything else is
// looked at, so that a hidden incident and a missing one cannot be told
// apart.
func (s *Server) checkIncident(ctx context.Context, c *caller, ref string) error {
	if auth.Scoped(c.user.Role) {
		if !slices.Contains(c.user.Incidents, ref) {
			return errNotFound("incident " + ref + ": not found")
		}
		return nil
	}
	tlp, openedBy, err := s.st.IncidentAccess(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound("incident " + ref + ": not found")
	}
	if err != nil {
		return err
	}
	if !c.maySee(ref, tlp, openedBy) {
		return errNotFound("incident " + ref + ": not found")
	}
	return nil
}

// limit narrows an incident list to what c may see.
func (c *caller) limit(f store.IncidentFilter) store.IncidentFilter {
	if auth.Scoped(c.user.Role) {
		f.Refs = append([]string{}, c.user.Incidents...)
		return f
	}
	f.Viewer, f.Named = c.user.Name, c.user.Incidents
	return f
}

// indicatorViewer returns the viewer to list incident ref's indicators for:
// none (all of them) for the people named on it, else c's name, so that
// TLP:RED indicators others added are left out.
func (c *caller) indicatorViewer(ref string) string {
	if slices.Contains(c.user.Incidents, ref) {
		return ""
	}
	return c.user.Name
}

// redactAudit blanks the audit entries of incidents c may not see (TLP:RED
// ones c is not named on): the entry stays in the list, with its sequence
// number, time and hashes, so the chain visibly continues, but what was
// done, by whom and to what is withheld. `firebreak audit verify` checks
// the chain itself.
func (s *Server) redactAudit(ctx context.Context, c *caller, entries []incident.AuditEntry) error {
	memo := map[string]bool{}
	for i, e := range entries {
		if e.Incident == "" {
			continue
		}
		h, err := s.hidden(ctx, c, e.Incident, memo)
		if err != nil {
			return err
		}
		if h {
			entries[i] = incident.AuditEntry{Seq: e.Seq, At: e.At, Action: "withheld", Actor: "-", PrevHash: e.PrevHash, Hash: e.Hash}
		}
	}
	return nil
}

// hideRedIndicators replaces, in the answer to adding indicators, each
// one that was already there as a TLP:RED indicator c may not see by what
// c sent: c learns that the incident holds the value (which c knew), not
// who added it, its note, source or TLP.
func (c *caller) hideRedIndicators(ref string, out []incident.Indicator, created []bool) []incident.Indicator {
	viewer := c.indicatorViewer(ref)
	for i, ind := range out {
		if !created[i] && viewer != "" && ind.TLP == incident.TLPRed && ind.CreatedBy != viewer {
			out[i] = incident.Indicator{Type: ind.Type, Value: ind.Value, Tags: []string{}}
		}
	}
	return out
}

// hidden reports whether incident ref exists and c may not see it,
// remembering the answer per reference in memo (lists name the same
// incident again and again).
func (s *Server) hidden(ctx context.Context, c *caller, ref string, memo map[string]bool) (bool, error) {
	if h, ok := memo[ref]; ok {
		return h, nil
	}
	tlp, openedBy, err := s.st.IncidentAccess(ctx, ref)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	h := err == nil && !c.maySee(ref, tlp, openedBy)
	memo[ref] = h
	return h, nil
}
