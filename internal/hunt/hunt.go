// Package hunt is Firebreak's detection engine: it finds exploitation,
// web shells and known-bad addresses in web-server logs and file trees.
//
// Logs are read in large chunks cut at line ends and scanned in parallel.
// Within a chunk, a multi-literal scanner runs once over the whole buffer
// for every string indicator and every literal a Sigma rule needs; each
// line is then checked only for what is cheap (its client address against
// the IP set, its shape) and parsed into fields only when something hit it.
// Findings come out in file and line order whatever the parallelism.
package hunt

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/firebreak-ir/firebreak/internal/hunt/logfmt"
	"github.com/firebreak-ir/firebreak/internal/hunt/match"
	"github.com/firebreak-ir/firebreak/internal/hunt/sigma"
	"github.com/firebreak-ir/firebreak/internal/hunt/yara"
	"github.com/firebreak-ir/firebreak/internal/incident"
)

// Options configure an Engine.
type Options struct {
	// Indicators to look for: addresses and prefixes against client
	// addresses, strings anywhere in a log line, hashes and names in files.
	// They come in lists as loaded (a file, a server, the built-in set),
	// which are read where they are: lists of a million entries are not
	// worth copying into one.
	Indicators [][]incident.Indicator
	// Rules are Sigma rules for the webserver category.
	Rules []*sigma.Rule
	// Format forces a log format; Unknown detects it per file.
	Format logfmt.Format
	// JSONMapping maps JSON log keys to field names (nil: the default).
	JSONMapping logfmt.JSONMapping
	// Workers bounds parallelism (default: the number of CPUs).
	Workers int
	// ChunkSize is how much of a log is scanned at once (default 4 MiB).
	ChunkSize int
	// MaxFileSize bounds files hashed in file-tree hunts (default 256 MiB).
	MaxFileSize int64
	// FollowSymlinks follows symbolic links in directories.
	FollowSymlinks bool
	// YARA rules, when set, are run on every file of a file-tree hunt.
	YARA *yara.Rules
}

// Finding is one thing the hunt saw.
type Finding struct {
	File      string            `json:"file"`
	Line      int64             `json:"line"` // 1-based; 0 for whole-file findings
	Rule      string            `json:"rule"` // rule id, or "ioc"
	Title     string            `json:"title"`
	Severity  string            `json:"severity"`
	Indicator string            `json:"indicator,omitempty"`
	Time      *time.Time        `json:"time,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
	Raw       string            `json:"-"` // the log line, for examples
}

// Problem is a file or line the hunt could not read, and why. It never
// stops the hunt.
type Problem struct {
	File   string `json:"file"`
	Line   int64  `json:"line,omitempty"`
	Reason string `json:"reason"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason)
	}
	return p.File + ": " + p.Reason
}

// Stats summarise a hunt.
type Stats struct {
	Files     int64
	Bytes     int64
	Lines     int64
	Malformed int64
	Problems  []Problem // the first maxProblems
	Findings  int64
	// Unreadable counts files (or paths) that could not be read at all.
	Unreadable int64
}

const maxProblems = 100

// owner says what a literal belongs to: a string indicator or a rule.
type owner struct {
	indicator int32 // index into strInds, or -1
	rule      int32 // index into rules, or -1
}

// Engine is a compiled hunt: indicators and rules ready to match.
type Engine struct {
	opt Options
	ips *match.IPSet
	// index holds the literal scanners, one per escaping (sigma.Escaping):
	// rules yield longer literals for IIS and NCSA lines than for JSON
	// ones. Each is compiled when a log of its kind is first read.
	index     [2]literalIndex
	litPats   [][]byte // the indicators' literals (owners in litOwners)
	litOwners []owner
	strInds   []incident.Indicator
	rules     []*sigma.Rule
	slowRules []int // rules with no literal prefilter in some log format (see literalIndex.slow)
	hashes    map[string]incident.Indicator
	hashTypes map[incident.IndicatorType]bool
	names     []incident.Indicator // file_name indicators (may hold * and ?)
	noMap     bool                 // read log files, never map them (tests)
}

// New compiles indicators and rules.
func New(opt Options) (*Engine, error) {
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.ChunkSize <= 0 {
		opt.ChunkSize = 4 << 20
	}
	if opt.MaxFileSize <= 0 {
		opt.MaxFileSize = 256 << 20
	}
	if opt.JSONMapping == nil {
		opt.JSONMapping = logfmt.DefaultJSONMapping()
	}
	e := &Engine{opt: opt, ips: match.NewIPSet(), rules: opt.Rules, hashes: map[string]incident.Indicator{},
		hashTypes: map[incident.IndicatorType]bool{}}
	addLit := func(p string, o owner) {
		if p == "" {
			return
		}
		e.litPats = append(e.litPats, []byte(p))
		e.litOwners = append(e.litOwners, o)
	}
	for _, ind := range all(opt.Indicators) {
		switch ind.Type {
		case incident.IndIPv4, incident.IndIPv6, incident.IndCIDR:
			if err := e.ips.Add(ind.Value, ind.Value); err != nil {
				return nil, fmt.Errorf("indicator %s %q: %w", ind.Type, ind.Value, err)
			}
			continue
		case incident.IndSHA256, incident.IndSHA1, incident.IndMD5:
			e.hashes[strings.ToLower(ind.Value)] = ind
			e.hashTypes[ind.Type] = true
		case incident.IndFileName:
			e.names = append(e.names, ind)
			if strings.ContainsAny(ind.Value, "*?") {
				continue // a pattern: file trees only
			}
		}
		i := int32(len(e.strInds))
		e.strInds = append(e.strInds, ind)
		addLit(ind.Value, owner{indicator: i, rule: -1})
		// IIS writes spaces in headers as '+'.
		if strings.Contains(ind.Value, " ") {
			addLit(strings.ReplaceAll(ind.Value, " ", "+"), owner{indicator: i, rule: -1})
		}
	}
	for ri, r := range opt.Rules {
		// Slow in some log format: a rule with literals for the strictest
		// escaping has them for every escaping.
		if req, ok := r.Literals(); !ok || len(req) == 0 {
			e.slowRules = append(e.slowRules, ri)
		}
	}
	return e, nil
}

// all ranges over the indicators of every list.
func all(lists [][]incident.Indicator) func(func(int, incident.Indicator) bool) {
	return func(yield func(int, incident.Indicator) bool) {
		n := 0
		for _, l := range lists {
			for _, ind := range l {
				if !yield(n, ind) {
					return
				}
				n++
			}
		}
	}
}

// literalIndex is the literal scanner for one escaping: every string
// indicator and every rule literal, each scanned for once, and what each
// literal belongs to.
type literalIndex struct {
	once   sync.Once
	lits   *match.Literals
	owners [][]owner
	slow   []int // rules with no literal for this escaping: evaluated on every line
	err    error
}

// literals returns the literal index for lines of escaping esc, compiling
// it on first use for text like sample (the first chunk that needs it).
func (e *Engine) literals(esc sigma.Escaping, sample []byte) (*literalIndex, error) {
	x := &e.index[esc]
	x.once.Do(func() {
		pats := slices.Clone(e.litPats)
		owners := make([][]owner, len(pats), len(pats)+4*len(e.rules))
		for i, o := range e.litOwners {
			owners[i] = []owner{o}
		}
		for ri, r := range e.rules {
			req, ok := r.LiteralsFor(esc)
			if !ok || len(req) == 0 {
				x.slow = append(x.slow, ri)
				continue
			}
			for _, l := range req {
				pats = append(pats, l)
				owners = append(owners, []owner{{indicator: -1, rule: int32(ri)}})
			}
		}
		// Merge owners of equal literals, so each is scanned for once.
		pats, x.owners = dedupe(pats, owners)
		x.lits, x.err = match.NewLiteralsFor(pats, sampleOf(sample))
		if x.err != nil {
			x.err = fmt.Errorf("compile literals: %w", x.err)
		}
	})
	return x, x.err
}

// sampleOf copies the first 256 KiB of buf, a sample of the text to scan.
// A mapped file that shrank makes the copy fault: then there is no sample.
func sampleOf(buf []byte) (sample []byte) {
	defer func() {
		if r := recover(); r != nil {
			if !isFault(r) {
				panic(r)
			}
			sample = nil
		}
	}()
	return bytes.Clone(buf[:min(len(buf), 256<<10)])
}

func dedupe(pats [][]byte, owners [][]owner) ([][]byte, [][]owner) {
	index := make(map[string]int, len(pats))
	outP := make([][]byte, 0, len(pats))
	outO := make([][]owner, 0, len(pats))
	for i, p := range pats {
		k := strings.ToLower(string(p))
		if j, ok := index[k]; ok {
			outO[j] = append(outO[j], owners[i]...)
			continue
		}
		index[k] = len(outP)
		outP = append(outP, p)
		outO = append(outO, owners[i])
	}
	return outP, outO
}

// SlowRules returns the rules that cannot be prefiltered in every log
// format (JSON lines may escape what IIS and NCSA lines write as it is), and
// so are evaluated on every line of such logs: they make a hunt slower.
func (e *Engine) SlowRules() []*sigma.Rule {
	var out []*sigma.Rule
	for _, i := range e.slowRules {
		out = append(out, e.rules[i])
	}
	return out
}

// errNoInput is returned when there is nothing to hunt in.
var errNoInput = errors.New("nothing to hunt in")
