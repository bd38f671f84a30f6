package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

const assetCols = `id, name, kind, region, internet_facing, criticality, compromise, operational, notes, updated_at`

func scanAsset(row interface{ Scan(...any) error }) (incident.Asset, error) {
	var a incident.Asset
	var facing int
	err := row.Scan(&a.ID, &a.Name, &a.Kind, &a.Region, &facing, &a.Criticality, &a.Compromise, &a.Operational, &a.Notes, timeCol{&a.UpdatedAt})
	a.InternetFacing = facing != 0
	return a, err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateAsset adds an asset to an incident. Empty enums default to host,
// medium criticality, unknown compromise and online.
func (s *Store) CreateAsset(ctx context.Context, actor, ref string, a incident.Asset) (incident.Asset, error) {
	a.Kind = orDefault(a.Kind, incident.AssetHost)
	a.Criticality = orDefault(a.Criticality, incident.CriticalityMedium)
	a.Compromise = orDefault(a.Compromise, incident.CompromiseUnknown)
	a.Operational = orDefault(a.Operational, incident.OpOnline)
	if err := a.Validate(); err != nil {
		return a, err
	}
	a.UpdatedAt = s.now().UTC()
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		id, err := s.incidentID(ctx, tx, ref)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO assets (incident_id, name, kind, region, internet_facing, criticality, compromise, operational, notes, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			id, a.Name, a.Kind, a.Region, b2i(a.InternetFacing), a.Criticality, a.Compromise, a.Operational, a.Notes, fmtTime(a.UpdatedAt)).Scan(&a.ID); err != nil {
			if isUnique(err) {
				return fmt.Errorf("asset %q: %w", a.Name, ErrConflict)
			}
			return fmt.Errorf("create asset: %w", err)
		}
		return s.audit(ctx, tx, actor, "asset.create", ref, fmt.Sprintf("asset/%d", a.ID), a)
	})
	return a, err
}

func (s *Store) getAsset(ctx context.Context, q queryer, incID, assetID int64) (incident.Asset, error) {
	a, err := scanAsset(q.QueryRowContext(ctx, `SELECT `+assetCols+` FROM assets WHERE id = $1 AND incident_id = $2`, assetID, incID))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("asset %d: %w", assetID, ErrNotFound)
	} else if err != nil {
		return a, fmt.Errorf("load asset %d: %w", assetID, err)
	}
	return a, nil
}

// AssetPatch changes some fields of an asset. A compromise change needs a
// Reason and lands on the timeline. Operational state changes go through
// SetOperational.
type AssetPatch struct {
	Kind           *incident.AssetKind   `json:"kind"`
	Region         *string               `json:"region"`
	InternetFacing *bool                 `json:"internet_facing"`
	Criticality    *incident.Criticality `json:"criticality"`
	Compromise     *incident.Compromise  `json:"compromise"`
	Notes          *string               `json:"notes"`
	Reason         string                `json:"reason"`
}

// UpdateAsset applies a patch to an asset of an incident.
func (s *Store) UpdateAsset(ctx context.Context, actor, ref string, assetID int64, p AssetPatch) (incident.Asset, error) {
	var a incident.Asset
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		incID, err := s.incidentID(ctx, tx, ref)
		if err != nil {
			return err
		}
		if a, err = s.getAsset(ctx, tx, incID, assetID); err != nil {
			return err
		}
		old := a
		set(&a.Kind, p.Kind)
		set(&a.Region, p.Region)
		set(&a.InternetFacing, p.InternetFacing)
		set(&a.Criticality, p.Criticality)
		set(&a.Compromise, p.Compromise)
		set(&a.Notes, p.Notes)
		if err := a.Validate(); err != nil {
			return err
		}
		now := s.now().UTC()
		a.UpdatedAt = now
		if a.Compromise != old.Compromise {
			if p.Reason == "" {
				return &incident.ValidationError{Field: "reason", Reason: "is required to change an asset's compromise state"}
			}
			if _, err := s.appendEvent(ctx, tx, incID, incident.Event{Kind: incident.KindFinding, Actor: actor, OccurredAt: now,
				Text:  fmt.Sprintf("Asset %s marked %s (was %s). Reason: %s", a.Name, a.Compromise, old.Compromise, p.Reason),
				Links: []incident.Link{{Type: "asset", ID: a.ID}}}); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE assets SET kind = $1, region = $2, internet_facing = $3, criticality = $4, compromise = $5, notes = $6, updated_at = $7 WHERE id = $8`,
			a.Kind, a.Region, b2i(a.InternetFacing), a.Criticality, a.Compromise, a.Notes, fmtTime(now), a.ID); err != nil {
			return fmt.Errorf("update asset %d: %w", assetID, err)
		}
		return s.audit(ctx, tx, actor, "asset.update", ref, fmt.Sprintf("asset/%d", a.ID), p)
	})
	return a, err
}

// SetOperational isolates, takes offline or restores an asset. The reason
// is required; the change lands on the timeline as an action.
func (s *Store) SetOperational(ctx context.Context, actor, ref string, assetID int64, state incident.Operational, reason string) (incident.Asset, error) {
	return s.SetOperationalAt(ctx, actor, ref, assetID, state, reason, time.Time{})
}

// SetOperationalAt is SetOperational for a change that happened at a known
// earlier time (recorded now, dated then on the timeline); a zero time means now.
func (s *Store) SetOperationalAt(ctx context.Context, actor, ref string, assetID int64, state incident.Operational, reason string, at time.Time) (incident.Asset, error) {
	var a incident.Asset
	if err := firstValid(
		checkEnumErr("state", state, incident.Operationals),
		requiredText("reason", reason),
	); err != nil {
		return a, err
	}
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		incID, err := s.incidentID(ctx, tx, ref)
		if err != nil {
			return err
		}
		if a, err = s.getAsset(ctx, tx, incID, assetID); err != nil {
			return err
		}
		if a.Operational == state {
			return &incident.ValidationError{Field: "state", Reason: fmt.Sprintf("asset %s is already %s", a.Name, state)}
		}
		old := a.Operational
		now := s.now().UTC()
		a.Operational, a.UpdatedAt = state, now
		if _, err := tx.ExecContext(ctx, `UPDATE assets SET operational = $1, updated_at = $2 WHERE id = $3`, state, fmtTime(now), a.ID); err != nil {
			return fmt.Errorf("set asset %d %s: %w", assetID, state, err)
		}
		occurred := now
		if !at.IsZero() {
			occurred = at
		}
		if _, err := s.appendEvent(ctx, tx, incID, incident.Event{Kind: incident.KindAction, Actor: actor, OccurredAt: occurred,
			Text:  fmt.Sprintf("Asset %s: %s → %s. Reason: %s", a.Name, old, state, reason),
			Links: []incident.Link{{Type: "asset", ID: a.ID}}}); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "asset.operational", ref, fmt.Sprintf("asset/%d", a.ID), map[string]string{"from": string(old), "to": string(state), "reason": reason})
	})
	return a, err
}

// ListAssets returns a page of an incident's assets.
func (s *Store) ListAssets(ctx context.Context, ref string, p Page) ([]incident.Asset, error) {
	id, err := s.incidentID(ctx, s.r, ref)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+assetCols+` FROM assets WHERE incident_id = $1 AND id > $2 ORDER BY id LIMIT $3`, id, p.After, p.limit())
	if err != nil {
		return nil, fmt.Errorf("list assets of %s: %w", ref, err)
	}
	defer rows.Close()
	out := []incident.Asset{}
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, fmt.Errorf("list assets of %s: %w", ref, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
