package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/firebreak-ir/firebreak/internal/store"
)

// livePoll is how often an open console asks the database for new timeline
// entries. Polling the shared database, rather than notifying in-process,
// also carries changes made through other replicas.
const livePoll = 300 * time.Millisecond

// eventStream sends new timeline entries of one incident as Server-Sent
// Events, each carrying the whole entry as JSON. A reconnecting browser
// sends Last-Event-ID and gets what it missed.
func (s *Server) eventStream(w http.ResponseWriter, r *http.Request, c *caller) error {
	ref := r.PathValue("ref")
	rc := http.NewResponseController(w)
	var last int64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		last, _ = strconv.ParseInt(v, 10, 64)
	} else {
		// Start from now: the page already shows the past.
		var err error
		if last, err = s.st.LastEventID(r.Context(), ref); err != nil {
			return err
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	if err := rc.Flush(); err != nil {
		return nil
	}
	tick := time.NewTicker(livePoll)
	defer tick.Stop()
	keepalive := time.Now()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-tick.C:
		}
		events, err := s.st.ListEvents(r.Context(), ref, store.Page{After: last, Limit: 500})
		if err != nil {
			if r.Context().Err() != nil {
				return nil
			}
			s.log.Warn("live timeline", "incident", ref, "err", err)
			continue
		}
		for _, e := range events {
			b, _ := json.Marshal(e)
			fmt.Fprintf(w, "id: %d\nevent: timeline\ndata: %s\n\n", e.ID, b)
			last = e.ID
		}
		if len(events) == 0 && time.Since(keepalive) > 15*time.Second {
			fmt.Fprint(w, ": keepalive\n\n")
			keepalive = time.Now()
		} else if len(events) > 0 {
			keepalive = time.Now()
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}
