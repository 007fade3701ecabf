package media

import (
	"encoding/binary"
	"fmt"
)

// WAV files: reading the formats telephony uses, writing 16-bit PCM.

const (
	wavPCM        = 1
	wavALaw       = 6
	wavULaw       = 7
	wavExtensible = 0xFFFE
	wavHeaderLen  = 44
)

// wavData is a parsed WAV file: its format and its sample bytes.
type wavData struct {
	format   int // wavPCM (16-bit), wavALaw or wavULaw (8-bit)
	channels int
	rate     int
	body     []byte // whole blocks only
}

// parseWAV reads a RIFF/WAVE file. It accepts 16-bit PCM, 8-bit µ-law and
// A-law, plain or WAVE_FORMAT_EXTENSIBLE, and a data chunk whose size was
// left unset by a streaming writer.
func parseWAV(b []byte) (wavData, error) {
	var w wavData
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return w, fmt.Errorf("%w: not a RIFF/WAVE file", ErrWAVFormat)
	}
	var bits, align int
	haveFmt, haveData := false, false
	for p := 12; p+8 <= len(b); {
		id := string(b[p : p+4])
		size := uint64(binary.LittleEndian.Uint32(b[p+4:]))
		p += 8
		if size > uint64(len(b)-p) {
			if id != "data" {
				return w, fmt.Errorf("%w: %q chunk runs past the end of the file", ErrWAVFormat, id)
			}
			size = uint64(len(b) - p)
		}
		c := b[p : p+int(size)]
		switch id {
		case "fmt ":
			if len(c) < 16 {
				return w, fmt.Errorf("%w: fmt chunk of %d bytes", ErrWAVFormat, len(c))
			}
			w.format = int(binary.LittleEndian.Uint16(c[0:]))
			w.channels = int(binary.LittleEndian.Uint16(c[2:]))
			w.rate = int(binary.LittleEndian.Uint32(c[4:]))
			align = int(binary.LittleEndian.Uint16(c[12:]))
			bits = int(binary.LittleEndian.Uint16(c[14:]))
			if w.format == wavExtensible {
				if len(c) < 26 {
					return w, fmt.Errorf("%w: extensible fmt chunk of %d bytes", ErrWAVFormat, len(c))
				}
				w.format = int(binary.LittleEndian.Uint16(c[24:]))
			}
			haveFmt = true
		case "data":
			w.body = c
			haveData = true
		}
		p += int(size) + int(size&1)
	}
	if !haveFmt || !haveData {
		return w, fmt.Errorf("%w: no fmt or data chunk", ErrWAVFormat)
	}
	width := 0
	switch {
	case w.format == wavPCM && bits == 16:
		width = 2
	case (w.format == wavULaw || w.format == wavALaw) && bits == 8:
		width = 1
	default:
		return w, fmt.Errorf("%w: format %d, %d bits (want 16-bit PCM, µ-law or A-law)", ErrWAVFormat, w.format, bits)
	}
	if w.channels < 1 || w.channels > 8 || w.rate <= 0 || align != width*w.channels {
		return w, fmt.Errorf("%w: %d channels, %d Hz, block align %d", ErrWAVFormat, w.channels, w.rate, align)
	}
	w.body = w.body[:len(w.body)/align*align]
	return w, nil
}

func (w wavData) frames() int {
	if w.channels == 0 {
		return 0
	}
	return len(w.body) / (w.width() * w.channels)
}

func (w wavData) width() int {
	if w.format == wavPCM {
		return 2
	}
	return 1
}

// samples decodes channel ch to linear 16-bit samples.
func (w wavData) samples(ch int) []int16 {
	n := w.frames()
	out := make([]int16, n)
	step := w.width() * w.channels
	for i := range out {
		off := i*step + ch*w.width()
		switch w.format {
		case wavPCM:
			out[i] = int16(binary.LittleEndian.Uint16(w.body[off:]))
		case wavULaw:
			out[i] = DecodeSample(PCMU, w.body[off])
		default:
			out[i] = DecodeSample(PCMA, w.body[off])
		}
	}
	return out
}

// wavHeader returns the 44-byte header of an 8 kHz 16-bit PCM file with
// the given channels and number of sample frames.
func wavHeader(channels, frames int) [wavHeaderLen]byte {
	var h [wavHeaderLen]byte
	dataLen := uint32(frames * channels * 2)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+dataLen)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], wavPCM)
	binary.LittleEndian.PutUint16(h[22:], uint16(channels))
	binary.LittleEndian.PutUint32(h[24:], sampleRate)
	binary.LittleEndian.PutUint32(h[28:], uint32(sampleRate*2*channels))
	binary.LittleEndian.PutUint16(h[32:], uint16(2*channels))
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataLen)
	return h
}
