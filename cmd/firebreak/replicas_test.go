package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/firebreak-ir/firebreak/internal/store/storetest"
)

// TestTwoServersOnePostgres runs two real serve processes on one PostgreSQL
// database and writes through both at once: both must work, each must see
// the other's writes, incident references must not collide, and the audit
// chain must stay one verifiable chain.
func TestTwoServersOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers")
	}
	dsn := storetest.PostgresDSN(t)
	bin := buildBinary(t)
	env := append(os.Environ(), "FIREBREAK_ADMIN_PASSWORD=replica-test-password", "FIREBREAK_PASSWORD_MEMORY_KIB=64",
		"FIREBREAK_DB="+dsn, "FIREBREAK_DATA="+t.TempDir())
	a := startServer(t, bin, env)
	defer a.kill(t)
	b := startServer(t, bin, env)
	defer b.kill(t)
	tok := strings.TrimSpace(runCmd(t, bin, env, "token", "create", "--user", "admin"))
	ca, cb := &client{base: a.base, token: tok}, &client{base: b.base, token: tok}

	// Incidents created on both replicas at once get distinct references.
	refs := make([]string, 10)
	var wg sync.WaitGroup
	for i := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ca
			if i%2 == 1 {
				c = cb
			}
			var inc struct{ Ref string }
			if code := c.do("POST", "/api/v1/incidents", fmt.Sprintf(`{"title":"replica incident %d"}`, i), &inc); code != 201 {
				t.Errorf("create incident %d: status %d", i, code)
			}
			refs[i] = inc.Ref
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, r := range refs {
		if r == "" || seen[r] {
			t.Fatalf("incident references %v: want 10 distinct", refs)
		}
		seen[r] = true
	}

	// Concurrent appends to one incident through both replicas.
	ref := refs[0]
	const per = 40
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ca
			if w%2 == 1 {
				c = cb
			}
			for i := 0; i < per; i++ {
				body, _ := json.Marshal(map[string]string{"text": fmt.Sprintf("writer %d event %d", w, i)})
				if code := c.do("POST", "/api/v1/incidents/"+ref+"/events", string(body), nil); code != 201 {
					t.Errorf("append through replica %d: status %d", w%2, code)
				}
			}
		}()
	}
	wg.Wait()
	for name, c := range map[string]*client{"a": ca, "b": cb} {
		var page struct{ Items []struct{ Text string } }
		if code := c.do("GET", "/api/v1/incidents/"+ref+"/events?limit=1000", "", &page); code != 200 {
			t.Fatalf("replica %s: list events: status %d", name, code)
		}
		n := 0
		for _, e := range page.Items {
			if strings.HasPrefix(e.Text, "writer ") {
				n++
			}
		}
		if n != 4*per {
			t.Errorf("replica %s sees %d appended events, want %d", name, n, 4*per)
		}
	}
	if out := runCmd(t, bin, env, "audit", "verify"); !strings.Contains(out, "audit chain intact") {
		t.Fatalf("audit verify: %s", out)
	}
}
