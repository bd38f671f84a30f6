package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

const findingCols = `id, key, rule, title, severity, host, file, line, indicator, log_time, fields, state, reason, event_id, created_by, created_at`

func scanFinding(row interface{ Scan(...any) error }) (incident.Finding, error) {
	var f incident.Finding
	err := row.Scan(&f.ID, &f.Key, &f.Rule, &f.Title, &f.Severity, &f.Host, &f.File, &f.Line, &f.Indicator, nullTimeCol{&f.LogTime},
		jsonCol{&f.Fields}, &f.State, &f.Reason, &f.EventID, &f.CreatedBy, timeCol{&f.CreatedAt})
	return f, err
}

// AddFindings records a batch of findings, all or none. Each finding's Key
// makes the call idempotent: a key the incident already holds returns the
// stored finding with created false. Each new finding lands on the timeline.
func (s *Store) AddFindings(ctx context.Context, actor, ref string, in []incident.Finding) ([]incident.Finding, []bool, error) {
	if len(in) > MaxBatch {
		return nil, nil, &incident.ValidationError{Field: "findings", Reason: fmt.Sprintf("%d items, the limit per call is %d", len(in), MaxBatch)}
	}
	now := s.now().UTC()
	for i := range in {
		f := &in[i]
		f.State = orDefault(f.State, incident.FindingNew)
		f.Severity = orDefault(f.Severity, incident.SeverityMedium)
		if f.Fields == nil {
			f.Fields = map[string]string{}
		}
		if err := f.Validate(); err != nil {
			var ve *incident.ValidationError
			if errors.As(err, &ve) {
				ve.Field = fmt.Sprintf("findings[%d].%s", i, ve.Field)
			}
			return nil, nil, err
		}
		f.CreatedBy, f.CreatedAt = actor, now
	}
	created := make([]bool, len(in))
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		incID, err := s.incidentID(ctx, tx, ref)
		if err != nil {
			return err
		}
		n := 0
		for i := range in {
			f := &in[i]
			// Insert first: a key already stored (by an earlier call, earlier
			// in this batch, or another replica) conflicts and is returned as is.
			err := tx.QueryRowContext(ctx, `INSERT INTO findings (incident_id, key, rule, title, severity, host, file, line, indicator, log_time, fields, state, reason, event_id, created_by, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $15) ON CONFLICT (incident_id, key) DO NOTHING RETURNING id`,
				incID, f.Key, f.Rule, f.Title, f.Severity, f.Host, f.File, f.Line, f.Indicator, fmtTimePtr(f.LogTime), jsonText(f.Fields),
				f.State, f.Reason, actor, fmtTime(now)).Scan(&f.ID)
			if errors.Is(err, sql.ErrNoRows) {
				existing, err := scanFinding(tx.QueryRowContext(ctx, `SELECT `+findingCols+` FROM findings WHERE incident_id = $1 AND key = $2`, incID, f.Key))
				if err != nil {
					return fmt.Errorf("load existing finding: %w", err)
				}
				*f = existing
				continue
			} else if err != nil {
				return fmt.Errorf("add finding: %w", err)
			}
			ev, err := s.appendEvent(ctx, tx, incID, incident.Event{Kind: incident.KindFinding, Actor: actor, Source: incident.SourceHunt,
				Text: findingText(*f), OccurredAt: orTime(f.LogTime, now), Links: []incident.Link{{Type: "finding", ID: f.ID}}})
			if err != nil {
				return err
			}
			f.EventID = ev.ID
			if _, err := tx.ExecContext(ctx, `UPDATE findings SET event_id = $1 WHERE id = $2`, ev.ID, f.ID); err != nil {
				return fmt.Errorf("link finding to its event: %w", err)
			}
			created[i] = true
			n++
		}
		if n == 0 {
			return nil
		}
		return s.audit(ctx, tx, actor, "finding.add", ref, "", map[string]int{"count": n})
	})
	if err != nil {
		return nil, nil, err
	}
	return in, created, nil
}

func orTime(t *time.Time, def time.Time) time.Time {
	if t == nil {
		return def
	}
	return *t
}

// ListFindings returns a page of an incident's findings.
func (s *Store) ListFindings(ctx context.Context, ref string, p Page) ([]incident.Finding, error) {
	return s.ListFindingsFor(ctx, ref, p, "")
}

// ListFindingsFor is ListFindings as seen by viewer, who is not named on
// the incident: a finding that matched a TLP:RED indicator of the incident
// carries its value, so it is listed only when viewer added that
// indicator (see ListIndicatorsFor). An empty viewer sees them all.
func (s *Store) ListFindingsFor(ctx context.Context, ref string, p Page, viewer string) ([]incident.Finding, error) {
	id, err := s.incidentID(ctx, s.r, ref)
	if err != nil {
		return nil, err
	}
	q, args := `SELECT `+findingCols+` FROM findings WHERE incident_id = $1 AND id > $2`, []any{id, p.After}
	if viewer != "" {
		q += ` AND NOT EXISTS (SELECT 1 FROM indicators i WHERE i.incident_id = findings.incident_id AND findings.indicator <> ''
			AND i.value = findings.indicator AND i.tlp = $3 AND i.created_by <> $4)`
		args = append(args, incident.TLPRed, viewer)
	}
	args = append(args, p.limit())
	rows, err := s.r.QueryContext(ctx, q+fmt.Sprintf(` ORDER BY id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list findings of %s: %w", ref, err)
	}
	defer rows.Close()
	out := []incident.Finding{}
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return nil, fmt.Errorf("list findings of %s: %w", ref, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// TriageFinding confirms or dismisses a finding; the reason is required and
// the decision lands on the timeline.
func (s *Store) TriageFinding(ctx context.Context, actor, ref string, findingID int64, state incident.FindingState, reason string) (incident.Finding, error) {
	var f incident.Finding
	if err := firstValid(checkEnumErr("state", state, incident.FindingStates), requiredText("reason", reason)); err != nil {
		return f, err
	}
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		incID, err := s.incidentID(ctx, tx, ref)
		if err != nil {
			return err
		}
		f, err = scanFinding(tx.QueryRowContext(ctx, `SELECT `+findingCols+` FROM findings WHERE id = $1 AND incident_id = $2`, findingID, incID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("finding %d: %w", findingID, ErrNotFound)
		} else if err != nil {
			return fmt.Errorf("load finding %d: %w", findingID, err)
		}
		f.State, f.Reason = state, reason
		if _, err := tx.ExecContext(ctx, `UPDATE findings SET state = $1, reason = $2 WHERE id = $3`, state, reason, f.ID); err != nil {
			return fmt.Errorf("triage finding %d: %w", findingID, err)
		}
		if _, err := s.appendEvent(ctx, tx, incID, incident.Event{Kind: incident.KindDecision, Actor: actor,
			Text:  fmt.Sprintf("Finding %d (%s) %s. Reason: %s", f.ID, f.Title, state, reason),
			Links: []incident.Link{{Type: "finding", ID: f.ID}}}); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "finding.triage", ref, fmt.Sprintf("finding/%d", f.ID), map[string]string{"state": string(state), "reason": reason})
	})
	return f, err
}
