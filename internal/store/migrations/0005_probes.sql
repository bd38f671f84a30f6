-- Service probes (internal/probe, run by `serve --probes FILE`). probe_states
-- holds the last known state of each probe, one row per probe name: the
-- console shows the probes that are not up as signals. probe_transitions is
-- the history of state changes (each also has an audit entry).
CREATE TABLE probe_states (
    id         {{id}},
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    target     TEXT NOT NULL,
    component  TEXT NOT NULL DEFAULT '',
    state      TEXT NOT NULL,
    since      TEXT NOT NULL,
    detail     TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    bad_count  INTEGER NOT NULL,
    good_count INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE probe_transitions (
    id         {{id}},
    probe      TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    since      TEXT NOT NULL,
    at         TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX probe_transitions_probe ON probe_transitions (probe, id);
