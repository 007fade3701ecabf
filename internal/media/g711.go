package media

import "github.com/earshot/earshot/internal/g711"

// G.711 µ-law and A-law, by table. Decoding is one lookup per byte; encoding
// is one lookup per sample in a table indexed by the sample's top 14 (µ-law)
// or 13 (A-law) bits, which is all G.711 keeps. Converting µ-law to A-law
// and back is a 256-byte table, so a forwarded packet between legs with
// different codecs is transcoded without going through linear samples.

// Codec is a G.711 variant, named by its static RTP payload type.
type Codec uint8

// The codecs a leg can speak.
const (
	PCMU Codec = 0 // G.711 µ-law, RTP payload type 0
	PCMA Codec = 8 // G.711 A-law, RTP payload type 8
)

// String returns the codec's SDP name.
func (c Codec) String() string {
	switch c {
	case PCMU:
		return "PCMU"
	case PCMA:
		return "PCMA"
	}
	return "unknown"
}

// Silence bytes: what each law encodes 0 as.
const (
	ulawSilence = 0xFF
	alawSilence = 0xD5
)

var (
	ulawToLinear [256]int16
	alawToLinear [256]int16
	linearToUlaw [1 << 14]byte // index: uint16(sample) >> 2
	linearToAlaw [1 << 13]byte // index: uint16(sample) >> 3
	ulawToAlaw   [256]byte
	alawToUlaw   [256]byte
)

func init() {
	for i := range 256 {
		ulawToLinear[i] = g711.ULawDecode(byte(i))
		alawToLinear[i] = g711.ALawDecode(byte(i))
	}
	for i := range linearToUlaw {
		linearToUlaw[i] = g711.ULawEncode(int16(uint16(i) << 2))
	}
	for i := range linearToAlaw {
		linearToAlaw[i] = g711.ALawEncode(int16(uint16(i) << 3))
	}
	for i := range 256 {
		ulawToAlaw[i] = EncodeSample(PCMA, ulawToLinear[i])
		alawToUlaw[i] = EncodeSample(PCMU, alawToLinear[i])
	}
}

// EncodeSample encodes one 16-bit linear sample.
func EncodeSample(c Codec, s int16) byte {
	if c == PCMA {
		return linearToAlaw[uint16(s)>>3]
	}
	return linearToUlaw[uint16(s)>>2]
}

// DecodeSample decodes one G.711 byte to a 16-bit linear sample.
func DecodeSample(c Codec, b byte) int16 {
	if c == PCMA {
		return alawToLinear[b]
	}
	return ulawToLinear[b]
}

// Encode encodes pcm into dst (which must be at least len(pcm) long) and
// returns the number of bytes written.
func Encode(c Codec, dst []byte, pcm []int16) int {
	dst = dst[:len(pcm)]
	if c == PCMA {
		for i, s := range pcm {
			dst[i] = linearToAlaw[uint16(s)>>3]
		}
	} else {
		for i, s := range pcm {
			dst[i] = linearToUlaw[uint16(s)>>2]
		}
	}
	return len(pcm)
}

// Decode decodes src into pcm (at least len(src) long) and returns the
// number of samples written.
func Decode(c Codec, pcm []int16, src []byte) int {
	pcm = pcm[:len(src)]
	t := &ulawToLinear
	if c == PCMA {
		t = &alawToLinear
	}
	for i, b := range src {
		pcm[i] = t[b]
	}
	return len(src)
}

// Transcode converts G.711 bytes from one law to the other into dst (at
// least len(src) long); with from == to it copies.
func Transcode(from, to Codec, dst, src []byte) int {
	dst = dst[:len(src)]
	switch {
	case from == to:
		copy(dst, src)
	case from == PCMU:
		for i, b := range src {
			dst[i] = ulawToAlaw[b]
		}
	default:
		for i, b := range src {
			dst[i] = alawToUlaw[b]
		}
	}
	return len(src)
}

func silenceByte(c Codec) byte {
	if c == PCMA {
		return alawSilence
	}
	return ulawSilence
}
