-- Firebreak schema, version 1. Written once for both dialects: {{id}} becomes
-- the dialect's auto-increment primary key. Timestamps are TEXT in a fixed-width
-- UTC format (2006-01-02T15:04:05.000000000Z) so that they sort as text,
-- compare the same on both dialects and hash identically in the audit chain.

CREATE TABLE ref_counters (
    year INTEGER PRIMARY KEY,
    n    INTEGER NOT NULL
);

CREATE TABLE incidents (
    id         {{id}},
    ref        TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    summary    TEXT NOT NULL,
    severity   TEXT NOT NULL,
    phase      TEXT NOT NULL,
    tlp        TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE incident_anchors (
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    anchor      TEXT NOT NULL,
    at          TEXT NOT NULL,
    set_by      TEXT NOT NULL,
    set_at      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (incident_id, anchor)
);

CREATE TABLE events (
    id          {{id}},
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    text        TEXT NOT NULL,
    source      TEXT NOT NULL,
    visibility  TEXT NOT NULL,
    corrects    BIGINT NOT NULL DEFAULT 0,
    links       TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX events_incident ON events (incident_id, id);

CREATE TABLE tasks (
    id          {{id}},
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    title       TEXT NOT NULL,
    detail      TEXT NOT NULL,
    state       TEXT NOT NULL,
    assignee    TEXT NOT NULL,
    due         TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX tasks_incident ON tasks (incident_id, id);

CREATE TABLE assets (
    id              {{id}},
    incident_id     BIGINT NOT NULL REFERENCES incidents(id),
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    region          TEXT NOT NULL,
    internet_facing INTEGER NOT NULL,
    criticality     TEXT NOT NULL,
    compromise      TEXT NOT NULL,
    operational     TEXT NOT NULL,
    notes           TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (incident_id, name)
);

CREATE TABLE services (
    id          {{id}},
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    status      TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (incident_id, name)
);

CREATE TABLE service_deps (
    service_id BIGINT NOT NULL REFERENCES services(id),
    dep_type   TEXT NOT NULL,
    dep_id     BIGINT NOT NULL,
    grp        TEXT NOT NULL,
    PRIMARY KEY (service_id, dep_type, dep_id)
);

CREATE TABLE indicators (
    id          {{id}},
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    type        TEXT NOT NULL,
    value       TEXT NOT NULL,
    confidence  INTEGER NOT NULL,
    tlp         TEXT NOT NULL,
    source      TEXT NOT NULL,
    tags        TEXT NOT NULL,
    first_seen  TEXT,
    last_seen   TEXT,
    expires_at  TEXT,
    note        TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (incident_id, type, value)
);

CREATE TABLE findings (
    id          {{id}},
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    key         TEXT NOT NULL,
    rule        TEXT NOT NULL,
    title       TEXT NOT NULL,
    severity    TEXT NOT NULL,
    host        TEXT NOT NULL,
    file        TEXT NOT NULL,
    line        BIGINT NOT NULL,
    indicator   TEXT NOT NULL,
    log_time    TEXT,
    fields      TEXT NOT NULL,
    state       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    event_id    BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (incident_id, key)
);

CREATE TABLE evidence (
    id           {{id}},
    incident_id  BIGINT NOT NULL REFERENCES incidents(id),
    name         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    description  TEXT NOT NULL,
    collected_by TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE custody (
    id          {{id}},
    evidence_id BIGINT NOT NULL REFERENCES evidence(id),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    note        TEXT NOT NULL
);

CREATE TABLE users (
    id            {{id}},
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL,
    expires_at    TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE guest_scopes (
    user_id     BIGINT NOT NULL REFERENCES users(id),
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    PRIMARY KEY (user_id, incident_id)
);

CREATE TABLE tokens (
    id         {{id}},
    user_id    BIGINT NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT
);

CREATE TABLE sessions (
    hash       TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE audit (
    seq       BIGINT PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    incident  TEXT NOT NULL,
    target    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

-- The head of the audit chain. Every writing transaction updates this row as its
-- last step, which serialises audit appends across processes (PostgreSQL row lock;
-- SQLite has a single writer anyway).
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
