package status

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// site is a validated Page with every default filled in, sorted for
// display, plus what is computed from it. Render builds one and every
// renderer reads it.
type site struct {
	page    Page
	id      string
	base    string // page URL without a trailing slash
	now     time.Time
	overall Overall

	components map[string]*Component
	groups     map[string]*Group
	// items are the top-level rows of the page: groups (with their
	// components) and ungrouped components, by position.
	items []item
	// incidents newest first (by created_at); maintenances by
	// scheduled_for, latest first.
	incidents    []*Incident
	maintenances []*Maintenance
	uptime       map[string]Uptime
}

type item struct {
	group      *Group       // nil for an ungrouped component
	component  *Component   // nil for a group
	components []*Component // a group's components, by position
}

// newSite copies p (Render never changes its argument) and fills defaults.
func newSite(p Page, now time.Time) *site {
	now = now.UTC()
	s := &site{now: now}
	p.Components = slices.Clone(p.Components)
	p.Groups = slices.Clone(p.Groups)
	p.Incidents = slices.Clone(p.Incidents)
	p.Maintenances = slices.Clone(p.Maintenances)
	p.Channels = slices.Clone(p.Channels)
	if p.TimeZone == "" {
		p.TimeZone = "Etc/UTC"
	}
	p.UpdatedAt = orTime(p.UpdatedAt, now)
	s.id = p.pageID()
	s.base = strings.TrimRight(p.URL, "/")

	s.components = map[string]*Component{}
	for i := range p.Components {
		c := &p.Components[i]
		c.CreatedAt = orTime(c.CreatedAt, now)
		c.UpdatedAt = orTime(c.UpdatedAt, c.CreatedAt)
		c.History = slices.Clone(c.History)
		s.components[c.ID] = c
	}
	s.groups = map[string]*Group{}
	for i := range p.Groups {
		s.groups[p.Groups[i].ID] = &p.Groups[i]
	}

	for i := range p.Incidents {
		in := &p.Incidents[i]
		in.Updates = normUpdates(in.Updates)
		in.CreatedAt = in.CreatedAt.UTC()
		in.StartedAt = orTime(in.StartedAt, in.CreatedAt)
		in.UpdatedAt = orTime(in.UpdatedAt, latest(in.CreatedAt, in.Updates))
		if in.MonitoringAt.IsZero() {
			in.MonitoringAt = firstWith(in.Updates, Monitoring)
		}
		if !in.Status.Unresolved() && in.ResolvedAt.IsZero() {
			in.ResolvedAt = orTime(firstWith(in.Updates, Resolved), in.UpdatedAt)
		}
		in.MonitoringAt, in.ResolvedAt = in.MonitoringAt.UTC(), in.ResolvedAt.UTC()
		if in.Shortlink == "" {
			in.Shortlink = s.base + "/incidents/" + in.ID + ".html"
		}
	}
	impacts := incidentImpacts(&p)
	for i := range p.Incidents {
		p.Incidents[i].Impact = impacts[p.Incidents[i].ID]
	}

	for i := range p.Maintenances {
		m := &p.Maintenances[i]
		m.Updates = normUpdates(m.Updates)
		m.ScheduledFor, m.ScheduledUntil = m.ScheduledFor.UTC(), m.ScheduledUntil.UTC()
		if m.CreatedAt.IsZero() {
			m.CreatedAt = m.ScheduledFor
			if n := len(m.Updates); n > 0 {
				m.CreatedAt = m.Updates[n-1].CreatedAt // the oldest
			}
		}
		m.CreatedAt = m.CreatedAt.UTC()
		m.UpdatedAt = orTime(m.UpdatedAt, latest(m.CreatedAt, m.Updates))
		if m.Status == Completed && m.ResolvedAt.IsZero() {
			m.ResolvedAt = orTime(firstWith(m.Updates, Completed), m.UpdatedAt)
		}
		m.ResolvedAt = m.ResolvedAt.UTC()
		if m.Shortlink == "" {
			m.Shortlink = s.base + "/incidents/" + m.ID + ".html"
		}
	}

	s.page = p
	s.overall = overall(&p, impacts)

	for i := range p.Incidents {
		s.incidents = append(s.incidents, &p.Incidents[i])
	}
	slices.SortStableFunc(s.incidents, func(a, b *Incident) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	for i := range p.Maintenances {
		s.maintenances = append(s.maintenances, &p.Maintenances[i])
	}
	slices.SortStableFunc(s.maintenances, func(a, b *Maintenance) int {
		return cmp.Or(b.ScheduledFor.Compare(a.ScheduledFor), cmp.Compare(a.ID, b.ID))
	})

	children := map[string][]*Component{}
	for i := range p.Components {
		c := &p.Components[i]
		if c.GroupID == "" {
			s.items = append(s.items, item{component: c})
		} else {
			children[c.GroupID] = append(children[c.GroupID], c)
		}
	}
	for i := range p.Groups {
		g := &p.Groups[i]
		cs := children[g.ID]
		slices.SortStableFunc(cs, func(a, b *Component) int {
			return byPosition(a.Position, b.Position, a.Name, b.Name, a.ID, b.ID)
		})
		s.items = append(s.items, item{group: g, components: cs})
	}
	slices.SortStableFunc(s.items, func(a, b item) int {
		pa, na, ia := a.key()
		pb, nb, ib := b.key()
		return byPosition(pa, pb, na, nb, ia, ib)
	})

	s.uptime = make(map[string]Uptime, len(p.Components))
	for i := range p.Components {
		c := &p.Components[i]
		s.uptime[c.ID] = ComponentUptime(c, now)
	}
	return s
}

func (it item) key() (int, string, string) {
	if it.group != nil {
		return it.group.Position, it.group.Name, it.group.ID
	}
	return it.component.Position, it.component.Name, it.component.ID
}

// groupStatus is the worst status of a group's components.
func groupStatus(cs []*Component) incident.ServiceStatus {
	w := incident.StatusOperational
	for _, c := range cs {
		w = worseStatus(w, c.Status)
	}
	return w
}

// normUpdates copies updates, fills DisplayAt and sorts them newest first.
func normUpdates(us []Update) []Update {
	us = slices.Clone(us)
	for i := range us {
		us[i].CreatedAt = us[i].CreatedAt.UTC()
		us[i].DisplayAt = orTime(us[i].DisplayAt, us[i].CreatedAt)
		us[i].Affected = slices.Clone(us[i].Affected)
	}
	slices.SortStableFunc(us, func(a, b Update) int {
		return cmp.Or(b.DisplayAt.Compare(a.DisplayAt), b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return us
}

// latest is the latest of t and the updates' creation times.
func latest(t time.Time, us []Update) time.Time {
	for _, u := range us {
		if u.CreatedAt.After(t) {
			t = u.CreatedAt
		}
	}
	return t
}

// firstWith is the display time of the earliest update with status st.
func firstWith(us []Update, st IncidentStatus) time.Time {
	var t time.Time
	for _, u := range us {
		if u.Status == st && (t.IsZero() || u.DisplayAt.Before(t)) {
			t = u.DisplayAt
		}
	}
	return t
}

func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def.UTC()
	}
	return t.UTC()
}

// activeMaintenance reports whether m is under way.
func activeMaintenance(m *Maintenance) bool { return m.Status == InProgress || m.Status == Verifying }
