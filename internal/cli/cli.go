// Package cli is the firebreak command: it parses subcommands and flags,
// reads configuration, and wires the other packages together. It is the
// only package that reads the environment.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/firebreak-ir/firebreak/internal/config"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// Version is set at build time with -ldflags "-X …/cli.Version=v1.2.3".
var Version = "dev"

// Env is what a command may use from its surroundings.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Ready, when set, receives the console's listen address once serving (tests).
	Ready func(addr string)
	// PublicReady, when set, receives the status page's listen address.
	PublicReady func(addr string)
}

// errUsage marks errors that should be followed by usage and exit code 2.
var errUsage = errors.New("usage")

const usage = `firebreak: incident command for organisations under attack

Usage:
  firebreak serve [--addr 127.0.0.1:8080] [--public-addr 127.0.0.1:8081] [--data ./data] [--db postgres://…] [--probes FILE] [--demo]
  firebreak migrate [--data DIR | --db DSN]
  firebreak token create --user NAME [--name LABEL] [--data DIR | --db DSN]
  firebreak audit verify [--data DIR | --db DSN]
  firebreak backup [--data DIR] OUT
  firebreak status export [--data DIR | --db DSN] [--public-url URL] DIR
  firebreak hunt [--iocs FILE] [--rules PATH] [--tree DIR] [--format summary|jsonl|csv] LOG...
  firebreak rules check PATH
  firebreak probes check [--parse-only] FILE
  firebreak config dump [flags of serve]
  firebreak version

Every flag has a FIREBREAK_* environment equivalent; see docs/configuration.md.
`

// Run runs the firebreak command with args (without the program name) and
// returns its exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = serve(ctx, rest, env)
	case "migrate":
		err = migrate(ctx, rest, env)
	case "token":
		err = token(ctx, rest, env)
	case "audit":
		err = audit(ctx, rest, env)
	case "backup":
		err = backup(ctx, rest, env)
	case "config":
		err = configCmd(rest, env)
	case "hunt":
		// Like grep: 0 nothing found, 1 findings, 2 trouble.
		err = huntCmd(ctx, rest, env)
		if err != nil && !errors.Is(err, errFound) && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(env.Stderr, "firebreak hunt: %v\n", err)
			return 2
		}
	case "rules":
		err = rulesCmd(rest, env)
	case "status":
		err = statusCmd(ctx, rest, env)
	case "probes":
		err = probesCmd(ctx, rest, env)
	case "version", "--version":
		fmt.Fprintln(env.Stdout, "firebreak", version())
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(env.Stderr, "firebreak: %v\n\n%s", err, usage)
		return 2
	case errors.Is(err, errFound):
		return 1
	case errors.Is(err, errAuditBroken):
		fmt.Fprintf(env.Stderr, "firebreak: %v\n", err)
		return 1
	}
	fmt.Fprintf(env.Stderr, "firebreak: %v\n", err)
	return 1
}

func version() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return Version
}

// loadConfig applies defaults, the environment, then flags.
func loadConfig(env Env, fs *flag.FlagSet, args []string, register func(*config.Config, *flag.FlagSet)) (config.Config, error) {
	c := config.Default()
	if err := c.ApplyEnv(env.Getenv); err != nil {
		return c, err
	}
	register(&c, fs)
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, fmt.Errorf("%w: %v", errUsage, err)
	}
	return c, c.Validate()
}

func newLogger(c config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens the configured store and, for SQLite, makes the data directory.
func openStore(ctx context.Context, c config.Config) (*store.Store, error) {
	if c.DB == "" {
		if err := os.MkdirAll(c.Data, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	return store.Open(ctx, c.DSN(), store.Options{})
}

func storeFlags(c *config.Config, fs *flag.FlagSet) { c.StoreFlags(fs) }

func migrate(ctx context.Context, args []string, env Env) error {
	c, err := loadConfig(env, flag.NewFlagSet("migrate", flag.ContinueOnError), args, storeFlags)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(env.Stdout, "schema is current (version %d)\n", store.LatestVersion())
		return nil
	}
	fmt.Fprintf(env.Stdout, "applied migrations %v; schema is at version %d\n", applied, store.LatestVersion())
	return nil
}

var errAuditBroken = errors.New("audit chain broken")

func audit(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("%w: want 'audit verify'", errUsage)
	}
	c, err := loadConfig(env, flag.NewFlagSet("audit verify", flag.ContinueOnError), args[1:], storeFlags)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	n, err := st.VerifyAudit(ctx)
	var br *store.AuditBreak
	if errors.As(err, &br) {
		return fmt.Errorf("%w: %v (%d entries read)", errAuditBroken, br, n)
	}
	if err != nil {
		return err
	}
	entries, err := st.AuditEntries(ctx, store.Page{After: n - 1, Limit: 1})
	head := "none"
	if err == nil && len(entries) == 1 {
		head = entries[0].Hash
	}
	fmt.Fprintf(env.Stdout, "audit chain intact: %d entries, head %s\n", n, head)
	return nil
}

func backup(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	c, err := loadConfig(env, fs, args, storeFlags)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: backup needs one output file", errUsage)
	}
	out := fs.Arg(0)
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("backup: %s exists; choose a new file", out)
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backup written to %s (evidence files are in %s; copy that directory too)\n", out, c.EvidenceDir())
	return nil
}

func configCmd(args []string, env Env) error {
	if len(args) == 0 || args[0] != "dump" {
		return fmt.Errorf("%w: want 'config dump'", errUsage)
	}
	c, err := loadConfig(env, flag.NewFlagSet("config dump", flag.ContinueOnError), args[1:], (*config.Config).Flags)
	if err != nil {
		return err
	}
	fmt.Fprint(env.Stdout, c.Dump())
	return nil
}
