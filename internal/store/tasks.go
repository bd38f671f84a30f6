package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

const taskCols = `id, title, detail, state, assignee, due, created_by, created_at, updated_at`

func scanTask(row interface{ Scan(...any) error }) (incident.Task, error) {
	var t incident.Task
	err := row.Scan(&t.ID, &t.Title, &t.Detail, &t.State, &t.Assignee, nullTimeCol{&t.Due}, &t.CreatedBy, timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt})
	return t, err
}

// CreateTask adds a task to an incident. An empty state means open.
func (s *Store) CreateTask(ctx context.Context, actor, ref string, t incident.Task) (incident.Task, error) {
	t.State = orDefault(t.State, incident.TaskOpen)
	if err := t.Validate(); err != nil {
		return t, err
	}
	now := s.now().UTC()
	t.CreatedBy, t.CreatedAt, t.UpdatedAt = actor, now, now
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		id, err := s.incidentID(ctx, tx, ref)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO tasks (incident_id, title, detail, state, assignee, due, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			id, t.Title, t.Detail, t.State, t.Assignee, fmtTimePtr(t.Due), actor, fmtTime(now), fmtTime(now)).Scan(&t.ID); err != nil {
			return fmt.Errorf("create task: %w", err)
		}
		return s.audit(ctx, tx, actor, "task.create", ref, fmt.Sprintf("task/%d", t.ID), t)
	})
	return t, err
}

// TaskPatch changes some fields of a task; nil fields stay as they are.
type TaskPatch struct {
	Title    *string             `json:"title"`
	Detail   *string             `json:"detail"`
	State    *incident.TaskState `json:"state"`
	Assignee *string             `json:"assignee"`
	Due      *time.Time          `json:"due"`
}

// UpdateTask applies a patch to a task of an incident.
func (s *Store) UpdateTask(ctx context.Context, actor, ref string, taskID int64, p TaskPatch) (incident.Task, error) {
	var t incident.Task
	err := s.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		id, err := s.incidentID(ctx, tx, ref)
		if err != nil {
			return err
		}
		t, err = scanTask(tx.QueryRowContext(ctx, `SELECT `+taskCols+` FROM tasks WHERE id = $1 AND incident_id = $2`, taskID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("task %d of %s: %w", taskID, ref, ErrNotFound)
		} else if err != nil {
			return fmt.Errorf("load task %d: %w", taskID, err)
		}
		set(&t.Title, p.Title)
		set(&t.Detail, p.Detail)
		set(&t.State, p.State)
		set(&t.Assignee, p.Assignee)
		if p.Due != nil {
			t.Due = p.Due
		}
		if err := t.Validate(); err != nil {
			return err
		}
		t.UpdatedAt = s.now().UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET title = $1, detail = $2, state = $3, assignee = $4, due = $5, updated_at = $6 WHERE id = $7`,
			t.Title, t.Detail, t.State, t.Assignee, fmtTimePtr(t.Due), fmtTime(t.UpdatedAt), t.ID); err != nil {
			return fmt.Errorf("update task %d: %w", taskID, err)
		}
		return s.audit(ctx, tx, actor, "task.update", ref, fmt.Sprintf("task/%d", t.ID), p)
	})
	return t, err
}

// ListTasks returns a page of an incident's tasks.
func (s *Store) ListTasks(ctx context.Context, ref string, p Page) ([]incident.Task, error) {
	id, err := s.incidentID(ctx, s.r, ref)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+taskCols+` FROM tasks WHERE incident_id = $1 AND id > $2 ORDER BY id LIMIT $3`, id, p.After, p.limit())
	if err != nil {
		return nil, fmt.Errorf("list tasks of %s: %w", ref, err)
	}
	defer rows.Close()
	out := []incident.Task{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, fmt.Errorf("list tasks of %s: %w", ref, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
