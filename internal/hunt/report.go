package hunt

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// JSONL writes one finding per line as a JSON object.
type JSONL struct{ enc *json.Encoder }

// NewJSONL returns a JSONL writer on w.
func NewJSONL(w io.Writer) *JSONL { return &JSONL{enc: json.NewEncoder(w)} }

// Write writes one finding.
func (j *JSONL) Write(f Finding) error { return j.enc.Encode(f) }

// CSV writes findings as CSV with a header row.
type CSV struct {
	w      *csv.Writer
	header bool
}

// NewCSV returns a CSV writer on w.
func NewCSV(w io.Writer) *CSV { return &CSV{w: csv.NewWriter(w)} }

// Write writes one finding (the header first).
func (c *CSV) Write(f Finding) error {
	if !c.header {
		c.header = true
		if err := c.w.Write([]string{"file", "line", "rule", "title", "severity", "indicator", "time", "c-ip", "cs-method", "cs-uri-stem", "cs-uri-query"}); err != nil {
			return err
		}
	}
	t := ""
	if f.Time != nil {
		t = f.Time.UTC().Format(time.RFC3339)
	}
	return c.w.Write([]string{f.File, strconv.FormatInt(f.Line, 10), f.Rule, f.Title, f.Severity, f.Indicator, t,
		f.Fields["c-ip"], f.Fields["cs-method"], f.Fields["cs-uri-stem"], f.Fields["cs-uri-query"]})
}

// Flush writes buffered rows.
func (c *CSV) Flush() error { c.w.Flush(); return c.w.Error() }

// Summary groups findings by rule for a person to read first: counts,
// first and last seen, top client addresses, a few example lines.
type Summary struct {
	groups map[string]*group
	order  []string
}

type group struct {
	rule, title, severity string
	count                 int
	first, last           *time.Time
	clients               map[string]int
	indicators            map[string]int
	files                 map[string]int
	examples              []string
}

// NewSummary returns an empty summary.
func NewSummary() *Summary { return &Summary{groups: map[string]*group{}} }

// Add counts one finding.
func (s *Summary) Add(f Finding) {
	key := f.Rule + "\x00" + f.Title
	g, ok := s.groups[key]
	if !ok {
		g = &group{rule: f.Rule, title: f.Title, severity: f.Severity, clients: map[string]int{}, indicators: map[string]int{}, files: map[string]int{}}
		s.groups[key] = g
		s.order = append(s.order, key)
	}
	g.count++
	if f.Time != nil {
		if g.first == nil || f.Time.Before(*g.first) {
			g.first = f.Time
		}
		if g.last == nil || f.Time.After(*g.last) {
			g.last = f.Time
		}
	}
	if ip := f.Fields["c-ip"]; ip != "" {
		g.clients[ip]++
	}
	if f.Indicator != "" {
		g.indicators[f.Indicator]++
	}
	g.files[f.File]++
	if len(g.examples) < 3 {
		loc := f.File
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		ex := loc
		if f.Raw != "" {
			raw := f.Raw
			if len(raw) > 240 {
				raw = raw[:240] + "…"
			}
			ex += "\n        " + raw
		}
		g.examples = append(g.examples, ex)
	}
}

var severityRank = map[string]int{"critical": 0, "high": 1, "medium": 2, "low": 3, "informational": 4}

// WriteTo prints the summary, most severe first.
func (s *Summary) WriteTo(w io.Writer, st Stats, elapsed time.Duration) (int64, error) {
	var b strings.Builder
	keys := append([]string(nil), s.order...)
	sort.SliceStable(keys, func(i, j int) bool {
		gi, gj := s.groups[keys[i]], s.groups[keys[j]]
		if severityRank[gi.severity] != severityRank[gj.severity] {
			return severityRank[gi.severity] < severityRank[gj.severity]
		}
		return gi.count > gj.count
	})
	rate := 0.0
	if elapsed > 0 {
		rate = float64(st.Bytes) / 1e6 / elapsed.Seconds()
	}
	fmt.Fprintf(&b, "Hunted %d files, %s, %d lines in %s (%.0f MB/s).\n", st.Files, humanBytes(st.Bytes), st.Lines, elapsed.Round(time.Millisecond), rate)
	if len(keys) == 0 {
		b.WriteString("No findings.\n")
	}
	for _, k := range keys {
		g := s.groups[k]
		fmt.Fprintf(&b, "\n[%s] %s — %d finding(s)\n    rule: %s\n", strings.ToUpper(g.severity), g.title, g.count, g.rule)
		if g.first != nil {
			fmt.Fprintf(&b, "    seen: %s … %s\n", g.first.UTC().Format(time.RFC3339), g.last.UTC().Format(time.RFC3339))
		}
		if len(g.indicators) > 0 {
			fmt.Fprintf(&b, "    indicators: %s\n", top(g.indicators, 5))
		}
		if len(g.clients) > 0 {
			fmt.Fprintf(&b, "    top clients: %s\n", top(g.clients, 5))
		}
		fmt.Fprintf(&b, "    files: %s\n", top(g.files, 3))
		for _, ex := range g.examples {
			fmt.Fprintf(&b, "    e.g. %s\n", ex)
		}
	}
	if st.Malformed > 0 || len(st.Problems) > 0 {
		fmt.Fprintf(&b, "\n%d malformed line(s); problems (first %d):\n", st.Malformed, len(st.Problems))
		for _, p := range st.Problems {
			fmt.Fprintf(&b, "    %s\n", p)
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func top(m map[string]int, n int) string {
	type kv struct {
		k string
		v int
	}
	var all []kv
	for k, v := range m {
		all = append(all, kv{k, v})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].v != all[j].v {
			return all[i].v > all[j].v
		}
		return all[i].k < all[j].k
	})
	var parts []string
	for i, x := range all {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(all)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", x.k, x.v))
	}
	return strings.Join(parts, ", ")
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
