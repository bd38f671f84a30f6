package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// This file keeps the public projection: the status_* tables the public
// page is rendered from. Nothing here reads the incident record except to
// check a link and to note a publish on the incident's timeline.

// ErrState is returned when an operation is not allowed in the current
// state (publishing a draft that was not approved, approving your own
// draft, changing a published update).
var ErrState = errors.New("not allowed in this state")

// StatusEventKind says whether a public event is an incident or a
// scheduled maintenance.
type StatusEventKind string

// Public event kinds.
const (
	EventIncident    StatusEventKind = "incident"
	EventMaintenance StatusEventKind = "maintenance"
)

// UpdateState is where a status update is on its way to the public page.
type UpdateState string

// Update states: draft → approved → published, or discarded.
const (
	UpdateDraft     UpdateState = "draft"
	UpdateApproved  UpdateState = "approved"
	UpdatePublished UpdateState = "published"
	UpdateDiscarded UpdateState = "discarded"
)

// Public statuses and impacts, named as on Statuspage.
var (
	IncidentStatuses    = []string{"investigating", "identified", "monitoring", "resolved", "postmortem"}
	MaintenanceStatuses = []string{"scheduled", "in_progress", "verifying", "completed"}
	Impacts             = []string{"none", "minor", "major", "critical"}
	ChannelKinds        = []string{"phone", "email", "web", "other"}
)

// Limits on the public projection.
const (
	historyDays          = 91 // component history read for the page (it shows 90 days)
	maxStatusDescription = 4 << 10
	maxChannels          = 20
	maxChannelValue      = 512
)

// StatusSettings are the page-wide settings.
type StatusSettings struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	TimeZone string `json:"time_zone"`
}

// StatusGroup is a group of components.
type StatusGroup struct {
	ID          int64     `json:"id"`
	PublicID    string    `json:"public_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Position    int       `json:"position"`
	CreatedAt   time.Time `json:"created_at"`
}

// StatusComponent is a customer-facing service as the public page shows it.
type StatusComponent struct {
	ID          int64                  `json:"id"`
	PublicID    string                 `json:"public_id"`
	Name        string                 `json:"name"`
	Description string                 `json:"description"`
	GroupID     int64                  `json:"group_id,omitempty"`
	Position    int                    `json:"position"`
	Status      incident.ServiceStatus `json:"status"`
	CreatedAt   time.Time              `json:"created_at"`
	UpdatedAt   time.Time              `json:"updated_at"`
	// ServiceIDs are the record's services this component stands for.
	ServiceIDs []int64        `json:"service_ids"`
	History    []StatusChange `json:"-"`
}

// StatusChange is one change of a component's public status.
type StatusChange struct {
	At     time.Time
	Status incident.ServiceStatus
}

// StatusChannel is an alternative support channel.
type StatusChannel struct {
	Kind  string `json:"kind"`
	Label string `json:"label"`
	Value string `json:"value"`
	Note  string `json:"note"`
}

// StatusEvent is a public incident or a scheduled maintenance.
type StatusEvent struct {
	ID       int64           `json:"id"`
	PublicID string          `json:"public_id"`
	Kind     StatusEventKind `json:"kind"`
	// IncidentRef links the event to the record (empty for none).
	IncidentRef    string     `json:"incident_ref,omitempty"`
	Name           string     `json:"name"`
	Status         string     `json:"status"`
	Impact         string     `json:"impact"`
	ScheduledFor   *time.Time `json:"scheduled_for,omitempty"`
	ScheduledUntil *time.Time `json:"scheduled_until,omitempty"`
	// Published is false until the first update is published.
	Published bool           `json:"published"`
	CreatedBy string         `json:"created_by"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	Updates   []StatusUpdate `json:"updates"`
}

// StatusUpdate is one update of a public event on its way to the page.
type StatusUpdate struct {
	ID          int64       `json:"id"`
	PublicID    string      `json:"public_id"`
	EventID     int64       `json:"event_id"`
	State       UpdateState `json:"state"`
	Status      string      `json:"status"`
	Body        string      `json:"body"`
	Affected    []Affected  `json:"affected"`
	DraftedBy   string      `json:"drafted_by"`
	DraftedAt   time.Time   `json:"drafted_at"`
	ApprovedBy  string      `json:"approved_by,omitempty"`
	ApprovedAt  *time.Time  `json:"approved_at,omitempty"`
	PublishedBy string      `json:"published_by,omitempty"`
	PublishedAt *time.Time  `json:"published_at,omitempty"`
}

// Affected is a component status an update sets. OldStatus is filled in
// when the update is published.
type Affected struct {
	ComponentID int64                  `json:"component_id"`
	Status      incident.ServiceStatus `json:"status"`
	OldStatus   incident.ServiceStatus `json:"old_status,omitempty"`
}

// NewStatusEvent is what opening a public incident or maintenance takes:
// the event and its first update, as a draft.
type NewStatusEvent struct {
	Kind           StatusEventKind `json:"kind"`
	IncidentRef    string          `json:"incident_ref"`
	Name           string          `json:"name"`
	Impact         string          `json:"impact"`
	ScheduledFor   *time.Time      `json:"scheduled_for"`
	ScheduledUntil *time.Time      `json:"scheduled_until"`
	Update         NewStatusUpdate `json:"update"`
}

// NewStatusUpdate is a draft update.
type NewStatusUpdate struct {
	Status   string     `json:"status"`
	Body     string     `json:"body"`
	Affected []Affected `json:"affected"`
}

// StatusData is everything the public page is rendered from: settings,
// groups, components with history, channels, and the published events with
// their published updates only. It is read from the status_* tables alone.
type StatusData struct {
	Version    int64
	Settings   StatusSettings
	Groups     []StatusGroup
	Components []StatusComponent
	Channels   []StatusChannel
	Events     []StatusEvent
}

// publicID returns a random 12-character id, as Statuspage's look.
func publicID() string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b [12]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// publicText checks text bound for the public page: valid UTF-8, within
// max bytes, and no control characters but newline, tab and CR (feeds are
// XML, which cannot carry them).
func publicText(field, s string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return &incident.ValidationError{Field: field, Reason: "is required"}
	case len(s) > max:
		return &incident.ValidationError{Field: field, Reason: fmt.Sprintf("is %d bytes long, the limit is %d", len(s), max)}
	case !utf8.ValidString(s):
		return &incident.ValidationError{Field: field, Reason: "is not valid UTF-8"}
	}
	for _, r := range s {
		if r == '\n' || r == '\t' || r == '\r' {
			continue
		}
		if unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF {
			return &incident.ValidationError{Field: field, Reason: fmt.Sprintf("contains the control character %U", r)}
		}
	}
	return nil
}

// bumpStatus marks the public page as changed: serving replicas re-render
// when the version moves. On PostgreSQL it also notifies listeners when the
// transaction commits.
func (s *Store) bumpStatus(ctx context.Context, tx *sql.Tx) error {
	if s.statusCheck != nil {
		// The page as it would be after this change must render: a change
		// the renderer would refuse is refused here, before it can stop
		// every later publish from reaching the page.
		d, err := s.statusData(ctx, tx)
		if err != nil {
			return err
		}
		if err := s.statusCheck(d); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE status_version SET version = version + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("bump status version: %w", err)
	}
	if s.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify('`+StatusChannelName+`', '')`); err != nil {
			return fmt.Errorf("notify status change: %w", err)
		}
	}
	return nil
}

// SetStatusCheck installs a check of the public page as every status
// change would leave it, run inside that change's transaction: an error
// (a *incident.ValidationError for the caller) refuses the change. Serve
// installs the renderer's own validation, so that nothing the store accepts
// can keep the page from rendering. Call before concurrent use.
func (s *Store) SetStatusCheck(check func(StatusData) error) { s.statusCheck = check }

// StatusChannelName is the PostgreSQL LISTEN/NOTIFY channel a publish
// notifies.
const StatusChannelName = "firebreak_status"

// StatusVersion returns the public page's version: it moves on every
// change of what the page shows.
func (s *Store) StatusVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.r.QueryRowContext(ctx, `SELECT version FROM status_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("status version: %w", err)
	}
	return v, nil
}

// StatusSettings returns the page settings (empty fields when unset).
func (s *Store) StatusSettings(ctx context.Context) (StatusSettings, error) {
	return s.statusSettings(ctx, s.r)
}

func (s *Store) statusSettings(ctx context.Context, q queryer) (StatusSettings, error) {
	var st StatusSettings
	rows, err := q.QueryContext(ctx, `SELECT name, value FROM status_settings`)
	if err != nil {
		return st, fmt.Errorf("status settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return st, fmt.Errorf("status settings: %w", err)
		}
		switch k {
		case "name":
			st.Name = v
		case "url":
			st.URL = v
		case "time_zone":
			st.TimeZone = v
		}
	}
	return st, rows.Err()
}

// SetStatusSettings replaces the page settings. Empty fields fall back to
// the server's defaults. The caller checks the URL (the public renderer
// validates it as an absolute http(s) URL).
func (s *Store) SetStatusSettings(ctx context.Context, actor string, st StatusSettings) error {
	if err := firstValid(
		publicText("name", st.Name, incident.MaxName, true),
		publicText("url", st.URL, 2048, false),
		publicText("time_zone", st.TimeZone, 64, false),
	); err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for k, v := range map[string]string{"name": st.Name, "url": st.URL, "time_zone": st.TimeZone} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM status_settings WHERE name = $1`, k); err != nil {
				return fmt.Errorf("set status settings: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO status_settings (name, value) VALUES ($1, $2)`, k, v); err != nil {
				return fmt.Errorf("set status settings: %w", err)
			}
		}
		if err := s.bumpStatus(ctx, tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "status.settings", "", "status/settings", st)
	})
}

// CreateStatusGroup adds a component group.
func (s *Store) CreateStatusGroup(ctx context.Context, actor string, g StatusGroup) (StatusGroup, error) {
	if err := firstValid(
		publicText("name", g.Name, incident.MaxName, true),
		publicText("description", g.Description, maxStatusDescription, false),
	); err != nil {
		return g, err
	}
	g.PublicID = publicID()
	g.CreatedAt = s.now().UTC()
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO status_groups (public_id, name, description, position, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			g.PublicID, g.Name, g.Description, g.Position, fmtTime(g.CreatedAt)).Scan(&g.ID); err != nil {
			if isUnique(err) {
				return fmt.Errorf("group %q: %w", g.Name, ErrConflict)
			}
			return fmt.Errorf("create group: %w", err)
		}
		if err := s.bumpStatus(ctx, tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "status.group.create", "", fmt.Sprintf("status-group/%d", g.ID), g)
	})
	return g, err
}

// CreateComponent adds a public component, optionally standing for record
// services (its name and description are then what the public reads, not
// the service's).
func (s *Store) CreateComponent(ctx context.Context, actor string, c StatusComponent) (StatusComponent, error) {
	c.Status = orDefault(c.Status, incident.StatusOperational)
	if err := firstValid(
		publicText("name", c.Name, incident.MaxName, true),
		publicText("description", c.Description, maxStatusDescription, false),
		checkEnumErr("status", c.Status, incident.ServiceStatuses),
	); err != nil {
		return c, err
	}
	if c.ServiceIDs == nil {
		c.ServiceIDs = []int64{}
	}
	c.PublicID = publicID()
	c.CreatedAt = s.now().UTC()
	c.UpdatedAt = c.CreatedAt
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if c.GroupID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM status_groups WHERE id = $1`, c.GroupID).Scan(&n); err != nil {
				return fmt.Errorf("check group: %w", err)
			}
			if n == 0 {
				return &incident.ValidationError{Field: "group_id", Reason: fmt.Sprintf("there is no group %d", c.GroupID)}
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO status_components (public_id, name, description, group_id, position, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			c.PublicID, c.Name, c.Description, c.GroupID, c.Position, c.Status, fmtTime(c.CreatedAt), fmtTime(c.UpdatedAt)).Scan(&c.ID); err != nil {
			if isUnique(err) {
				return fmt.Errorf("component %q: %w", c.Name, ErrConflict)
			}
			return fmt.Errorf("create component: %w", err)
		}
		if c.Status != incident.StatusOperational {
			if err := s.componentHistory(ctx, tx, c.ID, c.CreatedAt, c.Status); err != nil {
				return err
			}
		}
		for i, sid := range c.ServiceIDs {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM services WHERE id = $1`, sid).Scan(&n); err != nil {
				return fmt.Errorf("check service: %w", err)
			}
			if n == 0 {
				return &incident.ValidationError{Field: fmt.Sprintf("service_ids[%d]", i), Reason: fmt.Sprintf("there is no service %d", sid)}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO status_component_services (component_id, service_id) VALUES ($1, $2)`, c.ID, sid); err != nil {
				if isUnique(err) {
					return &incident.ValidationError{Field: fmt.Sprintf("service_ids[%d]", i), Reason: "is listed twice"}
				}
				return fmt.Errorf("link service: %w", err)
			}
		}
		if err := s.bumpStatus(ctx, tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "status.component.create", "", fmt.Sprintf("status-component/%d", c.ID), c)
	})
	return c, err
}

func (s *Store) componentHistory(ctx context.Context, tx *sql.Tx, id int64, at time.Time, st incident.ServiceStatus) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO status_component_history (component_id, at, status) VALUES ($1, $2, $3)`, id, fmtTime(at), st); err != nil {
		return fmt.Errorf("component history: %w", err)
	}
	return nil
}

// setComponentStatus changes a component's status inside tx, recording
// history; it returns the old status.
func (s *Store) setComponentStatus(ctx context.Context, tx *sql.Tx, id int64, st incident.ServiceStatus, at time.Time) (incident.ServiceStatus, error) {
	var old incident.ServiceStatus
	if err := tx.QueryRowContext(ctx, `SELECT status FROM status_components WHERE id = $1`, id).Scan(&old); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("component %d: %w", id, ErrNotFound)
		}
		return "", fmt.Errorf("read component: %w", err)
	}
	if old == st {
		return old, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE status_components SET status = $1, updated_at = $2 WHERE id = $3`, st, fmtTime(at), id); err != nil {
		return "", fmt.Errorf("set component status: %w", err)
	}
	return old, s.componentHistory(ctx, tx, id, at, st)
}

// SetComponentStatus sets a component's public status directly, outside
// any public incident (a probe, or an administrator correcting it). The
// component is named by public id or by name. It reports whether anything
// changed.
func (s *Store) SetComponentStatus(ctx context.Context, actor, component string, st incident.ServiceStatus, reason string) (bool, error) {
	if err := firstValid(checkEnumErr("status", st, incident.ServiceStatuses), requiredText("reason", reason)); err != nil {
		return false, err
	}
	changed := false
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM status_components WHERE public_id = $1`, component).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.QueryRowContext(ctx, `SELECT id FROM status_components WHERE name = $1`, component).Scan(&id)
		}
		if err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("component %q: %w", component, ErrNotFound)
			}
			return fmt.Errorf("find component: %w", err)
		}
		old, err := s.setComponentStatus(ctx, tx, id, st, s.now().UTC())
		if err != nil || old == st {
			return err
		}
		changed = true
		if err := s.bumpStatus(ctx, tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "status.component.status", "", fmt.Sprintf("status-component/%d", id),
			map[string]any{"old": old, "new": st, "reason": reason})
	})
	return changed, err
}

// SetStatusChannels replaces the alternative support channels.
func (s *Store) SetStatusChannels(ctx context.Context, actor string, chs []StatusChannel) error {
	if len(chs) > maxChannels {
		return &incident.ValidationError{Field: "channels", Reason: fmt.Sprintf("has %d entries, the limit is %d", len(chs), maxChannels)}
	}
	for i, c := range chs {
		f := fmt.Sprintf("channels[%d]", i)
		if err := firstValid(
			checkEnumErr(f+".kind", c.Kind, ChannelKinds),
			publicText(f+".label", c.Label, incident.MaxName, true),
			publicText(f+".value", c.Value, maxChannelValue, true),
			publicText(f+".note", c.Note, maxStatusDescription, false),
		); err != nil {
			return err
		}
	}
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM status_channels`); err != nil {
			return fmt.Errorf("replace channels: %w", err)
		}
		for i, c := range chs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO status_channels (kind, label, value, note, position) VALUES ($1, $2, $3, $4, $5)`,
				c.Kind, c.Label, c.Value, c.Note, i); err != nil {
				return fmt.Errorf("add channel: %w", err)
			}
		}
		if err := s.bumpStatus(ctx, tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "status.channels", "", "status/channels", chs)
	})
}

func checkUpdate(kind StatusEventKind, u NewStatusUpdate) error {
	allowed := IncidentStatuses
	if kind == EventMaintenance {
		allowed = MaintenanceStatuses
	}
	if err := firstValid(
		checkEnumErr("status", u.Status, allowed),
		publicText("body", u.Body, incident.MaxText, true),
	); err != nil {
		return err
	}
	seen := map[int64]bool{}
	for i, a := range u.Affected {
		f := fmt.Sprintf("affected[%d]", i)
		if err := checkEnumErr(f+".status", a.Status, incident.ServiceStatuses); err != nil {
			return err
		}
		if seen[a.ComponentID] {
			return &incident.ValidationError{Field: f + ".component_id", Reason: "is listed twice"}
		}
		seen[a.ComponentID] = true
	}
	return nil
}

func (s *Store) checkAffected(ctx context.Context, tx *sql.Tx, as []Affected) error {
	for i, a := range as {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM status_components WHERE id = $1`, a.ComponentID).Scan(&n); err != nil {
			return fmt.Errorf("check component: %w", err)
		}
		if n == 0 {
			return &incident.ValidationError{Field: fmt.Sprintf("affected[%d].component_id", i), Reason: fmt.Sprintf("there is no component %d", a.ComponentID)}
		}
	}
	return nil
}

// CreateStatusEvent opens a public incident or maintenance with its first
// update as a draft. Nothing is public until that update is approved and
// published.
func (s *Store) CreateStatusEvent(ctx context.Context, actor string, ne NewStatusEvent) (StatusEvent, error) {
	ne.Kind = orDefault(ne.Kind, EventIncident)
	ev := StatusEvent{Kind: ne.Kind, IncidentRef: ne.IncidentRef, Name: ne.Name, Impact: ne.Impact,
		ScheduledFor: ne.ScheduledFor, ScheduledUntil: ne.ScheduledUntil, CreatedBy: actor}
	if err := firstValid(
		checkEnumErr("kind", ne.Kind, []StatusEventKind{EventIncident, EventMaintenance}),
		publicText("name", ne.Name, incident.MaxName, true),
	); err != nil {
		return ev, err
	}
	if ne.Impact != "" {
		if err := checkEnumErr("impact", ne.Impact, Impacts); err != nil {
			return ev, err
		}
	}
	if ne.Kind == EventMaintenance {
		if ne.ScheduledFor == nil || ne.ScheduledUntil == nil {
			return ev, &incident.ValidationError{Field: "scheduled_for", Reason: "a maintenance needs scheduled_for and scheduled_until"}
		}
		if !ne.ScheduledUntil.After(*ne.ScheduledFor) {
			return ev, &incident.ValidationError{Field: "scheduled_until", Reason: "must be after scheduled_for"}
		}
	} else if ne.ScheduledFor != nil || ne.ScheduledUntil != nil {
		return ev, &incident.ValidationError{Field: "scheduled_for", Reason: "only a maintenance is scheduled"}
	}
	if err := checkUpdate(ne.Kind, ne.Update); err != nil {
		return ev, err
	}
	now := s.now().UTC()
	ev.PublicID = publicID()
	ev.Status = ne.Update.Status
	ev.CreatedAt, ev.UpdatedAt = now, now
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var incID int64
		if ne.IncidentRef != "" {
			var err error
			if incID, err = s.incidentID(ctx, tx, ne.IncidentRef); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO status_events (public_id, kind, incident_id, name, status, impact, scheduled_for, scheduled_until, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			ev.PublicID, ev.Kind, incID, ev.Name, ev.Status, ev.Impact, optTime(ev.ScheduledFor), optTime(ev.ScheduledUntil), actor, fmtTime(now), fmtTime(now)).Scan(&ev.ID); err != nil {
			return fmt.Errorf("create status event: %w", err)
		}
		u, err := s.draftUpdate(ctx, tx, actor, ev.ID, ne.Update, now)
		if err != nil {
			return err
		}
		ev.Updates = []StatusUpdate{u}
		return s.audit(ctx, tx, actor, "status.event.create", ne.IncidentRef, fmt.Sprintf("status-event/%d", ev.ID), ev)
	})
	return ev, err
}

func optTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return fmtTime(*t)
}

func (s *Store) draftUpdate(ctx context.Context, tx *sql.Tx, actor string, eventID int64, nu NewStatusUpdate, now time.Time) (StatusUpdate, error) {
	if nu.Affected == nil {
		nu.Affected = []Affected{}
	}
	if len(nu.Affected) == 0 && (nu.Status == "resolved" || nu.Status == "completed") {
		// Closing without naming components restores the event's: worked
		// out now, so that the approver sees what publishing will do.
		var err error
		if nu.Affected, err = s.restoreOnClose(ctx, tx, eventID); err != nil {
			return StatusUpdate{}, err
		}
	}
	if err := s.checkAffected(ctx, tx, nu.Affected); err != nil {
		return StatusUpdate{}, err
	}
	u := StatusUpdate{PublicID: publicID(), EventID: eventID, State: UpdateDraft, Status: nu.Status, Body: nu.Body,
		Affected: nu.Affected, DraftedBy: actor, DraftedAt: now}
	if err := tx.QueryRowContext(ctx, `INSERT INTO status_updates (public_id, event_id, state, status, body, affected, drafted_by, drafted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		u.PublicID, eventID, u.State, u.Status, u.Body, jsonText(u.Affected), actor, fmtTime(now)).Scan(&u.ID); err != nil {
		return u, fmt.Errorf("draft update: %w", err)
	}
	return u, nil
}

// DraftStatusUpdate adds a draft update to a public event.
func (s *Store) DraftStatusUpdate(ctx context.Context, actor string, eventID int64, nu NewStatusUpdate) (StatusUpdate, error) {
	var u StatusUpdate
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		ev, err := s.statusEvent(ctx, tx, eventID)
		if err != nil {
			return err
		}
		if err := checkUpdate(ev.Kind, nu); err != nil {
			return err
		}
		if u, err = s.draftUpdate(ctx, tx, actor, eventID, nu, s.now().UTC()); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "status.update.draft", ev.IncidentRef, fmt.Sprintf("status-update/%d", u.ID), u)
	})
	return u, err
}

// ApproveStatusUpdate approves a draft. The approver must not be the one
// who drafted it: a public statement is read by two people.
func (s *Store) ApproveStatusUpdate(ctx context.Context, actor string, updateID int64) (StatusUpdate, error) {
	var u StatusUpdate
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if u, err = s.statusUpdate(ctx, tx, updateID); err != nil {
			return err
		}
		if u.State != UpdateDraft {
			return fmt.Errorf("update %d is %s, only a draft can be approved: %w", u.ID, u.State, ErrState)
		}
		if u.DraftedBy == actor {
			return fmt.Errorf("update %d was drafted by %s; someone else must approve it: %w", u.ID, actor, ErrState)
		}
		now := s.now().UTC()
		if err := moveState(ctx, tx, u.ID, UpdateDraft, `state = $1, approved_by = $2, approved_at = $3`, UpdateApproved, actor, fmtTime(now)); err != nil {
			return err
		}
		u.State, u.ApprovedBy, u.ApprovedAt = UpdateApproved, actor, &now
		ref, err := s.statusEventRef(ctx, tx, u.EventID)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "status.update.approve", ref, fmt.Sprintf("status-update/%d", u.ID), map[string]any{"body": u.Body, "status": u.Status})
	})
	return u, err
}

// moveState sets the columns of update id if it is still in state from:
// the check and the change are one statement, so two replicas racing to
// approve, discard or publish the same update cannot both succeed.
func moveState(ctx context.Context, tx *sql.Tx, id int64, from UpdateState, set string, args ...any) error {
	n := len(args)
	res, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE status_updates SET %s WHERE id = $%d AND state = $%d`, set, n+1, n+2), append(args, id, from)...)
	if err != nil {
		return fmt.Errorf("update %d: %w", id, err)
	}
	if k, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update %d: %w", id, err)
	} else if k != 1 {
		return fmt.Errorf("update %d changed state meanwhile: %w", id, ErrState)
	}
	return nil
}

// DiscardStatusUpdate drops a draft or approved update.
func (s *Store) DiscardStatusUpdate(ctx context.Context, actor string, updateID int64) error {
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		u, err := s.statusUpdate(ctx, tx, updateID)
		if err != nil {
			return err
		}
		if u.State != UpdateDraft && u.State != UpdateApproved {
			return fmt.Errorf("update %d is %s: %w", u.ID, u.State, ErrState)
		}
		if err := moveState(ctx, tx, u.ID, u.State, `state = $1`, UpdateDiscarded); err != nil {
			return err
		}
		ref, err := s.statusEventRef(ctx, tx, u.EventID)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "status.update.discard", ref, fmt.Sprintf("status-update/%d", u.ID), nil)
	})
}

// PublishStatusUpdate publishes an approved update: the event takes its
// status, the components it names take theirs, subscribers are queued a
// notice, the incident's timeline notes it, and the page version moves —
// all in one transaction.
func (s *Store) PublishStatusUpdate(ctx context.Context, actor string, updateID int64) (StatusUpdate, error) {
	var u StatusUpdate
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if u, err = s.statusUpdate(ctx, tx, updateID); err != nil {
			return err
		}
		if u.State != UpdateApproved {
			return fmt.Errorf("update %d is %s, only an approved update can be published: %w", u.ID, u.State, ErrState)
		}
		ev, err := s.statusEvent(ctx, tx, u.EventID)
		if err != nil {
			return err
		}
		var later int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM status_updates WHERE event_id = $1 AND state = $2 AND id > $3`, ev.ID, UpdatePublished, u.ID).Scan(&later); err != nil {
			return fmt.Errorf("check later updates: %w", err)
		}
		if later > 0 {
			// Publishing it would turn the event and its components back
			// to an older state than the page shows.
			return fmt.Errorf("update %d was drafted before an update of this event that is already published; draft a new one: %w", u.ID, ErrState)
		}
		now := s.now().UTC()
		for i, a := range u.Affected {
			old, err := s.setComponentStatus(ctx, tx, a.ComponentID, a.Status, now)
			if err != nil {
				return err
			}
			u.Affected[i].OldStatus = old
		}
		if err := moveState(ctx, tx, u.ID, UpdateApproved, `state = $1, published_by = $2, published_at = $3, affected = $4`,
			UpdatePublished, actor, fmtTime(now), jsonText(u.Affected)); err != nil {
			return err
		}
		u.State, u.PublishedBy, u.PublishedAt = UpdatePublished, actor, &now
		if _, err := tx.ExecContext(ctx, `UPDATE status_events SET status = $1, published = 1, updated_at = $2 WHERE id = $3`, u.Status, fmtTime(now), ev.ID); err != nil {
			return fmt.Errorf("publish event: %w", err)
		}
		return s.afterPublish(ctx, tx, ev, u, actor, incident.SourcePerson, now,
			fmt.Sprintf("Status page update published (%s, %q, drafted by %s, approved by %s): %s", u.Status, ev.Name, u.DraftedBy, u.ApprovedBy, u.Body))
	})
	return u, err
}

// afterPublish does, in the publishing transaction, what follows update u
// of event ev going public: the page version moves, subscribers are queued
// a notice, the linked incident's timeline gets text, and the audit chain
// records it.
func (s *Store) afterPublish(ctx context.Context, tx *sql.Tx, ev StatusEvent, u StatusUpdate, actor string, source incident.Source, now time.Time, text string) error {
	if err := s.bumpStatus(ctx, tx); err != nil {
		return err
	}
	n, err := s.noticeFor(ctx, tx, ev, u, now)
	if err != nil {
		return err
	}
	if err := s.enqueueNotice(ctx, tx, n); err != nil {
		return fmt.Errorf("queue notices: %w", err)
	}
	if ev.IncidentRef != "" {
		incID, err := s.incidentID(ctx, tx, ev.IncidentRef)
		if err != nil {
			return err
		}
		if _, err := s.appendEvent(ctx, tx, incID, incident.Event{Kind: incident.KindCommunication, Actor: actor, Text: truncate(text, incident.MaxText),
			Source: source, Visibility: incident.VisibilityPublic, OccurredAt: now}); err != nil {
			return err
		}
	}
	return s.audit(ctx, tx, actor, "status.update.publish", ev.IncidentRef, fmt.Sprintf("status-update/%d", u.ID),
		map[string]any{"event": ev.PublicID, "status": u.Status, "body": u.Body, "affected": u.Affected})
}

// restoreOnClose proposes what closing an event with no component changes
// means: every component its published updates named goes back to
// operational, unless another open public event still names it. Drafting
// uses it, so the draft shows the changes to its approver.
func (s *Store) restoreOnClose(ctx context.Context, tx *sql.Tx, eventID int64) ([]Affected, error) {
	named := func(id int64) (map[int64]bool, error) {
		rows, err := tx.QueryContext(ctx, `SELECT affected FROM status_updates WHERE event_id = $1 AND state = $2`, id, UpdatePublished)
		if err != nil {
			return nil, fmt.Errorf("components of event %d: %w", id, err)
		}
		defer rows.Close()
		out := map[int64]bool{}
		for rows.Next() {
			var as []Affected
			if err := rows.Scan(jsonCol{&as}); err != nil {
				return nil, fmt.Errorf("components of event %d: %w", id, err)
			}
			for _, a := range as {
				out[a.ComponentID] = true
			}
		}
		return out, rows.Err()
	}
	mine, err := named(eventID)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM status_events WHERE id <> $1 AND published = 1 AND status NOT IN ('resolved', 'postmortem', 'completed', 'scheduled')`, eventID)
	if err != nil {
		return nil, fmt.Errorf("open events: %w", err)
	}
	var others []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("open events: %w", err)
		}
		others = append(others, id)
	}
	rows.Close()
	for _, id := range others {
		theirs, err := named(id)
		if err != nil {
			return nil, err
		}
		for c := range theirs {
			delete(mine, c)
		}
	}
	out := []Affected{}
	for c := range mine {
		out = append(out, Affected{ComponentID: c, Status: incident.StatusOperational})
	}
	slices.SortFunc(out, func(a, b Affected) int { return int(a.ComponentID - b.ComponentID) })
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// noticeFor says what subscribers are told about publishing u on ev.
func (s *Store) noticeFor(ctx context.Context, tx *sql.Tx, ev StatusEvent, u StatusUpdate, at time.Time) (Notice, error) {
	var published int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM status_updates WHERE event_id = $1 AND state = $2 AND id <> $3`, ev.ID, UpdatePublished, u.ID).Scan(&published); err != nil {
		return Notice{}, fmt.Errorf("count published updates: %w", err)
	}
	first := published == 0
	var kind NoticeKind
	switch {
	case ev.Kind == EventIncident && first:
		kind = NoticeIncidentCreated
	case ev.Kind == EventIncident && (u.Status == "resolved" || u.Status == "postmortem"):
		kind = NoticeIncidentResolved
	case ev.Kind == EventIncident:
		kind = NoticeIncidentUpdated
	case u.Status == "in_progress" && ev.Status != "in_progress":
		kind = NoticeMaintenanceStarted
	case u.Status == "completed":
		kind = NoticeMaintenanceCompleted
	case first:
		kind = NoticeMaintenanceScheduled
	default:
		kind = NoticeMaintenanceUpdated
	}
	ids, err := s.eventComponentPublicIDs(ctx, tx, ev.ID)
	if err != nil {
		return Notice{}, err
	}
	return Notice{Kind: kind, EventID: ev.PublicID, EventName: ev.Name, UpdateID: u.PublicID, Status: u.Status,
		Body: u.Body, ComponentIDs: ids, At: at}, nil
}

// eventComponentPublicIDs lists the public ids of every component a
// published update of the event named.
func (s *Store) eventComponentPublicIDs(ctx context.Context, q queryer, eventID int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT affected FROM status_updates WHERE event_id = $1 AND state = $2`, eventID, UpdatePublished)
	if err != nil {
		return nil, fmt.Errorf("event components: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var as []Affected
		if err := rows.Scan(jsonCol{&as}); err != nil {
			rows.Close()
			return nil, fmt.Errorf("event components: %w", err)
		}
		for _, a := range as {
			if !slices.Contains(ids, a.ComponentID) {
				ids = append(ids, a.ComponentID)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []string{}
	for _, id := range ids {
		var pid string
		if err := q.QueryRowContext(ctx, `SELECT public_id FROM status_components WHERE id = $1`, id).Scan(&pid); err != nil {
			return nil, fmt.Errorf("component public id: %w", err)
		}
		out = append(out, pid)
	}
	return out, nil
}

const statusEventCols = `e.id, e.public_id, e.kind, COALESCE(i.ref, ''), e.name, e.status, e.impact, e.scheduled_for, e.scheduled_until, e.published, e.created_by, e.created_at, e.updated_at`

func scanStatusEvent(sc interface{ Scan(...any) error }) (StatusEvent, error) {
	var ev StatusEvent
	var sf, su string
	var pub int
	if err := sc.Scan(&ev.ID, &ev.PublicID, &ev.Kind, &ev.IncidentRef, &ev.Name, &ev.Status, &ev.Impact, &sf, &su, &pub, &ev.CreatedBy,
		timeCol{&ev.CreatedAt}, timeCol{&ev.UpdatedAt}); err != nil {
		return ev, err
	}
	ev.Published = pub != 0
	var err error
	if ev.ScheduledFor, err = parseOptTime(sf); err != nil {
		return ev, err
	}
	ev.ScheduledUntil, err = parseOptTime(su)
	ev.Updates = []StatusUpdate{}
	return ev, err
}

func parseOptTime(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return nil, fmt.Errorf("stored time %q: %w", s, err)
	}
	return &t, nil
}

func (s *Store) statusEvent(ctx context.Context, q queryer, id int64) (StatusEvent, error) {
	ev, err := scanStatusEvent(q.QueryRowContext(ctx, `SELECT `+statusEventCols+` FROM status_events e LEFT JOIN incidents i ON i.id = e.incident_id WHERE e.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return ev, fmt.Errorf("status event %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return ev, fmt.Errorf("read status event: %w", err)
	}
	return ev, nil
}

func (s *Store) statusEventRef(ctx context.Context, q queryer, eventID int64) (string, error) {
	ev, err := s.statusEvent(ctx, q, eventID)
	return ev.IncidentRef, err
}

const statusUpdateCols = `id, public_id, event_id, state, status, body, affected, drafted_by, drafted_at, approved_by, approved_at, published_by, published_at`

func scanStatusUpdate(sc interface{ Scan(...any) error }) (StatusUpdate, error) {
	var u StatusUpdate
	var aa, pa string
	if err := sc.Scan(&u.ID, &u.PublicID, &u.EventID, &u.State, &u.Status, &u.Body, jsonCol{&u.Affected}, &u.DraftedBy, timeCol{&u.DraftedAt},
		&u.ApprovedBy, &aa, &u.PublishedBy, &pa); err != nil {
		return u, err
	}
	var err error
	if u.ApprovedAt, err = parseOptTime(aa); err != nil {
		return u, err
	}
	u.PublishedAt, err = parseOptTime(pa)
	if u.Affected == nil {
		u.Affected = []Affected{}
	}
	return u, err
}

func (s *Store) statusUpdate(ctx context.Context, q queryer, id int64) (StatusUpdate, error) {
	u, err := scanStatusUpdate(q.QueryRowContext(ctx, `SELECT `+statusUpdateCols+` FROM status_updates WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("status update %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("read status update: %w", err)
	}
	return u, nil
}

// StatusEvents lists public events with all their updates (drafts
// included), newest first; with ref set, only those linked to that
// incident. For the console, not for the public page.
func (s *Store) StatusEvents(ctx context.Context, ref string) ([]StatusEvent, error) {
	return s.statusEvents(ctx, s.r, ref, false)
}

// StatusEvent returns one public event with all its updates.
func (s *Store) StatusEvent(ctx context.Context, id int64) (StatusEvent, error) {
	ev, err := s.statusEvent(ctx, s.r, id)
	if err != nil {
		return ev, err
	}
	ev.Updates, err = s.statusUpdates(ctx, s.r, []int64{id}, false)
	return ev, err
}

func (s *Store) statusEvents(ctx context.Context, q queryer, ref string, publishedOnly bool) ([]StatusEvent, error) {
	where, args := "WHERE 1 = 1", []any{}
	if ref != "" {
		where += " AND i.ref = $1"
		args = append(args, ref)
	}
	if publishedOnly {
		where += " AND e.published = 1"
	}
	rows, err := q.QueryContext(ctx, `SELECT `+statusEventCols+` FROM status_events e LEFT JOIN incidents i ON i.id = e.incident_id `+where+` ORDER BY e.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("list status events: %w", err)
	}
	evs := []StatusEvent{}
	ids := []int64{}
	for rows.Next() {
		ev, err := scanStatusEvent(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list status events: %w", err)
		}
		evs = append(evs, ev)
		ids = append(ids, ev.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	us, err := s.statusUpdates(ctx, q, ids, publishedOnly)
	if err != nil {
		return nil, err
	}
	idx := map[int64]int{}
	for i, ev := range evs {
		idx[ev.ID] = i
	}
	for _, u := range us {
		i := idx[u.EventID]
		evs[i].Updates = append(evs[i].Updates, u)
	}
	return evs, nil
}

func (s *Store) statusUpdates(ctx context.Context, q queryer, eventIDs []int64, publishedOnly bool) ([]StatusUpdate, error) {
	if len(eventIDs) == 0 {
		return []StatusUpdate{}, nil
	}
	where := ""
	if publishedOnly {
		where = " AND state = 'published'"
	}
	// Read all and filter: the number of public events is small (bounded
	// by the renderer's limits), and this keeps the SQL portable.
	want := map[int64]bool{}
	for _, id := range eventIDs {
		want[id] = true
	}
	rows, err := q.QueryContext(ctx, `SELECT `+statusUpdateCols+` FROM status_updates WHERE 1 = 1`+where+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list status updates: %w", err)
	}
	defer rows.Close()
	us := []StatusUpdate{}
	for rows.Next() {
		u, err := scanStatusUpdate(rows)
		if err != nil {
			return nil, fmt.Errorf("list status updates: %w", err)
		}
		if want[u.EventID] {
			us = append(us, u)
		}
	}
	return us, rows.Err()
}

// StatusGroups lists the component groups.
func (s *Store) StatusGroups(ctx context.Context) ([]StatusGroup, error) {
	return s.statusGroups(ctx, s.r)
}

func (s *Store) statusGroups(ctx context.Context, q queryer) ([]StatusGroup, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, public_id, name, description, position, created_at FROM status_groups ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	defer rows.Close()
	gs := []StatusGroup{}
	for rows.Next() {
		var g StatusGroup
		if err := rows.Scan(&g.ID, &g.PublicID, &g.Name, &g.Description, &g.Position, timeCol{&g.CreatedAt}); err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		gs = append(gs, g)
	}
	return gs, rows.Err()
}

// Components lists the public components with their linked services (not
// their history).
func (s *Store) Components(ctx context.Context) ([]StatusComponent, error) {
	return s.components(ctx, s.r, false)
}

func (s *Store) components(ctx context.Context, q queryer, history bool) ([]StatusComponent, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, public_id, name, description, group_id, position, status, created_at, updated_at FROM status_components ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("list components: %w", err)
	}
	cs := []StatusComponent{}
	idx := map[int64]int{}
	for rows.Next() {
		var c StatusComponent
		if err := rows.Scan(&c.ID, &c.PublicID, &c.Name, &c.Description, &c.GroupID, &c.Position, &c.Status, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list components: %w", err)
		}
		c.ServiceIDs = []int64{}
		idx[c.ID] = len(cs)
		cs = append(cs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	links, err := q.QueryContext(ctx, `SELECT component_id, service_id FROM status_component_services ORDER BY component_id, service_id`)
	if err != nil {
		return nil, fmt.Errorf("component services: %w", err)
	}
	for links.Next() {
		var cid, sid int64
		if err := links.Scan(&cid, &sid); err != nil {
			links.Close()
			return nil, fmt.Errorf("component services: %w", err)
		}
		if i, ok := idx[cid]; ok {
			cs[i].ServiceIDs = append(cs[i].ServiceIDs, sid)
		}
	}
	links.Close()
	if err := links.Err(); err != nil {
		return nil, err
	}
	if !history {
		return cs, nil
	}
	// The page shows 90 days: read the changes since then, and for each
	// component the last change before, as its status at the start.
	cutoff := fmtTime(s.now().UTC().AddDate(0, 0, -historyDays))
	before, err := q.QueryContext(ctx, `SELECT h.component_id, h.at, h.status FROM status_component_history h
		WHERE h.at < $1 AND h.id = (SELECT max(h2.id) FROM status_component_history h2 WHERE h2.component_id = h.component_id AND h2.at < $1)
		ORDER BY h.component_id`, cutoff)
	if err != nil {
		return nil, fmt.Errorf("component history: %w", err)
	}
	for before.Next() {
		var cid int64
		var ch StatusChange
		if err := before.Scan(&cid, timeCol{&ch.At}, &ch.Status); err != nil {
			before.Close()
			return nil, fmt.Errorf("component history: %w", err)
		}
		if i, ok := idx[cid]; ok {
			cs[i].History = append(cs[i].History, ch)
		}
	}
	before.Close()
	if err := before.Err(); err != nil {
		return nil, err
	}
	hist, err := q.QueryContext(ctx, `SELECT component_id, at, status FROM status_component_history WHERE at >= $1 ORDER BY at, id`, cutoff)
	if err != nil {
		return nil, fmt.Errorf("component history: %w", err)
	}
	defer hist.Close()
	for hist.Next() {
		var cid int64
		var ch StatusChange
		if err := hist.Scan(&cid, timeCol{&ch.At}, &ch.Status); err != nil {
			return nil, fmt.Errorf("component history: %w", err)
		}
		if i, ok := idx[cid]; ok {
			cs[i].History = append(cs[i].History, ch)
		}
	}
	return cs, hist.Err()
}

// StatusChannels lists the alternative support channels.
func (s *Store) StatusChannels(ctx context.Context) ([]StatusChannel, error) {
	return s.statusChannels(ctx, s.r)
}

func (s *Store) statusChannels(ctx context.Context, q queryer) ([]StatusChannel, error) {
	rows, err := q.QueryContext(ctx, `SELECT kind, label, value, note FROM status_channels ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	defer rows.Close()
	chs := []StatusChannel{}
	for rows.Next() {
		var c StatusChannel
		if err := rows.Scan(&c.Kind, &c.Label, &c.Value, &c.Note); err != nil {
			return nil, fmt.Errorf("list channels: %w", err)
		}
		chs = append(chs, c)
	}
	return chs, rows.Err()
}

// StatusData reads everything the public page shows, consistently (one
// read transaction), from the status_* tables alone: published events
// with published updates only.
func (s *Store) StatusData(ctx context.Context) (StatusData, error) {
	opt := &sql.TxOptions{ReadOnly: true}
	if s.dialect == Postgres {
		opt.Isolation = sql.LevelRepeatableRead // one snapshot for every query
	}
	tx, err := s.r.BeginTx(ctx, opt)
	if err != nil {
		return StatusData{}, fmt.Errorf("read status: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	return s.statusData(ctx, tx)
}

func (s *Store) statusData(ctx context.Context, tx queryer) (StatusData, error) {
	var d StatusData
	var err error
	if err := tx.QueryRowContext(ctx, `SELECT version FROM status_version WHERE id = 1`).Scan(&d.Version); err != nil {
		return d, fmt.Errorf("status version: %w", err)
	}
	if d.Settings, err = s.statusSettings(ctx, tx); err != nil {
		return d, err
	}
	if d.Groups, err = s.statusGroups(ctx, tx); err != nil {
		return d, err
	}
	if d.Components, err = s.components(ctx, tx, true); err != nil {
		return d, err
	}
	if d.Channels, err = s.statusChannels(ctx, tx); err != nil {
		return d, err
	}
	if d.Events, err = s.statusEvents(ctx, tx, "", true); err != nil {
		return d, err
	}
	return d, nil
}

// ListenStatus calls changed whenever a transaction that changed the public
// page commits, on any replica, until ctx ends or the connection fails. It
// holds one connection of the pool. PostgreSQL only (LISTEN/NOTIFY); with
// SQLite it returns errors.ErrUnsupported at once, and callers poll
// StatusVersion instead.
func (s *Store) ListenStatus(ctx context.Context, changed func()) error {
	if s.dialect != Postgres {
		return errors.ErrUnsupported
	}
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("listen for status changes: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("listen for status changes: driver connection is %T", dc)
		}
		c := pc.Conn()
		if _, err := c.Exec(ctx, "LISTEN "+StatusChannelName); err != nil {
			return fmt.Errorf("listen for status changes: %w", err)
		}
		for {
			if _, err := c.WaitForNotification(ctx); err != nil {
				// The connection is in an unknown state after an
				// interrupted wait: discard it rather than return it.
				_ = c.Close(context.WithoutCancel(ctx))
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("listen for status changes: %w", err)
			}
			changed()
		}
	})
}
