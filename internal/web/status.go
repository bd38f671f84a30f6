package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// The public plane in the console and the API: components, channels and
// settings (status.admin), and public incidents whose updates go draft →
// approve → publish, each step its own permission. The public page itself
// is served elsewhere (package status, on --public-addr).

// statusOverview is GET /api/v1/status: everything the console knows about
// the public page, drafts included.
type statusOverview struct {
	Settings   store.StatusSettings    `json:"settings"`
	Groups     []store.StatusGroup     `json:"groups"`
	Components []store.StatusComponent `json:"components"`
	Channels   []store.StatusChannel   `json:"channels"`
	Events     []store.StatusEvent     `json:"events"`
}

// statusOverview is the public plane as c may see it: events linked to an
// incident c may not see (TLP:RED) show no link, and asking for that
// incident's events is answered as for a missing incident.
func (s *Server) statusOverview(r *http.Request, c *caller, ref string) (statusOverview, error) {
	ctx := r.Context()
	var o statusOverview
	var err error
	if ref != "" {
		if err := s.checkIncident(ctx, c, ref); err != nil {
			return o, err
		}
	}

	if o.Settings, err = s.st.StatusSettings(ctx); err != nil {
		return o, err
	}
	if o.Groups, err = s.st.StatusGroups(ctx); err != nil {
		return o, err
	}
	if o.Components, err = s.st.Components(ctx); err != nil {
		return o, err
	}
	if o.Channels, err = s.st.StatusChannels(ctx); err != nil {
		return o, err
	}
	if o.Events, err = s.st.StatusEvents(ctx, ref); err != nil {
		return o, err
	}
	return o, s.hideLinks(ctx, c, o.Events)
}

// hideLinks blanks the incident reference of events linked to incidents c
// may not see.
func (s *Server) hideLinks(ctx context.Context, c *caller, events []store.StatusEvent) error {
	memo := map[string]bool{}
	for i, ev := range events {
		if ev.IncidentRef == "" {
			continue
		}
		h, err := s.hidden(ctx, c, ev.IncidentRef, memo)
		if err != nil {
			return err
		}
		if h {
			events[i].IncidentRef = ""
		}
	}
	return nil
}

// statusChanged tells the publisher that the page changed.
func (s *Server) statusChanged() {
	if s.opt.StatusChanged != nil {
		s.opt.StatusChanged()
	}
}

func (s *Server) getStatus(w http.ResponseWriter, r *http.Request, c *caller) error {
	o, err := s.statusOverview(r, c, r.URL.Query().Get("incident"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

// componentIn is the body of POST /api/v1/status/components.
type componentIn struct {
	Name        string                 `json:"name"`
	Description string                 `json:"description"`
	GroupID     int64                  `json:"group_id"`
	Position    int                    `json:"position"`
	Status      incident.ServiceStatus `json:"status"`
	ServiceIDs  []int64                `json:"service_ids"`
}

func (s *Server) createComponent(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in componentIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	comp, err := s.st.CreateComponent(r.Context(), c.user.Name, store.StatusComponent{Name: in.Name, Description: in.Description,
		GroupID: in.GroupID, Position: in.Position, Status: in.Status, ServiceIDs: in.ServiceIDs})
	if err != nil {
		return err
	}
	s.statusChanged()
	writeJSON(w, http.StatusCreated, comp)
	return nil
}

// componentStatusIn is the body of POST /api/v1/status/components/{id}/status.
type componentStatusIn struct {
	Status incident.ServiceStatus `json:"status"`
	Reason string                 `json:"reason"`
}

func (s *Server) setComponentStatus(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in componentStatusIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	changed, err := s.componentStatus(r, c, id, in.Status, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"changed": changed})
	return nil
}

func (s *Server) componentStatus(r *http.Request, c *caller, id int64, st incident.ServiceStatus, reason string) (bool, error) {
	comps, err := s.st.Components(r.Context())
	if err != nil {
		return false, err
	}
	i := slices.IndexFunc(comps, func(x store.StatusComponent) bool { return x.ID == id })
	if i < 0 {
		return false, errNotFound("no component " + strconv.FormatInt(id, 10))
	}
	changed, err := s.st.SetComponentStatus(r.Context(), c.user.Name, comps[i].PublicID, st, reason)
	if changed {
		s.statusChanged()
	}
	return changed, err
}

func (s *Server) createStatusEvent(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in store.NewStatusEvent
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.IncidentRef != "" {
		if err := s.checkIncident(r.Context(), c, in.IncidentRef); err != nil {
			return err
		}
	}
	ev, err := s.st.CreateStatusEvent(r.Context(), c.user.Name, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ev)
	return nil
}

func (s *Server) draftStatusUpdate(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in store.NewStatusUpdate
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.st.DraftStatusUpdate(r.Context(), c.user.Name, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

// updateStep runs one step (approve, publish, discard) on the update named
// by the path.
func (s *Server) updateStep(r *http.Request, c *caller, step string) (store.StatusUpdate, error) {
	id, err := pathID(r)
	if err != nil {
		return store.StatusUpdate{}, err
	}
	ctx := r.Context()
	switch step {
	case "approve":
		return s.st.ApproveStatusUpdate(ctx, c.user.Name, id)
	case "publish":
		u, err := s.st.PublishStatusUpdate(ctx, c.user.Name, id)
		if err == nil {
			s.statusChanged()
		}
		return u, err
	default:
		return store.StatusUpdate{}, s.st.DiscardStatusUpdate(ctx, c.user.Name, id)
	}
}

func (s *Server) approveStatusUpdate(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.updateStep(r, c, "approve")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) publishStatusUpdate(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.updateStep(r, c, "publish")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) discardStatusUpdate(w http.ResponseWriter, r *http.Request, c *caller) error {
	if _, err := s.updateStep(r, c, "discard"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) putStatusChannels(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Channels []store.StatusChannel `json:"channels"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Channels == nil {
		in.Channels = []store.StatusChannel{}
	}
	if err := s.st.SetStatusChannels(r.Context(), c.user.Name, in.Channels); err != nil {
		return err
	}
	s.statusChanged()
	writeJSON(w, http.StatusOK, in)
	return nil
}

func (s *Server) putStatusSettings(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in store.StatusSettings
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.st.SetStatusSettings(r.Context(), c.user.Name, in); err != nil {
		return err
	}
	s.statusChanged()
	writeJSON(w, http.StatusOK, in)
	return nil
}

// ---- console ----

type statusView struct {
	statusOverview
	PublicURL  string
	Pending    []pendingUpdate
	Incidents  []incident.Incident
	Services   map[int64]string // service id → "REF: name"
	Defaults   map[int64]string // component id → status proposed for a new public incident
	ForRef     string
	Statuses   []incident.ServiceStatus
	IncStates  []string
	MaintState []string
	Impacts    []string
	Kinds      []string
	Form       *form
	Me         string
	// Subscribers of the page (status.admin only): the first page of
	// them, how many deliveries are in each state, and a webhook just
	// added with its secret, shown this once.
	Subscribers []incident.Subscriber
	Outbox      map[string]int
	NewWebhook  *webhookCreated
}

// pendingUpdate is a draft or approved update with its event.
type pendingUpdate struct {
	Event  store.StatusEvent
	Update store.StatusUpdate
}

func (s *Server) statusPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.renderStatus(w, r, c, http.StatusOK, nil)
}

func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, c *caller, code int, fm *form) error {
	return s.renderStatusWith(w, r, c, code, fm, nil)
}

// renderStatusWith is renderStatus with a last change to the view.
func (s *Server) renderStatusWith(w http.ResponseWriter, r *http.Request, c *caller, code int, fm *form, edit func(*statusView)) error {
	ctx := r.Context()
	o, err := s.statusOverview(r, c, "")
	if err != nil {
		return err
	}
	v := statusView{statusOverview: o, PublicURL: s.opt.PublicURL, Form: fm, Me: c.user.Name,
		Statuses: incident.ServiceStatuses, IncStates: store.IncidentStatuses, MaintState: store.MaintenanceStatuses,
		Impacts: store.Impacts, Kinds: store.ChannelKinds, Services: map[int64]string{}, Defaults: map[int64]string{}}
	if v.PublicURL == "" {
		v.PublicURL = o.Settings.URL
	}
	for _, ev := range o.Events {
		for _, u := range ev.Updates {
			if u.State == store.UpdateDraft || u.State == store.UpdateApproved {
				v.Pending = append(v.Pending, pendingUpdate{ev, u})
			}
		}
	}
	if v.Incidents, err = s.st.ListIncidents(ctx, c.limit(store.IncidentFilter{Page: store.Page{Limit: 200}, Newest: true})); err != nil {
		return err
	}
	if auth.Can(c.user.Role, auth.StatusAdmin) {
		if v.Subscribers, err = s.st.ListSubscribers(ctx, store.Page{Limit: 200}); err != nil {
			return err
		}
		for i, sub := range v.Subscribers {
			if sub.Kind == incident.SubscriberWebhook {
				// A webhook URL may carry a token in its path (as chat
				// services' do): shown as the audit log shows it.
				v.Subscribers[i].Address = incident.RedactURL(sub.Address)
			}
		}
		if v.Outbox, err = s.st.OutboxCounts(ctx); err != nil {
			return err
		}
	}
	v.ForRef = r.URL.Query().Get("incident")
	if fm != nil && fm.Get("incident_ref") != "" {
		v.ForRef = fm.Get("incident_ref")
	}
	if v.ForRef != "" && s.checkIncident(ctx, c, v.ForRef) != nil {
		v.ForRef = "" // an incident the caller may not see proposes nothing
	}
	// Services of the chosen incident propose the component statuses of a
	// new public incident: the record's services project onto components.
	if v.ForRef != "" {
		svcs, err := s.st.ListServices(ctx, v.ForRef)
		if err == nil {
			byID := map[int64]incident.Service{}
			for _, sv := range svcs {
				byID[sv.ID] = sv
				v.Services[sv.ID] = sv.Name
			}
			for _, comp := range o.Components {
				for _, sid := range comp.ServiceIDs {
					if sv, ok := byID[sid]; ok && sv.Status != incident.StatusOperational {
						v.Defaults[comp.ID] = string(sv.Status)
					}
				}
			}
		}
	}
	if edit != nil {
		edit(&v)
	}
	return s.render(w, code, "status.html", c, "Status page", v)
}

// affectedFrom reads the per-component status selects ("c-ID").
func affectedFrom(fm *form, comps []store.StatusComponent) []store.Affected {
	out := []store.Affected{}
	for _, comp := range comps {
		if v := fm.Get("c-" + strconv.FormatInt(comp.ID, 10)); v != "" {
			out = append(out, store.Affected{ComponentID: comp.ID, Status: incident.ServiceStatus(v)})
		}
	}
	return out
}

func (s *Server) createStatusEventForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	comps, err := s.st.Components(r.Context())
	if err != nil {
		return err
	}
	ne := store.NewStatusEvent{Kind: store.StatusEventKind(fm.Get("kind")), IncidentRef: fm.Get("incident_ref"), Name: fm.Get("name"),
		Impact: fm.Get("impact"), ScheduledFor: fm.timeField("scheduled_for"), ScheduledUntil: fm.timeField("scheduled_until"),
		Update: store.NewStatusUpdate{Status: fm.Get("status"), Body: fm.Get("body"), Affected: affectedFrom(fm, comps)}}
	if !fm.Invalid() && ne.IncidentRef != "" {
		err = s.checkIncident(r.Context(), c, ne.IncidentRef)
	}
	if !fm.Invalid() && err == nil {
		_, err = s.st.CreateStatusEvent(r.Context(), c.user.Name, ne)
	}
	return settle(w, r, fm, err, "/status", func(st int, fm *form) error { return s.renderStatus(w, r, c, st, fm) })
}

func (s *Server) draftStatusUpdateForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	comps, err := s.st.Components(r.Context())
	if err != nil {
		return err
	}
	nu := store.NewStatusUpdate{Status: fm.Get("status"), Body: fm.Get("body"), Affected: affectedFrom(fm, comps)}
	_, err = s.st.DraftStatusUpdate(r.Context(), c.user.Name, id, nu)
	// Several events each have a draft form: errors go under the event's.
	if err != nil && takeErrorAs(fm, err, "update-"+strconv.FormatInt(id, 10)) {
		return s.renderStatus(w, r, c, http.StatusUnprocessableEntity, fm)
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, "/status")
}

// takeErrorAs files a validation error under one name (with the field it
// concerns in the message) and reports whether err was one.
func takeErrorAs(fm *form, err error, name string) bool {
	var ve *incident.ValidationError
	if !asValidation(err, &ve) {
		return false
	}
	fm.fail(name, ve.Field+": "+ve.Reason)
	return true
}

func (s *Server) statusStepForm(step string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		if _, err := parseForm(w, r); err != nil {
			return err
		}
		if _, err := s.updateStep(r, c, step); err != nil {
			return err
		}
		return seeOther(w, r, "/status")
	}
}

func (s *Server) createComponentForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	comp := store.StatusComponent{Name: fm.Get("component_name"), Description: fm.Get("component_description"), GroupID: fm.intField("group_id"),
		Position: int(fm.intField("position"))}
	if sid := fm.intField("service_id"); sid != 0 {
		comp.ServiceIDs = []int64{sid}
	}
	if !fm.Invalid() {
		if _, err = s.st.CreateComponent(r.Context(), c.user.Name, comp); err == nil {
			s.statusChanged()
		}
	}
	if err != nil && takeErrorAs(fm, err, "component") {
		err = nil
	}
	return settle(w, r, fm, err, "/status", func(st int, fm *form) error { return s.renderStatus(w, r, c, st, fm) })
}

func (s *Server) componentStatusForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	_, err = s.componentStatus(r, c, id, incident.ServiceStatus(fm.Get("status")), fm.Get("reason"))
	if err != nil && takeErrorAs(fm, err, "component-"+strconv.FormatInt(id, 10)) {
		return s.renderStatus(w, r, c, http.StatusUnprocessableEntity, fm)
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, "/status")
}

// channelsForm takes one channel per line: kind | label | value | note.
func (s *Server) channelsForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	chs := []store.StatusChannel{}
	for i, line := range strings.Split(strings.ReplaceAll(fm.Get("channels"), "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(line, "|")
		if len(parts) < 3 || len(parts) > 4 {
			fm.fail("channels", "line "+strconv.Itoa(i+1)+": want kind | label | value | note")
			break
		}
		ch := store.StatusChannel{Kind: strings.TrimSpace(parts[0]), Label: strings.TrimSpace(parts[1]), Value: strings.TrimSpace(parts[2])}
		if len(parts) == 4 {
			ch.Note = strings.TrimSpace(parts[3])
		}
		chs = append(chs, ch)
	}
	if !fm.Invalid() {
		if err = s.st.SetStatusChannels(r.Context(), c.user.Name, chs); err == nil {
			s.statusChanged()
		}
	}
	if err != nil && takeErrorAs(fm, err, "channels") {
		err = nil
	}
	return settle(w, r, fm, err, "/status", func(st int, fm *form) error { return s.renderStatus(w, r, c, st, fm) })
}

func (s *Server) statusSettingsForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	st := store.StatusSettings{Name: fm.Get("page_name"), URL: strings.TrimSpace(fm.Get("url")), TimeZone: fm.Get("time_zone")}
	if err = s.st.SetStatusSettings(r.Context(), c.user.Name, st); err == nil {
		s.statusChanged()
	}
	if err != nil && takeErrorAs(fm, err, "settings") {
		return s.renderStatus(w, r, c, http.StatusUnprocessableEntity, fm)
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, "/status")
}

// canApprove says whether the signed-in user may approve u (the permission
// and the four-eyes rule), for the page.
func (v statusView) CanApprove(role incident.Role, u store.StatusUpdate) bool {
	return u.State == store.UpdateDraft && u.DraftedBy != v.Me && auth.Can(role, auth.StatusApprove)
}
