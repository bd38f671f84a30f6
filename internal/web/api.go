package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// list is the shape of every paginated list: pass next_after as ?after= to
// get the next page; it is absent on the last page.
type list[T any] struct {
	Items     []T    `json:"items"`
	NextAfter *int64 `json:"next_after,omitempty"`
}

func page(r *http.Request) (store.Page, error) {
	var p store.Page
	q := r.URL.Query()
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return p, errBadRequest("bad_parameter", "after=%q: want a non-negative integer", v)
		}
		p.After = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return p, errBadRequest("bad_parameter", "limit=%q: want an integer from 1 to 1000", v)
		}
		p.Limit = n
	}
	return p, nil
}

// paged writes one page of items whose ids come from id.
func paged[T any](w http.ResponseWriter, p store.Page, items []T, id func(T) int64) error {
	out := list[T]{Items: items}
	if out.Items == nil {
		out.Items = []T{}
	}
	limit := p.Limit
	if limit == 0 {
		limit = 100
	}
	if len(items) == limit {
		n := id(items[len(items)-1])
		out.NextAfter = &n
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func pathID(r *http.Request) (int64, error) {
	v := r.PathValue("id")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, errNotFound("no item " + strconv.Quote(v))
	}
	return n, nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ *caller) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.opt.Version})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ *caller) error {
	if err := s.Ready(r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, c *caller) error {
	var perms []auth.Permission
	for _, p := range auth.AllPermissions {
		if auth.Can(c.user.Role, p) {
			perms = append(perms, p)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": c.user, "permissions": perms})
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Name      string     `json:"name"`
		ExpiresAt *time.Time `json:"expires_at"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	tok, hash := auth.NewToken()
	t, err := s.st.CreateToken(r.Context(), c.user.Name, c.user.ID, in.Name, hash, in.ExpiresAt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": tok, "id": t.ID, "name": t.Name, "expires_at": t.ExpiresAt})
	return nil
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	f := store.IncidentFilter{Page: p, Phase: incident.Phase(r.URL.Query().Get("phase"))}
	if f.Phase != "" && !slices.Contains(incident.Phases, f.Phase) {
		return errBadRequest("bad_parameter", "phase=%q: want one of %v", f.Phase, incident.Phases)
	}
	items, err := s.st.ListIncidents(r.Context(), c.limit(f))
	if err != nil {
		return err
	}
	return paged(w, p, items, func(in incident.Incident) int64 { return in.ID })
}

func (s *Server) createIncident(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Title    string                                     `json:"title"`
		Summary  string                                     `json:"summary"`
		Severity incident.Severity                          `json:"severity"`
		Phase    incident.Phase                             `json:"phase"`
		TLP      incident.TLP                               `json:"tlp"`
		Anchors  map[incident.Anchor]incident.AnchorSetting `json:"anchors"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	created, err := s.st.CreateIncident(r.Context(), c.user.Name, incident.Incident{
		Title: in.Title, Summary: in.Summary, Severity: in.Severity, Phase: in.Phase, TLP: in.TLP, Anchors: in.Anchors})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/incidents/"+created.Ref)
	writeJSON(w, http.StatusCreated, created)
	return nil
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request, _ *caller) error {
	in, err := s.st.GetIncident(r.Context(), r.PathValue("ref"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

func (s *Server) patchIncident(w http.ResponseWriter, r *http.Request, c *caller) error {
	var p store.IncidentPatch
	if err := s.decodeJSON(w, r, &p); err != nil {
		return err
	}
	in, err := s.st.UpdateIncident(r.Context(), c.user.Name, r.PathValue("ref"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, _ *caller) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, err := s.st.ListEvents(r.Context(), r.PathValue("ref"), p)
	if err != nil {
		return err
	}
	return paged(w, p, items, func(e incident.Event) int64 { return e.ID })
}

func (s *Server) appendEvent(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Kind       incident.EventKind  `json:"kind"`
		Text       string              `json:"text"`
		OccurredAt time.Time           `json:"occurred_at"`
		Source     incident.Source     `json:"source"`
		Visibility incident.Visibility `json:"visibility"`
		Corrects   int64               `json:"corrects"`
		Links      []incident.Link     `json:"links"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Kind == incident.KindPhaseChange {
		return &incident.ValidationError{Field: "kind", Reason: "phase changes are recorded by PATCH /api/v1/incidents/{ref} with a new phase"}
	}
	if in.Source == incident.SourceSystem {
		return &incident.ValidationError{Field: "source", Reason: "\"system\" is reserved for events the server writes itself"}
	}
	e, err := s.st.AppendEvent(r.Context(), c.user.Name, r.PathValue("ref"), incident.Event{Kind: in.Kind, Text: in.Text,
		OccurredAt: in.OccurredAt, Source: in.Source, Visibility: in.Visibility, Corrects: in.Corrects, Links: in.Links})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request, _ *caller) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, err := s.st.ListTasks(r.Context(), r.PathValue("ref"), p)
	if err != nil {
		return err
	}
	return paged(w, p, items, func(t incident.Task) int64 { return t.ID })
}

func (s *Server) createTask(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Title    string             `json:"title"`
		Detail   string             `json:"detail"`
		State    incident.TaskState `json:"state"`
		Assignee string             `json:"assignee"`
		Due      *time.Time         `json:"due"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.st.CreateTask(r.Context(), c.user.Name, r.PathValue("ref"),
		incident.Task{Title: in.Title, Detail: in.Detail, State: in.State, Assignee: in.Assignee, Due: in.Due})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) patchTask(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var p store.TaskPatch
	if err := s.decodeJSON(w, r, &p); err != nil {
		return err
	}
	t, err := s.st.UpdateTask(r.Context(), c.user.Name, r.PathValue("ref"), id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) listAssets(w http.ResponseWriter, r *http.Request, _ *caller) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, err := s.st.ListAssets(r.Context(), r.PathValue("ref"), p)
	if err != nil {
		return err
	}
	return paged(w, p, items, func(a incident.Asset) int64 { return a.ID })
}

func (s *Server) createAsset(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Name           string               `json:"name"`
		Kind           incident.AssetKind   `json:"kind"`
		Region         string               `json:"region"`
		InternetFacing bool                 `json:"internet_facing"`
		Criticality    incident.Criticality `json:"criticality"`
		Compromise     incident.Compromise  `json:"compromise"`
		Operational    incident.Operational `json:"operational"`
		Notes          string               `json:"notes"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.st.CreateAsset(r.Context(), c.user.Name, r.PathValue("ref"), incident.Asset{Name: in.Name, Kind: in.Kind, Region: in.Region,
		InternetFacing: in.InternetFacing, Criticality: in.Criticality, Compromise: in.Compromise, Operational: in.Operational, Notes: in.Notes})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) patchAsset(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var p store.AssetPatch
	if err := s.decodeJSON(w, r, &p); err != nil {
		return err
	}
	a, err := s.st.UpdateAsset(r.Context(), c.user.Name, r.PathValue("ref"), id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// setOperational isolates, takes offline or restores an asset and answers
// with the asset and the blast radius after the change.
func (s *Server) setOperational(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		State  incident.Operational `json:"state"`
		Reason string               `json:"reason"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	a, err := s.st.SetOperational(r.Context(), c.user.Name, ref, id, in.State, in.Reason)
	if err != nil {
		return err
	}
	blast, err := s.st.BlastRadius(r.Context(), ref, nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"asset": a, "blast_radius": blast})
	return nil
}

func (s *Server) listServices(w http.ResponseWriter, r *http.Request, _ *caller) error {
	items, err := s.st.ListServices(r.Context(), r.PathValue("ref"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[incident.Service]{Items: items})
	return nil
}

func (s *Server) createService(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Name        string                 `json:"name"`
		Description string                 `json:"description"`
		Status      incident.ServiceStatus `json:"status"`
		DependsOn   []incident.Dependency  `json:"depends_on"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	sv, err := s.st.CreateService(r.Context(), c.user.Name, r.PathValue("ref"),
		incident.Service{Name: in.Name, Description: in.Description, Status: in.Status, DependsOn: in.DependsOn})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sv)
	return nil
}

func (s *Server) patchService(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var p store.ServicePatch
	if err := s.decodeJSON(w, r, &p); err != nil {
		return err
	}
	sv, err := s.st.UpdateService(r.Context(), c.user.Name, r.PathValue("ref"), id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sv)
	return nil
}

// blastRadius answers "what goes dark if these assets go?" for
// ?assets=1,2,3 without changing anything.
func (s *Server) blastRadius(w http.ResponseWriter, r *http.Request, _ *caller) error {
	var ids []int64
	if v := r.URL.Query().Get("assets"); v != "" {
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil || n <= 0 {
				return errBadRequest("bad_parameter", "assets=%q: want comma-separated asset ids", v)
			}
			ids = append(ids, n)
		}
	}
	b, err := s.st.BlastRadius(r.Context(), r.PathValue("ref"), ids)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) listIndicators(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	ref := r.PathValue("ref")
	items, err := s.st.ListIndicatorsFor(r.Context(), ref, p, c.indicatorViewer(ref))
	if err != nil {
		return err
	}
	return paged(w, p, items, func(i incident.Indicator) int64 { return i.ID })
}

type indicatorIn struct {
	Type       incident.IndicatorType `json:"type"`
	Value      string                 `json:"value"`
	Confidence int                    `json:"confidence"`
	TLP        incident.TLP           `json:"tlp"`
	Source     string                 `json:"source"`
	Tags       []string               `json:"tags"`
	FirstSeen  *time.Time             `json:"first_seen"`
	LastSeen   *time.Time             `json:"last_seen"`
	ExpiresAt  *time.Time             `json:"expires_at"`
	Note       string                 `json:"note"`
}

// addIndicators takes {"indicators":[…]} and answers with each stored
// indicator and whether it was new.
func (s *Server) addIndicators(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Indicators []indicatorIn `json:"indicators"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.Indicators) == 0 {
		return &incident.ValidationError{Field: "indicators", Reason: "at least one is required"}
	}
	batch := make([]incident.Indicator, len(in.Indicators))
	for i, x := range in.Indicators {
		batch[i] = incident.Indicator{Type: x.Type, Value: x.Value, Confidence: x.Confidence, TLP: x.TLP, Source: x.Source, Tags: x.Tags,
			FirstSeen: x.FirstSeen, LastSeen: x.LastSeen, ExpiresAt: x.ExpiresAt, Note: x.Note}
	}
	ref := r.PathValue("ref")
	out, created, err := s.st.AddIndicators(r.Context(), c.user.Name, ref, batch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, batchResult(c.hideRedIndicators(ref, out, created), created))
	return nil
}

type batchItem[T any] struct {
	Item    T    `json:"item"`
	Created bool `json:"created"`
}

func batchResult[T any](items []T, created []bool) map[string]any {
	out := make([]batchItem[T], len(items))
	n := 0
	for i := range items {
		out[i] = batchItem[T]{items[i], created[i]}
		if created[i] {
			n++
		}
	}
	return map[string]any{"created": n, "existing": len(items) - n, "items": out}
}

func (s *Server) listFindings(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	ref := r.PathValue("ref")
	items, err := s.st.ListFindingsFor(r.Context(), ref, p, c.indicatorViewer(ref))
	if err != nil {
		return err
	}
	return paged(w, p, items, func(f incident.Finding) int64 { return f.ID })
}

type findingIn struct {
	Key       string            `json:"key"`
	Rule      string            `json:"rule"`
	Title     string            `json:"title"`
	Severity  incident.Severity `json:"severity"`
	Host      string            `json:"host"`
	File      string            `json:"file"`
	Line      int64             `json:"line"`
	Indicator string            `json:"indicator"`
	LogTime   *time.Time        `json:"log_time"`
	Fields    map[string]string `json:"fields"`
}

// addFindings takes {"findings":[…]}, idempotent on each finding's key.
func (s *Server) addFindings(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Findings []findingIn `json:"findings"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.Findings) == 0 {
		return &incident.ValidationError{Field: "findings", Reason: "at least one is required"}
	}
	batch := make([]incident.Finding, len(in.Findings))
	for i, x := range in.Findings {
		batch[i] = incident.Finding{Key: x.Key, Rule: x.Rule, Title: x.Title, Severity: x.Severity, Host: x.Host, File: x.File,
			Line: x.Line, Indicator: x.Indicator, LogTime: x.LogTime, Fields: x.Fields}
	}
	out, created, err := s.st.AddFindings(r.Context(), c.user.Name, r.PathValue("ref"), batch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, batchResult(out, created))
	return nil
}

func (s *Server) triageFinding(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		State  incident.FindingState `json:"state"`
		Reason string                `json:"reason"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	f, err := s.st.TriageFinding(r.Context(), c.user.Name, r.PathValue("ref"), id, in.State, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, err := s.st.AuditEntries(r.Context(), p)
	if err != nil {
		return err
	}
	if err := s.redactAudit(r.Context(), c, items); err != nil {
		return err
	}
	return paged(w, p, items, func(e incident.AuditEntry) int64 { return e.Seq })
}
