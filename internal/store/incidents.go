package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// queryer is what reads need: a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) incidentID(ctx context.Context, q queryer, ref string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM incidents WHERE ref = $1`, ref).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("incident %s: %w", ref, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("find incident %s: %w", ref, err)
	}
	return id, nil
}

// CreateIncident stores a new incident under the next reference of the
// current year and returns it. Empty severity, phase and TLP get defaults
// (medium, detected, amber).
func (s *Store) CreateIncident(ctx context.Context, actor string, in incident.Incident) (incident.Incident, error) {
	now := s.now().UTC()
	in.Severity = orDefault(in.Severity, incident.SeverityMedium)
	in.Phase = orDefault(in.Phase, incident.PhaseDetected)
	in.TLP = orDefault(in.TLP, incident.TLPAmber)
	if err := in.Validate(); err != nil {
		return in, err
	}
	in.CreatedBy, in.CreatedAt, in.UpdatedAt = actor, now, now
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `INSERT INTO ref_counters (year, n) VALUES ($1, 1)
			ON CONFLICT (year) DO UPDATE SET n = ref_counters.n + 1 RETURNING n`, now.Year()).Scan(&n); err != nil {
			return fmt.Errorf("next incident reference: %w", err)
		}
		in.Ref = incident.FormatRef(now.Year(), n)
		if err := tx.QueryRowContext(ctx, `INSERT INTO incidents (ref, title, summary, severity, phase, tlp, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			in.Ref, in.Title, in.Summary, in.Severity, in.Phase, in.TLP, actor, fmtTime(now), fmtTime(now)).Scan(&in.ID); err != nil {
			return fmt.Errorf("create incident: %w", err)
		}
		for a, set := range in.Anchors {
			set.SetBy, set.SetAt = actor, now
			if err := s.setAnchor(ctx, tx, in.ID, a, set); err != nil {
				return err
			}
			in.Anchors[a] = set
		}
		if _, err := s.appendEvent(ctx, tx, in.ID, incident.Event{Kind: incident.KindNote, Actor: actor, Source: incident.SourceSystem,
			Text: "Incident opened: " + in.Title, OccurredAt: now}); err != nil {
			return err
		}
		if in.TLP == incident.TLPRed {
			if err := s.name(ctx, tx, actor, in.ID); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, actor, "incident.create", in.Ref, "", in)
	})
	if in.Anchors == nil {
		in.Anchors = map[incident.Anchor]incident.AnchorSetting{}
	}
	return in, err
}

// name adds user actor to the people named on an incident (a no-op for an
// actor that is not a user, such as the system).
func (s *Store) name(ctx context.Context, tx *sql.Tx, actor string, incidentID int64) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO guest_scopes (user_id, incident_id) SELECT id, $2 FROM users WHERE name = $1 ON CONFLICT DO NOTHING`,
		actor, incidentID); err != nil {
		return fmt.Errorf("name %s on incident: %w", actor, err)
	}
	return nil
}

// IncidentAccess returns what deciding who may see an incident needs: its
// TLP and who opened it. ErrNotFound when there is no such incident.
func (s *Store) IncidentAccess(ctx context.Context, ref string) (tlp incident.TLP, createdBy string, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT tlp, created_by FROM incidents WHERE ref = $1`, ref).Scan(&tlp, &createdBy)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("incident %s: %w", ref, ErrNotFound)
	}
	if err != nil {
		return "", "", fmt.Errorf("incident %s: %w", ref, err)
	}
	return tlp, createdBy, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (s *Store) setAnchor(ctx context.Context, tx *sql.Tx, incID int64, a incident.Anchor, set incident.AnchorSetting) error {
	if !containsAnchor(a) {
		return &incident.ValidationError{Field: "anchors", Reason: fmt.Sprintf("%q is not one of %v", a, incident.Anchors)}
	}
	if set.At.IsZero() {
		return &incident.ValidationError{Field: "anchors." + string(a) + ".at", Reason: "is required"}
	}
	if strings.TrimSpace(set.Reason) == "" {
		return &incident.ValidationError{Field: "anchors." + string(a) + ".reason", Reason: "is required: say why this is the moment"}
	}
	if len(set.Reason) > incident.MaxText {
		return &incident.ValidationError{Field: "anchors." + string(a) + ".reason", Reason: "is too long"}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO incident_anchors (incident_id, anchor, at, set_by, set_at, reason) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (incident_id, anchor) DO UPDATE SET at = excluded.at, set_by = excluded.set_by, set_at = excluded.set_at, reason = excluded.reason`,
		incID, a, fmtTime(set.At), set.SetBy, fmtTime(set.SetAt), set.Reason)
	if err != nil {
		return fmt.Errorf("set anchor %s: %w", a, err)
	}
	return nil
}

func containsAnchor(a incident.Anchor) bool {
	for _, x := range incident.Anchors {
		if x == a {
			return true
		}
	}
	return false
}

const incidentCols = `id, ref, title, summary, severity, phase, tlp, created_by, created_at, updated_at`

func scanIncident(row interface{ Scan(...any) error }) (incident.Incident, error) {
	var in incident.Incident
	err := row.Scan(&in.ID, &in.Ref, &in.Title, &in.Summary, &in.Severity, &in.Phase, &in.TLP, &in.CreatedBy,
		timeCol{&in.CreatedAt}, timeCol{&in.UpdatedAt})
	in.Anchors = map[incident.Anchor]incident.AnchorSetting{}
	return in, err
}

// GetIncident returns the incident with reference ref, anchors included.
func (s *Store) GetIncident(ctx context.Context, ref string) (incident.Incident, error) {
	return s.getIncident(ctx, s.r, ref)
}

func (s *Store) getIncident(ctx context.Context, q queryer, ref string) (incident.Incident, error) {
	in, err := scanIncident(q.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents WHERE ref = $1`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return in, fmt.Errorf("incident %s: %w", ref, ErrNotFound)
	}
	if err != nil {
		return in, fmt.Errorf("load incident %s: %w", ref, err)
	}
	in.Anchors = map[incident.Anchor]incident.AnchorSetting{}
	rows, err := q.QueryContext(ctx, `SELECT anchor, at, set_by, set_at, reason FROM incident_anchors WHERE incident_id = $1`, in.ID)
	if err != nil {
		return in, fmt.Errorf("load anchors of %s: %w", ref, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a incident.Anchor
		var set incident.AnchorSetting
		if err := rows.Scan(&a, timeCol{&set.At}, &set.SetBy, timeCol{&set.SetAt}, &set.Reason); err != nil {
			return in, fmt.Errorf("load anchors of %s: %w", ref, err)
		}
		in.Anchors[a] = set
	}
	return in, rows.Err()
}

// IncidentFilter narrows ListIncidents.
type IncidentFilter struct {
	// Refs, when not nil, limits the list to these incidents (guests).
	Refs []string
	// Viewer, when set, leaves out the TLP:RED incidents that Viewer did
	// not open and is not named on (Named: the references Viewer is named
	// on). TLP:RED is for named people only.
	Viewer   string
	Named    []string
	Phase    incident.Phase
	Severity incident.Severity
	// AssignedTo keeps incidents with an unfinished task assigned to this name.
	AssignedTo string
	// Newest lists the most recent first; Page.After is then ignored.
	Newest bool
	Page   Page
}

// ListIncidents returns incidents in creation order, without anchors.
func (s *Store) ListIncidents(ctx context.Context, f IncidentFilter) ([]incident.Incident, error) {
	q := `SELECT ` + incidentCols + ` FROM incidents WHERE id > $1`
	args := []any{f.Page.After}
	if f.Newest {
		args[0] = 0
	}
	if f.Phase != "" {
		args = append(args, f.Phase)
		q += fmt.Sprintf(` AND phase = $%d`, len(args))
	}
	if f.Severity != "" {
		args = append(args, f.Severity)
		q += fmt.Sprintf(` AND severity = $%d`, len(args))
	}
	if f.AssignedTo != "" {
		args = append(args, f.AssignedTo)
		q += fmt.Sprintf(` AND EXISTS (SELECT 1 FROM tasks t WHERE t.incident_id = incidents.id AND t.assignee = $%d AND t.state NOT IN ('done', 'cancelled'))`, len(args))
	}
	if f.Viewer != "" {
		args = append(args, incident.TLPRed, f.Viewer)
		cond := fmt.Sprintf(`tlp <> $%d OR created_by = $%d`, len(args)-1, len(args))
		for _, r := range f.Named {
			args = append(args, r)
			cond += fmt.Sprintf(` OR ref = $%d`, len(args))
		}
		q += ` AND (` + cond + `)`
	}
	if f.Refs != nil {
		if len(f.Refs) == 0 {
			return nil, nil
		}
		var ph []string
		for _, r := range f.Refs {
			args = append(args, r)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		q += ` AND ref IN (` + strings.Join(ph, ", ") + `)`
	}
	args = append(args, f.Page.limit())
	order := "id"
	if f.Newest {
		order = "id DESC"
	}
	q += fmt.Sprintf(` ORDER BY %s LIMIT $%d`, order, len(args))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	defer rows.Close()
	var out []incident.Incident
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("list incidents: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// IncidentPatch changes some fields of an incident; nil fields stay as they are.
type IncidentPatch struct {
	Title    *string                                    `json:"title"`
	Summary  *string                                    `json:"summary"`
	Severity *incident.Severity                         `json:"severity"`
	Phase    *incident.Phase                            `json:"phase"`
	TLP      *incident.TLP                              `json:"tlp"`
	Anchors  map[incident.Anchor]incident.AnchorSetting `json:"anchors"`
	// Reason explains a phase or severity change on the timeline.
	Reason string `json:"reason"`
}

// UpdateIncident applies a patch. Phase and severity changes and every
// anchor set land on the timeline with who and why.
func (s *Store) UpdateIncident(ctx context.Context, actor, ref string, p IncidentPatch) (incident.Incident, error) {
	var out incident.Incident
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		in, err := s.getIncident(ctx, tx, ref)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		old := in
		set(&in.Title, p.Title)
		set(&in.Summary, p.Summary)
		set(&in.Severity, p.Severity)
		set(&in.Phase, p.Phase)
		set(&in.TLP, p.TLP)
		if err := in.Validate(); err != nil {
			return err
		}
		in.UpdatedAt = now
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET title = $1, summary = $2, severity = $3, phase = $4, tlp = $5, updated_at = $6 WHERE id = $7`,
			in.Title, in.Summary, in.Severity, in.Phase, in.TLP, fmtTime(now), in.ID); err != nil {
			return fmt.Errorf("update incident %s: %w", ref, err)
		}
		note := func(kind incident.EventKind, text string) error {
			if p.Reason != "" {
				text += ". Reason: " + p.Reason
			}
			_, err := s.appendEvent(ctx, tx, in.ID, incident.Event{Kind: kind, Actor: actor, Source: incident.SourcePerson, Text: text, OccurredAt: now})
			return err
		}
		if in.Phase != old.Phase {
			if err := note(incident.KindPhaseChange, fmt.Sprintf("Phase changed from %s to %s", old.Phase, in.Phase)); err != nil {
				return err
			}
		}
		if in.TLP != old.TLP {
			if err := note(incident.KindDecision, fmt.Sprintf("TLP changed from %s to %s", old.TLP, in.TLP)); err != nil {
				return err
			}
			if in.TLP == incident.TLPRed {
				// Whoever restricts an incident stays among those who see it.
				if err := s.name(ctx, tx, actor, in.ID); err != nil {
					return err
				}
			}
		}
		if in.Severity != old.Severity {
			if err := note(incident.KindDecision, fmt.Sprintf("Severity changed from %s to %s", old.Severity, in.Severity)); err != nil {
				return err
			}
		}
		for _, a := range incident.Anchors {
			setting, ok := p.Anchors[a]
			if !ok {
				continue
			}
			setting.SetBy, setting.SetAt = actor, now
			if err := s.setAnchor(ctx, tx, in.ID, a, setting); err != nil {
				return err
			}
			in.Anchors[a] = setting
			if _, err := s.appendEvent(ctx, tx, in.ID, incident.Event{Kind: incident.KindDecision, Actor: actor, Source: incident.SourcePerson,
				OccurredAt: now, Text: fmt.Sprintf("Clock anchor %s set to %s. Reason: %s", a, setting.At.UTC().Format(time.RFC3339), setting.Reason)}); err != nil {
				return err
			}
		}
		for a := range p.Anchors {
			if !containsAnchor(a) {
				return &incident.ValidationError{Field: "anchors", Reason: fmt.Sprintf("%q is not one of %v", a, incident.Anchors)}
			}
		}
		out = in
		return s.audit(ctx, tx, actor, "incident.update", ref, "", p)
	})
	return out, err
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Counts are the numbers a responder scans an incident list for.
type Counts struct {
	NewFindings int `json:"new_findings"` // signals waiting for triage
	OpenTasks   int `json:"open_tasks"`
	Events      int `json:"events"`
}

// CountsOf returns the Counts of one incident.
func (s *Store) CountsOf(ctx context.Context, ref string) (Counts, error) {
	id, err := s.incidentID(ctx, s.r, ref)
	if err != nil {
		return Counts{}, err
	}
	var c Counts
	err = s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM findings WHERE incident_id = $1 AND state = 'new'),
		(SELECT count(*) FROM tasks WHERE incident_id = $1 AND state NOT IN ('done', 'cancelled')),
		(SELECT count(*) FROM events WHERE incident_id = $1)`, id).Scan(&c.NewFindings, &c.OpenTasks, &c.Events)
	if err != nil {
		return c, fmt.Errorf("count items of %s: %w", ref, err)
	}
	return c, nil
}

// IncidentCounts returns Counts for every incident that has any, keyed by reference.
func (s *Store) IncidentCounts(ctx context.Context) (map[string]Counts, error) {
	out := map[string]Counts{}
	for _, q := range []struct {
		sql string
		set func(*Counts, int)
	}{
		{`SELECT i.ref, count(*) FROM findings f JOIN incidents i ON i.id = f.incident_id WHERE f.state = 'new' GROUP BY i.ref`, func(c *Counts, n int) { c.NewFindings = n }},
		{`SELECT i.ref, count(*) FROM tasks t JOIN incidents i ON i.id = t.incident_id WHERE t.state NOT IN ('done', 'cancelled') GROUP BY i.ref`, func(c *Counts, n int) { c.OpenTasks = n }},
		{`SELECT i.ref, count(*) FROM events e JOIN incidents i ON i.id = e.incident_id GROUP BY i.ref`, func(c *Counts, n int) { c.Events = n }},
	} {
		rows, err := s.r.QueryContext(ctx, q.sql)
		if err != nil {
			return nil, fmt.Errorf("count incident items: %w", err)
		}
		for rows.Next() {
			var ref string
			var n int
			if err := rows.Scan(&ref, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("count incident items: %w", err)
			}
			c := out[ref]
			q.set(&c, n)
			out[ref] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("count incident items: %w", err)
		}
	}
	return out, nil
}
