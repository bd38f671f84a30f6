-- Subscribers of the public page and the notification outbox.
--
-- A subscriber is an e-mail address (double opt-in: confirmed is 0 until the
-- link in the confirmation mail is followed) or a webhook URL added by an
-- administrator. components is a JSON list of component public ids; an empty
-- list means every component. secret is a webhook's signing key: it must be
-- kept readable to sign with.
CREATE TABLE subscribers (
    id           {{id}},
    kind         TEXT NOT NULL,
    address      TEXT NOT NULL,
    components   TEXT NOT NULL DEFAULT '[]',
    secret       TEXT NOT NULL DEFAULT '',
    confirmed    INTEGER NOT NULL DEFAULT 0,
    confirmed_at TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    created_from TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL DEFAULT '',
    UNIQUE (kind, address)
);

-- Confirmation and unsubscribe tokens, stored only as hex SHA-256 hashes.
-- Every notice mail carries an unsubscribe token of its own (the raw token
-- lives in its outbox row until the mail is sent), so a subscriber has many.
CREATE TABLE subscriber_tokens (
    hash          TEXT PRIMARY KEY,
    subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    purpose       TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX subscriber_tokens_subscriber ON subscriber_tokens (subscriber_id);

-- One row per delivery. state: pending → sent, or dead after the last try.
-- A worker claims a due row by writing lease_owner and lease_until; another
-- replica may take it over only once the lease has run out. token is the
-- raw token the message carries, blanked once the row is sent or dead.
-- dedup_key (the notice's kind/event/update, or the confirmation token's
-- hash) makes queueing the same thing twice for one subscriber a no-op.
CREATE TABLE outbox (
    id              {{id}},
    subscriber_id   BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    dedup_key       TEXT NOT NULL,
    payload         TEXT NOT NULL,
    token           TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    sent_at         TEXT NOT NULL DEFAULT '',
    UNIQUE (subscriber_id, dedup_key)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
