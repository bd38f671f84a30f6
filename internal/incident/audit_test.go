package incident

import (
	"regexp"
	"testing"
	"time"
)

func auditEntry() AuditEntry {
	return AuditEntry{
		Seq:      42,
		At:       time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC),
		Actor:    "alice",
		Action:   "containment.execute",
		Incident: "INC-2026-0001",
		Target:   "asset:7",
		Detail:   `{"action":"isolate"}`,
		PrevHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	}
}

var hashPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestComputeHashDeterministic(t *testing.T) {
	e := auditEntry()
	first := e.ComputeHash()
	if !hashPattern.MatchString(first) {
		t.Fatalf("ComputeHash() = %q, want 64 lower-case hex digits", first)
	}
	if again := auditEntry().ComputeHash(); again != first {
		t.Errorf("ComputeHash() = %q, then %q for an equal entry, want the same", first, again)
	}
	// Hash is the output, not an input.
	e.Hash = first
	if got := e.ComputeHash(); got != first {
		t.Errorf("ComputeHash() with Hash set = %q, want %q", got, first)
	}
	e.Hash = "tampered"
	if got := e.ComputeHash(); got != first {
		t.Errorf("ComputeHash() with Hash changed = %q, want %q", got, first)
	}
}

// TestComputeHashStable pins the canonical encoding: stored chains are
// verified by recomputing hashes, so changing it breaks every existing log.
// The values were checked independently (in Python): SHA-256 over the fields
// seq, at (RFC 3339, UTC, nanoseconds), actor, action, incident, target,
// detail, prev_hash, each written as "<byte length>:<bytes>".
func TestComputeHashStable(t *testing.T) {
	const want = "07535eb6aef54afa0869d7b2fb6bda6e4d709a61f400d512371ce4e528241fb0"
	if got := auditEntry().ComputeHash(); got != want {
		t.Errorf("ComputeHash() = %q, want %q", got, want)
	}
	genesis := AuditEntry{Seq: 1, At: time.Unix(0, 0), Actor: "system", Action: "init", PrevHash: GenesisHash}
	const wantGenesis = "b412ed881c9b1c73a575751d7408622c66198ee59cb15a641dd06c15905b9586"
	if got := genesis.ComputeHash(); got != wantGenesis {
		t.Errorf("ComputeHash() of %+v = %q, want %q", genesis, got, wantGenesis)
	}
}

func TestComputeHashChangesWithEveryField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*AuditEntry)
	}{
		{"seq", func(e *AuditEntry) { e.Seq++ }},
		{"seq negative", func(e *AuditEntry) { e.Seq = -e.Seq }},
		{"at by a nanosecond", func(e *AuditEntry) { e.At = e.At.Add(time.Nanosecond) }},
		{"at by a second", func(e *AuditEntry) { e.At = e.At.Add(time.Second) }},
		{"at zero", func(e *AuditEntry) { e.At = time.Time{} }},
		{"actor", func(e *AuditEntry) { e.Actor = "mallory" }},
		{"actor case", func(e *AuditEntry) { e.Actor = "Alice" }},
		{"actor empty", func(e *AuditEntry) { e.Actor = "" }},
		{"action", func(e *AuditEntry) { e.Action = "containment.revert" }},
		{"incident", func(e *AuditEntry) { e.Incident = "INC-2026-0002" }},
		{"incident empty", func(e *AuditEntry) { e.Incident = "" }},
		{"target", func(e *AuditEntry) { e.Target = "asset:8" }},
		{"detail", func(e *AuditEntry) { e.Detail = `{"action":"offline"}` }},
		{"detail whitespace", func(e *AuditEntry) { e.Detail = `{"action": "isolate"}` }},
		{"prev hash", func(e *AuditEntry) { e.PrevHash = GenesisHash }},
		{"text moved between fields", func(e *AuditEntry) { e.Actor, e.Action = "alicecontainment.execute", "" }},
		{"fields swapped", func(e *AuditEntry) { e.Incident, e.Target = e.Target, e.Incident }},
		{"separator-like text", func(e *AuditEntry) { e.Actor, e.Action = `alice","containment.execute`, "" }},
	}
	base := auditEntry().ComputeHash()
	seen := map[string]string{base: "unchanged entry"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := auditEntry()
			tt.mutate(&e)
			got := e.ComputeHash()
			if prev, ok := seen[got]; ok {
				t.Errorf("ComputeHash() after changing %s = %q, the same as for %s", tt.name, got, prev)
			}
			seen[got] = tt.name
		})
	}
}

func TestComputeHashIgnoresTimeZone(t *testing.T) {
	e := auditEntry()
	want := e.ComputeHash()
	zones := []*time.Location{
		time.UTC,
		time.Local,
		time.FixedZone("CEST", 2*60*60),
		time.FixedZone("PDT", -7*60*60),
		time.FixedZone("NPT", 5*60*60+45*60),
		time.FixedZone("LINT", 14*60*60),
	}
	for _, loc := range zones {
		z := e
		z.At = e.At.In(loc)
		if got := z.ComputeHash(); got != want {
			t.Errorf("ComputeHash() with At = %v = %q, want %q (as with At = %v)", z.At, got, want, e.At)
		}
	}
	// A wall clock reading carries a monotonic reading; it must not matter.
	now := time.Now()
	a, b := e, e
	a.At, b.At = now, now.Round(0).In(time.FixedZone("X", 3*60*60))
	if a.ComputeHash() != b.ComputeHash() {
		t.Errorf("ComputeHash() differs between At = %v and the same instant %v", a.At, b.At)
	}
}
