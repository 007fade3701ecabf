package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/earshot/earshot/internal/demo"
	"github.com/earshot/earshot/internal/media"
)

// cmdSimulate places simulated customer calls into any earshot.
func cmdSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("simulate", "simulate --target sip:HOST:PORT [flags]", stderr)
	target := fs.String("target", "sip:127.0.0.1:5060", "earshot's SIP address, sip:IP:PORT; its trunk must accept calls from this machine's address")
	rate := fs.Int("calls-per-minute", 6, "calls a minute")
	dids := fs.String("dids", "+15550100,+15550200,+15550300", "comma-separated numbers to call")
	duration := fs.Duration("duration", 0, "stop after this long (0: until interrupted)")
	level := fs.String("log-level", "warn", "log level: debug, info, warn, error")
	if err := parse(fs, args); err != nil {
		return err
	}
	hostPort := strings.TrimPrefix(*target, "sip:")
	ap, err := netip.ParseAddrPort(hostPort)
	if err != nil || !ap.Addr().IsValid() || ap.Addr().IsUnspecified() || ap.Port() == 0 {
		return usageError{fmt.Sprintf("--target %q: want sip:IP:PORT, such as sip:127.0.0.1:5060 or sip:[2001:db8::5]:5060", *target)}
	}
	local, err := demo.LocalFor(ap)
	if err != nil {
		return err
	}
	if *rate <= 0 {
		return usageError{"--calls-per-minute must be positive"}
	}
	log := logger(stderr, *level)
	m, err := media.NewEngine(media.Config{IP: local, Logger: log})
	if err != nil {
		return err
	}
	defer m.Close()
	voiceDir, err := os.MkdirTemp("", "earshot-simulate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(voiceDir)
	c, err := demo.NewCallers(demo.CallersConfig{Target: ap.String(), Local: local, DIDs: strings.Split(*dids, ","), PerMin: *rate,
		Media: m, VoiceDir: filepath.Join(voiceDir, "voices"), Logger: log})
	if err != nil {
		return err
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	fmt.Fprintf(stdout, "calling %s from %s at %d calls a minute; interrupt to stop\n", ap, local, *rate)
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			placed, _ := c.Counts()
			fmt.Fprintf(stdout, "placed %d calls\n", placed)
			return nil
		case <-tick.C:
			placed, live := c.Counts()
			fmt.Fprintf(stdout, "placed %d calls, %d in progress\n", placed, live)
		}
	}
}
