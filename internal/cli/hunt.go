package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/firebreak-ir/firebreak/internal/hunt"
	"github.com/firebreak-ir/firebreak/internal/hunt/logfmt"
	"github.com/firebreak-ir/firebreak/internal/hunt/sigma"
	"github.com/firebreak-ir/firebreak/internal/hunt/yara"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/intel"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// errFound makes hunt exit 1, like grep when it finds something.
var errFound = errors.New("findings")

const huntUsage = `Usage: firebreak hunt [flags] [LOG PATH...] [--tree DIR...]

Hunts web-server logs (IIS W3C, NCSA common/combined, JSON lines; plain or
gzip; files or directories) and file trees for exploitation, web shells and
known-bad addresses. Exit status: 0 nothing found, 1 findings, 2 error.

Flags:
`

func huntCmd(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("hunt", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var iocs, rules, trees listFlag
	fs.Var(&iocs, "iocs", "indicator file: plain list, CSV (type,value) or STIX 2.1 bundle (repeatable)")
	fs.Var(&rules, "rules", "Sigma (.yml) or YARA (.yar) rule file, or a directory of them (repeatable)")
	fs.Var(&trees, "tree", "directory tree to check files in: hashes, names, web shell content (repeatable)")
	noBuiltin := fs.Bool("no-builtin", false, "leave out Firebreak's built-in rules and indicators")
	formatIn := fs.String("format-in", "auto", "log format: auto, iis, common, combined or jsonl")
	format := fs.String("format", "summary", "output: summary, jsonl or csv")
	workers := fs.Int("workers", 0, "parallel workers (default: CPUs)")
	follow := fs.Bool("follow-symlinks", false, "follow symbolic links in directories")
	push := fs.String("push", "", "server URL to send findings to, e.g. https://firebreak.example:8080")
	from := fs.String("from", "", "server URL to fetch the incident's indicators from (with --incident and --token)")
	jsonMap := fs.String("json-map", "", "JSON log keys to field names, e.g. client=c-ip,path=cs-uri-stem (added to the defaults)")
	ref := fs.String("incident", "", "incident reference for --push")
	token := fs.String("token", "", "API token for --push (or FIREBREAK_TOKEN)")
	progressFlag := fs.String("progress", "auto", "progress on stderr: auto (when a terminal), always or never")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (for performance work)")
	fs.Usage = func() { fmt.Fprint(env.Stderr, huntUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	// The profile covers loading indicators and compiling rules too.
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	logs := fs.Args()
	if len(logs) == 0 && len(trees) == 0 {
		return fmt.Errorf("%w: give log paths and/or --tree directories", errUsage)
	}
	if *token == "" {
		*token = env.Getenv("FIREBREAK_TOKEN")
	}
	if (*push != "" || *from != "") && (*ref == "" || *token == "") {
		return fmt.Errorf("%w: --push and --from need --incident and --token (or FIREBREAK_TOKEN)", errUsage)
	}
	opt := hunt.Options{Workers: *workers, FollowSymlinks: *follow}
	if *jsonMap != "" {
		opt.JSONMapping = logfmt.DefaultJSONMapping()
		for _, pair := range strings.Split(*jsonMap, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if !ok || k == "" || v == "" {
				return fmt.Errorf("%w: --json-map %q: want key=field pairs separated by commas", errUsage, pair)
			}
			opt.JSONMapping[k] = v
		}
	}
	if *formatIn != "auto" {
		f, err := logfmt.ParseFormat(*formatIn)
		if err != nil {
			return fmt.Errorf("%w: --format-in: %v", errUsage, err)
		}
		opt.Format = f
	}
	var indSets [][]incident.Indicator
	if !*noBuiltin {
		r, err := hunt.BuiltinRules()
		if err != nil {
			return err
		}
		opt.Rules = append(opt.Rules, r...)
		indSets = append(indSets, hunt.BuiltinIndicators())
	}
	yaraSources := map[string][]byte{}
	if !*noBuiltin && len(trees) > 0 && yara.Available {
		y, err := hunt.BuiltinYARA()
		if err != nil {
			return err
		}
		opt.YARA = y
	}
	for _, p := range rules {
		if src, err := yara.ReadSources(p); err == nil && len(src) > 0 {
			for k, v := range src {
				yaraSources[k] = v
			}
			if yara.IsRuleFile(p) {
				continue // a .yar file: not Sigma
			}
		}
		r, problems, err := loadRules(p)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			for _, pr := range problems {
				fmt.Fprintf(env.Stderr, "firebreak: rule rejected: %v\n", pr)
			}
			return fmt.Errorf("%d rule(s) in %s cannot be evaluated (see above); fix or remove them", len(problems), p)
		}
		opt.Rules = append(opt.Rules, r...)
	}
	if len(yaraSources) > 0 {
		if !*noBuiltin {
			names, _ := hunt.BuiltinYARASources()
			for k, v := range names {
				yaraSources[k] = v
			}
		}
		y, err := yara.Compile(yaraSources)
		if ps := yara.Problems(err); len(ps) > 0 {
			for _, pr := range ps {
				fmt.Fprintf(env.Stderr, "firebreak: YARA rule rejected: %v\n", pr)
			}
			return fmt.Errorf("%d YARA rule file(s) cannot be compiled (see above); fix or remove them", len(ps))
		}
		if err != nil {
			return fmt.Errorf("YARA rules: %w", err)
		}
		opt.YARA = y
	}
	for _, p := range iocs {
		inds, err := loadIndicators(p, env)
		if err != nil {
			return err
		}
		indSets = append(indSets, inds)
	}
	if *from != "" {
		inds, err := fetchIndicators(ctx, *from, *ref, *token)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "firebreak: %d indicator(s) from %s\n", len(inds), *ref)
		indSets = append(indSets, inds)
	}
	opt.Indicators = indSets
	eng, err := hunt.New(opt)
	if err != nil {
		return err
	}
	for _, r := range eng.SlowRules() {
		fmt.Fprintf(env.Stderr, "firebreak: note: rule %s (%s) has no literal to prefilter on; it is evaluated on every line\n", r.ID, r.File)
	}

	var out func(hunt.Finding) error
	var finish func(hunt.Stats, time.Duration) error
	switch *format {
	case "summary":
		s := hunt.NewSummary()
		out = func(f hunt.Finding) error { s.Add(f); return nil }
		finish = func(st hunt.Stats, d time.Duration) error { _, err := s.WriteTo(env.Stdout, st, d); return err }
	case "jsonl":
		j := hunt.NewJSONL(env.Stdout)
		out = j.Write
		finish = func(hunt.Stats, time.Duration) error { return nil }
	case "csv":
		c := hunt.NewCSV(env.Stdout)
		out = c.Write
		finish = func(hunt.Stats, time.Duration) error { return c.Flush() }
	default:
		return fmt.Errorf("%w: --format %q: want summary, jsonl or csv", errUsage, *format)
	}
	var pusher *findingPusher
	if *push != "" {
		pusher = newPusher(*push, *ref, *token)
		inner := out
		out = func(f hunt.Finding) error {
			if err := inner(f); err != nil {
				return err
			}
			return pusher.add(ctx, f)
		}
	}

	prog := newProgress(env, *progressFlag)
	var outErr error
	emit := func(f hunt.Finding) {
		if outErr == nil {
			outErr = out(f)
		}
	}
	start := time.Now()
	var total hunt.Stats
	if len(logs) > 0 {
		st, err := eng.Logs(ctx, logs, prog, emit)
		if err != nil {
			return err
		}
		total = st
	}
	if len(trees) > 0 {
		st, err := eng.Files(ctx, trees, prog, emit)
		if err != nil {
			return err
		}
		total.Files += st.Files
		total.Bytes += st.Bytes
		total.Findings += st.Findings
		total.Problems = append(total.Problems, st.Problems...)
		total.Unreadable += st.Unreadable
	}
	prog.stop()
	if outErr != nil {
		return fmt.Errorf("write findings: %w", outErr)
	}
	if pusher != nil {
		if err := pusher.flush(ctx); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "firebreak: pushed %d finding(s) to %s (%d new)\n", pusher.sent, *ref, pusher.created)
	}
	if err := finish(total, time.Since(start)); err != nil {
		return err
	}
	if *format != "summary" && (total.Malformed > 0 || len(total.Problems) > 0) {
		fmt.Fprintf(env.Stderr, "firebreak: %d malformed line(s), %d problem(s):\n", total.Malformed, len(total.Problems))
		for _, p := range total.Problems {
			fmt.Fprintf(env.Stderr, "  %s\n", p)
		}
	}
	if total.Unreadable > 0 {
		// Like grep: trouble reading wins over findings.
		return fmt.Errorf("%d file(s) or path(s) could not be read (listed above)", total.Unreadable)
	}
	if total.Findings > 0 {
		return errFound
	}
	return nil
}

func loadRules(path string) ([]*sigma.Rule, []*sigma.Error, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--rules: %w", err)
	}
	if info.IsDir() {
		return sigma.LoadDir(path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--rules: %w", err)
	}
	rules, err := sigma.Parse(path, b)
	if err != nil {
		if ps := sigma.Problems(err); len(ps) > 0 {
			return rules, ps, nil
		}
		return nil, nil, err
	}
	return rules, nil, nil
}

func loadIndicators(path string, env Env) ([]incident.Indicator, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--iocs: %w", err)
	}
	defer f.Close()
	res, err := intel.Parse(path, f, intel.Options{})
	if err != nil {
		return nil, fmt.Errorf("--iocs: %w", err)
	}
	for _, p := range res.Rejected {
		fmt.Fprintf(env.Stderr, "firebreak: indicator skipped: %v\n", p)
	}
	return res.Indicators, nil
}

// rulesCmd is 'firebreak rules check PATH': load rules and report.
func rulesCmd(args []string, env Env) error {
	if len(args) != 2 || args[0] != "check" {
		return fmt.Errorf("%w: want 'rules check PATH'", errUsage)
	}
	path := args[1]
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("check rules %s: %w", path, err)
	}
	rejected := 0
	if fi.IsDir() || !yara.IsRuleFile(path) {
		n, problems, err := sigma.Check(path)
		if err != nil {
			return err
		}
		for _, p := range problems {
			fmt.Fprintf(env.Stdout, "rejected: %v\n", p)
		}
		fmt.Fprintf(env.Stdout, "%d rule(s) loaded, %d rejected\n", n, len(problems))
		rejected += len(problems)
	}
	src, err := yara.ReadSources(path) // .yar files; none for a Sigma file
	if len(src) > 0 && err == nil {
		var r *yara.Rules
		if r, err = yara.Compile(src); err == nil {
			fmt.Fprintf(env.Stdout, "%d YARA rule(s) loaded from %d file(s)\n", r.Len(), len(src))
		}
	}
	if ps := yara.Problems(err); len(ps) > 0 {
		for _, p := range ps {
			fmt.Fprintf(env.Stdout, "rejected: %v\n", p)
		}
		rejected += len(ps)
	} else if err != nil {
		return err
	}
	if rejected > 0 {
		return fmt.Errorf("%d rule(s) rejected", rejected)
	}
	return nil
}

// progress prints bytes done and the rate on a terminal.
// progress draws a one-line progress bar on a terminal: files and bytes
// done of the planned total, the rate, and the time left.
type progress struct {
	done, total           atomic.Int64
	filesDone, filesTotal atomic.Int64
	quit                  chan struct{}
	ended                 chan struct{}
}

// Plan, Add and FileDone implement hunt.Progress. A hunt of logs and then
// trees plans twice: the totals add up.
func (p *progress) Plan(files int, bytes int64) {
	p.filesTotal.Add(int64(files))
	p.total.Add(bytes)
}
func (p *progress) Add(n int64) { p.done.Add(n) }
func (p *progress) FileDone()   { p.filesDone.Add(1) }

// progressLine formats the progress bar's line.
func progressLine(filesDone, files, done, total int64, elapsed time.Duration) string {
	mb := func(n int64) string { return fmt.Sprintf("%.1f", float64(n)/1e6) }
	line := fmt.Sprintf("hunting: %d/%d files, %s/%s MB", filesDone, files, mb(done), mb(total))
	if total > 0 {
		line += fmt.Sprintf(" (%d%%)", min(100, done*100/total))
	}
	if elapsed <= 0 || done == 0 {
		return line
	}
	rate := float64(done) / elapsed.Seconds()
	line += fmt.Sprintf(", %.0f MB/s", rate/1e6)
	if left := total - done; left > 0 {
		eta := time.Duration(float64(left) / rate * float64(time.Second)).Round(time.Second)
		line += fmt.Sprintf(", ETA %d:%02d", int(eta.Minutes()), int(eta.Seconds())%60)
	}
	return line
}

func newProgress(env Env, mode string) *progress {
	p := &progress{}
	show := mode == "always"
	if mode == "auto" {
		if f, ok := env.Stderr.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				show = true
			}
		}
	}
	if !show {
		return p
	}
	p.quit, p.ended = make(chan struct{}), make(chan struct{})
	start := time.Now()
	go func() {
		defer close(p.ended)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				fmt.Fprint(env.Stderr, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprint(env.Stderr, "\r\033[K"+progressLine(p.filesDone.Load(), p.filesTotal.Load(), p.done.Load(), p.total.Load(), time.Since(start)))
			}
		}
	}()
	return p
}

func (p *progress) stop() {
	if p.quit != nil {
		close(p.quit)
		<-p.ended
	}
}

// findingPusher sends findings to a Firebreak server in batches. Each has
// a key derived from host, file, line, rule and indicator, so re-running a
// hunt adds nothing twice.
type findingPusher struct {
	url, token string
	host       string
	batch      []map[string]any
	sent       int
	created    int
	client     *http.Client
}

func newPusher(base, ref, token string) *findingPusher {
	host, _ := os.Hostname()
	return &findingPusher{url: strings.TrimSuffix(base, "/") + "/api/v1/incidents/" + ref + "/findings", token: token, host: host,
		client: &http.Client{Timeout: 60 * time.Second}}
}

func (p *findingPusher) add(ctx context.Context, f hunt.Finding) error {
	sum := sha256.Sum256([]byte(strings.Join([]string{p.host, f.File, fmt.Sprint(f.Line), f.Rule, f.Indicator}, "\x00")))
	sev := f.Severity
	switch sev {
	case "informational":
		sev = "low"
	case "low", "medium", "high", "critical":
	default:
		sev = "medium"
	}
	fields := f.Fields
	if len(fields) > 64 {
		fields = nil
	}
	item := map[string]any{"key": hex.EncodeToString(sum[:16]), "rule": f.Rule, "title": f.Title, "severity": sev,
		"host": p.host, "file": f.File, "line": f.Line, "indicator": f.Indicator, "fields": fields}
	if f.Time != nil {
		item["log_time"] = f.Time.UTC().Format(time.RFC3339Nano)
	}
	p.batch = append(p.batch, item)
	if len(p.batch) >= 500 {
		return p.flush(ctx)
	}
	return nil
}

func (p *findingPusher) flush(ctx context.Context) error {
	if len(p.batch) == 0 {
		return nil
	}
	body, err := json.Marshal(map[string]any{"findings": p.batch})
	if err != nil {
		return err
	}
	var lastErr error
	for attempt := 0; attempt < 6; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(1<<attempt) * 250 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+p.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := p.client.Do(req)
		if err != nil {
			lastErr = err
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			var r struct{ Created int }
			_ = json.Unmarshal(b, &r)
			p.sent += len(p.batch)
			p.created += r.Created
			p.batch = p.batch[:0]
			return nil
		case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
			lastErr = fmt.Errorf("server answered %s", resp.Status)
		default:
			return fmt.Errorf("push findings: server answered %s: %s", resp.Status, bytes.TrimSpace(b))
		}
	}
	return fmt.Errorf("push findings: giving up after retries: %w", lastErr)
}

// fetchIndicators reads every indicator of an incident from a server.
func fetchIndicators(ctx context.Context, base, ref, token string) ([]incident.Indicator, error) {
	client := &http.Client{Timeout: 60 * time.Second}
	var out []incident.Indicator
	after := int64(0)
	for {
		url := fmt.Sprintf("%s/api/v1/incidents/%s/indicators?limit=1000&after=%d", strings.TrimSuffix(base, "/"), ref, after)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, fmt.Errorf("--from: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("--from: %w", err)
		}
		var page struct {
			Items     []incident.Indicator `json:"items"`
			NextAfter *int64               `json:"next_after"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 256<<20)).Decode(&page)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("--from: server answered %s", resp.Status)
		}
		if err != nil {
			return nil, fmt.Errorf("--from: read indicators: %w", err)
		}
		out = append(out, page.Items...)
		if page.NextAfter == nil {
			return out, nil
		}
		after = *page.NextAfter
	}
}
