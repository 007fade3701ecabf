package media

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// Recording writes a leg's audio to an 8 kHz 16-bit WAV file as the room
// plays it. The worker copies each frame into a channel and a goroutine of
// the recording writes it, so the disk never stalls the audio; if the disk
// falls two seconds behind, frames are dropped and counted.
type Recording struct {
	leg    *Leg
	room   *Room
	stereo bool
	path   string

	frames  chan recFrame
	done    chan struct{}
	dropped atomic.Uint64
	tapped  atomic.Int64 // frames handed to the recording, dropped ones too

	once sync.Once
	err  error // set by the writer before done is closed
}

type recFrame struct {
	said, heard [FrameSamples]int16
}

// Record starts a stereo recording of leg left: channel 1 holds what left
// said (its own audio only), channel 2 what the room gave left to hear. What
// left did not hear (what another leg alone was given) never appears in it. Frames
// while left is not in the room are silent on both channels.
func (r *Room) Record(path string, left LegID) (*Recording, error) {
	return r.record(path, left, true)
}

// RecordLeg starts a mono recording of what leg id says.
func (r *Room) RecordLeg(path string, id LegID) (*Recording, error) {
	return r.record(path, id, false)
}

func (r *Room) record(path string, id LegID, stereo bool) (*Recording, error) {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("media: record: %w", ErrClosed)
	}
	l := r.member(id)
	if l == nil {
		return nil, fmt.Errorf("media: record %v: %w", id, ErrNotInRoom)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("media: record %v: %w", id, err)
	}
	channels := 1
	if stereo {
		channels = 2
	}
	h := wavHeader(channels, 0)
	if _, err := f.Write(h[:]); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("media: record %v: %w", id, err)
	}
	rec := &Recording{
		leg:    l,
		room:   r,
		stereo: stereo,
		path:   path,
		frames: make(chan recFrame, 100),
		done:   make(chan struct{}),
	}
	go rec.write(f, channels)
	r.recordings = append(r.recordings, rec)
	r.rebuild()
	return rec, nil
}

// tap hands the recording frame f. Called by the room's worker.
func (rec *Recording) tap(f int64) {
	var fr recFrame
	l := rec.leg
	if l.room == rec.room {
		if l.rt.pcmFrame == f {
			fr.said = l.rt.pcm
		}
		if rec.stereo && l.canSend() {
			fr.heard = l.rt.heard16 // on hold or unconnected, it hears nothing
		}
	}
	rec.tapped.Add(1)
	select {
	case rec.frames <- fr:
	default:
		rec.dropped.Add(1)
	}
}

func (rec *Recording) write(f *os.File, channels int) {
	defer close(rec.done)
	bw := bufio.NewWriterSize(f, 32<<10)
	var buf [FrameSamples * 2 * 2]byte
	frames := 0
	var werr error
	for fr := range rec.frames {
		n := 0
		for i := range FrameSamples {
			binary.LittleEndian.PutUint16(buf[n:], uint16(fr.said[i]))
			n += 2
			if channels == 2 {
				binary.LittleEndian.PutUint16(buf[n:], uint16(fr.heard[i]))
				n += 2
			}
		}
		if werr == nil {
			if _, werr = bw.Write(buf[:n]); werr == nil {
				frames += FrameSamples
			}
		}
	}
	if werr == nil {
		werr = bw.Flush()
	}
	h := wavHeader(channels, frames)
	if _, err := f.WriteAt(h[:], 0); werr == nil {
		werr = err
	}
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		rec.err = fmt.Errorf("media: recording %s: %w", rec.path, werr)
	}
}

// Dropped returns how many frames were lost because the disk fell behind.
func (rec *Recording) Dropped() uint64 { return rec.dropped.Load() }

// Frames returns how many 20 ms frames the recording has been given so
// far (its length in frames, dropped ones included): a second recording
// started now begins that far into this one.
func (rec *Recording) Frames() int64 { return rec.tapped.Load() }

// Close stops the recording and completes the file's header.
func (rec *Recording) Close() error {
	e := rec.room.e
	e.mu.Lock()
	r := rec.room
	found := false
	for i, x := range r.recordings {
		if x == rec {
			r.recordings = append(r.recordings[:i], r.recordings[i+1:]...)
			found = true
			break
		}
	}
	if found {
		r.rebuild()
	}
	e.mu.Unlock()
	return rec.finish()
}

// finish ends the writer. Called once the recording is no longer tapped.
func (rec *Recording) finish() error {
	rec.once.Do(func() { close(rec.frames) })
	<-rec.done
	if rec.err != nil {
		return rec.err
	}
	return nil
}
