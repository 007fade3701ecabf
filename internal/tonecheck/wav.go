package tonecheck

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/earshot/earshot/internal/g711"
)

const (
	fmtPCM        = 1
	fmtULaw       = 7
	fmtExtensible = 0xFFFE
)

// DecodeWAV decodes channel ch of a WAV file held in data into samples in
// [−1, 1] and returns its sample rate. It accepts 16-bit PCM and 8-bit µ-law,
// plain or WAVE_FORMAT_EXTENSIBLE; anything else is ErrFormat.
func DecodeWAV(data []byte, ch int) (samples []float64, rate int, err error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("%w: not a RIFF/WAVE file", ErrFormat)
	}
	var (
		haveFmt             bool
		format, channels    int
		bits, rateV, blockA int
		body                []byte
	)
	for p := 12; p+8 <= len(data); {
		id := string(data[p : p+4])
		size := int(binary.LittleEndian.Uint32(data[p+4 : p+8]))
		p += 8
		if size < 0 || size > len(data)-p {
			if id != "data" {
				return nil, 0, fmt.Errorf("%w: chunk %q runs past the end", ErrFormat, id)
			}
			size = len(data) - p // streamed files leave the size unset
		}
		chunk := data[p : p+size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, 0, fmt.Errorf("%w: fmt chunk of %d bytes", ErrFormat, size)
			}
			format = int(binary.LittleEndian.Uint16(chunk[0:]))
			channels = int(binary.LittleEndian.Uint16(chunk[2:]))
			rateV = int(binary.LittleEndian.Uint32(chunk[4:]))
			blockA = int(binary.LittleEndian.Uint16(chunk[12:]))
			bits = int(binary.LittleEndian.Uint16(chunk[14:]))
			if format == fmtExtensible {
				if size < 40 {
					return nil, 0, fmt.Errorf("%w: short extensible fmt chunk", ErrFormat)
				}
				format = int(binary.LittleEndian.Uint16(chunk[24:]))
			}
			haveFmt = true
		case "data":
			body = chunk
		}
		p += size + size&1
	}
	if !haveFmt || body == nil {
		return nil, 0, fmt.Errorf("%w: missing fmt or data chunk", ErrFormat)
	}
	if channels < 1 || ch < 0 || ch >= channels {
		return nil, 0, fmt.Errorf("%w: channel %d of %d", ErrFormat, ch, channels)
	}
	if rateV <= 0 {
		return nil, 0, fmt.Errorf("%w: rate %d", ErrFormat, rateV)
	}
	var width int
	switch {
	case format == fmtPCM && bits == 16:
		width = 2
	case format == fmtULaw && bits == 8:
		width = 1
	default:
		return nil, 0, fmt.Errorf("%w: format %d with %d bits (want 16-bit PCM or µ-law)", ErrFormat, format, bits)
	}
	if blockA != width*channels {
		return nil, 0, fmt.Errorf("%w: block align %d for %d channels of %d bytes", ErrFormat, blockA, channels, width)
	}
	n := len(body) / blockA
	samples = make([]float64, n)
	for i := range samples {
		off := i*blockA + ch*width
		if width == 2 {
			samples[i] = float64(int16(binary.LittleEndian.Uint16(body[off:]))) / 32768
		} else {
			samples[i] = float64(g711.ULawDecode(body[off])) / 32768
		}
	}
	return samples, rateV, nil
}

// encodeWAV builds a mono WAV file from samples in [−1, 1].
func encodeWAV(samples []float64, rate int, encoding string) []byte {
	width, format := 2, fmtPCM
	if encoding == ULaw {
		width, format = 1, fmtULaw
	}
	dataLen := len(samples) * width
	out := make([]byte, 44+dataLen+dataLen&1)
	copy(out[0:], "RIFF")
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	copy(out[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(out[16:], 16)
	binary.LittleEndian.PutUint16(out[20:], uint16(format))
	binary.LittleEndian.PutUint16(out[22:], 1)
	binary.LittleEndian.PutUint32(out[24:], uint32(rate))
	binary.LittleEndian.PutUint32(out[28:], uint32(rate*width))
	binary.LittleEndian.PutUint16(out[32:], uint16(width))
	binary.LittleEndian.PutUint16(out[34:], uint16(8*width))
	copy(out[36:], "data")
	binary.LittleEndian.PutUint32(out[40:], uint32(dataLen))
	for i, x := range samples {
		v := int16(math.Round(math.Max(-32768, math.Min(32767, x*32768))))
		if width == 2 {
			binary.LittleEndian.PutUint16(out[44+2*i:], uint16(v))
		} else {
			out[44+i] = g711.ULawEncode(v)
		}
	}
	return out
}
