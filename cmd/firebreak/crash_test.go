package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/store/storetest"
)

// TestCrashKeepsAcknowledgedEvents appends timeline events through the API
// from several clients while the server is killed with SIGKILL at random
// moments. After each restart, every event whose append returned 2xx must be
// there, and the audit chain must verify. FIREBREAK_CRASH_ROUNDS sets the
// number of kills (bench/crash.sh runs a long version).
func TestCrashKeepsAcknowledgedEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real server")
	}
	rounds := 4
	if v := os.Getenv("FIREBREAK_CRASH_ROUNDS"); v != "" {
		rounds, _ = strconv.Atoi(v)
	}
	bin := buildBinary(t)
	t.Run("sqlite", func(t *testing.T) {
		crashRounds(t, bin, rounds, "FIREBREAK_DATA="+t.TempDir())
	})
	t.Run("postgres", func(t *testing.T) {
		crashRounds(t, bin, rounds, "FIREBREAK_DATA="+t.TempDir(), "FIREBREAK_DB="+storetest.PostgresDSN(t))
	})
}

func crashRounds(t *testing.T, bin string, rounds int, extraEnv ...string) {
	env := append(os.Environ(), "FIREBREAK_ADMIN_PASSWORD=crash-test-password", "FIREBREAK_PASSWORD_MEMORY_KIB=64")
	env = append(env, extraEnv...)

	srv := startServer(t, bin, env)
	tok := strings.TrimSpace(runCmd(t, bin, env, "token", "create", "--user", "admin"))
	c := &client{base: srv.base, token: tok}
	var inc struct{ Ref string }
	if code := c.do("POST", "/api/v1/incidents", `{"title":"crash test"}`, &inc); code != 201 {
		t.Fatalf("create incident: status %d", code)
	}

	var mu sync.Mutex
	acked := map[string]bool{}
	for round := 0; round < rounds; round++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					text := fmt.Sprintf("round %d writer %d event %d", round, w, i)
					body, _ := json.Marshal(map[string]string{"kind": "note", "text": text})
					if code := c.do("POST", "/api/v1/incidents/"+inc.Ref+"/events", string(body), nil); code == 201 {
						mu.Lock()
						acked[text] = true
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(50+rand.IntN(250)) * time.Millisecond)
		srv.kill(t)
		close(stop)
		wg.Wait()
		srv = startServer(t, bin, env)
		c.base = srv.base
	}
	defer srv.kill(t)

	seen := map[string]bool{}
	after := 0
	for {
		var page struct {
			Items     []struct{ Text string }
			NextAfter *int `json:"next_after"`
		}
		if code := c.do("GET", fmt.Sprintf("/api/v1/incidents/%s/events?limit=1000&after=%d", inc.Ref, after), "", &page); code != 200 {
			t.Fatalf("list events: status %d", code)
		}
		for _, e := range page.Items {
			seen[e.Text] = true
		}
		if page.NextAfter == nil {
			break
		}
		after = *page.NextAfter
	}
	lost := 0
	for text := range acked {
		if !seen[text] {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged event %q is missing after the crash", text)
			}
		}
	}
	if lost > 0 || len(acked) == 0 {
		t.Fatalf("%d of %d acknowledged events lost", lost, len(acked))
	}
	t.Logf("%d kills, %d acknowledged events, all present", rounds, len(acked))
	srv.kill(t)
	out := runCmd(t, bin, env, "audit", "verify")
	if !strings.Contains(out, "audit chain intact") {
		t.Fatalf("audit verify: %s", out)
	}
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "firebreak")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func runCmd(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("firebreak %v: %v\n%s", args, err, out)
	}
	return string(out)
}

type server struct {
	cmd  *exec.Cmd
	base string
	log  *bytes.Buffer
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startServer(t *testing.T, bin string, env []string) *server {
	t.Helper()
	addr := freePort(t)
	s := &server{base: "http://" + addr, log: &bytes.Buffer{}}
	s.cmd = exec.Command(bin, "serve", "--addr", addr)
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.kill(t)
	t.Fatalf("server did not become ready:\n%s", s.log)
	return nil
}

func (s *server) kill(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

type client struct {
	base, token string
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// do sends a request and decodes a JSON answer into out; it returns the
// status, or 0 when the request failed (as it will while the server is down).
func (c *client) do(method, path, body string, out any) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, c.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return 0
		}
	}
	return resp.StatusCode
}
