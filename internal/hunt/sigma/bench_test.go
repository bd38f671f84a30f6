package sigma

import "testing"

// w3cEvent looks fields up the way a log parser's record does: the name is
// resolved by a switch to a slot, not by comparing against every field.
type w3cEvent struct {
	slots [8][]byte
	has   [8]bool
	raw   []byte
}

var w3cNames = [8]string{"cs-method", "cs-uri-stem", "cs-uri-query", "cs-referer", "cs-user-agent", "c-ip", "sc-status", "cs-username"}

func w3cSlot(name string) int {
	switch name {
	case "cs-method":
		return 0
	case "cs-uri-stem":
		return 1
	case "cs-uri-query":
		return 2
	case "cs-referer":
		return 3
	case "cs-user-agent":
		return 4
	case "c-ip":
		return 5
	case "sc-status":
		return 6
	case "cs-username":
		return 7
	}
	return -1
}

func (e *w3cEvent) Field(name string) ([]byte, bool) {
	if i := w3cSlot(name); i >= 0 && e.has[i] {
		return e.slots[i], true
	}
	return nil, false
}

func (e *w3cEvent) Raw() []byte { return e.raw }

func toW3C(t *testEvent) *w3cEvent {
	e := &w3cEvent{raw: t.raw}
	for i, n := range w3cNames {
		e.slots[i], e.has[i] = t.Field(n)
	}
	return e
}

// BenchmarkMatchToolShell evaluates the ToolShell exploitation rule on a
// realistic IIS event: the attack request, and an ordinary page view.
func BenchmarkMatchToolShell(b *testing.B) {
	r := loadTestRules(b)["web_sharepoint_toolpane_exploit_cve_2025_53770"]
	for _, bc := range []struct {
		name string
		e    *testEvent
		want bool
	}{
		{"attack", iis("POST", "/_layouts/15/ToolPane.aspx", "DisplayMode=Edit&a=/ToolPane.aspx", "/_layouts/SignOut.aspx", "200"), true},
		{"ordinary", iis("GET", "/sites/hr/SitePages/Home.aspx", "", "https://sp.example.com/sites/hr/", "200"), false},
		{"near miss", iis("POST", "/_layouts/15/ToolPane.aspx", "DisplayMode=Edit", "https://sp.example.com/sites/hr/default.aspx", "200"), false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := toW3C(bc.e)
			if r.Match(e) != bc.want {
				b.Fatalf("Match = %v, want %v", !bc.want, bc.want)
			}
			b.ReportAllocs()
			for b.Loop() {
				r.Match(e)
			}
		})
	}
}

// BenchmarkMatchRules evaluates every test rule on one event (a web shell
// command that several rules look at).
func BenchmarkMatchRules(b *testing.B) {
	var rules []*Rule
	for _, r := range loadTestRules(b) {
		rules = append(rules, r)
	}
	e := toW3C(iis("GET", "/_layouts/15/spinstall0.aspx", "c=cmd.exe+/c+whoami", "", "200"))
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range rules {
			r.Match(e)
		}
	}
}

// BenchmarkParse compiles the ToolShell rule file.
func BenchmarkParse(b *testing.B) {
	data := []byte(ruleYAML("sel:\n    cs-method: POST\n    cs-uri-stem|contains:\n        - '/_layouts/15/ToolPane.aspx'\n        - '/_layouts/16/ToolPane.aspx'\n    cs-uri-query|contains: 'DisplayMode=Edit'\n    cs-referer|endswith: '/_layouts/SignOut.aspx'\ncondition: sel"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("x.yml", data); err != nil {
			b.Fatal(err)
		}
	}
}
