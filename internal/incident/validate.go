package incident

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ValidationError says which field of an input is wrong and why.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

// Limits on free text, in bytes.
const (
	MaxTitle = 200
	MaxName  = 200
	MaxText  = 64 << 10
	MaxValue = 4 << 10
)

func checkText(field, v string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return &ValidationError{field, "is required"}
	case len(v) > max:
		return &ValidationError{field, fmt.Sprintf("is %d bytes long, the limit is %d", len(v), max)}
	case !utf8.ValidString(v):
		return &ValidationError{field, "is not valid UTF-8"}
	case strings.ContainsRune(v, 0):
		return &ValidationError{field, "contains a NUL byte"}
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Validate checks an incident's fields.
func (in *Incident) Validate() error {
	return firstErr(
		checkText("title", in.Title, MaxTitle, true),
		checkText("summary", in.Summary, MaxText, false),
		checkEnum("severity", in.Severity, Severities),
		checkEnum("phase", in.Phase, Phases),
		checkEnum("tlp", in.TLP, TLPs),
	)
}

// Validate checks a timeline event.
func (e *Event) Validate() error {
	if err := firstErr(
		checkText("text", e.Text, MaxText, true),
		checkEnum("kind", e.Kind, EventKinds),
		checkEnum("source", e.Source, Sources),
		checkEnum("visibility", e.Visibility, Visibilities),
	); err != nil {
		return err
	}
	for i, l := range e.Links {
		switch l.Type {
		case "asset", "service", "indicator", "finding", "evidence", "task", "event":
		default:
			return &ValidationError{fmt.Sprintf("links[%d].type", i), fmt.Sprintf("%q is not a linkable item", l.Type)}
		}
		if l.ID <= 0 {
			return &ValidationError{fmt.Sprintf("links[%d].id", i), "must be a positive id"}
		}
	}
	return nil
}

// Validate checks a task.
func (t *Task) Validate() error {
	return firstErr(
		checkText("title", t.Title, MaxTitle, true),
		checkText("detail", t.Detail, MaxText, false),
		checkText("assignee", t.Assignee, MaxName, false),
		checkEnum("state", t.State, TaskStates),
	)
}

// Validate checks an asset.
func (a *Asset) Validate() error {
	return firstErr(
		checkText("name", a.Name, MaxName, true),
		checkText("region", a.Region, MaxName, false),
		checkText("notes", a.Notes, MaxText, false),
		checkEnum("kind", a.Kind, AssetKinds),
		checkEnum("criticality", a.Criticality, Criticalities),
		checkEnum("compromise", a.Compromise, Compromises),
		checkEnum("operational", a.Operational, Operationals),
	)
}

// Validate checks a service and the shape of its dependencies.
func (s *Service) Validate() error {
	if err := firstErr(
		checkText("name", s.Name, MaxName, true),
		checkText("description", s.Description, MaxText, false),
		checkEnum("status", s.Status, ServiceStatuses),
	); err != nil {
		return err
	}
	for i, d := range s.DependsOn {
		if d.Type != "asset" && d.Type != "service" {
			return &ValidationError{fmt.Sprintf("depends_on[%d].type", i), fmt.Sprintf("%q is not asset or service", d.Type)}
		}
		if d.ID <= 0 {
			return &ValidationError{fmt.Sprintf("depends_on[%d].id", i), "must be a positive id"}
		}
		if d.Type == "service" && d.ID == s.ID {
			return &ValidationError{fmt.Sprintf("depends_on[%d]", i), "a service cannot depend on itself"}
		}
		if err := checkText(fmt.Sprintf("depends_on[%d].group", i), d.Group, MaxName, false); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks an indicator and normalises its value (see NormalizeIndicator).
func (ind *Indicator) Validate() error {
	if err := firstErr(
		checkEnum("type", ind.Type, IndicatorTypes),
		checkText("value", ind.Value, MaxValue, true),
		checkEnum("tlp", ind.TLP, TLPs),
		checkText("source", ind.Source, MaxName, false),
		checkText("note", ind.Note, MaxText, false),
	); err != nil {
		return err
	}
	if ind.Confidence < 0 || ind.Confidence > 100 {
		return &ValidationError{"confidence", fmt.Sprintf("%d is outside 0..100", ind.Confidence)}
	}
	for i, t := range ind.Tags {
		if err := checkText(fmt.Sprintf("tags[%d]", i), t, MaxName, true); err != nil {
			return err
		}
	}
	v, err := NormalizeIndicator(ind.Type, ind.Value)
	if err != nil {
		return &ValidationError{"value", err.Error()}
	}
	ind.Value = v
	return nil
}

// Validate checks a finding.
func (f *Finding) Validate() error {
	if err := firstErr(
		checkText("key", f.Key, MaxValue, true),
		checkText("rule", f.Rule, MaxName, true),
		checkText("title", f.Title, MaxTitle, true),
		checkEnum("severity", f.Severity, Severities),
		checkText("host", f.Host, MaxName, false),
		checkText("file", f.File, MaxValue, false),
		checkText("indicator", f.Indicator, MaxValue, false),
		checkEnum("state", f.State, FindingStates),
	); err != nil {
		return err
	}
	if f.Line < 0 {
		return &ValidationError{"line", "must not be negative"}
	}
	if len(f.Fields) > 64 {
		return &ValidationError{"fields", fmt.Sprintf("has %d entries, the limit is 64", len(f.Fields))}
	}
	for k, v := range f.Fields {
		if err := firstErr(checkText("fields key", k, MaxName, true), checkText("fields."+k, v, MaxValue, false)); err != nil {
			return err
		}
	}
	return nil
}
