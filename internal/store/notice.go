package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// NoticeKind says what happened on the public page that subscribers are
// told about.
type NoticeKind string

// Notice kinds.
const (
	NoticeIncidentCreated      NoticeKind = "incident.created"
	NoticeIncidentUpdated      NoticeKind = "incident.updated"
	NoticeIncidentResolved     NoticeKind = "incident.resolved"
	NoticeMaintenanceScheduled NoticeKind = "maintenance.scheduled"
	NoticeMaintenanceStarted   NoticeKind = "maintenance.started"
	NoticeMaintenanceUpdated   NoticeKind = "maintenance.updated"
	NoticeMaintenanceCompleted NoticeKind = "maintenance.completed"
)

// Notice is one published change of the public page, as subscribers are
// told about it. It carries public fields only.
type Notice struct {
	Kind NoticeKind
	// EventID is the public id of the incident or maintenance.
	EventID   string
	EventName string
	// UpdateID is the public id of the published update.
	UpdateID string
	Status   string // investigating … resolved, scheduled … completed
	Body     string
	// ComponentIDs are the public ids of the components the event affects;
	// subscribers to any of them (or to everything) are told.
	ComponentIDs []string
	At           time.Time
}

// enqueueNotice is called inside the transaction that publishes an update,
// so that a notice is queued if and only if the publish commits. It queues
// one outbox row per confirmed subscriber whose component choice matches
// (any of n.ComponentIDs, or everything); see fanOut.
func (s *Store) enqueueNotice(ctx context.Context, tx *sql.Tx, n Notice) error {
	if err := s.fanOut(ctx, tx, n); err != nil {
		return fmt.Errorf("queue notice %s of %s: %w", n.Kind, n.EventID, err)
	}
	return nil
}
