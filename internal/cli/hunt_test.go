package cli

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
	"github.com/firebreak-ir/firebreak/internal/web"
)

const corpus = "../hunt/testdata/logs"

func TestHuntExitCodes(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"hunt", "--progress", "never", corpus}, 1, "ToolShell exploitation"},
		{[]string{"hunt", "--progress", "never", "--no-builtin", corpus}, 0, "No findings"},
		{[]string{"hunt", "--progress", "never", "--format", "jsonl", "--iocs", "../hunt/testdata/iocs.txt", corpus}, 1, `"rule":"ioc"`},
		{[]string{"hunt", "--progress", "never", "--format", "csv", corpus}, 1, "file,line,rule,title,severity"},
		{[]string{"hunt", "/no/such/log"}, 2, "no such file"},
		{[]string{"hunt"}, 2, "give log paths"},
		{[]string{"hunt", "--format", "xml", corpus}, 2, "--format"},
		{[]string{"hunt", "--rules", "testdata/bad-rule.yml", corpus}, 2, "cannot be evaluated"},
		{[]string{"rules", "check", "../hunt/rules"}, 0, "4 rule(s) loaded, 0 rejected"},
	} {
		r := run(t, nil, c.args...)
		if r.code != c.code || !strings.Contains(r.stdout+r.stderr, c.want) {
			t.Errorf("firebreak %v = %d\nstdout %s\nstderr %s\nwant %d and %q", c.args, r.code, r.stdout, r.stderr, c.code, c.want)
		}
	}
}

// TestHuntPushIsIdempotent sends findings to a real server twice: the
// second run adds nothing, and each finding is on the timeline once. The
// hunt also takes the incident's indicators from the server (--from).
func TestHuntPushIsIdempotent(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "fb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, "test", incident.User{Name: "agent", Role: incident.RoleResponder}, "x")
	if err != nil {
		t.Fatal(err)
	}
	tok, hash := auth.NewToken()
	if _, err := st.CreateToken(ctx, "test", u.ID, "hunt", hash, nil); err != nil {
		t.Fatal(err)
	}
	in, err := st.CreateIncident(ctx, "test", incident.Incident{Title: "ToolShell"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.AddIndicators(ctx, "test", in.Ref, []incident.Indicator{{Type: incident.IndIPv4, Value: "96.9.125.147"}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Options{Store: st, Passwords: auth.TestParams}))
	defer srv.Close()

	args := []string{"hunt", "--progress", "never", "--format", "jsonl", "--push", srv.URL, "--from", srv.URL, "--incident", in.Ref, "--token", tok, corpus}
	first := run(t, nil, args...)
	if first.code != 1 {
		t.Fatalf("first hunt = %d: %s", first.code, first.stderr)
	}
	n := strings.Count(first.stdout, "\n")
	if !strings.Contains(first.stderr, "1 indicator(s) from") || !strings.Contains(first.stdout, `"indicator":"96.9.125.147"`) {
		t.Errorf("the hunt did not use the server's indicator: %s", first.stderr)
	}
	if !strings.Contains(first.stderr, "pushed "+itoa(n)+" finding(s)") || !strings.Contains(first.stderr, "("+itoa(n)+" new)") {
		t.Errorf("first push: %s, want %d pushed and new", first.stderr, n)
	}
	second := run(t, nil, args...)
	if !strings.Contains(second.stderr, "(0 new)") {
		t.Errorf("second push: %s, want 0 new", second.stderr)
	}
	findings, err := st.ListFindings(ctx, in.Ref, store.Page{Limit: 1000})
	if err != nil || len(findings) != n {
		t.Fatalf("server holds %d findings (%v), want %d", len(findings), err, n)
	}
	events, _ := st.ListEvents(ctx, in.Ref, store.Page{Limit: 1000})
	fe := 0
	for _, e := range events {
		if e.Kind == incident.KindFinding && e.Source == incident.SourceHunt {
			fe++
		}
	}
	if fe != n {
		t.Errorf("timeline has %d hunt finding events, want %d", fe, n)
	}
	var one map[string]any
	json.Unmarshal([]byte(strings.SplitN(first.stdout, "\n", 2)[0]), &one)
	for _, k := range []string{"file", "line", "rule", "title", "severity", "time", "fields"} {
		if _, ok := one[k]; !ok {
			t.Errorf("JSONL finding lacks %q: %v", k, one)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestProgressLine(t *testing.T) {
	tests := []struct {
		filesDone, files, done, total int64
		elapsed                       time.Duration
		want                          string
	}{
		{0, 3, 0, 3e9, 0, "hunting: 0/3 files, 0.0/3000.0 MB (0%)"},
		{1, 3, 1e9, 3e9, time.Second, "hunting: 1/3 files, 1000.0/3000.0 MB (33%), 1000 MB/s, ETA 0:02"},
		{2, 3, 5e8, 4e10, 2 * time.Second, "hunting: 2/3 files, 500.0/40000.0 MB (1%), 250 MB/s, ETA 2:38"},
		{3, 3, 3e9, 3e9, 3 * time.Second, "hunting: 3/3 files, 3000.0/3000.0 MB (100%), 1000 MB/s"},
		// A plain file's reader runs a buffer ahead: never more than 100%.
		{1, 1, 110, 100, time.Second, "hunting: 1/1 files, 0.0/0.0 MB (100%), 0 MB/s"},
	}
	for _, tt := range tests {
		if got := progressLine(tt.filesDone, tt.files, tt.done, tt.total, tt.elapsed); got != tt.want {
			t.Errorf("progressLine(%d, %d, %d, %d, %s) = %q, want %q", tt.filesDone, tt.files, tt.done, tt.total, tt.elapsed, got, tt.want)
		}
	}
}
