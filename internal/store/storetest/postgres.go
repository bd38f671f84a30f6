package storetest

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// PostgresDSN returns a DSN for a fresh, empty schema of the database named
// by $FIREBREAK_TEST_POSTGRES, dropped when t ends. Without the variable t
// is skipped, or fails when FIREBREAK_REQUIRE_ALL=1 (as in CI).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("FIREBREAK_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("FIREBREAK_REQUIRE_ALL") == "1" {
			t.Fatal("FIREBREAK_TEST_POSTGRES is not set, and FIREBREAK_REQUIRE_ALL=1 forbids skipping")
		}
		t.Skip("FIREBREAK_TEST_POSTGRES is not set")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("fb_test_%d", rand.Uint64())
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		db.Close()
		t.Fatalf("CREATE SCHEMA %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("DROP SCHEMA %s: %v", schema, err)
		}
		db.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
