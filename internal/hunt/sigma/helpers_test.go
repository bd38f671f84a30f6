package sigma

import (
	"bytes"
	"strings"
	"testing"
)

// testEvent is an Event over a few named fields. Field does a linear scan
// and never allocates, so allocation tests measure Match alone.
type testEvent struct {
	names  []string
	values [][]byte
	raw    []byte
}

func (e *testEvent) Field(name string) ([]byte, bool) {
	for i, n := range e.names {
		if n == name {
			return e.values[i], true
		}
	}
	return nil, false
}

func (e *testEvent) Raw() []byte { return e.raw }

func (e *testEvent) String() string {
	var b strings.Builder
	for i, n := range e.names {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(n + "=" + string(e.values[i]))
	}
	if len(e.names) == 0 {
		b.WriteString("raw=" + string(e.raw))
	}
	return b.String()
}

// ev builds an event from name/value pairs; its raw line is the values
// written IIS-style (spaces as '+'), separated by spaces.
func ev(kv ...string) *testEvent {
	e := &testEvent{}
	var raw [][]byte
	for i := 0; i+1 < len(kv); i += 2 {
		e.names = append(e.names, kv[i])
		e.values = append(e.values, []byte(kv[i+1]))
		raw = append(raw, bytes.ReplaceAll([]byte(kv[i+1]), []byte(" "), []byte("+")))
	}
	e.raw = bytes.Join(raw, []byte(" "))
	return e
}

// line builds an event with only a raw line.
func line(raw string) *testEvent { return &testEvent{raw: []byte(raw)} }

// ruleYAML wraps a detection section (written at column 0) into a complete
// rule for the webserver log source.
func ruleYAML(detection string) string {
	var b strings.Builder
	b.WriteString("title: test rule\nid: test-1\nlogsource:\n    category: webserver\ndetection:\n")
	for _, l := range strings.Split(strings.TrimRight(detection, "\n"), "\n") {
		b.WriteString("    " + l + "\n")
	}
	b.WriteString("level: high\n")
	return b.String()
}

// mustRule compiles a rule from a detection section.
func mustRule(t testing.TB, detection string) *Rule {
	t.Helper()
	rules, err := Parse("test.yml", []byte(ruleYAML(detection)))
	if err != nil {
		t.Fatalf("Parse(%q) error: %v", detection, err)
	}
	if len(rules) != 1 {
		t.Fatalf("Parse(%q) = %d rules, want 1", detection, len(rules))
	}
	return rules[0]
}

// containsLiteral reports whether raw holds one of the literals, ASCII
// case-insensitively.
func containsLiteral(raw []byte, lits [][]byte) bool {
	low := lowerCopy(raw)
	for _, l := range lits {
		if bytes.Contains(low, l) {
			return true
		}
	}
	return false
}

// lineOf returns the 1-based line of the first occurrence of marker in s.
func lineOf(s, marker string) int {
	i := strings.Index(s, marker)
	if i < 0 {
		return -1
	}
	return strings.Count(s[:i], "\n") + 1
}
