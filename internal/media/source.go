package media

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"syscall"
	"time"
)

// Source is audio a leg plays when it hears no leg: ringback, a hold tone,
// music, an announcement. It is read in 160-sample frames (20 ms at 8 kHz).
type Source interface {
	// Frame writes frame n (counted from 0 for each leg that plays the
	// source) into pcm and reports false when the source has ended. It is
	// called from the media workers, possibly for several legs at once, so
	// it must be safe for concurrent use, quick, and never block.
	Frame(n int, pcm *[FrameSamples]int16) bool
}

// clip is a Source held in memory, decoded and also encoded in both laws up
// front: a leg playing it gets its encoded bytes copied into the packet, so
// a thousand legs on hold cost a thousand copies, not a thousand encodings.
// A clip is read-only once made.
type clip struct {
	pcm        []int16 // whole frames of audio
	ulaw, alaw []byte
	loop       bool // wrap around at the end (else the source ends)
	onFrames   int  // tone cadence: frames of audio (0: plain clip) ...
	offFrames  int  // ... then frames of silence, repeated
}

// NewClipSource returns a Source that plays pcm (8 kHz samples) once.
// pcm is copied.
func NewClipSource(pcm []int16) Source { return newClip(slices.Clone(pcm), false) }

func newClip(pcm []int16, loop bool) *clip {
	if r := len(pcm) % FrameSamples; r != 0 {
		pcm = append(pcm, make([]int16, FrameSamples-r)...)
	}
	c := &clip{pcm: pcm, loop: loop, ulaw: make([]byte, len(pcm)), alaw: make([]byte, len(pcm))}
	Encode(PCMU, c.ulaw, pcm)
	Encode(PCMA, c.alaw, pcm)
	return c
}

// frameIndex maps frame n of playback to a frame of the clip; -1 means
// silence, and ok false means the clip has ended.
func (c *clip) frameIndex(n int) (idx int, ok bool) {
	frames := len(c.pcm) / FrameSamples
	if n < 0 || frames == 0 {
		return 0, false
	}
	if c.onFrames > 0 {
		k := n % (c.onFrames + c.offFrames)
		if k >= c.onFrames {
			return -1, true
		}
		return k % frames, true
	}
	if n >= frames {
		if !c.loop {
			return 0, false
		}
		n %= frames
	}
	return n, true
}

// Frame implements Source.
func (c *clip) Frame(n int, pcm *[FrameSamples]int16) bool {
	idx, ok := c.frameIndex(n)
	switch {
	case !ok:
		return false
	case idx < 0:
		*pcm = [FrameSamples]int16{}
	default:
		copy(pcm[:], c.pcm[idx*FrameSamples:])
	}
	return true
}

// encodedFrame returns frame n already encoded for codec.
func (c *clip) encodedFrame(n int, codec Codec) ([]byte, bool) {
	idx, ok := c.frameIndex(n)
	if !ok {
		return nil, false
	}
	if idx < 0 {
		return silenceFrame(codec), true
	}
	b := c.ulaw
	if codec == PCMA {
		b = c.alaw
	}
	return b[idx*FrameSamples : (idx+1)*FrameSamples], true
}

// toneLevel is the peak amplitude of a tone source (all its frequencies
// together), as a fraction of full scale: about −12 dBFS.
const toneLevel = 0.25

// NewToneSource returns a source of the sum of the sine tones freqs (Hz),
// sounding for on and then silent for off, repeated; off 0 is a continuous
// tone. Durations are rounded to 20 ms. For example ringback in North
// America is NewToneSource([]float64{440, 480}, 2*time.Second, 4*time.Second).
func NewToneSource(freqs []float64, on, off time.Duration) (Source, error) {
	if len(freqs) == 0 || len(freqs) > 4 {
		return nil, fmt.Errorf("media: tone: %d frequencies (want 1–4)", len(freqs))
	}
	for _, f := range freqs {
		if !(f > 0 && f < sampleRate/2) {
			return nil, fmt.Errorf("media: tone: frequency %g Hz is not between 0 and 4000 Hz", f)
		}
	}
	if on < frameDuration || off < 0 || on+off > time.Minute {
		return nil, fmt.Errorf("media: tone: cadence %v on, %v off (want on ≥ 20ms, off ≥ 0, a cycle of at most a minute)", on, off)
	}
	onFrames := int((on + frameDuration/2) / frameDuration)
	offFrames := int((off + frameDuration/2) / frameDuration)
	// One second of a tone at whole hertz repeats seamlessly, so no more
	// than a second is kept however long the tone sounds.
	stored := min(onFrames, sampleRate/FrameSamples)
	pcm := make([]int16, stored*FrameSamples)
	amp := toneLevel * 32767 / float64(len(freqs))
	for i := range pcm {
		var v float64
		for _, f := range freqs {
			v += math.Sin(2 * math.Pi * f * float64(i) / sampleRate)
		}
		pcm[i] = int16(math.Round(amp * v))
	}
	c := newClip(pcm, true)
	c.onFrames, c.offFrames = onFrames, offFrames
	return c, nil
}

// Ringback returns the North American ringback tone: 440 + 480 Hz, two
// seconds on, four off.
func Ringback() Source {
	s, err := NewToneSource([]float64{440, 480}, 2*time.Second, 4*time.Second)
	if err != nil {
		panic(err) // constant arguments
	}
	return s
}

// maxWAVSeconds bounds the length of a WAV source kept in memory (4 bytes a
// sample: an hour is 115 MB).
const maxWAVSeconds = 3600

// MaxWAVBytes is the largest file NewWAVSource reads: an hour of 16-bit
// 16 kHz stereo PCM and room for a header, far more than an hour of what
// it plays. A bigger file is refused before it is read.
const MaxWAVBytes = 3600*16000*2*2 + 1<<20

// NewWAVSource loads a WAV file for playing: 8 kHz mono, 16-bit PCM, µ-law
// or A-law. With loop it starts again at the end (music on hold); without,
// it ends (an announcement). Any other format is a clear error, and so is
// anything that is not a regular file (a pipe would block the reader, a
// device like /dev/zero never ends: ErrNotRegular) or is larger than
// MaxWAVBytes (ErrWAVTooLarge).
func NewWAVSource(path string, loop bool) (Source, error) {
	data, err := readWAVFile(path)
	if err != nil {
		return nil, fmt.Errorf("media: wav source %s: %w", path, err)
	}
	w, err := parseWAV(data)
	if err != nil {
		return nil, fmt.Errorf("media: wav source %s: %w", path, err)
	}
	if w.rate != sampleRate || w.channels != 1 {
		return nil, fmt.Errorf("media: wav source %s: %w: %d Hz, %d channels (want 8000 Hz mono)", path, ErrWAVFormat, w.rate, w.channels)
	}
	if w.frames() == 0 {
		return nil, fmt.Errorf("media: wav source %s: %w: no audio", path, ErrWAVFormat)
	}
	if w.frames() > maxWAVSeconds*sampleRate {
		return nil, fmt.Errorf("media: wav source %s: longer than %d s", path, maxWAVSeconds)
	}
	return newClip(w.samples(0), loop), nil
}

// ErrWAVFormat reports a WAV file the media plane cannot read.
var ErrWAVFormat = errors.New("unsupported WAV")

// Errors of NewWAVSource for what is not a sound file at all.
var (
	ErrNotRegular  = errors.New("not a regular file")
	ErrWAVTooLarge = errors.New("file too large")
)

// readWAVFile reads a regular file of at most MaxWAVBytes. It opens
// without blocking, so a FIFO swapped in after a check cannot hang it,
// and it checks the file it opened, not the name.
func readWAVFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w (it is a %s)", ErrNotRegular, FileKind(fi.Mode()))
	}
	if fi.Size() > MaxWAVBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d a sound file may have", ErrWAVTooLarge, fi.Size(), MaxWAVBytes)
	}
	// The file may grow after Stat: read one byte past the cap to notice.
	data, err := io.ReadAll(io.LimitReader(f, MaxWAVBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxWAVBytes {
		return nil, fmt.Errorf("%w: more than the %d bytes a sound file may have", ErrWAVTooLarge, MaxWAVBytes)
	}
	return data, nil
}

// FileKind names what a file that is not a regular file is ("named pipe",
// "device", …), for error messages.
func FileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "folder"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}
