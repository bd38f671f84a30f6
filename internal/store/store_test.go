package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
	"github.com/firebreak-ir/firebreak/internal/store/storetest"
)

// pgEnv names the environment variable holding a PostgreSQL DSN
// (postgres://...) for the PostgreSQL half of the suite.
const pgEnv = "FIREBREAK_TEST_POSTGRES"

// database is one fresh, empty database: a SQLite file, or a PostgreSQL
// schema of its own.
type database struct {
	dsn    string // for store.Open
	driver string // for a raw database/sql connection
}

// open opens the database as a store on the test's suite clock, migrated
// when migrate is set; the store is closed when the test ends.
func (d database) open(t *testing.T, migrate bool) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), d.dsn, store.Options{Now: storetest.ClockFor(t).Now})
	if err != nil {
		t.Fatalf("Open(%s) = %v", d.dsn, err)
	}
	t.Cleanup(func() { s.Close() })
	if migrate {
		if _, err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate() = %v", err)
		}
	}
	return s
}

// raw opens a second, plain database/sql connection to the same database,
// beside the store, to do what no store method may.
func (d database) raw(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open(d.driver, d.dsn)
	if err != nil {
		t.Fatalf("sql.Open(%s, %s) = %v", d.driver, d.dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sqliteDB(t *testing.T) database {
	return database{dsn: filepath.Join(t.TempDir(), "firebreak.db"), driver: "sqlite"}
}

// withSearchPath adds search_path=schema to a postgres:// URL, which may
// already carry query parameters.
func withSearchPath(dsn, schema string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("%s must be a postgres:// URL", pgEnv)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// postgres returns a function that makes a fresh schema per test in the
// database named by $FIREBREAK_TEST_POSTGRES, or skips t when it is unset.
func postgres(t *testing.T) func(t *testing.T) database {
	base := os.Getenv(pgEnv)
	if base == "" {
		if os.Getenv("FIREBREAK_REQUIRE_ALL") == "1" {
			t.Fatalf("%s is not set, and FIREBREAK_REQUIRE_ALL=1 forbids skipping", pgEnv)
		}
		t.Skipf("%s is not set", pgEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("sql.Open(pgx, $%s) = %v", pgEnv, err)
	}
	t.Cleanup(func() { admin.Close() })
	if err := admin.PingContext(t.Context()); err != nil {
		t.Fatalf("connect to $%s: %v", pgEnv, err)
	}
	return func(t *testing.T) database {
		t.Helper()
		b := make([]byte, 8)
		rand.Read(b)
		schema := "fb_test_" + hex.EncodeToString(b)
		dsn, err := withSearchPath(base, schema)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
			t.Fatalf("CREATE SCHEMA %s: %v", schema, err)
		}
		t.Cleanup(func() {
			// t.Context() is already cancelled when cleanups run.
			if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
				t.Errorf("DROP SCHEMA %s: %v", schema, err)
			}
		})
		return database{dsn: dsn, driver: "pgx"}
	}
}

func TestContractSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) *store.Store {
		return sqliteDB(t).open(t, true)
	})
}

func TestContractPostgres(t *testing.T) {
	t.Parallel()
	fresh := postgres(t)
	storetest.Run(t, func(t *testing.T) *store.Store {
		s := fresh(t).open(t, true)
		if s.Dialect() != store.Postgres {
			t.Fatalf("Dialect() = %s, want postgres", s.Dialect())
		}
		return s
	})
}

// eachDialect runs fn once for SQLite and, when configured, once for
// PostgreSQL; fresh makes a new, empty database of that dialect.
func eachDialect(t *testing.T, fn func(t *testing.T, fresh func(*testing.T) database)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteDB) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgres(t)) })
}

// populate makes a handful of mutations and returns how many audit entries
// they wrote.
func populate(t *testing.T, s *store.Store) int64 {
	t.Helper()
	ctx := t.Context()
	in, err := s.CreateIncident(ctx, "alice", incident.Incident{Title: "Tamper target"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.AppendEvent(ctx, "bob", in.Ref, incident.Event{Text: fmt.Sprintf("note %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateAsset(ctx, "bob", in.Ref, incident.Asset{Name: "web-01"}); err != nil {
		t.Fatal(err)
	}
	return 5
}

func TestAuditTamper(t *testing.T) {
	const n = 5 // entries written by populate
	tests := []struct {
		name    string
		sql     func(entry2 incident.AuditEntry) string
		wantSeq int64
	}{
		{"detail of entry 2 altered", func(incident.AuditEntry) string {
			return `UPDATE audit SET detail = '{"kind":"note","text":"nothing happened"}' WHERE seq = 2`
		}, 2},
		{"actor of entry 2 altered", func(incident.AuditEntry) string { return `UPDATE audit SET actor = 'mallory' WHERE seq = 2` }, 2},
		{"entry 2 altered and rehashed", func(e incident.AuditEntry) string {
			e.Actor = "mallory"
			return fmt.Sprintf(`UPDATE audit SET actor = 'mallory', hash = '%s' WHERE seq = 2`, e.ComputeHash())
		}, 3},
		{"entry 2 deleted", func(incident.AuditEntry) string { return `DELETE FROM audit WHERE seq = 2` }, 3},
		{"last entry deleted", func(incident.AuditEntry) string { return fmt.Sprintf(`DELETE FROM audit WHERE seq = %d`, n) }, n},
		{"last two entries deleted", func(incident.AuditEntry) string { return fmt.Sprintf(`DELETE FROM audit WHERE seq >= %d`, n-1) }, n - 1},
	}
	eachDialect(t, func(t *testing.T, fresh func(*testing.T) database) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				d := fresh(t)
				s := d.open(t, true)
				if got := populate(t, s); got != n {
					t.Fatalf("populate wrote %d entries, want %d", got, n)
				}
				if got, err := s.VerifyAudit(t.Context()); err != nil || got != n {
					t.Fatalf("VerifyAudit() before tampering = %d, %v, want %d, nil", got, err, n)
				}
				entries, err := s.AuditEntries(t.Context(), store.Page{After: 1, Limit: 1})
				if err != nil || len(entries) != 1 {
					t.Fatalf("AuditEntries(after 1, limit 1) = %v, %v", entries, err)
				}
				q := tc.sql(entries[0])
				if _, err := d.raw(t).ExecContext(t.Context(), q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				_, err = s.VerifyAudit(t.Context())
				var br *store.AuditBreak
				if !errors.As(err, &br) || br.Seq != tc.wantSeq {
					t.Errorf("VerifyAudit() after %s = %v, want an *store.AuditBreak at entry %d", tc.name, err, tc.wantSeq)
				}
			})
		}
	})
}

func TestSchemaVersions(t *testing.T) {
	eachDialect(t, func(t *testing.T, fresh func(*testing.T) database) {
		ctx := t.Context()
		d := fresh(t)
		s := d.open(t, false)
		if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
			t.Errorf("SchemaVersion() on an empty database = %d, %v, want 0, nil", v, err)
		}
		err := s.CheckSchema(ctx)
		if !errors.Is(err, store.ErrSchema) {
			t.Errorf("CheckSchema() on an empty database = %v, want ErrSchema", err)
		}

		var want []int
		for v := 1; v <= store.LatestVersion(); v++ {
			want = append(want, v)
		}
		applied, err := s.Migrate(ctx)
		if err != nil || !slices.Equal(applied, want) {
			t.Fatalf("Migrate() = %v, %v, want %v, nil", applied, err, want)
		}
		if err := s.CheckSchema(ctx); err != nil {
			t.Errorf("CheckSchema() after Migrate = %v, want nil", err)
		}
		applied, err = s.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Errorf("Migrate() again = %v, %v, want [], nil", applied, err)
		}
		if v, err := s.SchemaVersion(ctx); err != nil || v != store.LatestVersion() {
			t.Errorf("SchemaVersion() = %d, %v, want %d", v, err, store.LatestVersion())
		}
		if n, err := s.VerifyAudit(ctx); err != nil || n != 0 {
			t.Errorf("VerifyAudit() after Migrate = %d, %v, want 0, nil", n, err)
		}

		// A database from a newer binary is refused, not migrated down.
		next := store.LatestVersion() + 1
		if _, err := d.raw(t).ExecContext(ctx, fmt.Sprintf(`INSERT INTO schema_migrations (version, applied_at) VALUES (%d, '2030-01-01T00:00:00.000000000Z')`, next)); err != nil {
			t.Fatal(err)
		}
		if err := s.CheckSchema(ctx); !errors.Is(err, store.ErrSchema) {
			t.Errorf("CheckSchema() at version %d = %v, want ErrSchema", next, err)
		}
		if _, err := s.Migrate(ctx); !errors.Is(err, store.ErrSchema) {
			t.Errorf("Migrate() at version %d = %v, want ErrSchema", next, err)
		}
	})
}

func TestLatestVersion(t *testing.T) {
	if v := store.LatestVersion(); v < 1 {
		t.Errorf("LatestVersion() = %d, want at least 1", v)
	}
}

func TestBackup(t *testing.T) {
	ctx := t.Context()
	s := sqliteDB(t).open(t, true)
	n := populate(t, s)
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := s.Backup(ctx, path); err != nil {
		t.Fatalf("Backup(%s) = %v, want nil", path, err)
	}
	// The store keeps serving after a backup.
	if _, err := s.CreateIncident(ctx, "alice", incident.Incident{Title: "after the backup"}); err != nil {
		t.Errorf("CreateIncident() after Backup = %v, want no error", err)
	}

	b := database{dsn: path, driver: "sqlite"}.open(t, false)
	if err := b.CheckSchema(ctx); err != nil {
		t.Errorf("CheckSchema() of the backup = %v, want nil", err)
	}
	if got, err := b.VerifyAudit(ctx); err != nil || got != n {
		t.Errorf("VerifyAudit() of the backup = %d, %v, want %d, nil", got, err, n)
	}
	in, err := b.GetIncident(ctx, "INC-2026-0001")
	if err != nil || in.Title != "Tamper target" {
		t.Errorf("GetIncident(INC-2026-0001) from the backup = %+v, %v, want the incident", in, err)
	}
	if _, err := b.GetIncident(ctx, "INC-2026-0002"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetIncident(INC-2026-0002) from the backup = %v, want ErrNotFound (made after the backup)", err)
	}
	if err := s.Backup(ctx, path); err == nil {
		t.Errorf("Backup(%s) over an existing file = nil, want an error", path)
	}
}

func TestBackupPostgres(t *testing.T) {
	s := postgres(t)(t).open(t, true)
	if err := s.Backup(t.Context(), filepath.Join(t.TempDir(), "x.db")); err == nil {
		t.Errorf("Backup() on PostgreSQL = nil, want an error pointing to pg_dump")
	}
}

func TestIsPostgres(t *testing.T) {
	tests := []struct {
		dsn  string
		want bool
	}{
		{"postgres://u:p@localhost/db", true},
		{"postgresql://localhost/db?sslmode=disable", true},
		{"/var/lib/firebreak/firebreak.db", false},
		{"firebreak.db", false},
		{"postgres.db", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := store.IsPostgres(tc.dsn); got != tc.want {
			t.Errorf("IsPostgres(%q) = %v, want %v", tc.dsn, got, tc.want)
		}
	}
}

func TestOpenUnreachablePostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s, err := store.Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", store.Options{})
	if err == nil {
		s.Close()
		t.Errorf("Open(unreachable postgres) = nil error, want an error")
	}
}

func TestWithSearchPath(t *testing.T) {
	tests := []struct {
		dsn, want string
	}{
		{"postgres://u:p@h:5432/db", "postgres://u:p@h:5432/db?search_path=s1"},
		{"postgres://u:p@h:5432/db?sslmode=disable", "postgres://u:p@h:5432/db?search_path=s1&sslmode=disable"},
		{"postgresql://h/db?search_path=public", "postgresql://h/db?search_path=s1"},
	}
	for _, tc := range tests {
		if got, err := withSearchPath(tc.dsn, "s1"); err != nil || got != tc.want {
			t.Errorf("withSearchPath(%q) = %q, %v, want %q", tc.dsn, got, err, tc.want)
		}
	}
	if _, err := withSearchPath("host=h dbname=db", "s1"); err == nil {
		t.Errorf("withSearchPath(keyword DSN) = nil error, want an error")
	}
}
