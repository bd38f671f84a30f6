package web

import (
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// metrics counts requests per route and status class and exposes them in
// the Prometheus text format. A handful of counters does not justify the
// client library and its dependencies (docs/dependencies.md).
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]uint64 // route, status class
	seconds  map[string]float64
	started  time.Time
}

func newMetrics() *metrics {
	return &metrics{requests: map[[2]string]uint64{}, seconds: map[string]float64{}, started: time.Now()}
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	class := fmt.Sprintf("%dxx", status/100)
	m.mu.Lock()
	m.requests[[2]string{route, class}]++
	m.seconds[route] += d.Seconds()
	m.mu.Unlock()
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, _ *caller) error {
	m := s.metrics
	var b strings.Builder
	m.mu.Lock()
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	b.WriteString("# HELP firebreak_http_requests_total HTTP requests by route and status class.\n# TYPE firebreak_http_requests_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "firebreak_http_requests_total{route=%q,code=%q} %d\n", k[0], k[1], m.requests[k])
	}
	routes := make([]string, 0, len(m.seconds))
	for r := range m.seconds {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	b.WriteString("# HELP firebreak_http_request_seconds_total Time spent serving requests, by route.\n# TYPE firebreak_http_request_seconds_total counter\n")
	for _, r := range routes {
		fmt.Fprintf(&b, "firebreak_http_request_seconds_total{route=%q} %g\n", r, m.seconds[r])
	}
	m.mu.Unlock()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(&b, "# HELP firebreak_build_info Build information.\n# TYPE firebreak_build_info gauge\nfirebreak_build_info{version=%q,go=%q} 1\n", s.opt.Version, runtime.Version())
	fmt.Fprintf(&b, "# HELP firebreak_uptime_seconds Seconds since the server started.\n# TYPE firebreak_uptime_seconds gauge\nfirebreak_uptime_seconds %g\n", time.Since(m.started).Seconds())
	fmt.Fprintf(&b, "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	if err := s.writeProbeMetrics(r, &b); err != nil {
		return err
	}
	fmt.Fprintf(&b, "# HELP go_memstats_heap_alloc_bytes Heap bytes allocated and in use.\n# TYPE go_memstats_heap_alloc_bytes gauge\ngo_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, err := w.Write([]byte(b.String()))
	return err
}
