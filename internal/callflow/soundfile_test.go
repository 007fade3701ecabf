package callflow

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/media"
)

// TestSoundFilesNotRegular: a queue's message or music that is a FIFO, a
// device or a file over the cap is refused at once with a clear error,
// never read: a FIFO would hang every admin save, /dev/zero would eat
// the server's memory.
func TestSoundFilesNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "hold.wav")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.wav")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(media.MaxWAVBytes + 1); err != nil { // sparse
		t.Fatal(err)
	}
	f.Close()
	checks := map[string]func(string) error{"music": CheckMusic, "message": CheckMessage}
	for _, tc := range []struct {
		path string
		want error
		says string
	}{
		{fifo, media.ErrNotRegular, "cannot be played: not a regular file: it is a named pipe, not a WAV file"},
		{"/dev/zero", media.ErrNotRegular, "cannot be played: not a regular file: it is a device, not a WAV file"},
		{huge, media.ErrWAVTooLarge, fmt.Sprintf("cannot be played: file too large: %d bytes, more than the %d a sound file may have", media.MaxWAVBytes+1, media.MaxWAVBytes)},
	} {
		for what, check := range checks {
			done := make(chan error, 1)
			go func() { done <- check(tc.path) }()
			select {
			case err := <-done:
				if !errors.Is(err, tc.want) || !errors.Is(err, ErrMessageFile) || err.Error() != tc.says {
					t.Errorf("%s %s: %v, want %q", what, tc.path, err, tc.says)
				}
			case <-time.After(10 * time.Second):
				if tc.path == fifo {
					if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
						w.Close()
					}
				}
				t.Fatalf("%s %s: the check did not return", what, tc.path)
			}
		}
	}
}
