package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// MaxBatch bounds how many items one batch call may carry.
const MaxBatch = 5000

const indicatorCols = `id, type, value, confidence, tlp, source, tags, first_seen, last_seen, expires_at, note, created_by, created_at`

func scanIndicator(row interface{ Scan(...any) error }) (incident.Indicator, error) {
	var i incident.Indicator
	err := row.Scan(&i.ID, &i.Type, &i.Value, &i.Confidence, &i.TLP, &i.Source, jsonCol{&i.Tags}, nullTimeCol{&i.FirstSeen}, nullTimeCol{&i.LastSeen},
		nullTimeCol{&i.ExpiresAt}, &i.Note, &i.CreatedBy, timeCol{&i.CreatedAt})
	return i, err
}

// AddIndicators adds a batch of indicators to an incident, all or none. An
// indicator whose type and (normalised) value the incident already holds
// is not added again: the stored one is returned, with created false.
func (s *Store) AddIndicators(ctx context.Context, actor, ref string, in []incident.Indicator) ([]incident.Indicator, []bool, error) {
	if len(in) > MaxBatch {
		return nil, nil, &incident.ValidationError{Field: "indicators", Reason: fmt.Sprintf("%d items, the limit per call is %d", len(in), MaxBatch)}
	}
	now := s.now().UTC()
	for i := range in {
		ind := &in[i]
		ind.TLP = orDefault(ind.TLP, incident.TLPAmber)
		if ind.Confidence == 0 {
			ind.Confidence = 50
		}
		if ind.Tags == nil {
			ind.Tags = []string{}
		}
		if err := ind.Validate(); err != nil {
			var ve *incident.ValidationError
			if errors.As(err, &ve) {
				ve.Field = fmt.Sprintf("indicators[%d].%s", i, ve.Field)
			}
			return nil, nil, err
		}
		ind.CreatedBy, ind.CreatedAt = actor, now
	}
	created := make([]bool, len(in))
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		incID, err := s.incidentID(ctx, tx, ref)
		if err != nil {
			return err
		}
		var added []string
		for i := range in {
			ind := &in[i]
			err := tx.QueryRowContext(ctx, `INSERT INTO indicators (incident_id, type, value, confidence, tlp, source, tags, first_seen, last_seen, expires_at, note, created_by, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (incident_id, type, value) DO NOTHING RETURNING id`,
				incID, ind.Type, ind.Value, ind.Confidence, ind.TLP, ind.Source, jsonText(ind.Tags), fmtTimePtr(ind.FirstSeen), fmtTimePtr(ind.LastSeen),
				fmtTimePtr(ind.ExpiresAt), ind.Note, actor, fmtTime(now)).Scan(&ind.ID)
			if err == sql.ErrNoRows {
				existing, err := scanIndicator(tx.QueryRowContext(ctx, `SELECT `+indicatorCols+` FROM indicators WHERE incident_id = $1 AND type = $2 AND value = $3`, incID, ind.Type, ind.Value))
				if err != nil {
					return fmt.Errorf("load existing indicator: %w", err)
				}
				*ind = existing
				continue
			}
			if err != nil {
				return fmt.Errorf("add indicator: %w", err)
			}
			created[i] = true
			added = append(added, string(ind.Type)+":"+ind.Value)
		}
		if len(added) == 0 {
			return nil
		}
		return s.audit(ctx, tx, actor, "indicator.add", ref, "", map[string]any{"count": len(added), "values": added})
	})
	if err != nil {
		return nil, nil, err
	}
	return in, created, nil
}

// ListIndicators returns a page of an incident's indicators.
func (s *Store) ListIndicators(ctx context.Context, ref string, p Page) ([]incident.Indicator, error) {
	return s.ListIndicatorsFor(ctx, ref, p, "")
}

// ListIndicatorsFor is ListIndicators as seen by viewer, who is not named
// on the incident: TLP:RED indicators are for named people only, so only
// those viewer added are listed. An empty viewer sees them all.
func (s *Store) ListIndicatorsFor(ctx context.Context, ref string, p Page, viewer string) ([]incident.Indicator, error) {
	id, err := s.incidentID(ctx, s.r, ref)
	if err != nil {
		return nil, err
	}
	q, args := `SELECT `+indicatorCols+` FROM indicators WHERE incident_id = $1 AND id > $2`, []any{id, p.After}
	if viewer != "" {
		q += ` AND (tlp <> $3 OR created_by = $4)`
		args = append(args, incident.TLPRed, viewer)
	}
	args = append(args, p.limit())
	rows, err := s.r.QueryContext(ctx, q+fmt.Sprintf(` ORDER BY id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list indicators of %s: %w", ref, err)
	}
	defer rows.Close()
	out := []incident.Indicator{}
	for rows.Next() {
		ind, err := scanIndicator(rows)
		if err != nil {
			return nil, fmt.Errorf("list indicators of %s: %w", ref, err)
		}
		out = append(out, ind)
	}
	return out, rows.Err()
}

func findingText(f incident.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Finding (%s, %s): %s", f.Rule, f.Severity, f.Title)
	if f.Host != "" {
		fmt.Fprintf(&b, " on %s", f.Host)
	}
	if f.File != "" {
		fmt.Fprintf(&b, " in %s", f.File)
		if f.Line > 0 {
			fmt.Fprintf(&b, ":%d", f.Line)
		}
	}
	if f.Indicator != "" {
		fmt.Fprintf(&b, " matching %s", f.Indicator)
	}
	return b.String()
}
