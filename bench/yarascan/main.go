// Command yarascan scans file trees with YARA rules through
// internal/hunt/yara, with N goroutines, and prints "RULE PATH" per match as
// the yara CLI does. It is the stand-in for 'firebreak hunt --tree' in
// bench/tree.sh until the hunt engine runs YARA rules itself.
//
// Usage: yarascan -rules PATH [-workers N] DIR...
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/firebreak-ir/firebreak/internal/hunt/walk"
	"github.com/firebreak-ir/firebreak/internal/hunt/yara"
)

func main() { os.Exit(run()) }

func run() int {
	rulesPath := flag.String("rules", "", "YARA rule file or directory")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "parallel scans")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *rulesPath == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: yarascan -rules PATH [-workers N] DIR...")
		return 2
	}
	rules, err := yara.LoadPath(*rulesPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "yarascan:", err)
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "yarascan:", err)
			return 2
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "yarascan:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	files, skipped := walk.Files(context.Background(), flag.Args(), walk.Options{MaxSize: yara.MaxScanFileSize})
	for _, p := range skipped {
		fmt.Fprintf(os.Stderr, "yarascan: %s: %s\n", p.Path, p.Reason)
	}
	walked := time.Since(start)
	results := make([][]yara.Match, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ms, err := rules.ScanFile(files[i].Path, 60*time.Second)
				if err != nil {
					fmt.Fprintf(os.Stderr, "yarascan: %s: %v\n", files[i].Path, err)
				}
				results[i] = ms
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	n := 0
	var bytes int64
	for i, ms := range results {
		bytes += files[i].Size
		for _, m := range ms {
			fmt.Fprintf(out, "%s %s\n", m.Rule, files[i].Path)
			n++
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "yarascan:", err)
		return 2
	}
	d := time.Since(start)
	fmt.Fprintf(os.Stderr, "yarascan: %d files, %.0f MB, %d matches in %.2f s (walk %.2f s), %d workers, %.0f MB/s\n",
		len(files), float64(bytes)/1e6, n, d.Seconds(), walked.Seconds(), *workers, float64(bytes)/1e6/d.Seconds())
	return 0
}
