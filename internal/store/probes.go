package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// Probe states as stored; package probe defines their meaning.
const (
	ProbeUp       = "up"
	ProbeDegraded = "degraded"
	ProbeDown     = "down"
	ProbeUnknown  = "unknown"
)

var probeStates = []string{ProbeUp, ProbeDegraded, ProbeDown}

// ProbeState is the last known state of one service probe.
type ProbeState struct {
	Name      string
	Type      string // http, tcp or dns
	Target    string
	Component string // the status component the probe sets, or ""
	State     string // up, degraded or down
	// Since is when the streak of results that led to State began.
	Since time.Time
	// Detail is the latest result, for people ("HTTP 503").
	Detail    string
	CheckedAt time.Time
	// Bad and Good count consecutive results that were not ok, and were ok.
	Bad, Good int
	UpdatedAt time.Time // set by the store
}

// Signal reports whether the probe is one the console shows: not up.
func (p ProbeState) Signal() bool { return p.State != ProbeUp }

// ProbeTransition is one recorded change of a probe's state.
type ProbeTransition struct {
	ID       int64
	Probe    string
	From, To string
	Since    time.Time
	At       time.Time
	Detail   string
}

func (p ProbeState) validate() error {
	return firstValid(
		requiredText("name", p.Name),
		checkEnumErr("state", p.State, probeStates),
	)
}

const probeCols = `name, kind, target, component, state, since, detail, checked_at, bad_count, good_count, updated_at`

// upsertProbe writes p unless the stored row was checked later (a write
// that lost a race with a newer one must not roll the state back).
func (s *Store) upsertProbe(ctx context.Context, tx *sql.Tx, p ProbeState, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO probe_states (`+probeCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, target = excluded.target, component = excluded.component,
			state = excluded.state, since = excluded.since, detail = excluded.detail, checked_at = excluded.checked_at,
			bad_count = excluded.bad_count, good_count = excluded.good_count, updated_at = excluded.updated_at
		WHERE probe_states.checked_at <= excluded.checked_at`,
		p.Name, p.Type, p.Target, p.Component, p.State, fmtTime(p.Since), p.Detail, fmtTime(p.CheckedAt), p.Bad, p.Good, fmtTime(now))
	if err != nil {
		return fmt.Errorf("save probe %q: %w", p.Name, err)
	}
	return nil
}

// RecordProbeTransition stores a probe's new state p, reached from the
// state from, with its history row and an audit entry.
func (s *Store) RecordProbeTransition(ctx context.Context, actor, from string, p ProbeState) error {
	if err := p.validate(); err != nil {
		return err
	}
	if from != ProbeUnknown {
		if err := checkEnumErr("from", from, probeStates); err != nil {
			return err
		}
	}
	now := s.now().UTC()
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := s.upsertProbe(ctx, tx, p, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO probe_transitions (probe, from_state, to_state, since, at, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
			p.Name, from, p.State, fmtTime(p.Since), fmtTime(p.CheckedAt), p.Detail); err != nil {
			return fmt.Errorf("record probe %q transition: %w", p.Name, err)
		}
		return s.audit(ctx, tx, actor, "probe.transition", "", p.Name, map[string]string{"from": from, "to": p.State, "detail": p.Detail})
	})
}

// SaveProbeStates stores the latest check of each probe (counts, detail,
// time) in one transaction. It writes no audit entry: it is monitoring
// bookkeeping, and state changes go through RecordProbeTransition.
func (s *Store) SaveProbeStates(ctx context.Context, ps []ProbeState) error {
	if len(ps) > MaxBatch {
		return &incident.ValidationError{Field: "probes", Reason: fmt.Sprintf("%d items, the limit per call is %d", len(ps), MaxBatch)}
	}
	for i, p := range ps {
		if err := p.validate(); err != nil {
			return fmt.Errorf("probes[%d]: %w", i, err)
		}
	}
	if len(ps) == 0 {
		return nil
	}
	now := s.now().UTC()
	return s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, p := range ps {
			if err := s.upsertProbe(ctx, tx, p, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// RemoveProbes deletes the stored state of every probe not named in keep
// (probes dropped from the configuration), with one audit entry, and
// returns the names removed.
func (s *Store) RemoveProbes(ctx context.Context, actor string, keep []string) ([]string, error) {
	var removed []string
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		removed = nil
		rows, err := tx.QueryContext(ctx, `SELECT name FROM probe_states ORDER BY name`)
		if err != nil {
			return fmt.Errorf("list probes: %w", err)
		}
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return fmt.Errorf("list probes: %w", err)
			}
			names = append(names, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list probes: %w", err)
		}
		for _, n := range names {
			if slices.Contains(keep, n) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM probe_states WHERE name = $1`, n); err != nil {
				return fmt.Errorf("remove probe %q: %w", n, err)
			}
			removed = append(removed, n)
		}
		if len(removed) == 0 {
			return nil
		}
		return s.audit(ctx, tx, actor, "probe.remove", "", "", map[string][]string{"probes": removed})
	})
	return removed, err
}

func (s *Store) listProbes(ctx context.Context, where string) ([]ProbeState, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+probeCols+` FROM probe_states `+where)
	if err != nil {
		return nil, fmt.Errorf("list probes: %w", err)
	}
	defer rows.Close()
	out := []ProbeState{}
	for rows.Next() {
		var p ProbeState
		if err := rows.Scan(&p.Name, &p.Type, &p.Target, &p.Component, &p.State, timeCol{&p.Since}, &p.Detail,
			timeCol{&p.CheckedAt}, &p.Bad, &p.Good, timeCol{&p.UpdatedAt}); err != nil {
			return nil, fmt.Errorf("list probes: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ProbeStates returns the stored state of every probe, by name.
func (s *Store) ProbeStates(ctx context.Context) ([]ProbeState, error) {
	return s.listProbes(ctx, `ORDER BY name`)
}

// ProbeSignals returns the probes that are not up, down ones first, then
// the longest-standing.
func (s *Store) ProbeSignals(ctx context.Context) ([]ProbeState, error) {
	return s.listProbes(ctx, `WHERE state <> 'up' ORDER BY CASE state WHEN 'down' THEN 0 ELSE 1 END, since, name`)
}

// ProbeTransitions returns a page of recorded state changes, oldest first;
// probe, when not empty, selects one probe's.
func (s *Store) ProbeTransitions(ctx context.Context, probe string, p Page) ([]ProbeTransition, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, probe, from_state, to_state, since, at, detail FROM probe_transitions
		WHERE id > $1 AND ($2 = '' OR probe = $2) ORDER BY id LIMIT $3`, p.After, probe, p.limit())
	if err != nil {
		return nil, fmt.Errorf("list probe transitions: %w", err)
	}
	defer rows.Close()
	out := []ProbeTransition{}
	for rows.Next() {
		var t ProbeTransition
		if err := rows.Scan(&t.ID, &t.Probe, &t.From, &t.To, timeCol{&t.Since}, timeCol{&t.At}, &t.Detail); err != nil {
			return nil, fmt.Errorf("list probe transitions: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
