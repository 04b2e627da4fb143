// Command memberd is a self-hostable, Whop-compatible memberships server.
//
// Run `memberd help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `memberd is a self-hostable, Whop-compatible memberships server.

Usage:
  memberd <command> [flags]

Commands:
  serve            run the HTTP server (Whop's v1 API at /api/v1)
  company create   create a company and print its first API key
  apikey create    create another API key for a company
  migrate          apply database migrations and exit

Run 'memberd <command> --help' for a command's flags.

Quick start (a demo company, test helpers on, a key printed):
  memberd serve --demo

Environment:
  MEMBERD_ADDR           listen address (serve), default 127.0.0.1:8080
  MEMBERD_DATABASE       database: a SQLite file path (default memberd.db)
                         or a postgres:// URL
  MEMBERD_TEST_HELPERS   1 or true to serve /api/v1/test_helpers (serve)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "memberd:", err)
		os.Exit(1)
	}
}

// run executes the command in args; it is main without the process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, stdout, stderr)
	case "migrate":
		return migrate(ctx, rest, stdout, stderr)
	case "company", "apikey":
		if len(rest) == 0 || rest[0] != "create" {
			if len(rest) > 0 && isHelp(rest[0]) {
				fmt.Fprint(stdout, usage)
				return flag.ErrHelp
			}
			return fmt.Errorf("usage: memberd %s create [flags] (see memberd %s create --help)", cmd, cmd)
		}
		if cmd == "company" {
			return createCompany(ctx, rest[1:], stdout, stderr)
		}
		return createAPIKey(ctx, rest[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func isHelp(s string) bool { return s == "-h" || s == "--help" || s == "-help" || s == "help" }

// newFlags returns a flag set whose --help prints the command's description.
func newFlags(name, synopsis, description string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\n%s\n\nFlags:\n", synopsis, strings.TrimSpace(description))
		fs.PrintDefaults()
	}
	return fs
}

// databaseFlag adds --database, defaulting to $MEMBERD_DATABASE or memberd.db.
func databaseFlag(fs *flag.FlagSet) *string {
	return fs.String("database", envOr("MEMBERD_DATABASE", "memberd.db"), "database: a SQLite file path or a postgres:// URL (env MEMBERD_DATABASE)")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// parse parses flags, refusing stray arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
