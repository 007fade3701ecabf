package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
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

// TestSimulate: earshot simulate places calls into a running earshot (a
// demo whose own callers are off), which its bots answer; the demo's API
// shows them.
func TestSimulate(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	demo := exec.CommandContext(ctx, bin, "demo", "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0", "--calls-per-minute", "0", "--data", filepath.Join(dir, "data"))
	stdout, _ := demo.StdoutPipe()
	demo.Stderr = os.Stderr
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = demo.Process.Signal(syscall.SIGTERM)
		demo.Wait()
	}()
	var url, sipAddr string
	sc := bufio.NewScanner(stdout)
	webRE, sipRE := regexp.MustCompile(`running at (http://\S+)`), regexp.MustCompile(`SIP: (\S+)`)
	for (url == "" || sipAddr == "") && sc.Scan() {
		if m := webRE.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
		}
		if m := sipRE.FindStringSubmatch(sc.Text()); m != nil {
			sipAddr = m[1]
		}
	}
	if url == "" || sipAddr == "" {
		t.Fatalf("earshot demo printed no URL or SIP address (%q, %q)", url, sipAddr)
	}
	go func() {
		for sc.Scan() {
		}
	}()

	out, err := exec.CommandContext(ctx, bin, "simulate", "--target", "sip:"+sipAddr, "--calls-per-minute", "60", "--dids", "+15550100", "--duration", "8s").CombinedOutput()
	if err != nil {
		t.Fatalf("simulate: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`placed (\d+) calls\n$`).FindSubmatch(out)
	if m == nil || string(m[1]) == "0" {
		t.Fatalf("simulate placed no calls:\n%s", out)
	}

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	res, err := hc.Post(url+"/api/v1/login", "application/json", strings.NewReader(`{"user":"sam","password":"demo"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login: %v %v", res, err)
	}
	res.Body.Close()
	count := func(kind string) int {
		res, err := hc.Get(url + "/api/v1/history?limit=1000&kind=" + kind)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var h struct{ Events []struct{ Queue string } }
		if err := json.NewDecoder(res.Body).Decode(&h); err != nil {
			t.Fatal(err)
		}
		return len(h.Events)
	}
	arrived, answered := count("call.arrived"), count("call.answered")
	t.Logf("simulate: %s; the demo saw %d calls arrive, %d answered", bytes.TrimSpace(m[0]), arrived, answered)
	if arrived == 0 || answered == 0 {
		t.Fatalf("the demo saw %d simulated calls arrive and %d answered; want some of each", arrived, answered)
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
		{[]string{"simulate", "--target", "sip:0.0.0.0:5060"}, 2, "want sip:IP:PORT"},
		{[]string{"simulate", "--target", "sip:127.0.0.1:0"}, 2, "want sip:IP:PORT"},
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

// TestVersionCarriesCommit: a build from a checkout says which commit it
// is, as a bug report needs.
func TestVersionCarriesCommit(t *testing.T) {
	head, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout, so a build carries no commit: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "earshot")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if info, err := exec.Command("go", "version", "-m", bin).Output(); err != nil || !strings.Contains(string(info), "vcs.revision") {
		// The go command finds a repository by a .git folder; a git
		// worktree has a .git file, and its builds carry no commit.
		t.Skipf("the go command stamped no commit into this build (%v)", err)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("earshot version: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "earshot v") || !strings.Contains(string(out), strings.TrimSpace(string(head))) {
		t.Fatalf("earshot version says %q; want a version and commit %s", out, head)
	}
}
