package publish

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/firebreak-ir/firebreak/internal/status"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// postgresDSN returns a DSN on a fresh schema of the test database, or
// skips; with FIREBREAK_REQUIRE_ALL=1 (CI) a missing database fails.
func postgresDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("FIREBREAK_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("FIREBREAK_REQUIRE_ALL") == "1" {
			t.Fatal("FIREBREAK_TEST_POSTGRES is not set, and FIREBREAK_REQUIRE_ALL=1 forbids skipping")
		}
		t.Skip("FIREBREAK_TEST_POSTGRES is not set")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("fb_publish_%d", rand.Uint32())
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE") //nolint:errcheck // best effort
		db.Close()
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// TestNotifyAcrossReplicas: with polling switched off (an hour), a change
// committed through one store reaches a publisher on another store within
// seconds, which only LISTEN/NOTIFY can do.
func TestNotifyAcrossReplicas(t *testing.T) {
	dsn := postgresDSN(t)
	ctx := t.Context()
	a, err := store.Open(ctx, dsn, store.Options{})
	fatal(t, err)
	defer a.Close()
	_, err = a.Migrate(ctx)
	fatal(t, err)
	b, err := store.Open(ctx, dsn, store.Options{})
	fatal(t, err)
	defer b.Close()

	srv := status.NewServer(nil)
	p := New(a, srv, Options{Defaults: store.StatusSettings{Name: "Example", URL: "https://status.example.com"}, Poll: time.Hour, Rerender: time.Hour})
	fatal(t, p.Refresh(ctx, true))
	go p.Run(ctx)
	time.Sleep(300 * time.Millisecond) // let the listener start

	for i, name := range []string{"Voice API", "Customer portal"} {
		start := time.Now()
		_, err = b.CreateComponent(ctx, "admin", store.StatusComponent{Name: name})
		fatal(t, err)
		for {
			if e, ok := srv.Snapshot().Lookup("/api/v2/components.json"); ok && strings.Contains(string(e.Body), name) {
				t.Logf("change %d reached the other replica's page in %s", i, time.Since(start).Round(time.Millisecond))
				break
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("change %d through another replica did not reach the page within 5 s (polling is off: NOTIFY did not arrive)", i)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
