package callflow

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/media"
)

// A queue's message is played once to a caller who waited the queue's
// max_wait (on_max_wait hangup), and then the call is hung up. The ACD has
// already ended the call by then (call.ended, reason max_wait), so the
// caller is out of the queue and offered to nobody while it plays.

// MaxMessage is the longest queue message earshot plays.
const MaxMessage = 30 * time.Second

// messageTail is the silence sent after a message before the hang-up, so
// the caller's jitter buffer plays the message's end before the BYE.
const messageTail = 300 * time.Millisecond

// reasonMaxWait is the ACD's call.ended reason for a caller who waited the
// queue's max_wait.
const reasonMaxWait = "max_wait"

const frameTime = 20 * time.Millisecond

// ErrMessageTooLong reports a message longer than MaxMessage.
var ErrMessageTooLong = errors.New("longer than the 30 s a message may last")

// ErrMessageFile reports a message file that cannot be played.
var ErrMessageFile = errors.New("cannot be played")

// Message is a queue's message, loaded for playing.
type Message struct {
	src    media.Source
	frames int // its length in 20 ms frames
}

// Length is how long the message plays.
func (m *Message) Length() time.Duration { return time.Duration(m.frames) * frameTime }

// LoadMessage reads a queue's message: a WAV file the media plane plays (8
// kHz mono; 16-bit PCM, µ-law or A-law), at most MaxMessage long. Its
// errors wrap ErrMessageFile, and ErrMessageTooLong for a long one, and say
// in words what is wrong.
func LoadMessage(path string) (*Message, error) {
	src, err := openSound(path, false)
	if err != nil {
		return nil, err
	}
	limit := int(MaxMessage / frameTime)
	n := sourceFrames(src, limit+1)
	if n > limit {
		return nil, fmt.Errorf("%w: %w", ErrMessageFile, ErrMessageTooLong)
	}
	return &Message{src: src, frames: n}, nil
}

// CheckMusic reports whether path is music on hold earshot can play: a WAV
// file as for LoadMessage, of any length. Its errors wrap ErrMessageFile.
func CheckMusic(path string) error {
	_, err := openSound(path, true)
	return err
}

// openSound opens a WAV file for the media plane, with errors that say in
// words what is wrong.
func openSound(path string, loop bool) (media.Source, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: no such file", ErrMessageFile)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("%w: earshot may not read it", ErrMessageFile)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrMessageFile, err)
	case fi.IsDir():
		return nil, fmt.Errorf("%w: it is a folder, not a WAV file", ErrMessageFile)
	case !fi.Mode().IsRegular():
		// A pipe would hang the reader; a device such as /dev/zero never ends.
		return nil, fmt.Errorf("%w: %w: it is a %s, not a WAV file", ErrMessageFile, media.ErrNotRegular, media.FileKind(fi.Mode()))
	case fi.Size() > media.MaxWAVBytes:
		return nil, fmt.Errorf("%w: %w: %d bytes, more than the %d a sound file may have", ErrMessageFile, media.ErrWAVTooLarge, fi.Size(), media.MaxWAVBytes)
	}
	src, err := media.NewWAVSource(path, loop)
	switch {
	case errors.Is(err, media.ErrWAVFormat):
		// The media plane's error names the file again; keep what follows.
		detail := err.Error()
		if i := strings.LastIndex(detail, media.ErrWAVFormat.Error()+": "); i >= 0 {
			detail = detail[i+len(media.ErrWAVFormat.Error())+2:]
		}
		return nil, fmt.Errorf("%w: %w: %s; earshot plays 8 kHz mono WAV files: 16-bit PCM, µ-law or A-law", ErrMessageFile, media.ErrWAVFormat, detail)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrMessageFile, err)
	}
	return src, nil
}

// CheckMessage reports whether path is a message earshot can play (see
// LoadMessage). The admin path and the start of serve run it on every
// queue's message.
func CheckMessage(path string) error {
	_, err := LoadMessage(path)
	return err
}

// sourceFrames returns the number of frames a source that ends plays,
// or limit if it plays that many or more.
func sourceFrames(src media.Source, limit int) int {
	var pcm [media.FrameSamples]int16
	return sort.Search(limit, func(n int) bool { return !src.Frame(n, &pcm) })
}

// announcement plays a message once to one leg, then a short silence, and
// closes done when the leg asks for the frame after that. It is a
// media.Source, so Frame runs on a media worker: it never blocks or
// allocates.
type announcement struct {
	msg  *Message
	end  int // frames of message and tail
	once sync.Once
	done chan struct{}
}

func newAnnouncement(m *Message) *announcement {
	return &announcement{msg: m, end: m.frames + int(messageTail/frameTime), done: make(chan struct{})}
}

// Frame implements media.Source.
func (a *announcement) Frame(n int, pcm *[media.FrameSamples]int16) bool {
	switch {
	case n < a.msg.frames && a.msg.src.Frame(n, pcm):
		return true
	case n < a.end:
		*pcm = [media.FrameSamples]int16{}
		return true
	}
	a.once.Do(func() { close(a.done) })
	return false
}

// queueMessage returns the path of queue's message when its callers are
// hung up after max_wait with one; "" otherwise.
func (f *Flow) queueMessage(queue string) string {
	q, ok := f.cfg.Engine.Config().Queue(queue)
	if !ok || q.OnMaxWait != config.OnMaxWaitHangup {
		return ""
	}
	return q.Message
}

// announce plays the message at path to the customer and returns when it
// has been heard, the customer hung up, or ctx ended. A message that
// cannot be played is logged and skipped.
func (f *Flow) announce(ctx context.Context, lc *liveCall, queue, path string) {
	m, err := f.messages.get(path)
	if err != nil {
		f.log.Warn("queue message not played", "call", lc.id, "queue", queue, "message", path, "err", err)
		return
	}
	a := newAnnouncement(m)
	lc.leg.Play(a)
	defer lc.leg.Play(nil)
	var gone <-chan struct{}
	if lc.customer != nil {
		gone = lc.customer.Done()
	}
	// A leg pulls a frame every 20 ms; the timer only guards against a leg
	// that stopped pulling without its call ending.
	guard := time.NewTimer(m.Length() + messageTail + 2*time.Second)
	defer guard.Stop()
	select {
	case <-a.done:
	case <-gone:
	case <-ctx.Done():
	case <-guard.C:
		f.log.Warn("queue message stalled", "call", lc.id, "queue", queue)
	}
}
