package status

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// Indicator is the page's overall status.indicator in the JSON API.
type Indicator string

// Indicators, least to most severe ("maintenance" ranks above "none" and
// below every outage).
const (
	IndicatorNone        Indicator = "none"
	IndicatorMaintenance Indicator = "maintenance"
	IndicatorMinor       Indicator = "minor"
	IndicatorMajor       Indicator = "major"
	IndicatorCritical    Indicator = "critical"
)

func (i Indicator) rank() int {
	switch i {
	case IndicatorMaintenance:
		return 1
	case IndicatorMinor:
		return 2
	case IndicatorMajor:
		return 3
	case IndicatorCritical:
		return 4
	}
	return 0
}

// Overall is the page's top-level status: status.indicator and
// status.description.
type Overall struct {
	Indicator   Indicator
	Description string
}

// Top-level descriptions.
const (
	descOperational     = "All Systems Operational"
	descMaintenance     = "Service Under Maintenance"
	descPartialDegraded = "Partially Degraded Service"
	descDegraded        = "Degraded System Service"
	descMinorOutage     = "Minor Service Outage"
	descPartialOutage   = "Partial System Outage"
	descMajorSystem     = "Major System Outage"
	descMajorService    = "Major Service Outage"
)

// OverallStatus computes the top-level status the way Statuspage does (its
// "Top-level status and incident impact calculations"): first from the
// components (groups excluded), worst status first —
//
//	every component major_outage        → critical  "Major System Outage"
//	some component major_outage         → major     "Partial System Outage"
//	every component partial_outage      → major     "Partial System Outage"
//	some component partial_outage       → minor     "Minor Service Outage"
//	every component degraded_performance→ minor     "Degraded System Service"
//	some component degraded_performance → minor     "Partially Degraded Service"
//	some component under_maintenance    → maintenance "Service Under Maintenance"
//	otherwise                           → none      "All Systems Operational"
//
// (with one component, "every" and "some" coincide). Then open incidents
// and maintenances can only raise it: an unresolved incident's impact
// (minor, major, critical) and an in-progress or verifying maintenance
// (maintenance) replace the indicator when more severe, with the
// description "Minor Service Outage", "Partial System Outage", "Major
// Service Outage" or "Service Under Maintenance".
func OverallStatus(p *Page) Overall {
	return overall(p, incidentImpacts(p))
}

func overall(p *Page, impacts map[string]Impact) Overall {
	n := len(p.Components)
	count := map[incident.ServiceStatus]int{}
	for _, c := range p.Components {
		count[c.Status]++
	}
	var o Overall
	switch {
	case count[incident.StatusMajor] > 0 && count[incident.StatusMajor] == n:
		o = Overall{IndicatorCritical, descMajorSystem}
	case count[incident.StatusMajor] > 0:
		o = Overall{IndicatorMajor, descPartialOutage}
	case count[incident.StatusPartial] > 0 && count[incident.StatusPartial] == n:
		o = Overall{IndicatorMajor, descPartialOutage}
	case count[incident.StatusPartial] > 0:
		o = Overall{IndicatorMinor, descMinorOutage}
	case count[incident.StatusDegraded] > 0 && count[incident.StatusDegraded] == n:
		o = Overall{IndicatorMinor, descDegraded}
	case count[incident.StatusDegraded] > 0:
		o = Overall{IndicatorMinor, descPartialDegraded}
	case count[incident.StatusMaintenance] > 0:
		o = Overall{IndicatorMaintenance, descMaintenance}
	default:
		o = Overall{IndicatorNone, descOperational}
	}
	raise := func(i Indicator, desc string) {
		if i.rank() > o.Indicator.rank() {
			o = Overall{i, desc}
		}
	}
	for _, in := range p.Incidents {
		if !in.Status.Unresolved() {
			continue
		}
		switch impacts[in.ID] {
		case ImpactMinor:
			raise(IndicatorMinor, descMinorOutage)
		case ImpactMajor:
			raise(IndicatorMajor, descPartialOutage)
		case ImpactCritical:
			raise(IndicatorCritical, descMajorService)
		}
	}
	for _, m := range p.Maintenances {
		if m.Status == InProgress || m.Status == Verifying {
			raise(IndicatorMaintenance, descMaintenance)
		}
	}
	return o
}

// incidentImpacts returns each incident's impact: as declared, or derived
// from the worst status its updates set (or its components have now).
func incidentImpacts(p *Page) map[string]Impact {
	now := map[string]incident.ServiceStatus{}
	for _, c := range p.Components {
		now[c.ID] = c.Status
	}
	m := make(map[string]Impact, len(p.Incidents))
	for _, in := range p.Incidents {
		if in.Impact != "" {
			m[in.ID] = in.Impact
			continue
		}
		worst := incident.StatusOperational
		for _, u := range in.Updates {
			for _, a := range u.Affected {
				worst = worseStatus(worst, a.NewStatus)
			}
		}
		if in.Status.Unresolved() {
			for _, id := range in.ComponentIDs {
				worst = worseStatus(worst, now[id])
			}
		}
		m[in.ID] = impactOf(worst)
	}
	return m
}

func impactOf(s incident.ServiceStatus) Impact {
	switch s {
	case incident.StatusMajor:
		return ImpactCritical
	case incident.StatusPartial:
		return ImpactMajor
	case incident.StatusDegraded:
		return ImpactMinor
	}
	return ImpactNone
}

// severity orders component statuses for "worst of".
func severity(s incident.ServiceStatus) int {
	switch s {
	case incident.StatusMaintenance:
		return 1
	case incident.StatusDegraded:
		return 2
	case incident.StatusPartial:
		return 3
	case incident.StatusMajor:
		return 4
	}
	return 0
}

func worseStatus(a, b incident.ServiceStatus) incident.ServiceStatus {
	if severity(b) > severity(a) {
		return b
	}
	return a
}

// UptimeDays is the length of the uptime bar.
const UptimeDays = 90

// PartialWeight is how much a minute of partial outage counts as downtime;
// a minute of major outage counts fully, degraded performance and
// maintenance not at all (Statuspage's uptime showcase rule).
const PartialWeight = 0.3

// Day is one bar of the uptime history: a UTC calendar day.
type Day struct {
	Date time.Time
	// NoData: the component did not exist yet on that day.
	NoData bool
	// Worst is the worst status the component had that day.
	Worst incident.ServiceStatus
	// Time spent in each non-operational status that day.
	Major, Partial, Degraded, Maintenance time.Duration
}

// Uptime is a component's history over the last UptimeDays days.
type Uptime struct {
	Days []Day // oldest first; the last is today (UTC)
	// Percent is 100 × (1 − (major + 0.3 × partial) / observed time),
	// observed time being the part of the window after the component's
	// creation and before now.
	Percent float64
	// Observed is the time the percentage is computed over.
	Observed time.Duration
}

// ComponentUptime computes c's uptime bar and percentage over the UptimeDays
// UTC days ending with the day of now. The status at any moment is that of
// the latest History change at or before it (operational before the
// first); a day's colour is the worst status held that day for any time.
func ComponentUptime(c *Component, now time.Time) Uptime {
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	start := today.AddDate(0, 0, -(UptimeDays - 1))
	days := make([]Day, UptimeDays)
	for i := range days {
		days[i] = Day{Date: start.AddDate(0, 0, i), Worst: incident.StatusOperational}
	}

	created := c.CreatedAt.UTC()
	if created.IsZero() || created.After(now) {
		created = now
	}
	changes := slices.Clone(c.History)
	slices.SortStableFunc(changes, func(a, b StatusChange) int { return a.At.Compare(b.At) })
	last, lastAt := incident.StatusOperational, time.Time{}
	if n := len(changes); n > 0 {
		last, lastAt = changes[n-1].Status, changes[n-1].At
	}
	if c.Status != "" && c.Status != last {
		at := c.UpdatedAt
		if at.IsZero() {
			at = now
		}
		if at.Before(lastAt) {
			at = lastAt
		}
		changes = append(changes, StatusChange{At: at, Status: c.Status})
	}

	for i := range days {
		dayEnd := days[i].Date.Add(24 * time.Hour)
		if !dayEnd.After(created) {
			days[i].NoData = true
		}
	}

	// Sweep the segments [from, to) with one status each, clipped to the
	// window [max(start, created), now).
	lo := start
	if created.After(lo) {
		lo = created
	}
	var up Uptime
	up.Observed = now.Sub(lo)
	var down float64
	cur, k := incident.StatusOperational, 0
	for ; k < len(changes) && !changes[k].At.After(lo); k++ {
		cur = changes[k].Status
	}
	from := lo
	for ; k < len(changes) && changes[k].At.Before(now); k++ {
		down += addSegment(days, start, from, changes[k].At, cur)
		from, cur = changes[k].At, changes[k].Status
	}
	down += addSegment(days, start, from, now, cur)
	up.Days = days
	up.Percent = 100
	if up.Observed > 0 {
		up.Percent = 100 * (1 - down/float64(up.Observed))
		up.Percent = math.Max(0, math.Min(100, up.Percent))
	}
	return up
}

// addSegment spreads [from, to) in status s over the days and returns the
// weighted downtime it adds.
func addSegment(days []Day, start, from, to time.Time, s incident.ServiceStatus) float64 {
	if s == incident.StatusOperational || s == "" || !to.After(from) {
		return 0
	}
	i := int(from.Sub(start) / (24 * time.Hour))
	for t := from; t.Before(to) && i < len(days); i++ {
		end := days[i].Date.Add(24 * time.Hour)
		if end.After(to) {
			end = to
		}
		d := end.Sub(t)
		if d > 0 {
			days[i].Worst = worseStatus(days[i].Worst, s)
			switch s {
			case incident.StatusMajor:
				days[i].Major += d
			case incident.StatusPartial:
				days[i].Partial += d
			case incident.StatusDegraded:
				days[i].Degraded += d
			case incident.StatusMaintenance:
				days[i].Maintenance += d
			}
		}
		t = end
	}
	switch s {
	case incident.StatusMajor:
		return float64(to.Sub(from))
	case incident.StatusPartial:
		return PartialWeight * float64(to.Sub(from))
	}
	return 0
}

// floorPercent rounds down to two decimals, so that any downtime shows as
// less than 100%.
func floorPercent(p float64) float64 { return math.Floor(p*100) / 100 }

// byPosition orders by position, then name, then id.
func byPosition(pa, pb int, na, nb, ia, ib string) int {
	return cmp.Or(cmp.Compare(pa, pb), cmp.Compare(na, nb), cmp.Compare(ia, ib))
}
