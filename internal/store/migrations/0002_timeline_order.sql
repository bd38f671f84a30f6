-- The console reads timelines newest first by when things happened.
CREATE INDEX events_incident_occurred ON events (incident_id, occurred_at, id);
