package status

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func serve(srv http.Handler, method, path string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	return w
}

func TestServer(t *testing.T) {
	snap := mustRender(t, telecomPage())
	srv := NewServer(snap)
	summary, _ := snap.Lookup("/api/v2/summary.json")
	index, _ := snap.Lookup("/")

	tests := []struct {
		name       string
		method     string
		path       string
		hdr        []string
		code       int
		ctype      string
		encoding   string
		etag       string
		bodyPrefix string
		emptyBody  bool
	}{
		{"index", "GET", "/", nil, 200, typeHTML, "", index.ETag, "<!doctype html>", false},
		{"index alias", "GET", "/index.html", nil, 200, typeHTML, "", index.ETag, "<!doctype html>", false},
		{"summary", "GET", "/api/v2/summary.json", nil, 200, typeJSON, "", summary.ETag, `{"page":`, false},
		{"summary gzip", "GET", "/api/v2/summary.json", []string{"Accept-Encoding", "br, gzip;q=0.8"}, 200, typeJSON, "gzip", summary.GzipETag, "", false},
		{"gzip refused", "GET", "/api/v2/summary.json", []string{"Accept-Encoding", "gzip;q=0, deflate"}, 200, typeJSON, "", summary.ETag, `{"page":`, false},
		{"star", "GET", "/", []string{"Accept-Encoding", "*"}, 200, typeHTML, "gzip", index.GzipETag, "", false},
		{"head", "HEAD", "/", nil, 200, typeHTML, "", index.ETag, "", true},
		{"not modified", "GET", "/api/v2/summary.json", []string{"If-None-Match", summary.ETag}, 304, "", "", summary.ETag, "", true},
		{"not modified gzip etag", "GET", "/api/v2/summary.json", []string{"If-None-Match", `"x", ` + summary.GzipETag, "Accept-Encoding", "gzip"}, 304, "", "", summary.GzipETag, "", true},
		{"not modified weak", "GET", "/", []string{"If-None-Match", "W/" + index.ETag}, 304, "", "", index.ETag, "", true},
		{"not modified star", "GET", "/", []string{"If-None-Match", "*"}, 304, "", "", index.ETag, "", true},
		{"stale etag", "GET", "/", []string{"If-None-Match", `"0000"`}, 200, typeHTML, "", index.ETag, "<!doctype html>", false},
		{"not found", "GET", "/nope", nil, 404, typeHTML, "", "", "<!doctype html>", false},
		{"no trailing slash match", "GET", "/history/", nil, 404, typeHTML, "", "", "<!doctype html>", false},
		{"not found ignores etag", "GET", "/nope", []string{"If-None-Match", "*"}, 404, typeHTML, "", "", "<!doctype html>", false},
		{"post", "POST", "/", nil, 405, "text/plain; charset=utf-8", "", "", "method not allowed", false},
		{"delete", "DELETE", "/api/v2/summary.json", nil, 405, "text/plain; charset=utf-8", "", "", "method not allowed", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(srv, tt.method, tt.path, tt.hdr...)
			if w.Code != tt.code {
				t.Fatalf("%s %s = %d, want %d", tt.method, tt.path, w.Code, tt.code)
			}
			h := w.Header()
			if h.Get("Content-Type") != tt.ctype {
				t.Errorf("Content-Type = %q, want %q", h.Get("Content-Type"), tt.ctype)
			}
			if h.Get("Content-Encoding") != tt.encoding {
				t.Errorf("Content-Encoding = %q, want %q", h.Get("Content-Encoding"), tt.encoding)
			}
			if tt.etag != "" && h.Get("ETag") != tt.etag {
				t.Errorf("ETag = %q, want %q", h.Get("ETag"), tt.etag)
			}
			for k, want := range map[string]string{
				"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
				"Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
			} {
				if h.Get(k) != want {
					t.Errorf("%s = %q, want %q", k, h.Get(k), want)
				}
			}
			if tt.code == 405 && h.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q", h.Get("Allow"))
			}
			if tt.emptyBody && w.Body.Len() != 0 {
				t.Errorf("body has %d bytes, want none", w.Body.Len())
			}
			if !strings.HasPrefix(w.Body.String(), tt.bodyPrefix) {
				t.Errorf("body starts %.40q, want %q", w.Body.String(), tt.bodyPrefix)
			}
			if tt.code == 200 || tt.code == 304 {
				if h.Get("Vary") != "Accept-Encoding" || h.Get("Cache-Control") == "" {
					t.Errorf("Vary = %q, Cache-Control = %q", h.Get("Vary"), h.Get("Cache-Control"))
				}
			}
			if tt.code == 200 && !tt.emptyBody && h.Get("Content-Length") != "" && h.Get("Content-Length") != itoa(w.Body.Len()) {
				t.Errorf("Content-Length = %s, body %d", h.Get("Content-Length"), w.Body.Len())
			}
			if tt.encoding == "gzip" {
				zr, err := gzip.NewReader(w.Body)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(zr)
				e, _ := snap.Lookup(tt.path)
				if !bytes.Equal(got, e.Body) {
					t.Errorf("gunzipped body differs from the identity body")
				}
			}
		})
	}

	if w := serve(srv, "HEAD", "/"); w.Header().Get("Content-Length") != itoa(len(index.Body)) {
		t.Errorf("HEAD Content-Length = %q, want %d", w.Header().Get("Content-Length"), len(index.Body))
	}
	if got := serve(srv, "GET", "/api/v2/summary.json").Header().Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("JSON Access-Control-Allow-Origin = %q, want *", got)
	}
	for path, want := range map[string]string{"/": CacheShort, "/nope": CacheShort} {
		if got := serve(srv, "GET", path).Header().Get("Cache-Control"); got != want {
			t.Errorf("%s Cache-Control = %q, want %q", path, got, want)
		}
	}
	for _, e := range snap.Entries() {
		if strings.HasPrefix(e.Path, "/assets/") {
			if got := serve(srv, "GET", e.Path).Header().Get("Cache-Control"); got != CacheImmutable {
				t.Errorf("%s Cache-Control = %q, want immutable", e.Path, got)
			}
		}
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// TestETagStable: rendering the same page twice gives the same bytes and
// ETags; a change changes the ETag of what changed only.
func TestETagStable(t *testing.T) {
	a, b := mustRender(t, telecomPage()), mustRender(t, telecomPage())
	for _, e := range a.Entries() {
		f, ok := b.Lookup(e.Path)
		if !ok || f.ETag != e.ETag || f.GzipETag != e.GzipETag || !bytes.Equal(f.Body, e.Body) {
			t.Errorf("%s differs between two renders of the same page", e.Path)
		}
	}
	p := telecomPage()
	p.Incidents[1].Name = "Delayed SMS delivery (updated)"
	c := mustRender(t, p)
	same := func(path string) bool {
		x, _ := a.Lookup(path)
		y, _ := c.Lookup(path)
		return x.ETag == y.ETag
	}
	if same("/incidents/inc-sms") || same("/api/v2/incidents.json") {
		t.Errorf("changed entries kept their ETag")
	}
	if !same("/incidents/inc-portal") || !same("/api/v2/status.json") {
		t.Errorf("unchanged entries changed their ETag")
	}
}

func TestServerSwap(t *testing.T) {
	srv := NewServer(nil)
	if w := serve(srv, "GET", "/"); w.Code != 503 {
		t.Fatalf("before the first snapshot: %d, want 503", w.Code)
	}
	a, b := mustRender(t, telecomPage()), mustRender(t, operationalPage())
	srv.Swap(a)
	etagA := serve(srv, "GET", "/").Header().Get("ETag")

	// Swaps race with readers: each reader sees one whole snapshot.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				w := serve(srv, "GET", "/api/v2/status.json")
				got := w.Body.String()
				if !strings.Contains(got, "Major Service Outage") && !strings.Contains(got, "All Systems Operational") {
					t.Errorf("torn response %q", got)
					return
				}
			}
		}()
	}
	for j := 0; j < 100; j++ {
		srv.Swap(b)
		srv.Swap(a)
	}
	wg.Wait()

	if old := srv.Swap(b); old != a {
		t.Errorf("Swap returned %p, want the previous snapshot %p", old, a)
	}
	if srv.Snapshot() != b {
		t.Errorf("Snapshot() is not the swapped-in one")
	}
	w := serve(srv, "GET", "/", "If-None-Match", etagA)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "All Systems Operational") {
		t.Errorf("after Swap: %d, want 200 with the new page", w.Code)
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"deflate, gzip", true},
		{"br;q=1.0, gzip;q=0.5", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"gzip;q=0.001", true},
		{"*", true},
		{"*;q=0", false},
		{"gzip;q=0, *", false},
		{"identity", false},
		{"x-gzip", true},
		{"gzipx", false},
	}
	for _, tt := range tests {
		if got := acceptsGzip([]string{tt.in}); got != tt.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// discard is a ResponseWriter that keeps nothing, so the benchmarks
// measure the server alone.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func benchServe(b *testing.B, path string) {
	srv := NewServer(mustRender(b, telecomPage()))
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("Accept-Encoding", "gzip, deflate, br")
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		srv.ServeHTTP(w, r)
	}
}

func BenchmarkServeSummary(b *testing.B) { benchServe(b, "/api/v2/summary.json") }
func BenchmarkServeIndex(b *testing.B)   { benchServe(b, "/") }

// BenchmarkServeIndexRecorder goes through httptest.ResponseRecorder, as
// the tests do (its own allocations included).
func BenchmarkServeIndexRecorder(b *testing.B) {
	srv := NewServer(mustRender(b, telecomPage()))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	b.ReportAllocs()
	for b.Loop() {
		srv.ServeHTTP(httptest.NewRecorder(), r)
	}
}

func BenchmarkRender(b *testing.B) {
	p := telecomPage()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(p, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// TestServerOverTheWire checks the same through net/http's real server
// and client (which negotiates gzip and decompresses transparently).
func TestServerOverTheWire(t *testing.T) {
	snap := mustRender(t, telecomPage())
	ts := httptest.NewServer(NewServer(snap))
	defer ts.Close()

	res, err := http.Get(ts.URL + "/api/v2/summary.json")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	want, _ := snap.Lookup("/api/v2/summary.json")
	if res.StatusCode != 200 || !res.Uncompressed || !bytes.Equal(got, want.Body) {
		t.Fatalf("GET summary: %d, uncompressed by the client %v, same bytes %v", res.StatusCode, res.Uncompressed, bytes.Equal(got, want.Body))
	}

	req, _ := http.NewRequest("GET", ts.URL+"/api/v2/summary.json", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	req.Header.Set("Accept-Encoding", "gzip")
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != 304 {
		t.Errorf("conditional GET = %d, want 304", res2.StatusCode)
	}

	res3, err := http.Post(ts.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	res3.Body.Close()
	if res3.StatusCode != 405 {
		t.Errorf("POST = %d, want 405", res3.StatusCode)
	}
}
