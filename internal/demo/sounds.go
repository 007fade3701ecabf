package demo

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
)

// supportBusy is the demo's queue message, made with espeak-ng: "Sorry,
// all our support agents are still busy. Please call again later, or
// visit our help centre. Goodbye." (8 kHz µ-law, 8.5 s).
//
//go:embed sounds/support-busy.wav
var supportBusy []byte

// MessageQueue is the demo queue whose callers hear the message
// WriteMessage writes before earshot hangs up on them after max_wait.
const MessageQueue = "support"

// WriteMessage writes the demo's queue message into dir/sounds and returns
// its path.
func WriteMessage(dir string) (string, error) {
	sounds := filepath.Join(dir, "sounds")
	if err := os.MkdirAll(sounds, 0o750); err != nil {
		return "", fmt.Errorf("demo message: %w", err)
	}
	p := filepath.Join(sounds, "support-busy.wav")
	if err := os.WriteFile(p, supportBusy, 0o640); err != nil {
		return "", fmt.Errorf("demo message: %w", err)
	}
	return p, nil
}
