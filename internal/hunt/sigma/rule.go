package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Limits on what Parse accepts.
const (
	// MaxFileSize is the largest rule file Parse and LoadDir read.
	MaxFileSize = 1 << 20
	// MaxValues is the most values (YAML scalars under detection) one rule
	// may hold.
	MaxValues = 10000
	// maxPatterns bounds compiled patterns per rule, after windash and
	// base64offset expansion.
	maxPatterns = 100000
)

// Event is one log event as a rule sees it.
//
// Field returns the value of a field by its Sigma webserver taxonomy name
// (c-ip, cs-method, cs-uri-stem, cs-uri-query, cs-user-agent, cs-referer,
// sc-status, cs-username, ...) and whether the event has it. A value the
// log left unset ("-" in IIS and NCSA logs) should be reported absent. Raw
// returns the whole log line, which keyword searches match against.
//
// Match calls Field only for the fields its rule names, possibly more than
// once; neither method should allocate if matching is to stay free of
// allocation.
type Event interface {
	Field(name string) ([]byte, bool)
	Raw() []byte
}

// Severity is a rule's level.
type Severity uint8

// The Sigma levels, least severe first.
const (
	SeverityInformational Severity = iota + 1
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"", "informational", "low", "medium", "high", "critical"}

// String returns the Sigma name of the level ("high").
func (s Severity) String() string {
	if int(s) < len(severityNames) && s != 0 {
		return severityNames[s]
	}
	return "unknown"
}

// Logsource is a rule's logsource section.
type Logsource struct {
	Category   string
	Product    string
	Service    string
	Definition string
}

// Rule is a compiled Sigma rule. Its exported fields are the rule's
// metadata; Match evaluates its detection. A Rule is safe for concurrent
// use.
type Rule struct {
	ID             string
	Title          string
	Status         string
	Description    string
	Author         string
	Date           string
	Modified       string
	Level          string   // as written; empty when the rule has none
	Severity       Severity // from Level; SeverityMedium when the rule has no level
	References     []string
	Tags           []string
	FalsePositives []string
	Logsource      Logsource

	File string // the name the rule was parsed under
	Line int    // the line of the rule's YAML document

	cond   *cnode
	dets   []*detection
	lits   [numEscapings]litSet
	fields []string
}

// Match reports whether the event matches the rule. It does not allocate
// (given an Event whose methods do not).
func (r *Rule) Match(e Event) bool { return r.cond.eval(e) }

// Fields returns the names of the event fields the rule reads, sorted.
// Keyword searches read Event.Raw instead.
func (r *Rule) Fields() []string { return slices.Clone(r.fields) }

// Literals returns byte strings, lowered, such that the raw line of every
// event the rule matches contains at least one of them, compared with ASCII
// case folding; ok is false when no such set can be derived. A hunt engine
// may skip any line (or whole buffer) that contains none of them without
// evaluating the rule.
//
// The set is derived from the condition: an OR unites the sets of its
// operands (and is not ok when one of them is not), an AND keeps the best
// set of any operand (the one whose least specific literal is most
// specific: longest once words common in web logs, like "_layouts" or
// ".aspx", are discounted), and a NOT yields nothing — so a condition that
// is a top-level "not" is not ok,
// while "selection and not filter" gives the literals of selection. Within a
// search identifier, a map is an AND of its fields, a list of maps an OR, a
// list of values an OR (an AND with the all modifier). A value yields the
// longest literal stretch it requires: the text between wildcards of a plain
// value; each variant of windash, base64, base64offset and wide/utf16
// values; the literal parts a regular expression requires (through
// alternations, groups and repetitions of at least one; never under (?i)
// for letters whose Unicode case folding leaves ASCII). Null and empty
// values, exists, neq, cidr, numeric comparisons and fieldref yield nothing.
//
// Keywords are matched against the raw line itself. A field value, though,
// may be a decoded copy of what the line holds (IIS writes a space as '+',
// NCSA and JSON logs escape quotes, backslashes and control characters,
// some JSON encoders also '/', '<', '>', '&', the single quote and
// non-ASCII), so field literals are cut at those bytes and keep only runs
// of printable ASCII other than them (EscapeAny; LiteralsFor(EscapeLine)
// keeps '/', '<', '>', '&' and the single quote, for IIS and NCSA lines).
// Soundness then assumes only that every value Field returns is the raw
// line's text for that field after such unescaping, and that unescaping
// yields a byte the escaping keeps only where the line has that byte — not
// percent-decoded, case-changed or synthesised (the hunt engine's NCSA
// parser decodes \xhh only for the bytes servers escape that way).
//
// The caller must not modify the returned slices.
func (r *Rule) Literals() (required [][]byte, ok bool) { return r.LiteralsFor(EscapeAny) }

// LiteralsFor is Literals for lines of one escaping only. EscapeLine (IIS
// and NCSA logs) keeps '/', '<', '>', '&' and the single quote in field
// literals, which EscapeAny must cut at: "=/bin/sh" rather than "bin".
func (r *Rule) LiteralsFor(esc Escaping) (required [][]byte, ok bool) {
	if esc >= numEscapings || !r.lits[esc].ok {
		return nil, false
	}
	return slices.Clone(r.lits[esc].lits), true
}

// Error is a rule that was rejected, or a file that could not be read: the
// file, the YAML line (0 when the problem is not at a line), the rule (its
// id, or its title when it has none) and the reason.
type Error struct {
	File   string
	Line   int
	Rule   string
	Reason string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	if e.Rule != "" {
		fmt.Fprintf(&b, ": rule %q", e.Rule)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Problems returns the *Error values in an error returned by Parse (one, or
// several joined).
func Problems(err error) []*Error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*Error
		for _, x := range j.Unwrap() {
			out = append(out, Problems(x)...)
		}
		return out
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	return nil
}

// Parse compiles the Sigma rules of one file: one rule per YAML document.
// name is used in errors. It returns every rule that compiled; each rule
// that did not is an *Error in err (errors.Join of them when there are
// several; see Problems). A rule the engine cannot evaluate exactly is
// rejected, never loaded in part.
func Parse(name string, data []byte) ([]*Rule, error) {
	rules, probs := parseFile(name, data, map[string]*Rule{})
	if len(probs) == 0 {
		return rules, nil
	}
	if len(probs) == 1 {
		return rules, probs[0]
	}
	errs := make([]error, len(probs))
	for i, p := range probs {
		errs[i] = p
	}
	return rules, errors.Join(errs...)
}

// LoadDir compiles every .yml and .yaml file under path, recursively, in
// lexical order, skipping directories whose names start with '.'. Rules that
// are rejected, files that cannot be read or parsed and rule ids already
// loaded from another rule are problems; err is only for a path that cannot
// be walked.
func LoadDir(path string) (rules []*Rule, problems []*Error, err error) {
	ids := map[string]*Rule{}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, werr error) error {
		if werr != nil {
			if p == path {
				return werr
			}
			problems = append(problems, &Error{File: p, Reason: werr.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !isRuleFile(p) {
			return nil
		}
		rs, ps := loadFile(p, ids)
		rules = append(rules, rs...)
		problems = append(problems, ps...)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("load rules from %s: %w", path, err)
	}
	return rules, problems, nil
}

// Check loads the rules at path, a file or a directory, for
// "firebreak rules check": how many load, and the problems with the rest.
func Check(path string) (loaded int, problems []*Error, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, nil, fmt.Errorf("check rules %s: %w", path, err)
	}
	if fi.IsDir() {
		rules, probs, err := LoadDir(path)
		return len(rules), probs, err
	}
	rules, probs := loadFile(path, map[string]*Rule{})
	return len(rules), probs, nil
}

func isRuleFile(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	return ext == ".yml" || ext == ".yaml"
}

func loadFile(p string, ids map[string]*Rule) ([]*Rule, []*Error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, []*Error{{File: p, Reason: err.Error()}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, []*Error{{File: p, Reason: err.Error()}}
	}
	return parseFile(p, data, ids)
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// decodeDocs splits a file into its YAML documents. The YAML library is
// trusted not to panic, but a panic on hostile input is turned into an
// error all the same.
func decodeDocs(data []byte) (docs []*yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return docs, err
		}
		docs = append(docs, &n)
	}
}

// parseFile compiles a file's rules; ids holds the rules already loaded by
// id, to reject duplicates.
func parseFile(name string, data []byte, ids map[string]*Rule) ([]*Rule, []*Error) {
	if len(data) > MaxFileSize {
		return nil, []*Error{{File: name, Reason: fmt.Sprintf("file is larger than %d bytes (1 MiB)", MaxFileSize)}}
	}
	docs, err := decodeDocs(data)
	var probs []*Error
	var rules []*Rule
	// Rule collections (action: global / reset / repeat) merge documents
	// into each other; the engine does not implement that, so the whole
	// file is rejected rather than loaded half-merged.
	for _, d := range docs {
		if m := docMap(d); m != nil {
			if k, v := lookup(m, "action"); k != nil {
				reason := fmt.Sprintf("rule collections (action: %s) are not supported: write each rule as a complete document", v.Value)
				return nil, []*Error{{File: name, Line: k.Line, Reason: reason}}
			}
		}
	}
	for _, d := range docs {
		if len(d.Content) == 0 || isNull(d.Content[0]) {
			continue // an empty document
		}
		r, e := compileRule(name, d.Content[0])
		if e != nil {
			probs = append(probs, e)
			continue
		}
		if r.ID != "" {
			if prev := ids[r.ID]; prev != nil {
				probs = append(probs, &Error{File: name, Line: r.Line, Rule: r.ID,
					Reason: fmt.Sprintf("duplicate rule id: already loaded from %s:%d", prev.File, prev.Line)})
				continue
			}
			ids[r.ID] = r
		}
		rules = append(rules, r)
	}
	if err != nil {
		line := 0
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		probs = append(probs, &Error{File: name, Line: line, Reason: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")})
	}
	return rules, probs
}

// docMap returns a document's top-level map, or nil.
func docMap(d *yaml.Node) *yaml.Node {
	if d.Kind == yaml.DocumentNode && len(d.Content) == 1 && d.Content[0].Kind == yaml.MappingNode {
		return d.Content[0]
	}
	return nil
}

// lookup returns the key and value nodes of a map entry, or nils.
func lookup(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// compiler carries the context of one rule's compilation.
type compiler struct {
	file     string
	rule     string
	values   int
	patterns int
}

func (c *compiler) errAt(n *yaml.Node, format string, args ...any) *Error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: c.file, Line: line, Rule: c.rule, Reason: fmt.Sprintf(format, args...)}
}

func (c *compiler) checkCounts(n *yaml.Node) *Error {
	if c.values > MaxValues {
		return c.errAt(n, "the rule has more than %d values", MaxValues)
	}
	if c.patterns > maxPatterns {
		return c.errAt(n, "the rule expands to more than %d patterns", maxPatterns)
	}
	return nil
}

// entries checks that n is a map of scalar keys without duplicates or
// aliases, and returns its key/value pairs.
func (c *compiler) entries(n *yaml.Node, what string) ([][2]*yaml.Node, *Error) {
	if n.Kind == yaml.AliasNode {
		return nil, c.errAt(n, "%s: YAML aliases are not supported in rules", what)
	}
	if n.Kind != yaml.MappingNode {
		return nil, c.errAt(n, "%s must be a map, not a %s", what, kindName(n))
	}
	seen := map[string]bool{}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, c.errAt(k, "%s: keys must be strings, not a %s", what, kindName(k))
		}
		if k.Value == "<<" {
			return nil, c.errAt(k, "%s: YAML merge keys are not supported in rules", what)
		}
		if seen[k.Value] {
			return nil, c.errAt(k, "%s: duplicate key %q", what, k.Value)
		}
		if v.Kind == yaml.AliasNode {
			return nil, c.errAt(v, "%s: YAML aliases are not supported in rules", what)
		}
		seen[k.Value] = true
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out, nil
}

func (c *compiler) str(k, v *yaml.Node) (string, *Error) {
	if v.Kind != yaml.ScalarNode {
		return "", c.errAt(v, "%s must be a string, not a %s", k.Value, kindName(v))
	}
	if isNull(v) {
		return "", nil
	}
	return v.Value, nil
}

// strs reads a string or a list of strings.
func (c *compiler) strs(k, v *yaml.Node) ([]string, *Error) {
	if v.Kind == yaml.ScalarNode {
		if isNull(v) {
			return nil, nil
		}
		return []string{v.Value}, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, c.errAt(v, "%s must be a list of strings, not a %s", k.Value, kindName(v))
	}
	var out []string
	for _, n := range v.Content {
		if n.Kind != yaml.ScalarNode {
			return nil, c.errAt(n, "%s must be a list of strings, found a %s", k.Value, kindName(n))
		}
		if !isNull(n) {
			out = append(out, n.Value)
		}
	}
	return out, nil
}

// compileRule compiles one rule document's top-level map.
func compileRule(file string, top *yaml.Node) (*Rule, *Error) {
	c := &compiler{file: file}
	r := &Rule{File: file, Line: top.Line}
	// Name the rule first, so that every error can.
	if top.Kind == yaml.MappingNode {
		if _, v := lookup(top, "title"); v != nil && v.Kind == yaml.ScalarNode {
			r.Title = v.Value
		}
		if _, v := lookup(top, "id"); v != nil && v.Kind == yaml.ScalarNode {
			r.ID = v.Value
		}
		c.rule = r.ID
		if c.rule == "" {
			c.rule = r.Title
		}
	}
	ents, e := c.entries(top, "a rule")
	if e != nil {
		return nil, e
	}
	var logsrc, det, detK *yaml.Node
	for _, kv := range ents {
		k, v := kv[0], kv[1]
		var e *Error
		switch k.Value {
		case "title":
			r.Title, e = c.str(k, v)
		case "id":
			r.ID, e = c.str(k, v)
		case "status":
			r.Status, e = c.str(k, v)
		case "description":
			r.Description, e = c.str(k, v)
		case "author":
			var a []string
			a, e = c.strs(k, v)
			r.Author = strings.Join(a, ", ")
		case "date":
			r.Date, e = c.str(k, v)
		case "modified":
			r.Modified, e = c.str(k, v)
		case "level":
			r.Level, e = c.str(k, v)
		case "references":
			r.References, e = c.strs(k, v)
		case "tags":
			r.Tags, e = c.strs(k, v)
		case "falsepositives":
			r.FalsePositives, e = c.strs(k, v)
		case "logsource":
			logsrc = v
		case "detection":
			detK, det = k, v
		case "taxonomy":
			var tax string
			if tax, e = c.str(k, v); e == nil && tax != "" && !strings.EqualFold(tax, "sigma") {
				return nil, c.errAt(v, "taxonomy %q is not supported: field names must follow Sigma's own taxonomy", tax)
			}
		case "correlation":
			return nil, c.errAt(k, "correlation rules are not supported")
		case "filter":
			return nil, c.errAt(k, "Sigma filters (meta rules) are not supported")
		}
		if e != nil {
			return nil, e
		}
	}
	if strings.TrimSpace(r.Title) == "" {
		return nil, c.errAt(top, "the rule has no title")
	}
	switch strings.ToLower(r.Level) {
	case "":
		r.Severity = SeverityMedium
	case "informational":
		r.Severity = SeverityInformational
	case "low":
		r.Severity = SeverityLow
	case "medium":
		r.Severity = SeverityMedium
	case "high":
		r.Severity = SeverityHigh
	case "critical":
		r.Severity = SeverityCritical
	default:
		k, _ := lookup(top, "level")
		return nil, c.errAt(k, "level %q is not one of informational, low, medium, high, critical", r.Level)
	}
	if logsrc == nil {
		return nil, c.errAt(top, "the rule has no logsource")
	}
	if e := c.logsource(r, logsrc); e != nil {
		return nil, e
	}
	if det == nil {
		return nil, c.errAt(top, "the rule has no detection")
	}
	if e := c.detection(r, detK, det); e != nil {
		return nil, e
	}
	return r, nil
}

// Accepted log sources: web-server access logs.
var (
	webProducts = map[string]bool{"": true, "apache": true, "nginx": true, "iis": true, "windows": true, "linux": true}
	webServices = map[string]bool{"": true, "apache": true, "nginx": true, "iis": true, "access": true}
	webServers  = map[string]bool{"apache": true, "nginx": true, "iis": true}
)

func (c *compiler) logsource(r *Rule, n *yaml.Node) *Error {
	ents, e := c.entries(n, "logsource")
	if e != nil {
		return e
	}
	for _, kv := range ents {
		k, v := kv[0], kv[1]
		var s string
		if s, e = c.str(k, v); e != nil {
			return e
		}
		switch k.Value {
		case "category":
			r.Logsource.Category = s
		case "product":
			r.Logsource.Product = s
		case "service":
			r.Logsource.Service = s
		case "definition":
			r.Logsource.Definition = s
		}
	}
	ls := r.Logsource
	cat, prod, svc := strings.ToLower(ls.Category), strings.ToLower(ls.Product), strings.ToLower(ls.Service)
	ok := false
	switch cat {
	case "webserver":
		ok = webProducts[prod] && webServices[svc]
	case "":
		ok = (webServers[prod] || webServers[svc]) && webProducts[prod] && webServices[svc]
	}
	if !ok {
		return c.errAt(n, "logsource %s not supported: this engine evaluates web-server access logs (category webserver, or product or service apache, nginx or iis)", describeLogsource(ls))
	}
	return nil
}

func describeLogsource(ls Logsource) string {
	var parts []string
	for _, p := range [][2]string{{"category", ls.Category}, {"product", ls.Product}, {"service", ls.Service}} {
		if p[1] != "" {
			parts = append(parts, p[0]+"="+p[1])
		}
	}
	if len(parts) == 0 {
		return "(empty)"
	}
	return strings.Join(parts, " ")
}

// detection compiles the detection section and its condition.
func (c *compiler) detection(r *Rule, key, n *yaml.Node) *Error {
	ents, e := c.entries(n, "detection")
	if e != nil {
		return e
	}
	var condK, condV *yaml.Node
	for _, kv := range ents {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "condition":
			condK, condV = k, v
			continue
		case "timeframe":
			return c.errAt(k, "timeframe (for aggregations) is not supported")
		}
		d, e := c.searchIdentifier(k, v)
		if e != nil {
			return e
		}
		r.dets = append(r.dets, d)
	}
	if condK == nil {
		return c.errAt(key, "detection has no condition")
	}
	if len(r.dets) == 0 {
		return c.errAt(key, "detection has no search identifiers")
	}
	var conds []*yaml.Node
	switch {
	case condV.Kind == yaml.ScalarNode && !isNull(condV):
		conds = []*yaml.Node{condV}
	case condV.Kind == yaml.SequenceNode && len(condV.Content) > 0:
		for _, cn := range condV.Content {
			if cn.Kind != yaml.ScalarNode || isNull(cn) {
				return c.errAt(cn, "condition: a list of conditions must hold strings")
			}
			conds = append(conds, cn)
		}
	default:
		return c.errAt(condK, "condition must be a string or a list of strings")
	}
	var kids []*cnode
	for _, cn := range conds {
		node, err := parseCondition(cn.Value, r.dets)
		if err != nil {
			return c.errAt(cn, "%v", err)
		}
		kids = append(kids, node)
	}
	r.cond = kids[0]
	if len(kids) > 1 {
		r.cond = &cnode{op: cOr, kids: kids}
	}
	for esc := range numEscapings {
		r.lits[esc] = condLits(r.cond, esc).normalize()
	}
	seen := map[string]bool{}
	for _, d := range r.dets {
		for _, g := range d.groups {
			for _, it := range g {
				if !it.keyword {
					seen[it.field] = true
				}
				for _, v := range it.vals {
					if v.kind == vkFieldRef {
						seen[v.ref] = true
					}
				}
			}
		}
	}
	for f := range seen {
		r.fields = append(r.fields, f)
	}
	slices.Sort(r.fields)
	return nil
}

// searchIdentifier compiles one search identifier.
func (c *compiler) searchIdentifier(k, v *yaml.Node) (*detection, *Error) {
	d := &detection{name: k.Value}
	switch v.Kind {
	case yaml.MappingNode:
		g, e := c.group(k, v)
		if e != nil {
			return nil, e
		}
		d.groups = [][]*item{g}
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			return nil, c.errAt(v, "search identifier %q is an empty list", k.Value)
		}
		maps, scalars := 0, 0
		for _, el := range v.Content {
			switch el.Kind {
			case yaml.MappingNode:
				maps++
			case yaml.ScalarNode:
				scalars++
			default:
				return nil, c.errAt(el, "search identifier %q: a list must hold keywords or maps, not a %s", k.Value, kindName(el))
			}
		}
		if maps > 0 && scalars > 0 {
			return nil, c.errAt(v, "search identifier %q mixes keywords and maps in one list", k.Value)
		}
		if scalars > 0 {
			it, e := c.compileItem(&yaml.Node{Kind: yaml.ScalarNode, Value: "", Line: k.Line}, v)
			if e != nil {
				return nil, e
			}
			d.groups = [][]*item{{it}}
			break
		}
		for _, el := range v.Content {
			g, e := c.group(k, el)
			if e != nil {
				return nil, e
			}
			d.groups = append(d.groups, g)
		}
	case yaml.ScalarNode:
		if isNull(v) {
			return nil, c.errAt(k, "search identifier %q is empty", k.Value)
		}
		it, e := c.compileItem(&yaml.Node{Kind: yaml.ScalarNode, Value: "", Line: k.Line}, v)
		if e != nil {
			return nil, e
		}
		d.groups = [][]*item{{it}}
	default:
		return nil, c.errAt(v, "search identifier %q must be a map, a list or a keyword, not a %s", k.Value, kindName(v))
	}
	return d, nil
}

// group compiles one map of field conditions (an AND).
func (c *compiler) group(id, m *yaml.Node) ([]*item, *Error) {
	ents, e := c.entries(m, fmt.Sprintf("search identifier %q", id.Value))
	if e != nil {
		return nil, e
	}
	if len(ents) == 0 {
		return nil, c.errAt(m, "search identifier %q is an empty map", id.Value)
	}
	var g []*item
	for _, kv := range ents {
		it, e := c.compileItem(kv[0], kv[1])
		if e != nil {
			return nil, e
		}
		g = append(g, it)
	}
	return g, nil
}

// condLits derives the literal set of a condition (see Rule.Literals).
func condLits(n *cnode, esc Escaping) litSet {
	switch n.op {
	case cIdent:
		return detLits(n.det, esc)
	case cOr:
		s := litSet{ok: true}
		for _, k := range n.kids {
			s = s.or(condLits(k, esc)).normalize()
		}
		return s
	case cAnd:
		var s litSet
		for _, k := range n.kids {
			s = s.and(condLits(k, esc))
		}
		return s
	}
	return litSet{}
}

func detLits(d *detection, esc Escaping) litSet {
	s := litSet{ok: true}
	for _, g := range d.groups {
		var gs litSet
		for _, it := range g {
			gs = gs.and(itemLits(it, esc))
		}
		s = s.or(gs).normalize()
	}
	return s
}

func itemLits(it *item, esc Escaping) litSet {
	if it.exists != 0 || it.neq {
		return litSet{}
	}
	if it.all {
		var s litSet
		for _, v := range it.vals {
			s = s.and(v.lits[esc].normalize())
		}
		return s
	}
	s := litSet{ok: true}
	for _, v := range it.vals {
		s = s.or(v.lits[esc])
	}
	return s.normalize()
}
