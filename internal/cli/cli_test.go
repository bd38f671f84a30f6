package cli

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	return result{code, out.String(), errb.String()}
}

func TestUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"audit"}, 2, "audit verify"},
		{[]string{"token", "create"}, 2, "--user is required"},
		{[]string{"serve", "--no-such-flag"}, 2, "no-such-flag"},
		{[]string{"version"}, 0, "firebreak "},

		{[]string{"serve", "--addr", "nonsense"}, 1, "--addr"},
	} {
		r := run(t, map[string]string{"FIREBREAK_DATA": t.TempDir()}, c.args...)
		if r.code != c.code || !strings.Contains(r.stdout+r.stderr, c.want) {
			t.Errorf("firebreak %v = %d, %q %q; want %d and %q", c.args, r.code, r.stdout, r.stderr, c.code, c.want)
		}
	}
}

func TestServeMigrateTokenAuditBackup(t *testing.T) {
	data := t.TempDir()
	env := map[string]string{"FIREBREAK_DATA": data, "FIREBREAK_ADMIN_PASSWORD": "a-good-admin-password", "FIREBREAK_PASSWORD_MEMORY_KIB": "64"}

	// serve: start on a free port with the demo, answer, stop on cancel.
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--demo"}, Env{Stdout: &bytes.Buffer{}, Stderr: &errb,
			Getenv: func(k string) string { return env[k] }, Ready: func(a string) { ready <- a }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("serve exited with %d: %s", code, errb.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /readyz = %v, %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited with %d after shutdown: %s", code, errb.String())
	}
	if strings.Contains(errb.String(), "a-good-admin-password") {
		t.Error("serve logged the admin password")
	}

	if r := run(t, env, "migrate"); r.code != 0 || !strings.Contains(r.stdout, "schema is current") {
		t.Errorf("migrate = %+v", r)
	}
	if r := run(t, env, "token", "create", "--user", "admin"); r.code != 0 || !strings.HasPrefix(r.stdout, "fbk_") {
		t.Errorf("token create = %+v", r)
	}
	if r := run(t, env, "token", "create", "--user", "nobody"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("token create for an unknown user = %+v", r)
	}
	if r := run(t, env, "audit", "verify"); r.code != 0 || !strings.Contains(r.stdout, "audit chain intact") {
		t.Errorf("audit verify = %+v", r)
	}
	out := filepath.Join(t.TempDir(), "backup.db")
	if r := run(t, env, "backup", out); r.code != 0 {
		t.Errorf("backup = %+v", r)
	}
	if r := run(t, map[string]string{"FIREBREAK_DATA": filepath.Dir(out)}, "audit", "verify", "--data", filepath.Dir(out)); r.code == 0 {
		// The backup file is not named firebreak.db, so this opens an empty database: schema check fails.
		t.Errorf("audit verify on a directory without a database = %+v, want failure", r)
	}
	if r := run(t, env, "backup", out); r.code != 1 || !strings.Contains(r.stderr, "exists") {
		t.Errorf("backup over an existing file = %+v", r)
	}
	backupDir := t.TempDir()
	if err := os.Rename(out, filepath.Join(backupDir, "firebreak.db")); err != nil {
		t.Fatal(err)
	}
	if r := run(t, map[string]string{"FIREBREAK_DATA": backupDir}, "audit", "verify"); r.code != 0 {
		t.Errorf("audit verify of the backup = %+v", r)
	}

	// Tamper with one audit row: verify must fail and name it.
	db, err := sql.Open("sqlite", filepath.Join(data, "firebreak.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit SET actor = 'mallory' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if r := run(t, env, "audit", "verify"); r.code != 1 || !strings.Contains(r.stderr, "entry 3") {
		t.Errorf("audit verify after tampering = %+v, want exit 1 naming entry 3", r)
	}
}

func TestConfigDumpRedacts(t *testing.T) {
	r := run(t, map[string]string{"FIREBREAK_DB": "postgres://u:s3cret-pw@h/db", "FIREBREAK_ADMIN_PASSWORD": "another-secret"}, "config", "dump")
	if r.code != 0 || strings.Contains(r.stdout, "s3cret-pw") || strings.Contains(r.stdout, "another-secret") || !strings.Contains(r.stdout, "db = postgres://u:redacted@h/db") {
		t.Errorf("config dump = %+v", r)
	}
}

func TestServeRefusesOutdatedSchema(t *testing.T) {
	data := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(data, "firebreak.db"))
	if err != nil {
		t.Fatal(err)
	}
	// A database from the future.
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL); INSERT INTO schema_migrations VALUES (999, 'x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r := run(t, map[string]string{"FIREBREAK_DATA": data}, "serve", "--addr", "127.0.0.1:0")
	if r.code != 1 || !strings.Contains(r.stderr, "version 999") {
		t.Errorf("serve on a newer schema = %+v, want a refusal naming the version", r)
	}
}
