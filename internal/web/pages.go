package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// incidentFrame is what every page of one incident shows at the top.
type incidentFrame struct {
	Incident incident.Incident
	Tab      string
	Elapsed  string // since awareness
	Impacts  []incident.Impact
	Counts   store.Counts
}

func (s *Server) frame(r *http.Request, ref, tab string) (incidentFrame, error) {
	var f incidentFrame
	var err error
	if f.Incident, err = s.st.GetIncident(r.Context(), ref); err != nil {
		return f, err
	}
	f.Tab = tab
	if at := f.Incident.AwareAt(); at != nil {
		f.Elapsed = elapsed(s.now().Sub(*at))
	}
	blast, err := s.st.BlastRadius(r.Context(), ref, nil)
	if err != nil {
		return f, err
	}
	f.Impacts = blast.Impacts
	if f.Counts, err = s.st.CountsOf(r.Context(), ref); err != nil {
		return f, err
	}
	return f, nil
}

// elapsed renders a duration the way a responder says it: "2d 4h", "35m".
func elapsed(d time.Duration) string {
	if d < 0 {
		return "in the future"
	}
	days := int(d.Hours()) / 24
	h := int(d.Hours()) % 24
	m := int(d.Minutes()) % 60
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, h)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	}
	return fmt.Sprintf("%dm", m)
}

type incidentRow struct {
	incident.Incident
	Counts store.Counts
}

type incidentsView struct {
	Rows                  []incidentRow
	Phase, Severity, Mine string
	Phases                []incident.Phase
	Severities            []incident.Severity
	TLPs                  []incident.TLP
	Form                  *form
	Signals               []signalView // service probes that are not up
}

func (s *Server) incidentsPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.renderIncidents(w, r, c, http.StatusOK, nil)
}

func (s *Server) renderIncidents(w http.ResponseWriter, r *http.Request, c *caller, status int, fm *form) error {
	q := r.URL.Query()
	v := incidentsView{Phase: q.Get("phase"), Severity: q.Get("severity"), Mine: q.Get("mine"),
		Phases: incident.Phases, Severities: incident.Severities, TLPs: incident.TLPs, Form: fm}
	f := store.IncidentFilter{Page: store.Page{Limit: 1000}, Newest: true}
	if slices.Contains(incident.Phases, incident.Phase(v.Phase)) {
		f.Phase = incident.Phase(v.Phase)
	}
	if slices.Contains(incident.Severities, incident.Severity(v.Severity)) {
		f.Severity = incident.Severity(v.Severity)
	}
	if v.Mine != "" {
		f.AssignedTo = c.user.Name
	}
	items, err := s.st.ListIncidents(r.Context(), c.limit(f))
	if err != nil {
		return err
	}
	counts, err := s.st.IncidentCounts(r.Context())
	if err != nil {
		return err
	}
	for _, in := range items { // newest first
		v.Rows = append(v.Rows, incidentRow{in, counts[in.Ref]})
	}
	if v.Signals, err = s.probeSignals(r, c); err != nil {
		return err
	}
	return s.render(w, status, "incidents.html", c, "Incidents", v)
}

func (s *Server) createIncidentForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	in := incident.Incident{Title: fm.Get("title"), Summary: fm.Get("summary"), Severity: incident.Severity(fm.Get("severity")),
		TLP: incident.TLP(fm.Get("tlp"))}
	if at := fm.timeField("aware_at"); at != nil {
		in.Anchors = map[incident.Anchor]incident.AnchorSetting{incident.AnchorAware: {At: *at, Reason: "set when the incident was opened"}}
	}
	var created incident.Incident
	if !fm.Invalid() {
		created, err = s.st.CreateIncident(r.Context(), c.user.Name, in)
	}
	return settle(w, r, fm, err, "/incidents/"+created.Ref, func(st int, fm *form) error { return s.renderIncidents(w, r, c, st, fm) })
}

type timelineView struct {
	incidentFrame
	Events     []incident.Event
	Next       string // cursor of the next (older) page
	Kind       string
	Source     string
	Kinds      []incident.EventKind
	Sources    []incident.Source
	Phases     []incident.Phase
	Severities []incident.Severity
	Anchors    []incident.Anchor
	Form       *form
	Update     *form
}

// timelineKinds are the kinds a person may add; phase changes come from
// changing the phase.
var timelineKinds = []incident.EventKind{incident.KindNote, incident.KindDetection, incident.KindFinding, incident.KindAction,
	incident.KindDecision, incident.KindCommunication, incident.KindNotification}

func (s *Server) incidentPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.renderTimeline(w, r, c, http.StatusOK, nil, nil)
}

func (s *Server) renderTimeline(w http.ResponseWriter, r *http.Request, c *caller, status int, fm, upd *form) error {
	ref := r.PathValue("ref")
	fr, err := s.frame(r, ref, "timeline")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := timelineView{incidentFrame: fr, Kind: q.Get("kind"), Source: q.Get("source"), Kinds: timelineKinds,
		Sources: incident.Sources, Phases: incident.Phases, Severities: incident.Severities, Anchors: incident.Anchors, Form: fm, Update: upd}
	tq := store.TimelineQuery{Limit: 200}
	if slices.Contains(incident.EventKinds, incident.EventKind(v.Kind)) {
		tq.Kinds = []incident.EventKind{incident.EventKind(v.Kind)}
	}
	if slices.Contains(incident.Sources, incident.Source(v.Source)) {
		tq.Source = incident.Source(v.Source)
	}
	if tq.Before, err = store.ParseTimelineCursor(q.Get("before")); err != nil {
		return errBadRequest("bad_parameter", "before: %v", err)
	}
	if v.Events, err = s.st.Timeline(r.Context(), ref, tq); err != nil {
		return err
	}
	if len(v.Events) == tq.Limit {
		v.Next = store.CursorAfter(v.Events[len(v.Events)-1]).String()
	}
	return s.render(w, status, "incident.html", c, fr.Incident.Ref+" "+fr.Incident.Title, v)
}

func (s *Server) addEventForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	e := incident.Event{Kind: incident.EventKind(fm.Get("kind")), Text: strings.TrimSpace(fm.Get("text")), Corrects: fm.intField("corrects")}
	if !slices.Contains(timelineKinds, e.Kind) && e.Kind != "" {
		fm.fail("kind", "choose one of the listed kinds")
	}
	if fm.Get("public") != "" {
		e.Visibility = incident.VisibilityPublic
	}
	if at := fm.timeField("occurred_at"); at != nil {
		e.OccurredAt = *at
	}
	if !fm.Invalid() {
		_, err := s.st.AppendEvent(r.Context(), c.user.Name, r.PathValue("ref"), e)
		if err == nil {
			return seeOther(w, r, "/incidents/"+r.PathValue("ref"))
		}
		if !fm.takeError(err) {
			return err
		}
	}
	return s.renderTimeline(w, r, c, http.StatusUnprocessableEntity, fm, nil)
}

// updateIncidentForm changes phase, severity, TLP or sets a clock anchor;
// each change needs a reason, which lands on the timeline.
func (s *Server) updateIncidentForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	var p store.IncidentPatch
	p.Reason = strings.TrimSpace(fm.Get("reason"))
	if v := incident.Phase(fm.Get("phase")); v != "" {
		p.Phase = &v
	}
	if v := incident.Severity(fm.Get("severity")); v != "" {
		p.Severity = &v
	}
	if v := incident.TLP(fm.Get("tlp")); v != "" {
		p.TLP = &v
	}
	if a := incident.Anchor(fm.Get("anchor")); a != "" {
		at := fm.timeField("anchor_at")
		if at == nil && !fm.Invalid() {
			fm.fail("anchor_at", "say when it happened")
		} else if at != nil {
			p.Anchors = map[incident.Anchor]incident.AnchorSetting{a: {At: *at, Reason: p.Reason}}
		}
	}
	if p.Phase == nil && p.Severity == nil && p.TLP == nil && fm.Get("anchor") == "" {
		// Otherwise nothing would land on the timeline, though the reason was given for it.
		fm.fail("phase", "choose a phase, a severity or a clock anchor to change")
	}
	if p.Reason == "" {
		fm.fail("reason", "is required: say why, for the record")
	}
	if !fm.Invalid() {
		_, err := s.st.UpdateIncident(r.Context(), c.user.Name, r.PathValue("ref"), p)
		if err == nil {
			return seeOther(w, r, "/incidents/"+r.PathValue("ref"))
		}
		if !fm.takeError(err) {
			return err
		}
	}
	return s.renderTimeline(w, r, c, http.StatusUnprocessableEntity, nil, fm)
}
