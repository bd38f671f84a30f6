package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// livePoll is how often an open console asks the database for new timeline
// entries. Polling the shared database, rather than notifying in-process,
// also carries changes made through other replicas.
const livePoll = 300 * time.Millisecond

// liveRecheck is how often an open stream checks that its caller may still
// read the incident: a stream must not outlive a logout, a password change,
// a disabled account or a guest's expiry.
var liveRecheck = 15 * time.Second

// eventStream sends new timeline entries of one incident as Server-Sent
// Events, each carrying the whole entry as JSON. A reconnecting browser
// sends Last-Event-ID and gets what it missed.
func (s *Server) eventStream(w http.ResponseWriter, r *http.Request, c *caller) error {
	ref := r.PathValue("ref")
	rc := http.NewResponseController(w)
	// Start from now: the page already shows the past. This also answers
	// 404 for an unknown incident before the stream begins.
	last, err := s.st.LastEventID(r.Context(), ref)
	if err != nil {
		return err
	}
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		// A reconnecting browser: send what it missed.
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id >= 0 {
			last = min(id, last)
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
	keepalive, checked := time.Now(), time.Now()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-tick.C:
		}
		if time.Since(checked) >= liveRecheck {
			if !s.mayStillRead(r, ref) {
				return nil
			}
			checked = time.Now()
		}
		events, err := s.st.ListEvents(r.Context(), ref, store.Page{After: last, Limit: 500})
		if err != nil {
			if r.Context().Err() != nil {
				return nil
			}
			s.log.Warn("live timeline", "incident", ref, "err", err)
			continue
		}
		if len(events) > 0 && !s.mayStillRead(r, ref) {
			// Checked again before anything is sent: the incident may have
			// gone TLP:RED, or the caller lost access, since the last check.
			return nil
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

// mayStillRead reports whether the caller of r may still read incident ref.
func (s *Server) mayStillRead(r *http.Request, ref string) bool {
	c, err := s.identify(r)
	if err != nil || c == nil || !auth.Can(c.user.Role, auth.IncidentRead) {
		return false
	}
	return s.checkIncident(r.Context(), c, ref) == nil
}
