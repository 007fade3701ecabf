package loadgen

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// Serve answers "cpu" itself, hands the rest to its handler, and says so
// when a command is unknown or fails.
func TestServe(t *testing.T) {
	in := strings.NewReader("cpu\n\ncall 127.0.0.1:1 127.0.0.1:2\nroom\nfrobnicate\n")
	var out bytes.Buffer
	err := Serve(in, &out, func(w []string) (string, bool, error) {
		switch w[0] {
		case "call":
			return "4000 4002", true, nil
		case "room":
			return "", true, errors.New("2 addresses wanted")
		}
		return "", false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("answers %q", lines)
	}
	if _, err := strconv.ParseInt(lines[0], 10, 64); err != nil {
		t.Errorf("cpu answered %q", lines[0])
	}
	for i, want := range []string{"ok 4000 4002", "error 2 addresses wanted", "error unknown command"} {
		if lines[i+1] != want {
			t.Errorf("answer %d: %q, want %q", i+1, lines[i+1], want)
		}
	}
}
