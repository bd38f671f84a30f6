// Package publish keeps the public status page current: it reads the public
// projection from the store (the status_* tables, never the incident
// record), turns it into a status.Page, renders an immutable snapshot, swaps
// it into the public server and optionally exports it as static files.
//
// A Publisher re-renders when the page version moves: at once after a local
// change (Kick), on PostgreSQL when another replica commits a change
// (LISTEN/NOTIFY), and otherwise by polling the version, so that a replica
// that missed a notification still catches up. It also re-renders once a
// minute so that uptime bars and "upcoming" maintenances follow the clock.
package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/status"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// Project turns the public projection into the page the renderer takes. It
// copies public fields only: who drafted or approved an update and which
// incident an event belongs to stay behind.
func Project(d store.StatusData, defaults store.StatusSettings) status.Page {
	st := d.Settings
	if st.Name == "" {
		st.Name = defaults.Name
	}
	if st.URL == "" {
		st.URL = defaults.URL
	}
	if st.TimeZone == "" {
		st.TimeZone = defaults.TimeZone
	}
	p := status.Page{Name: st.Name, URL: st.URL, TimeZone: st.TimeZone}
	groupIDs := map[int64]string{}
	for _, g := range d.Groups {
		groupIDs[g.ID] = g.PublicID
		p.Groups = append(p.Groups, status.Group{ID: g.PublicID, Name: g.Name, Description: g.Description, Position: g.Position})
	}
	compIDs := map[int64]string{}
	for _, c := range d.Components {
		compIDs[c.ID] = c.PublicID
		sc := status.Component{ID: c.PublicID, Name: c.Name, Description: c.Description, GroupID: groupIDs[c.GroupID],
			Status: c.Status, Position: c.Position, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
		for _, h := range c.History {
			sc.History = append(sc.History, status.StatusChange{At: h.At, Status: h.Status})
		}
		p.Components = append(p.Components, sc)
	}
	for _, ch := range d.Channels {
		p.Channels = append(p.Channels, status.Channel{Kind: status.ChannelKind(ch.Kind), Label: ch.Label, Value: ch.Value, Note: ch.Note})
	}
	for _, ev := range d.Events {
		if !ev.Published {
			continue
		}
		var ups []status.Update
		var comps []string
		for _, u := range ev.Updates {
			if u.State != store.UpdatePublished || u.PublishedAt == nil {
				continue
			}
			su := status.Update{ID: u.PublicID, Status: status.IncidentStatus(u.Status), Body: u.Body, CreatedAt: *u.PublishedAt}
			for _, a := range u.Affected {
				id, ok := compIDs[a.ComponentID]
				if !ok {
					continue
				}
				su.Affected = append(su.Affected, status.AffectedComponent{ComponentID: id, OldStatus: orOperational(a.OldStatus), NewStatus: a.Status})
				if !slices.Contains(comps, id) {
					comps = append(comps, id)
				}
			}
			ups = append(ups, su)
		}
		if len(ups) == 0 {
			continue
		}
		created := ups[0].CreatedAt
		if ev.Kind == store.EventMaintenance {
			m := status.Maintenance{ID: ev.PublicID, Name: ev.Name, Status: status.IncidentStatus(ev.Status),
				CreatedAt: created, Updates: ups, ComponentIDs: comps}
			if ev.ScheduledFor != nil {
				m.ScheduledFor = *ev.ScheduledFor
			}
			if ev.ScheduledUntil != nil {
				m.ScheduledUntil = *ev.ScheduledUntil
			}
			p.Maintenances = append(p.Maintenances, m)
			continue
		}
		p.Incidents = append(p.Incidents, status.Incident{ID: ev.PublicID, Name: ev.Name, Status: status.IncidentStatus(ev.Status),
			Impact: status.Impact(ev.Impact), CreatedAt: created, Updates: ups, ComponentIDs: comps})
	}
	return p
}

func orOperational(s incident.ServiceStatus) incident.ServiceStatus {
	if s == "" {
		return incident.StatusOperational
	}
	return s
}

// Check returns a store status check (store.SetStatusCheck) that refuses
// any change after which the page would not render: the renderer's own
// validation (phone numbers, URLs, limits on counts and sizes) run on the
// page the change would produce.
func Check(defaults store.StatusSettings) func(store.StatusData) error {
	return func(d store.StatusData) error {
		p := Project(d, defaults)
		return p.Validate()
	}
}

// Options configure a Publisher.
type Options struct {
	// Defaults fill page settings not set in the store (name, URL).
	Defaults store.StatusSettings
	// ExportDir, when set, receives a static copy of the site on every
	// change (status.Export).
	ExportDir string
	// SubscribeURL, when set, is where the page's sign-up form posts.
	SubscribeURL string
	// Poll is how often the version is polled (default 2s).
	Poll time.Duration
	// Rerender is how often the page is rendered even without a change
	// (default 1 minute), so time-dependent parts stay true.
	Rerender time.Duration
	// Schedule is how often maintenances are moved at their scheduled
	// times (store.AdvanceMaintenances; default 15s, negative: never).
	Schedule time.Duration
	Logger   *slog.Logger
	Now      func() time.Time
}

// Publisher keeps a status.Server's snapshot in step with the store.
type Publisher struct {
	st   *store.Store
	srv  *status.Server
	opt  Options
	kick chan struct{}

	mu      sync.Mutex // serialises Refresh
	version int64
}

// New returns a Publisher for srv. Call Refresh once before serving, then
// Run.
func New(st *store.Store, srv *status.Server, opt Options) *Publisher {
	if opt.Poll <= 0 {
		opt.Poll = 2 * time.Second
	}
	if opt.Rerender <= 0 {
		opt.Rerender = time.Minute
	}
	if opt.Schedule == 0 {
		opt.Schedule = 15 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Publisher{st: st, srv: srv, opt: opt, kick: make(chan struct{}, 1), version: -1}
}

// Kick asks for a refresh soon (after a local change). It never blocks.
func (p *Publisher) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Refresh renders the page if its version moved since the last render (or
// force is set), swaps it in and exports it. A page that fails to render
// leaves the current snapshot serving and returns the error.
func (p *Publisher) Refresh(ctx context.Context, force bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !force {
		v, err := p.st.StatusVersion(ctx)
		if err != nil {
			return err
		}
		if v == p.version {
			return nil
		}
	}
	d, err := p.st.StatusData(ctx)
	if err != nil {
		return err
	}
	now := p.opt.Now()
	page := Project(d, p.opt.Defaults)
	page.SubscribeURL = p.opt.SubscribeURL
	snap, err := status.Render(page, now)
	if err != nil {
		return fmt.Errorf("render status page (version %d): %w", d.Version, err)
	}
	p.srv.Swap(snap)
	if p.opt.ExportDir != "" {
		if err := status.Export(snap, p.opt.ExportDir); err != nil {
			// The version stays behind, so the next poll tries again.
			return fmt.Errorf("export status page to %s: %w", p.opt.ExportDir, err)
		}
	}
	p.version = d.Version
	p.opt.Logger.Debug("status page rendered", "version", d.Version, "entries", len(snap.Paths()))
	return nil
}

// Version is the page version of the snapshot being served (-1 before the
// first render).
func (p *Publisher) Version() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.version
}

// Run keeps the page current until ctx ends.
func (p *Publisher) Run(ctx context.Context) {
	notified := make(chan struct{}, 1)
	go p.listen(ctx, notified)
	poll := time.NewTicker(p.opt.Poll)
	defer poll.Stop()
	rerender := time.NewTicker(p.opt.Rerender)
	defer rerender.Stop()
	var schedule <-chan time.Time
	if p.opt.Schedule > 0 {
		t := time.NewTicker(p.opt.Schedule)
		defer t.Stop()
		schedule = t.C
		p.advance(ctx)
	}
	for {
		force := false
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
		case <-notified:
		case <-poll.C:
		case <-rerender.C:
			force = true
		case <-schedule:
			if !p.advance(ctx) {
				continue
			}
		}
		if err := p.Refresh(ctx, force); err != nil && ctx.Err() == nil {
			p.opt.Logger.Error("status page refresh failed; the previous page keeps serving", "err", err)
		}
	}
}

// advance moves maintenances whose scheduled time has come, and reports
// whether any moved.
func (p *Publisher) advance(ctx context.Context) bool {
	n, err := p.st.AdvanceMaintenances(ctx)
	if err != nil && ctx.Err() == nil {
		p.opt.Logger.Error("moving maintenances at their scheduled times failed", "err", err)
	}
	if n > 0 {
		p.opt.Logger.Info("maintenances moved at their scheduled times", "count", n)
	}
	return n > 0
}

// listen forwards PostgreSQL notifications, reconnecting with backoff.
func (p *Publisher) listen(ctx context.Context, out chan<- struct{}) {
	backoff := time.Second
	for ctx.Err() == nil {
		started := time.Now()
		err := p.st.ListenStatus(ctx, func() {
			select {
			case out <- struct{}{}:
			default:
			}
		})
		if errors.Is(err, errors.ErrUnsupported) || ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			backoff = time.Second // it worked for a while: start over
		}
		p.opt.Logger.Warn("status change listener stopped; polling until it reconnects", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
	}
}
