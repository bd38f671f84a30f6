// Command firebreak runs an incident: see 'firebreak help'.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/firebreak-ir/firebreak/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
