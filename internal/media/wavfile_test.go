package media

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWAVSourceRefusesNonFiles: a FIFO is refused at once (never waited
// on), /dev/zero is refused (never read), and a file over MaxWAVBytes is
// refused before it is read; each error names the file.
func TestWAVSourceRefusesNonFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "music.wav")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.wav")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxWAVBytes + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	for _, tc := range []struct {
		path string
		want error
	}{
		{fifo, ErrNotRegular},
		{"/dev/zero", ErrNotRegular},
		{huge, ErrWAVTooLarge},
	} {
		done := make(chan error, 1)
		go func() {
			_, err := NewWAVSource(tc.path, true)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("NewWAVSource(%s): %v, want %v naming the file", tc.path, err, tc.want)
			}
		case <-time.After(10 * time.Second):
			if tc.path == fifo { // let the stuck reader go
				if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
					w.Close()
				}
			}
			t.Fatalf("NewWAVSource(%s) did not return", tc.path)
		}
	}
}
