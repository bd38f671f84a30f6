package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// ScheduleActor is who publishes the updates that move a maintenance at its
// scheduled times.
const ScheduleActor = "schedule"

// The updates published when a maintenance's window opens and closes.
const (
	MaintenanceStartedBody   = "The scheduled maintenance has started."
	MaintenanceCompletedBody = "The scheduled maintenance is complete."
)

// AdvanceMaintenances moves published maintenances whose time has come:
// a scheduled one whose window has opened goes in progress, its components
// under maintenance; one in progress whose window has closed completes, its
// components back to operational unless another open event holds them. (A
// maintenance someone moved to verifying is left to them.) Each move
// publishes an update with a fixed text, notifies subscribers, and is
// audited, as a published update would be; the text was agreed when the
// maintenance was approved, so no second person reads it. It returns how
// many maintenances moved. Replicas may all call it: a move happens once.
func (s *Store) AdvanceMaintenances(ctx context.Context) (int, error) {
	now := fmtTime(s.now().UTC())
	rows, err := s.r.QueryContext(ctx, `SELECT e.id, e.status FROM status_events e WHERE e.kind = $1 AND e.published = 1 AND (
		(e.status = 'scheduled' AND e.scheduled_for <= $2) OR (e.status = 'in_progress' AND e.scheduled_until <= $2)) ORDER BY e.id`, EventMaintenance, now)
	if err != nil {
		return 0, fmt.Errorf("due maintenances: %w", err)
	}
	type due struct {
		id     int64
		status string
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.status); err != nil {
			rows.Close()
			return 0, fmt.Errorf("due maintenances: %w", err)
		}
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("due maintenances: %w", err)
	}
	moved := 0
	var errs []error
	for _, d := range list {
		// One maintenance that cannot move does not hold up the others.
		ok, err := s.advanceMaintenance(ctx, d.id, d.status)
		if err != nil {
			errs = append(errs, fmt.Errorf("maintenance %d: %w", d.id, err))
		}
		if ok {
			moved++
		}
	}
	return moved, errors.Join(errs...)
}

// handledSince reports whether a person published an update on event id at
// or after the time at: then they are handling the maintenance (they
// postponed it by publishing "scheduled" again, or moved it themselves), and
// the schedule leaves it alone.
func handledSince(ctx context.Context, tx *sql.Tx, id int64, at *time.Time) (bool, error) {
	if at == nil {
		return false, nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM status_updates WHERE event_id = $1 AND state = $2 AND published_by <> $3 AND published_at >= $4`,
		id, UpdatePublished, ScheduleActor, fmtTime(*at)).Scan(&n); err != nil {
		return false, fmt.Errorf("updates of maintenance %d: %w", id, err)
	}
	return n > 0, nil
}

// advanceMaintenance makes one move of maintenance id from status from; ok
// is false when the maintenance was no longer there (another replica, or a
// person, moved it first).
func (s *Store) advanceMaintenance(ctx context.Context, id int64, from string) (ok bool, err error) {
	err = s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		ev, err := s.statusEvent(ctx, tx, id)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		to, body, since := "in_progress", MaintenanceStartedBody, ev.ScheduledFor
		if from == "in_progress" || ev.ScheduledUntil != nil && !ev.ScheduledUntil.After(now) {
			// A window that closed before it was seen open (the server was
			// down through it) completes at once.
			to, body = "completed", MaintenanceCompletedBody
			if from == "in_progress" {
				since = ev.ScheduledUntil
			}
		}
		if handled, err := handledSince(ctx, tx, id, since); err != nil || handled {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE status_events SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`, to, fmtTime(now), id, from)
		if err != nil {
			return fmt.Errorf("move maintenance %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err // moved already: nothing to do
		}
		// The components the maintenance names, less those another open
		// event holds (an outage stays an outage): under maintenance at the
		// start, operational at the end.
		affected, err := s.restoreOnClose(ctx, tx, id)
		if err != nil {
			return err
		}
		if to == "in_progress" {
			for i := range affected {
				affected[i].Status = incident.StatusMaintenance
			}
		}
		for i, a := range affected {
			old, err := s.setComponentStatus(ctx, tx, a.ComponentID, a.Status, now)
			if err != nil {
				return err
			}
			affected[i].OldStatus = old
		}
		at := fmtTime(now)
		u := StatusUpdate{PublicID: publicID(), EventID: id, State: UpdatePublished, Status: to, Body: body, Affected: affected,
			DraftedBy: ScheduleActor, DraftedAt: now, ApprovedBy: ScheduleActor, PublishedBy: ScheduleActor, PublishedAt: &now}
		if err := tx.QueryRowContext(ctx, `INSERT INTO status_updates (public_id, event_id, state, status, body, affected, drafted_by, drafted_at, approved_by, approved_at, published_by, published_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $8, $7, $8) RETURNING id`,
			u.PublicID, id, u.State, u.Status, u.Body, jsonText(u.Affected), ScheduleActor, at).Scan(&u.ID); err != nil {
			return fmt.Errorf("publish scheduled update: %w", err)
		}
		if err := s.afterPublish(ctx, tx, ev, u, ScheduleActor, incident.SourceSystem, now,
			fmt.Sprintf("Status page update published at the scheduled time (%s, %q): %s", to, ev.Name, body)); err != nil {
			return err
		}
		ok = true
		return nil
	})
	return ok && err == nil, err
}
