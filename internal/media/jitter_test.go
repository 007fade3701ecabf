package media

import (
	"testing"
)

// frameOf makes a PCMU payload whose samples all decode to v's code.
func frameOf(code byte) []byte {
	b := make([]byte, FrameSamples)
	for i := range b {
		b[i] = code
	}
	return b
}

func TestJitterBuffer(t *testing.T) {
	// Each packet k carries code 0x10+k, so what is played says which
	// packet it came from; "c" marks a concealed frame.
	type step struct {
		insert []int // packets arriving before this frame's pull
		want   string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"in order, one frame behind the newest", []step{
			{[]int{0}, "c"}, {[]int{1}, "0"}, {[]int{2}, "1"}, {[]int{3}, "2"},
		}},
		{"late packet: conceal and hold, nothing lost", []step{
			{[]int{0}, "c"}, {[]int{1}, "0"}, {nil, "1"}, {nil, "c"}, {[]int{2, 3}, "2"}, {[]int{4}, "3"},
		}},
		{"lost packet: conceal, then carry on", []step{
			{[]int{0}, "c"}, {[]int{1}, "0"}, {[]int{3}, "1"}, {[]int{4}, "c"}, {[]int{5}, "3"},
		}},
		{"reordered packets", []step{
			{[]int{0}, "c"}, {[]int{2, 1}, "0"}, {[]int{3}, "1"}, {[]int{4}, "2"},
		}},
		{"duplicates ignored", []step{
			{[]int{0}, "c"}, {[]int{1, 1, 0}, "0"}, {[]int{2}, "1"},
		}},
		{"a burst far ahead resyncs", []step{
			{[]int{0}, "c"}, {[]int{1}, "0"}, {[]int{2, 3, 4, 5, 6}, "5"}, {[]int{7}, "6"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var jb jitterBuffer
			var out [FrameSamples]int16
			got, want := "", ""
			for f, st := range tt.steps {
				for _, k := range st.insert {
					jb.insert(7, uint32(1000+k*FrameSamples), PCMU, frameOf(byte(0x10+k)))
				}
				jb.pull(int64(f), &out, 0, false)
				switch {
				case jb.lossRun > 0:
					got += "c"
				default:
					k := -1
					for i := range 16 {
						if DecodeSample(PCMU, byte(0x10+i)) == out[0] {
							k = i
						}
					}
					got += string(rune('0' + k))
				}
				want += st.want
			}
			if got != want {
				t.Errorf("played %q, want %q", got, want)
			}
		})
	}
}

func TestJitterBufferConcealmentFades(t *testing.T) {
	var jb jitterBuffer
	var out [FrameSamples]int16
	jb.insert(1, 0, PCMU, frameOf(0x80)) // loud
	jb.insert(1, FrameSamples, PCMU, frameOf(0x80))
	jb.pull(0, &out, 0, false)
	loud := out[0]
	var levels []int16
	for f := int64(1); f < 8; f++ {
		jb.pull(f, &out, 0, false)
		levels = append(levels, out[0])
	}
	// frame 1 plays packet 1; then repeat, fade by half, …, silence
	want := []int16{loud, loud, loud / 2, loud / 4, loud / 8, 0, 0}
	for i := range want {
		if levels[i] != want[i] {
			t.Fatalf("levels %v, want %v", levels, want)
		}
	}
}

func TestJitterBufferPartialPackets(t *testing.T) {
	// 10 ms packets: two make a frame.
	var jb jitterBuffer
	var out [FrameSamples]int16
	for k := range 6 {
		jb.insert(1, uint32(k*80), PCMU, frameOf(byte(0x10 + k))[:80])
	}
	jb.pull(0, &out, 0, false) // newest end 480, margin 1: plays [160, 320)
	if out[0] != DecodeSample(PCMU, 0x12) || out[80] != DecodeSample(PCMU, 0x13) {
		t.Errorf("frame from 10 ms packets: %d, %d", out[0], out[80])
	}
}
