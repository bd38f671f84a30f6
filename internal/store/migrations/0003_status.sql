-- The public plane (status page). These tables are the public projection:
-- the page is rendered from them alone, and the console copies chosen facts
-- into them on purpose (draft → approve → publish). Public ids are random
-- strings so that the page reveals no internal counts.

CREATE TABLE status_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- version is bumped in every transaction that changes what the page shows;
-- serving replicas re-render when it moves.
CREATE TABLE status_version (
    id      INTEGER PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO status_version (id, version) VALUES (1, 0);

CREATE TABLE status_groups (
    id          {{id}},
    public_id   TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    position    INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE status_components (
    id          {{id}},
    public_id   TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    group_id    BIGINT NOT NULL DEFAULT 0,
    position    INTEGER NOT NULL,
    status      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE status_component_history (
    id           {{id}},
    component_id BIGINT NOT NULL REFERENCES status_components(id),
    at           TEXT NOT NULL,
    status       TEXT NOT NULL
);
CREATE INDEX status_component_history_at ON status_component_history (component_id, at);

-- Which record services a component stands for (services belong to one
-- incident; a component lives across incidents).
CREATE TABLE status_component_services (
    component_id BIGINT NOT NULL REFERENCES status_components(id),
    service_id   BIGINT NOT NULL REFERENCES services(id),
    PRIMARY KEY (component_id, service_id)
);

-- Public incidents (kind 'incident') and scheduled maintenances (kind
-- 'maintenance'). published is 0 until the first update is published.
CREATE TABLE status_events (
    id              {{id}},
    public_id       TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    incident_id     BIGINT NOT NULL DEFAULT 0,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL,
    impact          TEXT NOT NULL,
    scheduled_for   TEXT NOT NULL DEFAULT '',
    scheduled_until TEXT NOT NULL DEFAULT '',
    published       INTEGER NOT NULL DEFAULT 0,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- Updates go draft → approved → published (or discarded). affected is a
-- JSON list of {"component_id": N, "status": "..."}.
CREATE TABLE status_updates (
    id           {{id}},
    public_id    TEXT NOT NULL UNIQUE,
    event_id     BIGINT NOT NULL REFERENCES status_events(id),
    state        TEXT NOT NULL,
    status       TEXT NOT NULL,
    body         TEXT NOT NULL,
    affected     TEXT NOT NULL DEFAULT '[]',
    drafted_by   TEXT NOT NULL,
    drafted_at   TEXT NOT NULL,
    approved_by  TEXT NOT NULL DEFAULT '',
    approved_at  TEXT NOT NULL DEFAULT '',
    published_by TEXT NOT NULL DEFAULT '',
    published_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX status_updates_event ON status_updates (event_id, id);

CREATE TABLE status_channels (
    id       {{id}},
    kind     TEXT NOT NULL,
    label    TEXT NOT NULL,
    value    TEXT NOT NULL,
    note     TEXT NOT NULL,
    position INTEGER NOT NULL
);
