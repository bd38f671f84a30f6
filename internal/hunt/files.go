package hunt

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/firebreak-ir/firebreak/internal/hunt/walk"
	"github.com/firebreak-ir/firebreak/internal/hunt/yara"
	"github.com/firebreak-ir/firebreak/internal/incident"
)

// maxScript bounds the files read whole for content rules.
const maxScript = 4 << 20

// Files hunts in file trees: every regular file is checked against the
// hash and file-name indicators and, for server-side scripts, the content
// rules. Findings reach emit in walk order, from one goroutine.
func (e *Engine) Files(ctx context.Context, roots []string, progress Progress, emit func(Finding)) (Stats, error) {
	var st Stats
	files, skipped := walk.Files(ctx, roots, walk.Options{MaxSize: e.opt.MaxFileSize, FollowSymlinks: e.opt.FollowSymlinks})
	for _, p := range skipped {
		if p.Reason == walk.TooLarge {
			st.note(Problem{File: p.Path, Reason: p.Reason}) // skipped by choice, not unreadable
			continue
		}
		st.addProblem(Problem{File: p.Path, Reason: p.Reason})
	}
	if len(files) == 0 && len(skipped) == 0 {
		return st, errNoInput
	}
	if progress != nil {
		var total int64
		for _, f := range files {
			total += f.Size
		}
		progress.Plan(len(files), total)
	}
	type result struct {
		findings []Finding
		problem  *Problem
	}
	results := make([]chan result, len(files))
	for i := range results {
		results[i] = make(chan result, 1)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < e.opt.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			for i := range next {
				f, err := e.checkFile(files[i], buf)
				r := result{findings: f}
				if err != nil {
					r.problem = &Problem{File: files[i].Path, Reason: err.Error()}
				}
				results[i] <- r
			}
		}()
	}
	go func() {
		defer close(next)
		for i := range files {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for i := range files {
		var r result
		select {
		case r = <-results[i]:
		case <-ctx.Done():
			wg.Wait()
			return st, ctx.Err()
		}
		st.Files++
		st.Bytes += files[i].Size
		if progress != nil {
			progress.Add(files[i].Size)
			progress.FileDone()
		}
		if r.problem != nil {
			st.addProblem(*r.problem)
		}
		for _, f := range r.findings {
			st.Findings++
			emit(f)
		}
	}
	wg.Wait()
	return st, nil
}

// checkFile reads one file once, hashing it with every algorithm an
// indicator needs and keeping small scripts for the content rules.
func (e *Engine) checkFile(f walk.File, buf []byte) ([]Finding, error) {
	var out []Finding
	finding := func(rule, title, sev, indicator string) {
		out = append(out, Finding{File: f.Path, Rule: rule, Title: title, Severity: sev, Indicator: indicator,
			Fields: map[string]string{"size": strconv.FormatInt(f.Size, 10)}})
	}
	base := filepath.Base(f.Path)
	lowBase := strings.ToLower(base)
	for _, ind := range e.names {
		if ok, _ := filepath.Match(strings.ToLower(ind.Value), lowBase); ok {
			finding("ioc", "Known malicious file name", severityOf(ind), ind.Value)
		}
	}
	var rules []contentRule
	ext := strings.ToLower(filepath.Ext(base))
	for _, r := range contentRules {
		if e.opt.YARA != nil {
			break // the YARA rules cover these, and more precisely
		}
		for _, x := range r.exts {
			if x == ext && f.Size <= maxScript {
				rules = append(rules, r)
				break
			}
		}
	}
	var yaraErr error // reported after the hash checks, which still run
	if e.opt.YARA != nil && f.Size <= yara.MaxScanFileSize {
		matches, err := e.opt.YARA.ScanFile(f.Path, 60*time.Second)
		for _, m := range matches {
			finding("yara:"+m.Rule, m.Title(), m.Severity(), "")
		}
		if err != nil {
			yaraErr = fmt.Errorf("YARA: %w", err)
		}
	}
	if len(e.hashTypes) == 0 && len(rules) == 0 {
		return out, yaraErr
	}
	fh, err := os.Open(f.Path)
	if err != nil {
		return out, err
	}
	defer fh.Close()
	var hs []hash.Hash
	var types []incident.IndicatorType
	for _, t := range []incident.IndicatorType{incident.IndSHA256, incident.IndSHA1, incident.IndMD5} {
		if e.hashTypes[t] {
			types = append(types, t)
			switch t {
			case incident.IndSHA256:
				hs = append(hs, sha256.New())
			case incident.IndSHA1:
				hs = append(hs, sha1.New())
			default:
				hs = append(hs, md5.New())
			}
		}
	}
	var content bytes.Buffer
	for {
		n, err := fh.Read(buf)
		for _, h := range hs {
			h.Write(buf[:n])
		}
		if len(rules) > 0 {
			content.Write(buf[:n])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, err
		}
	}
	for i, h := range hs {
		sum := hex.EncodeToString(h.Sum(nil))
		if ind, ok := e.hashes[sum]; ok {
			finding("ioc", "Known malicious file ("+string(types[i])+")", severityOf(ind), sum)
		}
	}
	if len(rules) > 0 {
		low := bytes.ToLower(content.Bytes())
		for _, r := range rules {
			for _, group := range r.allOf {
				all := true
				for _, s := range group {
					if !bytes.Contains(low, []byte(strings.ToLower(s))) {
						all = false
						break
					}
				}
				if all {
					finding(r.id, r.title, string(r.severity), "")
					break
				}
			}
		}
	}
	return out, yaraErr
}
