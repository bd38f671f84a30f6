package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// AppendEvent adds an event to an incident's timeline. Empty kind, source
// and visibility default to note, person and internal; a zero OccurredAt
// means now.
func (s *Store) AppendEvent(ctx context.Context, actor, ref string, e incident.Event) (incident.Event, error) {
	e.Actor = actor
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		id, err := s.incidentID(ctx, tx, ref)
		if err != nil {
			return err
		}
		if e.Corrects != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE id = $1 AND incident_id = $2`, e.Corrects, id).Scan(&n); err != nil {
				return fmt.Errorf("find corrected event: %w", err)
			}
			if n == 0 {
				return &incident.ValidationError{Field: "corrects", Reason: fmt.Sprintf("event %d is not on this incident's timeline", e.Corrects)}
			}
		}
		if e, err = s.appendEvent(ctx, tx, id, e); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "event.append", ref, fmt.Sprintf("event/%d", e.ID), map[string]any{"kind": e.Kind, "text": e.Text})
	})
	return e, err
}

// appendEvent validates and inserts e inside tx, without auditing: callers
// audit the operation that caused it.
func (s *Store) appendEvent(ctx context.Context, tx *sql.Tx, incID int64, e incident.Event) (incident.Event, error) {
	now := s.now().UTC()
	e.Kind = orDefault(e.Kind, incident.KindNote)
	e.Source = orDefault(e.Source, incident.SourcePerson)
	e.Visibility = orDefault(e.Visibility, incident.VisibilityInternal)
	if e.OccurredAt.IsZero() {
		e.OccurredAt = now
	}
	e.OccurredAt = e.OccurredAt.UTC()
	e.RecordedAt = now
	if e.Links == nil {
		e.Links = []incident.Link{}
	}
	if err := e.Validate(); err != nil {
		return e, err
	}
	links, _ := json.Marshal(e.Links)
	if err := tx.QueryRowContext(ctx, `INSERT INTO events (incident_id, occurred_at, recorded_at, kind, actor, text, source, visibility, corrects, links)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		incID, fmtTime(e.OccurredAt), fmtTime(now), e.Kind, e.Actor, e.Text, e.Source, e.Visibility, e.Corrects, string(links)).Scan(&e.ID); err != nil {
		return e, fmt.Errorf("append event: %w", err)
	}
	return e, nil
}

// jsonCol scans stored JSON text into v.
type jsonCol struct{ v any }

func (c jsonCol) Scan(src any) error {
	s, err := textOf(src)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(s), c.v); err != nil {
		return fmt.Errorf("stored JSON: %w", err)
	}
	return nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", v, err)) // only our own plain types get here
	}
	return string(b)
}

// ListEvents returns a page of an incident's timeline in the order recorded.
func (s *Store) ListEvents(ctx context.Context, ref string, p Page) ([]incident.Event, error) {
	id, err := s.incidentID(ctx, s.r, ref)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, occurred_at, recorded_at, kind, actor, text, source, visibility, corrects, links
		FROM events WHERE incident_id = $1 AND id > $2 ORDER BY id LIMIT $3`, id, p.After, p.limit())
	if err != nil {
		return nil, fmt.Errorf("list events of %s: %w", ref, err)
	}
	defer rows.Close()
	out := []incident.Event{}
	for rows.Next() {
		var e incident.Event
		if err := rows.Scan(&e.ID, timeCol{&e.OccurredAt}, timeCol{&e.RecordedAt}, &e.Kind, &e.Actor, &e.Text, &e.Source, &e.Visibility,
			&e.Corrects, jsonCol{&e.Links}); err != nil {
			return nil, fmt.Errorf("list events of %s: %w", ref, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// TimelineQuery selects events newest first by when they happened: those
// before the cursor (zero: from the newest), optionally of some kinds and one
// source.
type TimelineQuery struct {
	Before TimelineCursor
	Limit  int
	Kinds  []incident.EventKind
	Source incident.Source
}

// Timeline returns events of an incident newest first, for reading; use
// ListEvents to walk the whole timeline in order.
func (s *Store) Timeline(ctx context.Context, ref string, tq TimelineQuery) ([]incident.Event, error) {
	id, err := s.incidentID(ctx, s.r, ref)
	if err != nil {
		return nil, err
	}
	q := `SELECT id, occurred_at, recorded_at, kind, actor, text, source, visibility, corrects, links FROM events WHERE incident_id = $1`
	args := []any{id}
	if tq.Before.ID > 0 {
		args = append(args, fmtTime(tq.Before.At), tq.Before.ID)
		q += fmt.Sprintf(` AND (occurred_at < $%d OR (occurred_at = $%d AND id < $%d))`, len(args)-1, len(args)-1, len(args))
	}
	if len(tq.Kinds) > 0 {
		var ph []string
		for _, k := range tq.Kinds {
			args = append(args, k)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		q += ` AND kind IN (` + strings.Join(ph, ", ") + `)`
	}
	if tq.Source != "" {
		args = append(args, tq.Source)
		q += fmt.Sprintf(` AND source = $%d`, len(args))
	}
	args = append(args, Page{Limit: tq.Limit}.limit())
	q += fmt.Sprintf(` ORDER BY occurred_at DESC, id DESC LIMIT $%d`, len(args))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", ref, err)
	}
	defer rows.Close()
	out := []incident.Event{}
	for rows.Next() {
		var e incident.Event
		if err := rows.Scan(&e.ID, timeCol{&e.OccurredAt}, timeCol{&e.RecordedAt}, &e.Kind, &e.Actor, &e.Text, &e.Source, &e.Visibility,
			&e.Corrects, jsonCol{&e.Links}); err != nil {
			return nil, fmt.Errorf("timeline of %s: %w", ref, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// TimelineCursor marks a place in a timeline read newest first.
type TimelineCursor struct {
	At time.Time
	ID int64
}

// CursorAfter returns the cursor that continues after event e.
func CursorAfter(e incident.Event) TimelineCursor { return TimelineCursor{e.OccurredAt, e.ID} }

// String encodes the cursor for a URL.
func (c TimelineCursor) String() string {
	if c.ID == 0 {
		return ""
	}
	return fmt.Sprintf("%d.%d", c.At.UnixNano(), c.ID)
}

// ParseTimelineCursor decodes String's form; empty gives the zero cursor.
func ParseTimelineCursor(v string) (TimelineCursor, error) {
	if v == "" {
		return TimelineCursor{}, nil
	}
	var ns, id int64
	if _, err := fmt.Sscanf(v, "%d.%d", &ns, &id); err != nil || id <= 0 {
		return TimelineCursor{}, fmt.Errorf("%q is not a timeline position", v)
	}
	return TimelineCursor{time.Unix(0, ns).UTC(), id}, nil
}

// LastEventID returns the id of the most recently recorded event of an
// incident, or 0 when its timeline is empty.
func (s *Store) LastEventID(ctx context.Context, ref string) (int64, error) {
	id, err := s.incidentID(ctx, s.r, ref)
	if err != nil {
		return 0, err
	}
	var last int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM events WHERE incident_id = $1`, id).Scan(&last); err != nil {
		return 0, fmt.Errorf("last event of %s: %w", ref, err)
	}
	return last, nil
}
