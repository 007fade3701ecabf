// Command earshot is the contact-centre server: customers call in over SIP,
// earshot queues each call and routes it to an agent, and supervisors watch
// and assist. Run "earshot help" for the commands.
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

// Set at build time: go build -ldflags "-X main.version=1.2.3 -X main.commit=abc".
var (
	version = "dev"
	commit  = ""
)

const usage = `earshot — a contact-centre server

Usage:
  earshot demo [flags]                 start everything on this machine with sample teams and calls
  earshot serve --config FILE          start for production
  earshot simulate --target sip:H:P    place simulated customer calls into an earshot on this machine
  earshot check-config FILE            validate a configuration file and exit
  earshot user add NAME --roles R,R    add a user (password read from standard input)
  earshot user passwd NAME             set a user's password (read from standard input)
  earshot version                      print the version

Run "earshot COMMAND --help" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "earshot:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "demo":
		return cmdDemo(ctx, rest, stdout, stderr)
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr)
	case "simulate":
		return cmdSimulate(ctx, rest, stdout, stderr)
	case "check-config":
		return cmdCheckConfig(rest, stdout, stderr)
	case "user":
		return cmdUser(ctx, rest, stdin, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, versionString())
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

func versionString() string {
	ver := version
	if ver == "dev" {
		if m := moduleVersion(); m != "" {
			ver = m
		}
	}
	v := "earshot " + ver
	if commit != "" {
		v += " (" + commit + ")"
	} else if c := vcsRevision(); c != "" && !strings.Contains(ver, strings.TrimSuffix(c, "+changes")) {
		v += " (" + c + ")"
	}
	return v
}
