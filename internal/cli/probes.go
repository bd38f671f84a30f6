package cli

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"text/tabwriter"

	"github.com/firebreak-ir/firebreak/internal/probe"
)

// probesCmd is 'firebreak probes check [--parse-only] FILE': it reads a
// probe file as serve would and, unless --parse-only, runs every probe once
// and prints what each found. It fails when the file is invalid or a probe
// failed.
func probesCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "check" {
		return fmt.Errorf("%w: want 'probes check [--parse-only] FILE'", errUsage)
	}
	fs := flag.NewFlagSet("probes check", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	parseOnly := fs.Bool("parse-only", false, "only check the file; run no probe")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: want 'probes check [--parse-only] FILE'", errUsage)
	}
	cfg, err := probe.LoadConfig(fs.Arg(0))
	if err != nil {
		return err
	}
	if *parseOnly {
		fmt.Fprintf(env.Stdout, "%s: %d probe(s), valid\n", fs.Arg(0), len(cfg.Probes))
		return nil
	}
	results := make([]probe.Result, len(cfg.Probes))
	sem := make(chan struct{}, probe.DefaultConcurrency)
	var wg sync.WaitGroup
	for i, p := range cfg.Probes {
		c, err := probe.NewChecker(p)
		if err != nil {
			return err
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = c.Check(ctx)
		})
	}
	wg.Wait()
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	failed := 0
	for i, p := range cfg.Probes {
		r := results[i]
		if r.Outcome == probe.OutcomeFailed {
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\n", r.Outcome, p.Name, p.Type, p.Target, r.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d probe(s) failed", failed, len(cfg.Probes))
	}
	return nil
}
