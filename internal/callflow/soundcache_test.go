package callflow

import (
	"os"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/tonecheck"
)

// TestMessageCache: a queue's message is read and decoded once and shared
// by every call; a file changed on disk (size or time) is read again, and
// one that cannot be played is never cached.
func TestMessageCache(t *testing.T) {
	r := newRig(t)
	path := writeTone(t, 440, 1)
	first, err := r.flow.messages.get(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := r.flow.messages.get(path)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Fatal("the unchanged message was read and decoded again")
	}

	if err := tonecheck.WriteTone(path, 440, 8000, 2, tonecheck.PCM16); err != nil {
		t.Fatal(err)
	}
	changed, err := r.flow.messages.get(path)
	if err != nil {
		t.Fatal(err)
	}
	if changed == first || changed.Length() != 2*time.Second {
		t.Fatalf("the changed message plays %v, want the new 2s", changed.Length())
	}

	// Same size, a new time: read again.
	if err := tonecheck.WriteTone(path, 880, 8000, 2, tonecheck.PCM16); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	retimed, err := r.flow.messages.get(path)
	if err != nil {
		t.Fatal(err)
	}
	if retimed == changed || level(retimed.src, 880) < -20 {
		t.Fatal("the rewritten message is not the one played")
	}

	if err := os.WriteFile(path, []byte("not audio"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.flow.messages.get(path); err == nil {
		t.Fatal("a broken message loaded")
	}
	if _, ok := r.flow.messages.files[path]; ok {
		t.Fatal("a broken message is cached")
	}
}

// level is the level of freq in a source's first 100 ms.
func level(src media.Source, freq float64) float64 {
	var samples []float64
	var pcm [media.FrameSamples]int16
	for n := 0; n < 5 && src.Frame(n, &pcm); n++ {
		for _, s := range pcm {
			samples = append(samples, float64(s)/32768)
		}
	}
	return tonecheck.Level(samples, 8000, freq)
}

// TestMusicFollowsConfig: music changed through the configuration is
// what the next caller hears, without a restart; unchanged music is
// decoded once and shared.
func TestMusicFollowsConfig(t *testing.T) {
	r := newRig(t)
	setMusic := func(path string) {
		t.Helper()
		c := r.eng.Config().Clone()
		c.Queues[0].Music = path
		if err := r.eng.Reconfigure(c, "admin", "music"); err != nil {
			t.Fatal(err)
		}
	}
	if l := level(r.flow.musicFor("sales"), 523.25); l < -30 {
		t.Fatalf("a queue without music has no chime (%.1f dBFS)", l)
	}
	a, b := writeTone(t, 440, 2), writeTone(t, 880, 2)
	setMusic(a)
	first := r.flow.musicFor("sales")
	if first != r.flow.musicFor("sales") {
		t.Fatal("unchanged music was decoded again")
	}
	if l := level(first, 440); l < -20 {
		t.Fatalf("the queue's music is not playing (%.1f dBFS at 440 Hz)", l)
	}
	setMusic(b)
	if l := level(r.flow.musicFor("sales"), 880); l < -20 {
		t.Fatalf("the new music is not playing (%.1f dBFS at 880 Hz)", l)
	}
	setMusic("")
	if l := level(r.flow.musicFor("sales"), 523.25); l < -30 {
		t.Fatalf("music removed: no chime (%.1f dBFS)", l)
	}
}
