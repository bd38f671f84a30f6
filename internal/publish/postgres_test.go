package publish

import (
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/status"
	"github.com/firebreak-ir/firebreak/internal/store"
	"github.com/firebreak-ir/firebreak/internal/store/storetest"
)

// TestNotifyAcrossReplicas: with polling switched off (an hour), a change
// committed through one store reaches a publisher on another store within
// seconds, which only LISTEN/NOTIFY can do.
func TestNotifyAcrossReplicas(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
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
