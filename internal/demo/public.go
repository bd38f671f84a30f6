package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// The demo's public side: what Nordwave's customers see while the portal
// and the voice API are offline. Updates are drafted by the communications
// lead and approved by the incident commander, as the four-eyes rule wants.
const (
	demoDrafter  = "demo:communications"
	demoApprover = "demo:commander"
)

type componentSpec struct {
	name, description, group, service string
}

var publicComponents = []componentSpec{
	{"Customer portal (My Nordwave)", "Bills, contracts, SIM and number management.", "Online services", "Customer portal"},
	{"Voice & messaging API", "SMS, click-to-call and number masking for business customers.", "Online services", "Voice & messaging API"},
	{"Mobile app", "The Nordwave app for iOS and Android.", "Online services", "Mobile app backend"},
	{"Mobile network", "Calls, SMS and mobile data.", "Network", ""},
	{"Fixed broadband", "Fibre and DSL internet access.", "Network", ""},
}

var publicChannels = []store.StatusChannel{
	{Kind: "phone", Label: "Customer hotline", Value: "+31 800 0123", Note: "Free from any network, 24/7 while the portal is offline."},
	{Kind: "phone", Label: "Business customers", Value: "+31 800 0456", Note: "For API and enterprise voice customers."},
	{Kind: "email", Label: "Support by e-mail", Value: "support@nordwave.example"},
	{Kind: "web", Label: "Shops", Value: "https://www.nordwave.example/shops", Note: "Every Nordwave shop can help with bills and SIM cards."},
}

var publicUpdates = []store.NewStatusUpdate{
	{Status: "investigating", Body: "We have taken the customer portal and the voice & messaging API offline as a precaution while we investigate a security incident. Calls, SMS, mobile data and broadband are not affected. Please call the customer hotline or visit a shop for help with your account."},
	{Status: "identified", Body: "The incident affects internet-facing servers of our online services. The affected systems are isolated and external specialists are helping us. The portal and the API stay offline until we are sure they are safe; we expect to restore them step by step. Network services are not affected."},
	{Status: "identified", Body: "Work to rebuild the portal and API servers on clean systems is under way. We will post the next update by 18:00 UTC. Business customers can reach their account team on the business line."},
}

// loadPublic publishes the demo's status page unless components exist
// already (so it runs once, also on a database that has the demo incident
// from an older version).
func loadPublic(ctx context.Context, st *store.Store, actor, ref string) error {
	have, err := st.Components(ctx)
	if err != nil || len(have) > 0 {
		return err
	}
	services, err := st.ListServices(ctx, ref)
	if err != nil {
		return err
	}
	serviceIDs := map[string]int64{}
	for _, sv := range services {
		serviceIDs[sv.Name] = sv.ID
	}
	if err := st.SetStatusSettings(ctx, actor, store.StatusSettings{Name: "Nordwave Telecom"}); err != nil {
		return fmt.Errorf("status settings: %w", err)
	}
	groups := map[string]int64{}
	for i, name := range []string{"Online services", "Network"} {
		g, err := st.CreateStatusGroup(ctx, actor, store.StatusGroup{Name: name, Position: i})
		if err != nil {
			return fmt.Errorf("status group %s: %w", name, err)
		}
		groups[name] = g.ID
	}
	comps := map[string]int64{}
	for i, spec := range publicComponents {
		c := store.StatusComponent{Name: spec.name, Description: spec.description, GroupID: groups[spec.group], Position: i}
		if id, ok := serviceIDs[spec.service]; ok {
			c.ServiceIDs = []int64{id}
		}
		c, err := st.CreateComponent(ctx, actor, c)
		if err != nil {
			return fmt.Errorf("component %s: %w", spec.name, err)
		}
		comps[spec.service] = c.ID
	}
	if err := st.SetStatusChannels(ctx, actor, publicChannels); err != nil {
		return fmt.Errorf("channels: %w", err)
	}
	down := []store.Affected{
		{ComponentID: comps["Customer portal"], Status: incident.StatusMajor},
		{ComponentID: comps["Voice & messaging API"], Status: incident.StatusMajor},
	}
	first := publicUpdates[0]
	first.Affected = down
	ev, err := st.CreateStatusEvent(ctx, demoDrafter, store.NewStatusEvent{IncidentRef: ref,
		Name: "Customer portal and voice API offline", Impact: "major", Update: first})
	if err != nil {
		return fmt.Errorf("public incident: %w", err)
	}
	if err := approveAndPublish(ctx, st, ev.Updates[0].ID); err != nil {
		return err
	}
	for _, u := range publicUpdates[1:] {
		d, err := st.DraftStatusUpdate(ctx, demoDrafter, ev.ID, u)
		if err != nil {
			return fmt.Errorf("draft update: %w", err)
		}
		if err := approveAndPublish(ctx, st, d.ID); err != nil {
			return err
		}
	}
	// An upcoming maintenance, announced.
	from := st.Now().UTC().Truncate(time.Hour).Add(7 * 24 * time.Hour)
	until := from.Add(3 * time.Hour)
	m, err := st.CreateStatusEvent(ctx, demoDrafter, store.NewStatusEvent{Kind: store.EventMaintenance,
		Name: "Voice & messaging API: move to rebuilt servers", ScheduledFor: &from, ScheduledUntil: &until,
		Update: store.NewStatusUpdate{Status: "scheduled", Body: "We will move the voice & messaging API to rebuilt servers. Calls and SMS on the network are not affected; API requests may fail for up to 30 minutes in this window.",
			Affected: []store.Affected{}}})
	if err != nil {
		return fmt.Errorf("maintenance: %w", err)
	}
	if err := approveAndPublish(ctx, st, m.Updates[0].ID); err != nil {
		return err
	}
	// One draft waits for approval, so the console shows the flow.
	if _, err := st.DraftStatusUpdate(ctx, demoDrafter, ev.ID, store.NewStatusUpdate{Status: "monitoring",
		Body: "The customer portal is back online on rebuilt servers. The voice & messaging API follows later today. We are monitoring closely."}); err != nil {
		return fmt.Errorf("draft update: %w", err)
	}
	return nil
}

func approveAndPublish(ctx context.Context, st *store.Store, id int64) error {
	if _, err := st.ApproveStatusUpdate(ctx, demoApprover, id); err != nil {
		return fmt.Errorf("approve update: %w", err)
	}
	if _, err := st.PublishStatusUpdate(ctx, demoDrafter, id); err != nil {
		return fmt.Errorf("publish update: %w", err)
	}
	return nil
}
