-- Subscribers and the notification outbox (filled in by the subscribers work).
CREATE TABLE migration_0004_placeholder (id INTEGER PRIMARY KEY);
DROP TABLE migration_0004_placeholder;
