package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/earshot/earshot/internal/app"
	"github.com/earshot/earshot/internal/auth"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/store"
	"github.com/earshot/earshot/internal/web"
)

func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: earshot %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

func logger(stderr io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: l}))
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve --config FILE", stderr)
	path := fs.String("config", "earshot.yaml", "configuration file (YAML)")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	return app.Run(ctx, app.Options{Config: cfg, Logger: logger(stderr, *level), Out: stdout})
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "demo [flags]", stderr)
	data := fs.String("data", "earshot-demo-data", "folder for the demo's database and recordings (kept across restarts)")
	httpAddr := fs.String("http", "127.0.0.1:8080", "address for the web pages and API")
	sipAddr := fs.String("sip", "127.0.0.1:5060", "address for SIP (UDP and TCP)")
	level := fs.String("log-level", "warn", "log level: debug, info, warn, error")
	rate := fs.Int("calls-per-minute", 6, "simulated customer calls a minute")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *rate < 0 || *rate > web.MaxCallsPerMinute {
		return usageError{fmt.Sprintf("--calls-per-minute must be between 0 and %d", web.MaxCallsPerMinute)}
	}
	cfg := config.Demo()
	cfg.Listen.HTTP, cfg.Listen.SIP = *httpAddr, *sipAddr
	abs, err := filepath.Abs(*data)
	if err != nil {
		return err
	}
	cfg.DataDir, cfg.Database = abs, ""
	return app.Run(ctx, app.Options{Config: cfg, Demo: true, CallsPerMinute: *rate, Logger: logger(stderr, *level), Out: stdout})
}

func cmdCheckConfig(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check-config", "check-config FILE", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{"check-config needs one file"}
	}
	cfg, err := config.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok (%d users, %d teams, %d queues, %d DIDs)\n", fs.Arg(0), len(cfg.Users), len(cfg.Teams), len(cfg.Queues), len(cfg.DIDs))
	return nil
}

func cmdUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "passwd") {
		fmt.Fprint(stderr, "Usage: earshot user add NAME --roles agent,supervisor [--config FILE]\n       earshot user passwd NAME [--config FILE]\n")
		return usageError{"user needs add or passwd"}
	}
	verb := args[0]
	fs := newFlags("user "+verb, "user "+verb+" NAME [flags]  (password on standard input)", stderr)
	path := fs.String("config", "earshot.yaml", "configuration file that names the database")
	roles := fs.String("roles", "agent", "for add: comma-separated roles (agent, supervisor, admin)")
	display := fs.String("display", "", "for add: the name shown on pages")
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		fs.Usage()
		return usageError{"user " + verb + " needs a NAME"}
	}
	name := args[1]
	if err := parse(fs, args[2:]); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	pw, err := readPassword(stdin)
	if err != nil {
		return err
	}
	hash, err := auth.Hash(pw)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, app.DatabaseDSN(cfg))
	if err != nil {
		return err
	}
	defer st.Close()
	cur, err := app.Bootstrap(ctx, st, cfg)
	if err != nil {
		return err
	}
	if verb == "passwd" {
		if _, ok := cur.User(name); !ok {
			return fmt.Errorf("no user %q", name)
		}
		if err := st.SetPasswordHash(ctx, name, hash); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s changed\n", name)
		return nil
	}
	next := cur.Clone()
	u := config.User{Name: name, Display: *display, PasswordHash: hash}
	for _, r := range strings.Split(*roles, ",") {
		u.Roles = append(u.Roles, config.Role(strings.TrimSpace(r)))
	}
	if u.Display == "" {
		u.Display = name
	}
	next.Users = append(next.Users, u)
	if err := next.Validate(); err != nil {
		return err
	}
	if err := st.SaveConfig(ctx, next); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s added\n", name)
	return nil
}

func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if len(pw) < 4 {
		return "", usageError{"password too short (give at least 4 characters on standard input)"}
	}
	return pw, nil
}

// moduleVersion is the version "go install …@v1.2.3" built, or "" for a
// build from a checkout.
func moduleVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "(devel)" {
		return ""
	}
	return info.Main.Version
}

func vcsRevision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+changes"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}
