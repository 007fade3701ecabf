package main

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// build compiles the earshot binary once per test run.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "earshot")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestDemoStarts runs "earshot demo" as a newcomer would, on a free port,
// waits for its banner, checks /healthz, and stops it with SIGTERM. The
// start-up time is logged (go test -v), not asserted.
func TestDemoStarts(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	for run := 1; run <= 2; run++ { // the second run starts on the first run's data
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, bin, "demo", "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0", "--data", filepath.Join(dir, "data"))
		cmd.Dir = dir
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		began := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		url := ""
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`running at (http://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				url = m[1]
				break
			}
		}
		if url == "" {
			cancel()
			t.Fatal("earshot demo printed no URL")
		}
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("healthz: %d", resp.StatusCode)
		}
		t.Logf("run %d: earshot demo answered /healthz %v after start", run, time.Since(began).Round(time.Millisecond))
		go func() {
			for sc.Scan() {
			}
		}()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("demo did not stop cleanly on SIGTERM: %v", err)
		}
		cancel()
	}
}

func TestCommandLine(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("users:\n  - name: alice\n    roles: [agent]\n    password: x\nqueues:\n  - name: q\n    ring_timeout: -5s\n"), 0o600)
	rows := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"version"}, 0, "earshot "},
		{[]string{"check-config", bad}, 1, "bad.yaml:7"},
		{[]string{"check-config", filepath.Join("..", "..", "earshot.example.yaml")}, 0, ": ok"},
		{[]string{"serve", "--config", filepath.Join(dir, "missing.yaml")}, 1, "missing.yaml"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"demo", "--help"}, 2, "Usage: earshot demo"},
		{[]string{"demo", "--calls-per-minute", "-1"}, 2, "between 0 and 120"},
		{[]string{"demo", "--calls-per-minute", "121"}, 2, "between 0 and 120"},
		{[]string{"simulate", "--target", "sip:192.0.2.1:5060"}, 2, "on this machine"},
		{[]string{"simulate", "--target", "nonsense"}, 2, "want sip:IP:PORT"},
	}
	for _, r := range rows {
		t.Run(strings.Join(r.args, " "), func(t *testing.T) {
			out, err := exec.Command(bin, r.args...).CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != r.code || !strings.Contains(string(out), r.contains) {
				t.Fatalf("exit %d, want %d; output:\n%s\nwant it to contain %q", code, r.code, out, r.contains)
			}
		})
	}
}
