package incident

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Text that breaks each rule of checkText.
var (
	badUTF8 = "caf\xe9"
	withNUL = "a\x00b"
	blank   = " \t\n"
)

// over returns a string one byte longer than limit.
func over(limit int) string { return strings.Repeat("x", limit+1) }

// checkField fails the test unless err is a *ValidationError for field, or
// nil when field is "".
func checkField(t *testing.T, call string, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Errorf("%s = %v, want nil", call, err)
		}
		return
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("%s = %v, want a *ValidationError for field %s", call, err, field)
		return
	}
	if ve.Field != field {
		t.Errorf("%s = %v (field %q), want field %q", call, err, ve.Field, field)
	}
	if ve.Reason == "" || err.Error() != ve.Field+": "+ve.Reason {
		t.Errorf("%s = %q, want %q", call, err.Error(), ve.Field+": "+ve.Reason)
	}
}

func TestValidationErrorWrapped(t *testing.T) {
	in := &Incident{Severity: SeverityLow, Phase: PhaseDetected, TLP: TLPAmber}
	err := fmt.Errorf("create incident: %w", in.Validate())
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "title" {
		t.Errorf("errors.As(%v) found %+v, want a *ValidationError for field title", err, ve)
	}
}

func TestIncidentValidate(t *testing.T) {
	valid := func() Incident {
		return Incident{
			Ref: "INC-2026-0001", Title: "Webshell on web-01", Summary: "Found by the hunt.",
			Severity: SeverityHigh, Phase: PhaseAnalysing, TLP: TLPAmber,
		}
	}
	tests := []struct {
		name   string
		mutate func(*Incident)
		field  string
	}{
		{"valid", func(*Incident) {}, ""},
		{"empty summary", func(in *Incident) { in.Summary = "" }, ""},
		{"title at the limit", func(in *Incident) { in.Title = strings.Repeat("é", MaxTitle/2) }, ""},
		{"every severity", func(in *Incident) { in.Severity = SeverityCritical }, ""},
		{"tlp amber+strict", func(in *Incident) { in.TLP = TLPAmberStrict }, ""},
		{"phase closed", func(in *Incident) { in.Phase = PhaseClosed }, ""},
		{"empty title", func(in *Incident) { in.Title = "" }, "title"},
		{"blank title", func(in *Incident) { in.Title = blank }, "title"},
		{"oversize title", func(in *Incident) { in.Title = over(MaxTitle) }, "title"},
		{"invalid UTF-8 title", func(in *Incident) { in.Title = badUTF8 }, "title"},
		{"NUL in title", func(in *Incident) { in.Title = withNUL }, "title"},
		{"oversize summary", func(in *Incident) { in.Summary = over(MaxText) }, "summary"},
		{"invalid UTF-8 summary", func(in *Incident) { in.Summary = badUTF8 }, "summary"},
		{"empty severity", func(in *Incident) { in.Severity = "" }, "severity"},
		{"unknown severity", func(in *Incident) { in.Severity = "urgent" }, "severity"},
		{"severity in capitals", func(in *Incident) { in.Severity = "High" }, "severity"},
		{"unknown phase", func(in *Incident) { in.Phase = "triage" }, "phase"},
		{"unknown tlp", func(in *Incident) { in.TLP = "white" }, "tlp"},
		{"tlp with prefix", func(in *Incident) { in.TLP = "TLP:AMBER" }, "tlp"},
		{"first error wins", func(in *Incident) { in.Title = ""; in.Severity = "x"; in.TLP = "x" }, "title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valid()
			tt.mutate(&in)
			checkField(t, "Incident.Validate()", in.Validate(), tt.field)
		})
	}
}

func TestEventValidate(t *testing.T) {
	valid := func() Event {
		return Event{
			OccurredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Kind: KindFinding, Actor: "alice",
			Text: "Webshell found.", Source: SourceHunt, Visibility: VisibilityInternal,
			Links: []Link{{Type: "asset", ID: 1}, {Type: "finding", ID: 7}},
		}
	}
	tests := []struct {
		name   string
		mutate func(*Event)
		field  string
	}{
		{"valid", func(*Event) {}, ""},
		{"no links", func(e *Event) { e.Links = nil }, ""},
		{"every link type", func(e *Event) {
			e.Links = nil
			for i, typ := range []string{"asset", "service", "indicator", "finding", "evidence", "task", "event"} {
				e.Links = append(e.Links, Link{Type: typ, ID: int64(i + 1)})
			}
		}, ""},
		{"public", func(e *Event) { e.Visibility = VisibilityPublic }, ""},
		{"text at the limit", func(e *Event) { e.Text = strings.Repeat("x", MaxText) }, ""},
		{"empty text", func(e *Event) { e.Text = "" }, "text"},
		{"blank text", func(e *Event) { e.Text = blank }, "text"},
		{"oversize text", func(e *Event) { e.Text = over(MaxText) }, "text"},
		{"invalid UTF-8 text", func(e *Event) { e.Text = badUTF8 }, "text"},
		{"NUL in text", func(e *Event) { e.Text = withNUL }, "text"},
		{"empty kind", func(e *Event) { e.Kind = "" }, "kind"},
		{"unknown kind", func(e *Event) { e.Kind = "rumour" }, "kind"},
		{"unknown source", func(e *Event) { e.Source = "robot" }, "source"},
		{"unknown visibility", func(e *Event) { e.Visibility = "secret" }, "visibility"},
		{"unknown link type", func(e *Event) { e.Links[1].Type = "user" }, "links[1].type"},
		{"empty link type", func(e *Event) { e.Links[0].Type = "" }, "links[0].type"},
		{"zero link id", func(e *Event) { e.Links[0].ID = 0 }, "links[0].id"},
		{"negative link id", func(e *Event) { e.Links[1].ID = -4 }, "links[1].id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := valid()
			tt.mutate(&e)
			checkField(t, "Event.Validate()", e.Validate(), tt.field)
		})
	}
}

func TestTaskValidate(t *testing.T) {
	valid := func() Task {
		return Task{Title: "Reimage web-01", Detail: "From the golden image.", State: TaskOpen, Assignee: "bob"}
	}
	tests := []struct {
		name   string
		mutate func(*Task)
		field  string
	}{
		{"valid", func(*Task) {}, ""},
		{"no detail, no assignee", func(tk *Task) { tk.Detail = ""; tk.Assignee = "" }, ""},
		{"done", func(tk *Task) { tk.State = TaskDone }, ""},
		{"empty title", func(tk *Task) { tk.Title = "" }, "title"},
		{"blank title", func(tk *Task) { tk.Title = blank }, "title"},
		{"oversize title", func(tk *Task) { tk.Title = over(MaxTitle) }, "title"},
		{"invalid UTF-8 title", func(tk *Task) { tk.Title = badUTF8 }, "title"},
		{"oversize detail", func(tk *Task) { tk.Detail = over(MaxText) }, "detail"},
		{"NUL in detail", func(tk *Task) { tk.Detail = withNUL }, "detail"},
		{"oversize assignee", func(tk *Task) { tk.Assignee = over(MaxName) }, "assignee"},
		{"invalid UTF-8 assignee", func(tk *Task) { tk.Assignee = badUTF8 }, "assignee"},
		{"empty state", func(tk *Task) { tk.State = "" }, "state"},
		{"unknown state", func(tk *Task) { tk.State = "closed" }, "state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := valid()
			tt.mutate(&tk)
			checkField(t, "Task.Validate()", tk.Validate(), tt.field)
		})
	}
}

func TestAssetValidate(t *testing.T) {
	valid := func() Asset {
		return Asset{
			Name: "web-01", Kind: AssetHost, Region: "eu-west-1", Criticality: CriticalityHigh,
			Compromise: CompromiseSuspected, Operational: OpOnline, Notes: "IIS 10",
		}
	}
	tests := []struct {
		name   string
		mutate func(*Asset)
		field  string
	}{
		{"valid", func(*Asset) {}, ""},
		{"no region, no notes", func(a *Asset) { a.Region = ""; a.Notes = "" }, ""},
		{"isolated", func(a *Asset) { a.Operational = OpIsolated }, ""},
		{"empty name", func(a *Asset) { a.Name = "" }, "name"},
		{"blank name", func(a *Asset) { a.Name = blank }, "name"},
		{"oversize name", func(a *Asset) { a.Name = over(MaxName) }, "name"},
		{"invalid UTF-8 name", func(a *Asset) { a.Name = badUTF8 }, "name"},
		{"oversize region", func(a *Asset) { a.Region = over(MaxName) }, "region"},
		{"oversize notes", func(a *Asset) { a.Notes = over(MaxText) }, "notes"},
		{"invalid UTF-8 notes", func(a *Asset) { a.Notes = badUTF8 }, "notes"},
		{"unknown kind", func(a *Asset) { a.Kind = "printer" }, "kind"},
		{"unknown criticality", func(a *Asset) { a.Criticality = "extreme" }, "criticality"},
		{"unknown compromise", func(a *Asset) { a.Compromise = "pwned" }, "compromise"},
		{"unknown operational", func(a *Asset) { a.Operational = "down" }, "operational"},
		{"empty operational", func(a *Asset) { a.Operational = "" }, "operational"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := valid()
			tt.mutate(&a)
			checkField(t, "Asset.Validate()", a.Validate(), tt.field)
		})
	}
}

func TestServiceValidate(t *testing.T) {
	valid := func() Service {
		return Service{
			ID: 5, Name: "Online shop", Description: "Customer-facing web shop.", Status: StatusOperational,
			DependsOn: []Dependency{{Type: "asset", ID: 1}, {Type: "service", ID: 6, Group: "api"}, {Type: "asset", ID: 5}},
		}
	}
	tests := []struct {
		name   string
		mutate func(*Service)
		field  string
	}{
		{"valid", func(*Service) {}, ""},
		{"no dependencies", func(s *Service) { s.DependsOn = nil }, ""},
		{"major outage", func(s *Service) { s.Status = StatusMajor }, ""},
		{"empty name", func(s *Service) { s.Name = "" }, "name"},
		{"oversize name", func(s *Service) { s.Name = over(MaxName) }, "name"},
		{"invalid UTF-8 name", func(s *Service) { s.Name = badUTF8 }, "name"},
		{"oversize description", func(s *Service) { s.Description = over(MaxText) }, "description"},
		{"NUL in description", func(s *Service) { s.Description = withNUL }, "description"},
		{"unknown status", func(s *Service) { s.Status = "down" }, "status"},
		{"empty status", func(s *Service) { s.Status = "" }, "status"},
		{"unknown dependency type", func(s *Service) { s.DependsOn[1].Type = "host" }, "depends_on[1].type"},
		{"empty dependency type", func(s *Service) { s.DependsOn[0].Type = "" }, "depends_on[0].type"},
		{"zero dependency id", func(s *Service) { s.DependsOn[2].ID = 0 }, "depends_on[2].id"},
		{"negative dependency id", func(s *Service) { s.DependsOn[0].ID = -1 }, "depends_on[0].id"},
		{"depends on itself", func(s *Service) { s.DependsOn[1].ID = 5 }, "depends_on[1]"},
		{"oversize group", func(s *Service) { s.DependsOn[1].Group = over(MaxName) }, "depends_on[1].group"},
		{"invalid UTF-8 group", func(s *Service) { s.DependsOn[0].Group = badUTF8 }, "depends_on[0].group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := valid()
			tt.mutate(&s)
			checkField(t, "Service.Validate()", s.Validate(), tt.field)
		})
	}
}

func TestIndicatorValidate(t *testing.T) {
	valid := func() Indicator {
		return Indicator{
			Type: IndIPv4, Value: "192.0.2.1", Confidence: 80, TLP: TLPAmber, Source: "hunt",
			Tags: []string{"actor:example", "campaign:summer"}, Note: "C2 address",
		}
	}
	tests := []struct {
		name   string
		mutate func(*Indicator)
		field  string
	}{
		{"valid", func(*Indicator) {}, ""},
		{"confidence 0", func(ind *Indicator) { ind.Confidence = 0 }, ""},
		{"confidence 100", func(ind *Indicator) { ind.Confidence = 100 }, ""},
		{"no tags", func(ind *Indicator) { ind.Tags = nil }, ""},
		{"unknown type", func(ind *Indicator) { ind.Type = "hash" }, "type"},
		{"empty type", func(ind *Indicator) { ind.Type = "" }, "type"},
		{"empty value", func(ind *Indicator) { ind.Value = "" }, "value"},
		{"blank value", func(ind *Indicator) { ind.Value = blank }, "value"},
		{"oversize value", func(ind *Indicator) { ind.Type = IndURLPath; ind.Value = "/" + over(MaxValue) }, "value"},
		{"invalid UTF-8 value", func(ind *Indicator) { ind.Type = IndFileName; ind.Value = badUTF8 }, "value"},
		{"NUL in value", func(ind *Indicator) { ind.Type = IndFileName; ind.Value = withNUL }, "value"},
		{"value of the wrong type", func(ind *Indicator) { ind.Value = "2001:db8::1" }, "value"},
		{"unknown tlp", func(ind *Indicator) { ind.TLP = "white" }, "tlp"},
		{"oversize source", func(ind *Indicator) { ind.Source = over(MaxName) }, "source"},
		{"oversize note", func(ind *Indicator) { ind.Note = over(MaxText) }, "note"},
		{"invalid UTF-8 note", func(ind *Indicator) { ind.Note = badUTF8 }, "note"},
		{"confidence below 0", func(ind *Indicator) { ind.Confidence = -1 }, "confidence"},
		{"confidence above 100", func(ind *Indicator) { ind.Confidence = 101 }, "confidence"},
		{"empty tag", func(ind *Indicator) { ind.Tags[1] = "" }, "tags[1]"},
		{"oversize tag", func(ind *Indicator) { ind.Tags[0] = over(MaxName) }, "tags[0]"},
		{"invalid UTF-8 tag", func(ind *Indicator) { ind.Tags[0] = badUTF8 }, "tags[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ind := valid()
			tt.mutate(&ind)
			checkField(t, "Indicator.Validate()", ind.Validate(), tt.field)
		})
	}
}

func TestIndicatorValidateNormalizes(t *testing.T) {
	tests := []struct {
		typ      IndicatorType
		in, want string
	}{
		{IndIPv6, " 2001:DB8::1 ", "2001:db8::1"},
		{IndCIDR, "10.1.2.3/8", "10.0.0.0/8"},
		{IndDomain, "Evil.Example.", "evil.example"},
		{IndMD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"},
	}
	for _, tt := range tests {
		ind := Indicator{Type: tt.typ, Value: tt.in, Confidence: 50, TLP: TLPGreen}
		if err := ind.Validate(); err != nil || ind.Value != tt.want {
			t.Errorf("Indicator{Type: %q, Value: %q}.Validate() = %v, value %q, want nil, value %q", tt.typ, tt.in, err, ind.Value, tt.want)
		}
	}
}

func TestFindingValidate(t *testing.T) {
	valid := func() Finding {
		return Finding{
			Key: "hunt-1/web-01/u_ex250719.log/1234", Rule: "webshell-aspx", Title: "Webshell request",
			Severity: SeverityHigh, Host: "web-01", File: `C:\inetpub\logs\u_ex250719.log`, Line: 1234,
			Indicator: "/aspnet_client/shell.aspx", Fields: map[string]string{"c-ip": "192.0.2.1", "cs-uri-stem": "/aspnet_client/shell.aspx"},
			State: FindingNew,
		}
	}
	manyFields := func(n int) map[string]string {
		m := make(map[string]string, n)
		for i := range n {
			m[fmt.Sprintf("f%d", i)] = "v"
		}
		return m
	}
	tests := []struct {
		name   string
		mutate func(*Finding)
		field  string
	}{
		{"valid", func(*Finding) {}, ""},
		{"line 0, no fields", func(f *Finding) { f.Line = 0; f.Fields = nil }, ""},
		{"64 fields", func(f *Finding) { f.Fields = manyFields(64) }, ""},
		{"dismissed", func(f *Finding) { f.State = FindingDismissed }, ""},
		{"empty key", func(f *Finding) { f.Key = "" }, "key"},
		{"oversize key", func(f *Finding) { f.Key = over(MaxValue) }, "key"},
		{"invalid UTF-8 key", func(f *Finding) { f.Key = badUTF8 }, "key"},
		{"empty rule", func(f *Finding) { f.Rule = "" }, "rule"},
		{"oversize rule", func(f *Finding) { f.Rule = over(MaxName) }, "rule"},
		{"empty title", func(f *Finding) { f.Title = blank }, "title"},
		{"oversize title", func(f *Finding) { f.Title = over(MaxTitle) }, "title"},
		{"unknown severity", func(f *Finding) { f.Severity = "info" }, "severity"},
		{"oversize host", func(f *Finding) { f.Host = over(MaxName) }, "host"},
		{"oversize file", func(f *Finding) { f.File = over(MaxValue) }, "file"},
		{"NUL in file", func(f *Finding) { f.File = withNUL }, "file"},
		{"oversize indicator", func(f *Finding) { f.Indicator = over(MaxValue) }, "indicator"},
		{"unknown state", func(f *Finding) { f.State = "triaged" }, "state"},
		{"negative line", func(f *Finding) { f.Line = -1 }, "line"},
		{"65 fields", func(f *Finding) { f.Fields = manyFields(65) }, "fields"},
		{"empty field name", func(f *Finding) { f.Fields = map[string]string{"": "v"} }, "fields key"},
		{"oversize field name", func(f *Finding) { f.Fields = map[string]string{over(MaxName): "v"} }, "fields key"},
		{"oversize field value", func(f *Finding) { f.Fields = map[string]string{"path": over(MaxValue)} }, "fields.path"},
		{"invalid UTF-8 field value", func(f *Finding) { f.Fields = map[string]string{"ua": badUTF8} }, "fields.ua"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := valid()
			tt.mutate(&f)
			checkField(t, "Finding.Validate()", f.Validate(), tt.field)
		})
	}
}
