package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

var all = store.Page{Limit: 1000}

type tasksView struct {
	incidentFrame
	Tasks  []incident.Task
	States []incident.TaskState
	Form   *form
}

func (s *Server) tasksPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.renderTasks(w, r, c, http.StatusOK, nil)
}

func (s *Server) renderTasks(w http.ResponseWriter, r *http.Request, c *caller, status int, fm *form) error {
	ref := r.PathValue("ref")
	fr, err := s.frame(r, ref, "tasks")
	if err != nil {
		return err
	}
	v := tasksView{incidentFrame: fr, States: incident.TaskStates, Form: fm}
	if v.Tasks, err = s.st.ListTasks(r.Context(), ref, all); err != nil {
		return err
	}
	return s.render(w, status, "tasks.html", c, "Tasks · "+ref, v)
}

func (s *Server) createTaskForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	t := incident.Task{Title: fm.Get("title"), Detail: fm.Get("detail"), Assignee: strings.TrimSpace(fm.Get("assignee")), Due: fm.timeField("due")}
	if !fm.Invalid() {
		_, err = s.st.CreateTask(r.Context(), c.user.Name, r.PathValue("ref"), t)
	}
	return settle(w, r, fm, err, "/incidents/"+r.PathValue("ref")+"/tasks", func(st int, fm *form) error { return s.renderTasks(w, r, c, st, fm) })
}

func (s *Server) updateTaskForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	var p store.TaskPatch
	if v := incident.TaskState(fm.Get("state")); v != "" {
		p.State = &v
	}
	if fm.Values.Has("assignee") {
		v := strings.TrimSpace(fm.Get("assignee"))
		p.Assignee = &v
	}
	p.Due = fm.timeField("due")
	if !fm.Invalid() {
		_, err = s.st.UpdateTask(r.Context(), c.user.Name, r.PathValue("ref"), id, p)
	}
	return settle(w, r, fm, err, "/incidents/"+r.PathValue("ref")+"/tasks", func(st int, fm *form) error { return s.renderTasks(w, r, c, st, fm) })
}

type assetsView struct {
	incidentFrame
	Assets       []incident.Asset
	Services     []incident.Service
	Graph        graph
	Kinds        []incident.AssetKind
	Criticality  []incident.Criticality
	Compromises  []incident.Compromise
	Operationals []incident.Operational
	Form         *form
}

func (s *Server) assetsPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.renderAssets(w, r, c, http.StatusOK, nil)
}

func (s *Server) renderAssets(w http.ResponseWriter, r *http.Request, c *caller, status int, fm *form) error {
	ref := r.PathValue("ref")
	fr, err := s.frame(r, ref, "assets")
	if err != nil {
		return err
	}
	v := assetsView{incidentFrame: fr, Kinds: incident.AssetKinds, Criticality: incident.Criticalities,
		Compromises: incident.Compromises, Operationals: incident.Operationals, Form: fm}
	if v.Assets, err = s.st.ListAssets(r.Context(), ref, all); err != nil {
		return err
	}
	if v.Services, err = s.st.ListServices(r.Context(), ref); err != nil {
		return err
	}
	v.Graph = layoutGraph(v.Assets, v.Services, incident.BlastRadius(v.Assets, v.Services, nil), nil)
	return s.render(w, status, "assets.html", c, "Assets and services · "+ref, v)
}

func (s *Server) createAssetForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	a := incident.Asset{Name: strings.TrimSpace(fm.Get("name")), Kind: incident.AssetKind(fm.Get("kind")), Region: fm.Get("region"),
		InternetFacing: fm.Get("internet_facing") != "", Criticality: incident.Criticality(fm.Get("criticality")), Notes: fm.Get("notes")}
	_, err = s.st.CreateAsset(r.Context(), c.user.Name, r.PathValue("ref"), a)
	switch {
	case err == nil:
		return seeOther(w, r, "/incidents/"+r.PathValue("ref")+"/assets")
	case classify(err).code == "conflict":
		fm.fail("name", "an asset with this name exists already")
	case !fm.takeError(err):
		return err
	}
	return s.renderAssets(w, r, c, http.StatusUnprocessableEntity, fm)
}

func (s *Server) compromiseForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	state := incident.Compromise(fm.Get("compromise"))
	_, err = s.st.UpdateAsset(r.Context(), c.user.Name, r.PathValue("ref"), id, store.AssetPatch{Compromise: &state, Reason: strings.TrimSpace(fm.Get("reason"))})
	return settle(w, r, fm, err, "/incidents/"+r.PathValue("ref")+"/assets", func(st int, fm *form) error { return s.renderAssets(w, r, c, st, fm) })
}

type operationalView struct {
	incidentFrame
	Asset  incident.Asset
	State  incident.Operational
	Before incident.Blast
	After  incident.Blast
	Graph  graph
	Form   *form
}

// operationalConfirm shows what taking an asset out of service (or back)
// would do to the services before anyone does it.
func (s *Server) operationalConfirm(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.renderOperational(w, r, c, http.StatusOK, &form{Values: r.URL.Query()})
}

func (s *Server) renderOperational(w http.ResponseWriter, r *http.Request, c *caller, status int, fm *form) error {
	ref := r.PathValue("ref")
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fr, err := s.frame(r, ref, "assets")
	if err != nil {
		return err
	}
	v := operationalView{incidentFrame: fr, State: incident.Operational(fm.Get("state")), Form: fm}
	if !slices.Contains(incident.Operationals, v.State) {
		return errBadRequest("bad_parameter", "state=%q: want one of %v", v.State, incident.Operationals)
	}
	assets, err := s.st.ListAssets(r.Context(), ref, all)
	if err != nil {
		return err
	}
	services, err := s.st.ListServices(r.Context(), ref)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(assets, func(a incident.Asset) bool { return a.ID == id })
	if i < 0 {
		return errNotFound(fmt.Sprintf("asset %d: not found", id))
	}
	v.Asset = assets[i]
	v.Before = incident.BlastRadius(assets, services, nil)
	changed := slices.Clone(assets)
	changed[i].Operational = v.State
	v.After = withBaseline(incident.BlastRadius(changed, services, nil), v.Before)
	v.Graph = layoutGraph(changed, services, v.After, &v.Asset)
	return s.render(w, status, "operational.html", c, "Change "+v.Asset.Name+" · "+ref, v)
}

// withBaseline sets each impact's baseline in after to the effect now, in
// before, and lists the services that the change would bring back too,
// so that the confirmation shows what changes either way.
func withBaseline(after, before incident.Blast) incident.Blast {
	was := map[int64]incident.Impact{}
	for _, im := range before.Impacts {
		was[im.ServiceID] = im
	}
	out := after
	out.Impacts = nil
	for _, im := range after.Impacts {
		im.Baseline = incident.EffectNone
		if b, ok := was[im.ServiceID]; ok {
			im.Baseline = b.Effect
			delete(was, im.ServiceID)
		}
		out.Impacts = append(out.Impacts, im)
	}
	for _, b := range before.Impacts { // in before's order: worst first
		if _, ok := was[b.ServiceID]; ok {
			out.Impacts = append(out.Impacts, incident.Impact{ServiceID: b.ServiceID, Service: b.Service,
				Effect: incident.EffectNone, Baseline: b.Effect})
		}
	}
	return out
}

func (s *Server) operationalForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	_, err = s.st.SetOperational(r.Context(), c.user.Name, r.PathValue("ref"), id, incident.Operational(fm.Get("state")), strings.TrimSpace(fm.Get("reason")))
	return settle(w, r, fm, err, "/incidents/"+r.PathValue("ref")+"/assets", func(st int, fm *form) error { return s.renderOperational(w, r, c, st, fm) })
}

type findingsView struct {
	incidentFrame
	Findings               []incident.Finding
	State                  string
	Form                   *form
	CanIndicator, CanAsset bool
}

func (s *Server) findingsPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.renderFindings(w, r, c, http.StatusOK, nil)
}

func (s *Server) renderFindings(w http.ResponseWriter, r *http.Request, c *caller, status int, fm *form) error {
	ref := r.PathValue("ref")
	fr, err := s.frame(r, ref, "findings")
	if err != nil {
		return err
	}
	v := findingsView{incidentFrame: fr, State: r.URL.Query().Get("state"), Form: fm,
		CanIndicator: auth.Can(c.user.Role, auth.IndicatorWrite), CanAsset: auth.Can(c.user.Role, auth.AssetWrite)}
	list, err := s.st.ListFindingsFor(r.Context(), ref, all, c.indicatorViewer(ref))
	if err != nil {
		return err
	}
	for i := len(list) - 1; i >= 0; i-- {
		if v.State == "" || string(list[i].State) == v.State {
			v.Findings = append(v.Findings, list[i])
		}
	}
	return s.render(w, status, "findings.html", c, "Findings · "+ref, v)
}

func (s *Server) triageForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	_, err = s.st.TriageFinding(r.Context(), c.user.Name, r.PathValue("ref"), id, incident.FindingState(fm.Get("state")), strings.TrimSpace(fm.Get("reason")))
	return settle(w, r, fm, err, "/incidents/"+r.PathValue("ref")+"/findings", func(st int, fm *form) error { return s.renderFindings(w, r, c, st, fm) })
}

// promoteForm turns a finding into an indicator (its matched indicator or
// its client address) or marks its host's asset compromised.
func (s *Server) promoteForm(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	ref := r.PathValue("ref")
	list, err := s.st.ListFindingsFor(r.Context(), ref, all, c.indicatorViewer(ref))
	if err != nil {
		return err
	}
	i := slices.IndexFunc(list, func(f incident.Finding) bool { return f.ID == id })
	if i < 0 {
		return errNotFound(fmt.Sprintf("finding %d: not found", id))
	}
	f := list[i]
	switch fm.Get("to") {
	case "indicator":
		if !auth.Can(c.user.Role, auth.IndicatorWrite) {
			return errForbidden("your role may not add indicators")
		}
		value := f.Indicator
		if value == "" {
			value = f.Fields["c-ip"]
		}
		t, ok := inferIndicatorType(value)
		if !ok {
			fm.fail("to", fmt.Sprintf("finding %d has no indicator or client address to promote", f.ID))
			break
		}
		_, _, err = s.st.AddIndicators(r.Context(), c.user.Name, ref, []incident.Indicator{{Type: t, Value: value,
			Source: "finding " + fmt.Sprint(f.ID), Note: f.Title, Tags: []string{f.Rule}}})
	case "asset":
		if !auth.Can(c.user.Role, auth.AssetWrite) {
			return errForbidden("your role may not change assets")
		}
		assets, err2 := s.st.ListAssets(r.Context(), ref, all)
		if err2 != nil {
			return err2
		}
		j := slices.IndexFunc(assets, func(a incident.Asset) bool { return strings.EqualFold(a.Name, f.Host) })
		if j < 0 {
			fm.fail("to", fmt.Sprintf("no asset is named %q (the finding's host)", f.Host))
			break
		}
		state := incident.CompromiseCompromised
		_, err = s.st.UpdateAsset(r.Context(), c.user.Name, ref, assets[j].ID, store.AssetPatch{Compromise: &state,
			Reason: fmt.Sprintf("finding %d: %s", f.ID, f.Title)})
	default:
		fm.fail("to", "promote to an indicator or an asset compromise")
	}
	if err == nil && !fm.Invalid() {
		return seeOther(w, r, "/incidents/"+ref+"/findings")
	}
	if err != nil {
		// The fields of the indicator or asset are not on this page: show
		// the whole message where the page shows promotion errors.
		var ve *incident.ValidationError
		if !asValidation(err, &ve) {
			return err
		}
		fm.fail("to", fmt.Sprintf("finding %d: %v", f.ID, ve))
	}
	return s.renderFindings(w, r, c, http.StatusUnprocessableEntity, fm)
}
