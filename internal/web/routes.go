package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
)

// handlerFunc handles one request for a known caller (nil on public routes).
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *caller) error

// route is one entry of the route table.
type route struct {
	Method string
	Path   string
	Perm   auth.Permission
	h      handlerFunc
}

// scoped reports whether the route names one incident, so that guests may
// call it only for incidents in their scope.
func (r route) scoped() bool { return strings.Contains(r.Path, "{ref}") }

// api reports whether the route speaks JSON (errors included).
func (r route) api() bool { return strings.HasPrefix(r.Path, "/api/") }

// routeTable lists every route and who may call it. Anything not listed is 404.
func (s *Server) routeTable() []route {
	const inc = "/api/v1/incidents/{ref}"
	return []route{
		// Operations.
		{"GET", "/healthz", auth.Public, s.healthz},
		{"GET", "/readyz", auth.Public, s.readyz},
		{"GET", "/metrics", auth.Public, s.serveMetrics},
		{"GET", "/api/v1/openapi.json", auth.Public, s.openAPI},

		// Who am I; tokens for scripts and agents.
		{"GET", "/api/v1/me", auth.Authenticated, s.me},
		{"POST", "/api/v1/tokens", auth.Authenticated, s.createToken},

		// The record.
		{"GET", "/api/v1/incidents", auth.IncidentRead, s.listIncidents},
		{"POST", "/api/v1/incidents", auth.IncidentCreate, s.createIncident},
		{"GET", inc, auth.IncidentRead, s.getIncident},
		{"PATCH", inc, auth.IncidentUpdate, s.patchIncident},
		{"GET", inc + "/events", auth.IncidentRead, s.listEvents},
		{"POST", inc + "/events", auth.EventWrite, s.appendEvent},
		{"GET", inc + "/tasks", auth.IncidentRead, s.listTasks},
		{"POST", inc + "/tasks", auth.TaskWrite, s.createTask},
		{"PATCH", inc + "/tasks/{id}", auth.TaskWrite, s.patchTask},
		{"GET", inc + "/assets", auth.IncidentRead, s.listAssets},
		{"POST", inc + "/assets", auth.AssetWrite, s.createAsset},
		{"PATCH", inc + "/assets/{id}", auth.AssetWrite, s.patchAsset},
		{"POST", inc + "/assets/{id}/operational", auth.AssetOperate, s.setOperational},
		{"GET", inc + "/services", auth.IncidentRead, s.listServices},
		{"POST", inc + "/services", auth.ServiceWrite, s.createService},
		{"PATCH", inc + "/services/{id}", auth.ServiceWrite, s.patchService},
		{"GET", inc + "/blast-radius", auth.IncidentRead, s.blastRadius},
		{"GET", inc + "/indicators", auth.IncidentRead, s.listIndicators},
		{"POST", inc + "/indicators", auth.IndicatorWrite, s.addIndicators},
		{"GET", inc + "/findings", auth.IncidentRead, s.listFindings},
		{"POST", inc + "/findings", auth.FindingWrite, s.addFindings},
		{"POST", inc + "/findings/{id}/triage", auth.FindingWrite, s.triageFinding},
		{"GET", inc + "/evidence", auth.EvidenceRead, s.listEvidence},
		{"POST", inc + "/evidence", auth.EvidenceWrite, s.uploadEvidence},
		{"GET", inc + "/evidence/{id}", auth.EvidenceRead, s.getEvidence},
		{"GET", inc + "/evidence/{id}/content", auth.EvidenceRead, s.downloadEvidence},
		{"POST", inc + "/evidence/{id}/custody", auth.EvidenceWrite, s.addCustody},

		// Administration.
		{"GET", "/api/v1/users", auth.UserAdmin, s.listUsers},
		{"POST", "/api/v1/users", auth.UserAdmin, s.createUser},
		{"PATCH", "/api/v1/users/{id}", auth.UserAdmin, s.patchUser},
		{"GET", "/api/v1/audit", auth.AuditRead, s.listAudit},

		// The public plane: drafting, approving and publishing are separate permissions.
		{"GET", "/api/v1/status", auth.StatusRead, s.getStatus},
		{"POST", "/api/v1/status/components", auth.StatusAdmin, s.createComponent},
		{"POST", "/api/v1/status/components/{id}/status", auth.StatusAdmin, s.setComponentStatus},
		{"PUT", "/api/v1/status/channels", auth.StatusAdmin, s.putStatusChannels},
		{"PUT", "/api/v1/status/settings", auth.StatusAdmin, s.putStatusSettings},
		{"POST", "/api/v1/status/events", auth.StatusDraft, s.createStatusEvent},
		{"POST", "/api/v1/status/events/{id}/updates", auth.StatusDraft, s.draftStatusUpdate},
		{"POST", "/api/v1/status/updates/{id}/approve", auth.StatusApprove, s.approveStatusUpdate},
		{"POST", "/api/v1/status/updates/{id}/publish", auth.StatusPublish, s.publishStatusUpdate},
		{"POST", "/api/v1/status/updates/{id}/discard", auth.StatusDraft, s.discardStatusUpdate},
		// Subscribers of the public page (subscribers.go).
		{"GET", "/api/v1/status/subscribers", auth.StatusAdmin, s.listSubscribers},
		{"POST", "/api/v1/status/subscribers/webhooks", auth.StatusAdmin, s.addWebhook},
		{"DELETE", "/api/v1/status/subscribers/{id}", auth.StatusAdmin, s.deleteSubscriber},
		{"GET", "/api/v1/status/outbox", auth.StatusAdmin, s.outboxCounts},

		// Console.
		{"GET", "/login", auth.Public, s.loginPage},
		{"POST", "/login", auth.Public, s.login},
		{"POST", "/logout", auth.Authenticated, s.logout},
		{"GET", "/static/{file}", auth.Public, s.static},
		{"GET", "/{$}", auth.IncidentRead, s.incidentsPage},
		{"POST", "/incidents", auth.IncidentCreate, s.createIncidentForm},
		{"GET", "/incidents/{ref}", auth.IncidentRead, s.incidentPage},
		{"POST", "/incidents/{ref}", auth.IncidentUpdate, s.updateIncidentForm},
		{"GET", "/incidents/{ref}/events/stream", auth.IncidentRead, s.eventStream},
		{"POST", "/incidents/{ref}/timeline", auth.EventWrite, s.addEventForm},
		{"GET", "/incidents/{ref}/tasks", auth.IncidentRead, s.tasksPage},
		{"POST", "/incidents/{ref}/tasks", auth.TaskWrite, s.createTaskForm},
		{"POST", "/incidents/{ref}/tasks/{id}", auth.TaskWrite, s.updateTaskForm},
		{"GET", "/incidents/{ref}/assets", auth.IncidentRead, s.assetsPage},
		{"POST", "/incidents/{ref}/assets", auth.AssetWrite, s.createAssetForm},
		{"POST", "/incidents/{ref}/assets/{id}/compromise", auth.AssetWrite, s.compromiseForm},
		{"GET", "/incidents/{ref}/assets/{id}/operational", auth.AssetOperate, s.operationalConfirm},
		{"POST", "/incidents/{ref}/assets/{id}/operational", auth.AssetOperate, s.operationalForm},
		{"GET", "/incidents/{ref}/indicators", auth.IncidentRead, s.indicatorsPage},
		{"POST", "/incidents/{ref}/indicators", auth.IndicatorWrite, s.addIndicatorsForm},
		{"POST", "/incidents/{ref}/indicators/import", auth.IndicatorWrite, s.importIndicatorsForm},
		{"GET", "/incidents/{ref}/findings", auth.IncidentRead, s.findingsPage},
		{"POST", "/incidents/{ref}/findings/{id}/triage", auth.FindingWrite, s.triageForm},
		{"POST", "/incidents/{ref}/findings/{id}/promote", auth.FindingWrite, s.promoteForm},
		{"GET", "/incidents/{ref}/evidence", auth.EvidenceRead, s.evidencePage},
		{"POST", "/incidents/{ref}/evidence", auth.EvidenceWrite, s.uploadEvidenceForm},
		{"GET", "/account", auth.Authenticated, s.accountPage},
		{"POST", "/account/password", auth.Authenticated, s.changePasswordForm},
		{"POST", "/account/tokens", auth.Authenticated, s.createTokenForm},
		{"POST", "/account/tokens/{id}/revoke", auth.Authenticated, s.revokeTokenForm},
		{"GET", "/admin/users", auth.UserAdmin, s.usersPage},
		{"POST", "/admin/users", auth.UserAdmin, s.createUserForm},
		{"POST", "/admin/users/{id}", auth.UserAdmin, s.updateUserForm},
		{"GET", "/status", auth.StatusRead, s.statusPage},
		{"POST", "/status/events", auth.StatusDraft, s.createStatusEventForm},
		{"POST", "/status/events/{id}/updates", auth.StatusDraft, s.draftStatusUpdateForm},
		{"POST", "/status/updates/{id}/approve", auth.StatusApprove, s.statusStepForm("approve")},
		{"POST", "/status/updates/{id}/publish", auth.StatusPublish, s.statusStepForm("publish")},
		{"POST", "/status/updates/{id}/discard", auth.StatusDraft, s.statusStepForm("discard")},
		{"POST", "/status/components", auth.StatusAdmin, s.createComponentForm},
		{"POST", "/status/components/{id}/status", auth.StatusAdmin, s.componentStatusForm},
		{"POST", "/status/channels", auth.StatusAdmin, s.channelsForm},
		{"POST", "/status/settings", auth.StatusAdmin, s.statusSettingsForm},
		{"POST", "/status/subscribers/webhooks", auth.StatusAdmin, s.addWebhookForm},
		{"POST", "/status/subscribers/{id}/delete", auth.StatusAdmin, s.deleteSubscriberForm},
	}
}

// wrap applies the route's access rule, then runs its handler, counts it
// and turns a returned error into a response.
func (s *Server) wrap(rt route) http.Handler {
	label := rt.Method + " " + rt.Path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		err := s.serve(sw, r, rt)
		if err != nil {
			s.writeError(sw, r, strings.HasPrefix(r.URL.Path, "/api/"), err)
		}
		s.metrics.observe(label, sw.status, time.Since(start))
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route) error {
	if rt.Perm == auth.Public {
		c, _ := s.identify(r) // public routes may still want to know
		return rt.h(w, r, c)
	}
	c, err := s.identify(r)
	if err != nil {
		return err
	}
	if c == nil {
		return errUnauthenticated("sign in or send 'Authorization: Bearer <token>'")
	}
	if !auth.Can(c.user.Role, rt.Perm) {
		return errForbidden("your role (" + string(c.user.Role) + ") may not do this (" + string(rt.Perm) + ")")
	}
	if rt.scoped() {
		ref := r.PathValue("ref")
		// Whoever may not see an incident (a guest outside their scope, anyone
		// not named on a TLP:RED incident) learns nothing of it, not even
		// that it exists (access.go).
		if err := s.checkIncident(r.Context(), c, ref); err != nil {
			return err
		}
		if auth.Scoped(c.user.Role) && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			// What outside experts read is audited.
			if err := s.st.Audit(r.Context(), c.user.Name, "guest.read", ref, r.URL.Path, nil); err != nil {
				return err
			}
		}
	}
	return rt.h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, c)), c)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, c *caller) error {
	if _, pattern := s.paths.Handler(r); pattern != "" {
		// The path exists, not with this method.
		methods := s.allow[pattern]
		w.Header().Set("Allow", strings.Join(methods, ", "))
		return &apiError{http.StatusMethodNotAllowed, "method_not_allowed", r.Method + " " + r.URL.Path + ": use " + strings.Join(methods, " or ")}
	}
	return errNotFound("no such page: " + r.URL.Path)
}
