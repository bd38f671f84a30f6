-- Service probes (filled in by the probes work).
CREATE TABLE migration_0005_placeholder (id INTEGER PRIMARY KEY);
DROP TABLE migration_0005_placeholder;
