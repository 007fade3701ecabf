package media

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDTMFReceiver(t *testing.T) {
	type pkt struct {
		ts    uint32
		event uint8
		end   bool
		dur   uint16
		frame int64
	}
	tests := []struct {
		name string
		pkts []pkt
		want string
	}{
		{"duration-0 first packet reports at once", []pkt{{100, 1, false, 0, 0}}, "1"},
		{"updates and redundant ends count once", []pkt{{100, 1, false, 0, 0}, {100, 1, false, 320, 1}, {100, 1, true, 640, 2}, {100, 1, true, 640, 2}, {100, 1, true, 640, 2}}, "1"},
		{"start lost: the end packet still counts", []pkt{{100, 7, true, 800, 0}, {100, 7, true, 800, 0}}, "7"},
		{"new timestamp is a new press", []pkt{{100, 2, true, 800, 0}, {900, 2, false, 0, 10}}, "22"},
		{"same timestamp, other event", []pkt{{100, 2, false, 0, 0}, {100, 3, false, 0, 1}}, "23"},
		{"replayed capture after the end", []pkt{{100, 5, false, 0, 0}, {100, 5, true, 800, 5}, {100, 5, false, 0, 20}, {100, 5, true, 800, 25}}, "55"},
		{"late update right after the end is no replay", []pkt{{100, 5, false, 0, 0}, {100, 5, true, 800, 5}, {100, 5, false, 640, 6}}, "5"},
		{"star, pound and letters", []pkt{{1, 10, false, 0, 0}, {2, 11, false, 0, 1}, {3, 12, false, 0, 2}, {4, 15, false, 0, 3}}, "*#AD"},
		{"flash (16) is not a digit", []pkt{{1, 16, false, 0, 0}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d dtmfReceiver
			got := ""
			for _, p := range tt.pkts {
				if r, ok := d.packet(dtmfPayload{event: p.event, end: p.end, duration: p.dur}, p.ts, p.frame); ok {
					got += string(r)
				}
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDTMFSenderSequence(t *testing.T) {
	var s dtmfSender
	if !s.enqueue(5, 3) {
		t.Fatal("enqueue failed")
	}
	var got []string
	for i := range 8 {
		p, first, ok := s.next(uint32(1000 + i*FrameSamples))
		if !ok {
			got = append(got, "-")
			continue
		}
		got = append(got, fmt.Sprintf("%d/%v/%d/%v", p.event, p.end, p.duration, first))
	}
	want := []string{"5/false/160/true", "5/false/320/false", "5/false/480/false", "5/true/480/false", "5/true/480/false", "5/true/480/false", "-", "-"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if s.ts != 1000 {
		t.Errorf("event ts %d, want the first frame's 1000", s.ts)
	}
}

// TestDTMFSippCaptures plays sipp's bundled RFC 4733 captures (one per
// key, all with one SSRC, each starting with a duration-0 packet) into a
// leg, as `play_pcap_audio` would, and expects every key once.
func TestDTMFSippCaptures(t *testing.T) {
	dir := "/usr/share/sip-tester"
	keys := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "star", "pound"}
	if _, err := os.Stat(filepath.Join(dir, "dtmf_2833_0.pcap")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("sipp's captures are missing (apt-get install sip-tester): %v", err)
		}
		t.Skipf("sipp's captures are not installed (apt-get install sip-tester): %v", err)
	}
	t.Parallel()
	e := newTestEngine(t)
	p := newPeer(t, PCMU)
	l := connect(t, e, p, 101)
	digits := make(chan rune, 32)
	l.OnDTMF(func(d rune) { digits <- d })
	want := ""
	for _, k := range keys {
		payloads, err := pcapUDPPayloads(filepath.Join(dir, "dtmf_2833_"+k+".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		if len(payloads) == 0 {
			t.Fatalf("no packets in the %s capture", k)
		}
		for _, b := range payloads {
			p.sendRaw(l.LocalAddr(), b)
		}
		want += map[string]string{"star": "*", "pound": "#"}[k]
		if len(k) == 1 {
			want += k
		}
	}
	got := ""
	timeout := time.After(5 * time.Second)
	for len(got) < len(want) {
		select {
		case d := <-digits:
			got += string(d)
		case <-timeout:
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// pcapUDPPayloads returns the UDP payloads of an Ethernet/IPv4 pcap file.
func pcapUDPPayloads(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		return nil, fmt.Errorf("%s: not a little-endian pcap file", path)
	}
	var out [][]byte
	for p := 24; p+16 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[p+8:]))
		p += 16
		if p+n > len(b) {
			return nil, fmt.Errorf("%s: truncated record", path)
		}
		frame := b[p : p+n]
		p += n
		if len(frame) < 14+20+8 || binary.BigEndian.Uint16(frame[12:]) != 0x0800 {
			continue
		}
		ip := frame[14:]
		ihl := int(ip[0]&0x0F) * 4
		if ip[9] != 17 || len(ip) < ihl+8 {
			continue
		}
		udp := ip[ihl:]
		ulen := int(binary.BigEndian.Uint16(udp[4:]))
		if ulen < 8 || ulen > len(udp) {
			continue
		}
		out = append(out, udp[8:ulen])
	}
	return out, nil
}

func TestSimDTMFReplayedCapture(t *testing.T) {
	s := newSim(t)
	tk := s.talker(PCMU, 101)
	press := func() {
		for _, b := range keyPress(0x1f30, 0x33e0, 1) {
			tk.leg.Deliver(b)
			s.step(2)
		}
	}
	press()
	s.step(10) // 100 ms later the same capture again: a second press
	press()
	n := tk.leg.Stats().DTMFIn
	if n != 2 {
		t.Errorf("DTMFIn = %d, want 2", n)
	}
}
