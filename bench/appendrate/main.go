// Command appendrate measures acknowledged timeline appends per second
// through Firebreak's API: several clients POST events for a fixed time and
// only 201 answers count. bench/appends.sh starts the server and calls it.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "server base URL")
	token := flag.String("token", "", "API token")
	ref := flag.String("incident", "", "incident reference")
	clients := flag.Int("clients", 16, "concurrent clients")
	dur := flag.Duration("duration", 10*time.Second, "how long to run")
	flag.Parse()
	if *token == "" || *ref == "" {
		fmt.Fprintln(os.Stderr, "appendrate: -token and -incident are required")
		os.Exit(2)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: *clients}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	url := *base + "/api/v1/incidents/" + *ref + "/events"
	var ok, failed atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	deadline := time.Now().Add(*dur)
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := 0; time.Now().Before(deadline); i++ {
				body := fmt.Sprintf(`{"kind":"note","text":"bench client %d event %d"}`, c, i)
				req, _ := http.NewRequest("POST", url, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+*token)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == 201 {
					ok.Add(1)
					mine = append(mine, time.Since(t0))
				} else {
					failed.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(float64(len(lat)-1)*p)]
	}
	fmt.Printf("appends_acknowledged=%d failed=%d seconds=%.1f rate=%.0f/s p50=%s p99=%s clients=%d\n",
		ok.Load(), failed.Load(), el.Seconds(), float64(ok.Load())/el.Seconds(), pct(0.5).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), *clients)
}
