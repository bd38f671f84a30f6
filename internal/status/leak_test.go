package status

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// The public plane cannot leak internal fields, by construction: Render
// reads a Page and nothing else, and no type reachable from Page can hold
// an internal record. There is no field for an incident.Incident, Event
// (timeline), Task, Asset, Indicator, Finding, Evidence or note, nor any
// interface, map or func field through which one could be smuggled: such
// a value cannot even be passed to Render — the program would not compile.
// TestPageTypeIsClosed keeps that true as Page grows; the store's
// projection (the code that copies public fields into a Page) gets its own
// canary test against the record when it lands (issue 4).
//
// What remains to prove here is the other direction: every public field
// does reach the public plane (TestPublicFieldsAppear), so that the list
// of string fields below is the complete list of what can be published.

// publicStringFields lists every string-typed field reachable from Page,
// by "Type.Field". Adding a field to the projection means adding it here —
// a deliberate decision that it is public.
var publicStringFields = []string{
	"AffectedComponent.ComponentID", "AffectedComponent.NewStatus", "AffectedComponent.OldStatus",
	"Channel.Kind", "Channel.Label", "Channel.Note", "Channel.Value",
	"Component.Description", "Component.GroupID", "Component.ID", "Component.Name", "Component.Status",
	"Group.Description", "Group.ID", "Group.Name",
	"Incident.ComponentIDs", "Incident.ID", "Incident.Impact", "Incident.Name", "Incident.Shortlink", "Incident.Status",
	"Maintenance.ComponentIDs", "Maintenance.ID", "Maintenance.Name", "Maintenance.Shortlink", "Maintenance.Status",
	"Page.SubscribeURL",
	"Page.ID", "Page.Name", "Page.TimeZone", "Page.URL",
	"StatusChange.Status",
	"Update.Body", "Update.ID", "Update.Status",
}

func TestPageTypeIsClosed(t *testing.T) {
	allowedFromIncident := map[reflect.Type]bool{reflect.TypeFor[incident.ServiceStatus](): true}
	forbidden := []reflect.Type{
		reflect.TypeFor[incident.Incident](), reflect.TypeFor[incident.Event](), reflect.TypeFor[incident.Task](),
		reflect.TypeFor[incident.Asset](), reflect.TypeFor[incident.Indicator](), reflect.TypeFor[incident.Finding](),
		reflect.TypeFor[incident.Evidence](), reflect.TypeFor[incident.Service](), reflect.TypeFor[incident.User](),
	}
	incidentPkg := reflect.TypeFor[incident.Incident]().PkgPath()

	var got []string
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, where string) {
		if slices.Contains(forbidden, ty) {
			t.Errorf("%s reaches the internal record type %v", where, ty)
		}
		if ty.PkgPath() == incidentPkg && !allowedFromIncident[ty] {
			t.Errorf("%s has type %v from package incident; only enumerations may come from there", where, ty)
		}
		switch ty.Kind() {
		case reflect.Interface, reflect.Map, reflect.Func, reflect.Chan, reflect.Pointer, reflect.UnsafePointer:
			t.Errorf("%s has kind %v: it could carry anything", where, ty.Kind())
		case reflect.Slice, reflect.Array:
			walk(ty.Elem(), where+"[]")
		case reflect.Struct:
			if ty == reflect.TypeFor[time.Time]() || seen[ty] {
				return
			}
			seen[ty] = true
			for f := range ty.Fields() {
				if !f.IsExported() {
					t.Errorf("%s.%s is unexported: the projection must be plain data", ty.Name(), f.Name)
				}
				ft := f.Type
				for ft.Kind() == reflect.Slice {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.String {
					got = append(got, ty.Name()+"."+f.Name)
				}
				walk(f.Type, ty.Name()+"."+f.Name)
			}
		}
	}
	walk(reflect.TypeFor[Page](), "Page")
	slices.Sort(got)
	want := slices.Clone(publicStringFields)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("string fields reachable from Page = %v\nwant (publicStringFields) %v\nA new field must be added to publicStringFields and to TestPublicFieldsAppear on purpose.", got, want)
	}
}

// TestPublicFieldsAppear plants a canary in every free-text and id field
// of the projection and checks each one reaches the public plane (some
// page, JSON document or feed). Enumerations are covered by the golden
// files.
func TestPublicFieldsAppear(t *testing.T) {
	canaries := map[string]string{} // field → canary
	c := func(field string) string {
		v := "CANARY-" + strings.ReplaceAll(field, ".", "-")
		canaries[field] = v
		return v
	}
	compID, groupID := c("Component.ID"), c("Group.ID")
	p := Page{
		ID: c("Page.ID"), Name: c("Page.Name"),
		URL:      "https://status.example.com/" + c("Page.URL"),
		TimeZone: c("Page.TimeZone"),
		Groups:   []Group{{ID: groupID, Name: c("Group.Name"), Description: c("Group.Description")}},
		Components: []Component{{ID: compID, Name: c("Component.Name"), Description: c("Component.Description"),
			GroupID: groupID, Status: incident.StatusMajor, CreatedAt: testNow.AddDate(0, -1, 0)}},
		Incidents: []Incident{{ID: c("Incident.ID"), Name: c("Incident.Name"), Status: Identified,
			Shortlink: "https://stspg.example/" + c("Incident.Shortlink"),
			CreatedAt: testNow.Add(-time2h), ComponentIDs: []string{compID},
			Updates: []Update{{ID: c("Update.ID"), Status: Identified, Body: c("Update.Body"), CreatedAt: testNow.Add(-time2h),
				Affected: []AffectedComponent{{ComponentID: compID, OldStatus: incident.StatusOperational, NewStatus: incident.StatusMajor}}}}}},
		Maintenances: []Maintenance{{ID: c("Maintenance.ID"), Name: c("Maintenance.Name"), Status: Scheduled,
			Shortlink:    "https://stspg.example/" + c("Maintenance.Shortlink"),
			ScheduledFor: testNow.Add(time2h), ScheduledUntil: testNow.Add(2 * time2h), ComponentIDs: []string{compID},
			Updates: []Update{{ID: "mupd", Status: Scheduled, Body: c("Maintenance.Update.Body"), CreatedAt: testNow}}}},
		Channels:     []Channel{{Kind: ChannelOther, Label: c("Channel.Label"), Value: c("Channel.Value"), Note: c("Channel.Note")}},
		SubscribeURL: "https://status.example.com/" + c("Page.SubscribeURL"),
	}
	// Fields holding references repeat an id planted above.
	canaries["Component.GroupID"] = groupID
	canaries["Incident.ComponentIDs"] = compID
	canaries["Maintenance.ComponentIDs"] = compID
	canaries["AffectedComponent.ComponentID"] = compID

	s := mustRender(t, p)
	var all [][]byte
	for _, e := range s.Entries() {
		all = append(all, e.Body)
	}
	everything := bytes.Join(all, []byte("\n"))
	for field, canary := range canaries {
		if !bytes.Contains(everything, []byte(canary)) {
			t.Errorf("%s (%s) appears nowhere on the public plane", field, canary)
		}
	}
	// Every string field is either canaried above or an enumeration.
	enums := []string{"AffectedComponent.NewStatus", "AffectedComponent.OldStatus", "Channel.Kind", "Component.Status",
		"Incident.Impact", "Incident.Status", "Maintenance.Status", "StatusChange.Status", "Update.Status"}
	for _, f := range publicStringFields {
		if _, ok := canaries[f]; !ok && !slices.Contains(enums, f) {
			t.Errorf("%s has no canary", f)
		}
	}
}

const time2h = 2 * time.Hour
