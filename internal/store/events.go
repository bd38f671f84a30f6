package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

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
