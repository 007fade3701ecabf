// Package tonecheck writes test tones to WAV files and tells, by frequency,
// whether a tone can be heard in recorded audio. Acceptance tests give every
// party its own tone and use Level and Heard to check who hears whom.
//
// It holds no telephony: only WAV files (8-bit µ-law or 16-bit PCM), a sine
// generator and a Goertzel filter.
package tonecheck

import (
	"errors"
	"fmt"
	"math"
	"os"
)

// HeardThreshold is the level, in dBFS, at or above which Heard reports a tone
// as present. A tone that is heard in a call reads near −6 dBFS (−12 when
// mixed with another); an absent one reads below −60.
const HeardThreshold = -30.0

// Encodings accepted by WriteTone and WriteTones.
const (
	PCM16 = "pcm16" // 16-bit signed little-endian PCM
	ULaw  = "ulaw"  // 8-bit G.711 µ-law
)

// ToneAmplitude is the peak amplitude, as a fraction of full scale, of the
// sum of the tones WriteTone and WriteTones write: 0.5, that is −6 dBFS.
const ToneAmplitude = 0.5

// ErrFormat reports a WAV file this package cannot read.
var ErrFormat = errors.New("tonecheck: unsupported WAV")

// WriteTone writes a mono WAV of one sine tone at −6 dBFS.
func WriteTone(path string, freq float64, rate int, seconds float64, encoding string) error {
	return WriteTones(path, []float64{freq}, rate, seconds, encoding)
}

// WriteTones writes a mono WAV holding the sum of sine tones, whose peak is
// −6 dBFS (each of n tones has amplitude 0.5/n).
func WriteTones(path string, freqs []float64, rate int, seconds float64, encoding string) error {
	if len(freqs) == 0 {
		return errors.New("write tones: no frequency given")
	}
	if rate <= 0 || rate > 384000 {
		return fmt.Errorf("write tones: rate %d out of range", rate)
	}
	for _, f := range freqs {
		if !(f > 0 && f < float64(rate)/2) {
			return fmt.Errorf("write tones: frequency %g Hz is not between 0 and %d Hz", f, rate/2)
		}
	}
	if !(seconds > 0 && seconds <= 3600) {
		return fmt.Errorf("write tones: duration %g s out of range", seconds)
	}
	if encoding != PCM16 && encoding != ULaw {
		return fmt.Errorf("write tones: encoding %q is neither %q nor %q", encoding, PCM16, ULaw)
	}
	n := int(seconds * float64(rate))
	samples := make([]float64, n)
	amp := ToneAmplitude / float64(len(freqs))
	for i := range samples {
		t := float64(i) / float64(rate)
		for _, f := range freqs {
			samples[i] += amp * math.Sin(2*math.Pi*f*t)
		}
	}
	data := encodeWAV(samples, rate, encoding)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write tones: %w", err)
	}
	return nil
}

// ReadWAV reads a WAV file (16-bit PCM or 8-bit µ-law, any rate) and returns
// its first channel as samples in [−1, 1] and its sample rate.
func ReadWAV(path string) (samples []float64, rate int, err error) {
	return ReadWAVChannel(path, 0)
}

// ReadWAVChannel reads channel ch (0 is the first) of a WAV file.
func ReadWAVChannel(path string, ch int) (samples []float64, rate int, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read wav: %w", err)
	}
	samples, rate, err = DecodeWAV(data, ch)
	if err != nil {
		return nil, 0, fmt.Errorf("read wav %s: %w", path, err)
	}
	return samples, rate, nil
}

// Level returns the level of frequency freq in samples, in dBFS: a
// full-scale sine reads 0, a sine of amplitude 0.5 reads −6. It runs a
// Goertzel filter with a Hann window over each 100 ms block and averages the
// blocks' power, so a tone between frequency bins still reads its level, a
// tone 40 Hz away leaks little, and the phase jumps that packet loss
// concealment and jitter buffers leave in received audio do not cancel the
// tone out. An empty or silent slice reads −Inf.
func Level(samples []float64, rate int, freq float64) float64 {
	if len(samples) < 2 || rate <= 0 {
		return math.Inf(-1)
	}
	block := max(rate/10, 2)
	if len(samples) < block {
		block = len(samples)
	}
	var power float64
	blocks := 0
	for off := 0; off+block <= len(samples); off += block {
		a := goertzel(samples[off:off+block], rate, freq)
		power += a * a
		blocks++
	}
	amp := math.Sqrt(power / float64(blocks))
	if amp == 0 {
		return math.Inf(-1)
	}
	return 20 * math.Log10(amp)
}

// goertzel returns the amplitude of freq in samples (Hann-windowed).
func goertzel(samples []float64, rate int, freq float64) float64 {
	n := len(samples)
	w := 2 * math.Pi * freq / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2, wsum float64
	for i, x := range samples {
		win := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
		wsum += win
		s0 := x*win + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	re := s1 - s2*math.Cos(w)
	im := s2 * math.Sin(w)
	return 2 * math.Hypot(re, im) / wsum
}

// Heard reports whether a tone at levelDB (from Level) counts as heard: at or
// above HeardThreshold.
func Heard(levelDB float64) bool {
	return levelDB >= HeardThreshold
}
