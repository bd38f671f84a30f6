package web

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/store"
)

// TestProbeSignalsBanner stores probe states and checks that the incident
// list shows the ones that are not up, and /metrics all of them.
func TestProbeSignalsBanner(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 2, 0, 0, time.UTC)
	long := time.Date(2020, time.March, 14, 10, 2, 0, 0, time.UTC)
	for _, p := range []store.ProbeState{
		{Name: "Customer portal", Type: "http", Target: "https://portal.example/", State: store.ProbeDown, Since: today, Detail: "HTTP 503", CheckedAt: now, Bad: 3},
		{Name: "Voice & messaging API", Type: "tcp", Target: "api.example:443", State: store.ProbeDegraded, Since: long, Detail: "slow: 2.5s, above 2s", CheckedAt: now, Bad: 1},
		{Name: "Portal DNS", Type: "dns", Target: "portal.example", State: store.ProbeUp, Since: long, Detail: "A 203.0.113.10 in 3ms", CheckedAt: now, Good: 5},
	} {
		f.must(f.st.RecordProbeTransition(ctx, "monitor", store.ProbeUp, p), "record probe transition")
	}

	body := textOnly(f.do("viewer", "GET", "/", nil))
	for _, want := range []string{
		"Customer portal: down since 00:02 UTC — HTTP 503 (3 checks)",
		"Voice & messaging API: degraded since 14 Mar 10:02 UTC — slow: 2.5s, above 2s (1 check)",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("incident list lacks %q", want)
		}
	}
	if strings.Contains(body, "Portal DNS") {
		t.Errorf("incident list shows the probe that is up")
	}
	if down, degraded := strings.Index(body, "Customer portal:"), strings.Index(body, "Voice & messaging API:"); down > degraded {
		t.Errorf("the down probe comes after the degraded one")
	}
	if body := pageText(f.do("guest", "GET", "/", nil)); strings.Contains(body, "Customer portal") {
		t.Errorf("a guest's incident list shows probe signals")
	}

	metrics := f.do(anonymous, "GET", "/metrics", nil).Body.String()
	for _, want := range []string{
		`firebreak_probe_up{probe="Customer portal"} 0`,
		`firebreak_probe_up{probe="Portal DNS"} 1`,
		`firebreak_probe_state{probe="Voice & messaging API",state="degraded"} 1`,
		`firebreak_probe_state{probe="Voice & messaging API",state="down"} 0`,
		`firebreak_probe_since_seconds{probe="Portal DNS"} 1584180120`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// Recovery removes the banner.
	up := store.ProbeState{Name: "Customer portal", Type: "http", Target: "https://portal.example/", State: store.ProbeUp, Since: now, Detail: "HTTP 200", CheckedAt: now.Add(time.Second), Good: 2}
	f.must(f.st.RecordProbeTransition(ctx, "monitor", store.ProbeDown, up), "record recovery")
	if body := textOnly(f.do("viewer", "GET", "/", nil)); strings.Contains(body, "Customer portal:") || !strings.Contains(body, "Voice & messaging API: degraded") {
		t.Errorf("after recovery the banner still shows the portal, or lost the API")
	}
}

var tags = regexp.MustCompile(`<[^>]*>`)

// textOnly is a page's text without its tags.
func textOnly(rec *httptest.ResponseRecorder) string {
	return tags.ReplaceAllString(pageText(rec), "")
}
