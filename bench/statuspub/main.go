// Command statuspub publishes one public status update per interval through
// Firebreak's API, as an incident commander would during an outage: draft
// (author), approve (a second user: four eyes), publish (author). After each
// publish it polls the public page until its ETag changes and reports how
// long the new page took to become visible. bench/status.sh runs it next to
// wrk so that the page is re-rendered and swapped while it is under load.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "console base URL")
	public := flag.String("public", "", "public page base URL (to time visibility; optional)")
	author := flag.String("author", "", "API token of the author and publisher (status.draft, status.publish)")
	approver := flag.String("approver", "", "API token of a second user (status.approve)")
	event := flag.Int64("event", 0, "status event id (0: the first published, unresolved incident)")
	every := flag.Duration("interval", time.Second, "one publish per interval")
	dur := flag.Duration("duration", 10*time.Second, "how long to run (SIGTERM stops early)")
	label := flag.String("label", "", "prefix of the update bodies and of the report line")
	flag.Parse()
	if *author == "" || *approver == "" {
		fmt.Fprintln(os.Stderr, "statuspub: -author and -approver are required")
		os.Exit(2)
	}
	c := &client{base: *base, hc: &http.Client{Timeout: 10 * time.Second}}
	if *event == 0 {
		var err error
		if *event, err = c.firstEvent(*author); err != nil {
			fmt.Fprintln(os.Stderr, "statuspub:", err)
			os.Exit(1)
		}
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	deadline := time.After(*dur)
	tick := time.NewTicker(*every)
	defer tick.Stop()
	var ok, failed int
	var took, visible []time.Duration
	start := time.Now()
loop:
	for n := 1; ; n++ {
		if n > 1 { // the first update goes out at once
			select {
			case <-stop:
				break loop
			case <-deadline:
				break loop
			case <-tick.C:
			}
		}
		etag := c.etag(*public)
		t0 := time.Now()
		if err := c.publishOne(*event, *author, *approver, fmt.Sprintf("%s update %d: still investigating", *label, n)); err != nil {
			failed++
			fmt.Fprintln(os.Stderr, "statuspub:", err)
			continue
		}
		ok++
		took = append(took, time.Since(t0))
		if *public != "" && etag != "" {
			for time.Since(t0) < 2*time.Second {
				if e := c.etag(*public); e != "" && e != etag {
					visible = append(visible, time.Since(t0))
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
		}
	}
	fmt.Printf("%spublished %d updates (%d failed) in %.1fs; draft+approve+publish p50 %s max %s; new page visible p50 %s max %s (%d/%d seen)\n",
		prefix(*label), ok, failed, time.Since(start).Seconds(), pct(took, 50), pct(took, 100), pct(visible, 50), pct(visible, 100), len(visible), ok)
}

func prefix(label string) string {
	if label == "" {
		return ""
	}
	return label + ": "
}

func pct(d []time.Duration, p int) string {
	if len(d) == 0 {
		return "-"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s) - 1) * p / 100
	return s[i].Round(100 * time.Microsecond).String()
}

type client struct {
	base string
	hc   *http.Client
}

// call sends a JSON request and decodes the answer into out (when not nil).
func (c *client) call(method, path, token string, in, out any, want int) error {
	var body bytes.Buffer
	if in != nil {
		if err := json.NewEncoder(&body).Encode(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequest(method, c.base+path, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		var msg bytes.Buffer
		_, _ = msg.ReadFrom(resp.Body)
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(msg.Bytes()))
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

func (c *client) firstEvent(token string) (int64, error) {
	var o struct {
		Events []struct {
			ID        int64  `json:"id"`
			Kind      string `json:"kind"`
			Status    string `json:"status"`
			Published bool   `json:"published"`
		} `json:"events"`
	}
	if err := c.call("GET", "/api/v1/status", token, nil, &o, http.StatusOK); err != nil {
		return 0, err
	}
	for _, e := range o.Events {
		if e.Published && e.Kind == "incident" && e.Status != "resolved" && e.Status != "postmortem" {
			return e.ID, nil
		}
	}
	return 0, fmt.Errorf("no published, unresolved incident on the status page to add updates to (start serve with --demo)")
}

func (c *client) publishOne(event int64, author, approver, text string) error {
	var u struct {
		ID int64 `json:"id"`
	}
	in := map[string]any{"status": "identified", "body": text}
	if err := c.call("POST", "/api/v1/status/events/"+strconv.FormatInt(event, 10)+"/updates", author, in, &u, http.StatusCreated); err != nil {
		return err
	}
	id := strconv.FormatInt(u.ID, 10)
	if err := c.call("POST", "/api/v1/status/updates/"+id+"/approve", approver, nil, nil, http.StatusOK); err != nil {
		return err
	}
	return c.call("POST", "/api/v1/status/updates/"+id+"/publish", author, nil, nil, http.StatusOK)
}

// etag returns the ETag of the public page's index ("" when not asked or
// unreachable).
func (c *client) etag(public string) string {
	if public == "" {
		return ""
	}
	req, err := http.NewRequest("HEAD", public+"/", nil)
	if err != nil {
		return ""
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return ""
	}
	resp.Body.Close()
	return resp.Header.Get("Etag")
}
