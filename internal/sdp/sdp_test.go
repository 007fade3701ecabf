package sdp

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readOffer(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "offers", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseOfferRealPeers(t *testing.T) {
	tests := []struct {
		file   string
		remote string
		codecs []uint8
		dtmf   uint8
		dir    Direction
		hold   bool
		err    error
	}{
		{file: "sipp.sdp", remote: "127.0.0.1:6000", codecs: []uint8{0}, dir: SendRecv},
		{file: "baresip.sdp", remote: "127.0.0.1:21886", codecs: []uint8{0, 8}, dtmf: 101, dir: SendRecv},
		// The stream's own c= line wins over the session's.
		{file: "carrier.sdp", remote: "203.0.113.12:31862", codecs: []uint8{8, 0}, dtmf: 101, dir: SendRecv},
		{file: "hold-rfc2543.sdp", remote: "0.0.0.0:21886", codecs: []uint8{8}, dtmf: 101, dir: SendRecv, hold: true},
		// A session-level direction applies to streams without their own.
		{file: "hold-sendonly.sdp", remote: "127.0.0.1:21886", codecs: []uint8{0}, dtmf: 101, dir: SendOnly, hold: true},
		{file: "ipv6-video.sdp", remote: "[::1]:5000", codecs: []uint8{8, 0}, dtmf: 96, dir: RecvOnly},
		{file: "webrtc.sdp", err: ErrNoAudio},
		{file: "srtp.sdp", remote: "127.0.0.1:21886", codecs: []uint8{0, 8}, dtmf: 101, dir: SendRecv},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			o, err := ParseOffer(readOffer(t, tt.file))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := o.Remote.String(); got != tt.remote {
				t.Errorf("remote = %s, want %s", got, tt.remote)
			}
			if !slices.Equal(o.Codecs, tt.codecs) {
				t.Errorf("codecs = %v, want %v", o.Codecs, tt.codecs)
			}
			if o.DTMF != tt.dtmf {
				t.Errorf("dtmf = %d, want %d", o.DTMF, tt.dtmf)
			}
			if o.Direction != tt.dir {
				t.Errorf("direction = %s, want %s", o.Direction, tt.dir)
			}
			if o.Hold() != tt.hold {
				t.Errorf("hold = %v, want %v", o.Hold(), tt.hold)
			}
		})
	}
}

func TestParseOfferRejects(t *testing.T) {
	base := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	tests := []struct {
		name string
		sdp  string
		err  error
		say  string
	}{
		{"empty", "", ErrMalformed, "empty"},
		{"not sdp", "hello world", ErrMalformed, ""},
		{"no media", base, ErrNoAudio, ""},
		{"video only", base + "m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n", ErrNoAudio, ""},
		{"srtp with a bad key", base + "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n", ErrMalformed, "inline key"},
		{"dtls-srtp only", base + "m=audio 5000 UDP/TLS/RTP/SAVP 0\r\n", ErrNoAudio, "UDP/TLS/RTP/SAVP"},
		{"port zero", base + "m=audio 0 RTP/AVP 0\r\n", ErrNoAudio, ""},
		{"no connection", strings.Replace(base, "c=IN IP4 127.0.0.1\r\n", "", 1) + "m=audio 5000 RTP/AVP 0\r\n", ErrMalformed, "no c= line"},
		{"host name", strings.Replace(base, "c=IN IP4 127.0.0.1", "c=IN IP4 pbx.example.com", 1) + "m=audio 5000 RTP/AVP 0\r\n", ErrMalformed, "not an IP"},
		{"family mismatch", strings.Replace(base, "c=IN IP4 127.0.0.1", "c=IN IP6 127.0.0.1", 1) + "m=audio 5000 RTP/AVP 0\r\n", ErrMalformed, "IP6"},
		{"port too big", base + "m=audio 70000 RTP/AVP 0\r\n", ErrMalformed, ""},
		{"payload type too big", base + "m=audio 5000 RTP/AVP 300\r\n", ErrMalformed, "payload type"},
		{"payload type not a number", base + "m=audio 5000 RTP/AVP PCMU\r\n", ErrMalformed, "payload type"},
		{"rtpmap without rate", base + "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", ErrMalformed, "clock rate"},
		{"rtpmap garbage", base + "m=audio 5000 RTP/AVP 0\r\na=rtpmap:x\r\n", ErrMalformed, "rtpmap"},
		{"two directions", base + "m=audio 5000 RTP/AVP 0\r\na=sendonly\r\na=recvonly\r\n", ErrMalformed, "both"},
		{"multicast", strings.Replace(base, "c=IN IP4 127.0.0.1", "c=IN IP4 224.2.1.1/127", 1) + "m=audio 5000 RTP/AVP 0\r\n", ErrNoAudio, "multicast"},
		{"too large", base + "m=audio 5000 RTP/AVP 0\r\n" + strings.Repeat("a=x-pad:0123456789\r\n", 1000), ErrMalformed, "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOffer([]byte(tt.sdp))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if tt.say != "" && !strings.Contains(err.Error(), tt.say) {
				t.Errorf("err = %q, want it to say %q", err, tt.say)
			}
		})
	}
}

func TestParseOfferLenientAboutUnknownAttributes(t *testing.T) {
	b := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\na=x-anything\r\na=tool:whatever 1.0\r\n" +
		"m=audio 5000 RTP/AVP 0\r\na=x-vendor:1;2;3\r\na=rtcp:5001\r\na=fmtp:0 nonsense\r\n"
	o, err := ParseOffer([]byte(b))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Codecs, []uint8{PCMU}) {
		t.Fatalf("codecs = %v", o.Codecs)
	}
}

func TestStaticPayloadTypeRemappedIsNotG711(t *testing.T) {
	b := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 5000 RTP/AVP 0 8\r\na=rtpmap:0 opus/48000/2\r\n"
	o, err := ParseOffer([]byte(b))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Codecs, []uint8{PCMA}) {
		t.Fatalf("codecs = %v, want only PCMA", o.Codecs)
	}
}

func TestAnswer(t *testing.T) {
	local := netip.MustParseAddrPort("127.0.0.1:40000")
	tests := []struct {
		file string
		pt   uint8
		dtmf uint8
		dir  Direction
		want []string // lines the answer must hold
	}{
		{file: "sipp.sdp", pt: PCMU, dir: SendRecv, want: []string{"m=audio 40000 RTP/AVP 0\r\n", "a=sendrecv"}},
		{file: "baresip.sdp", pt: PCMU, dtmf: 101, want: []string{"m=audio 40000 RTP/AVP 0 101\r\n", "a=rtpmap:101 telephone-event/8000"}},
		// PCMU is preferred even when the offerer lists PCMA first.
		{file: "carrier.sdp", pt: PCMU, dtmf: 101, want: []string{"m=audio 40000 RTP/AVP 0 101\r\n"}},
		{file: "hold-rfc2543.sdp", pt: PCMA, dtmf: 101, want: []string{"m=audio 40000 RTP/AVP 8 101\r\n", "a=rtpmap:8 PCMA/8000"}},
		{file: "hold-sendonly.sdp", pt: PCMU, dtmf: 101, dir: RecvOnly, want: []string{"a=recvonly"}},
		// The refused video stream keeps its place, with port 0.
		{file: "ipv6-video.sdp", pt: PCMU, dtmf: 96, dir: SendOnly, want: []string{"m=video 0 RTP/AVP 96\r\nm=audio 40000 RTP/AVP 0 96\r\n", "a=sendonly"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			o, err := ParseOffer(readOffer(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			b, ch, err := Answer(o, local, 42)
			if err != nil {
				t.Fatal(err)
			}
			if ch.PayloadType != tt.pt || ch.DTMF != tt.dtmf || ch.Direction != tt.dir {
				t.Errorf("choice = %+v, want pt %d dtmf %d dir %s", ch, tt.pt, tt.dtmf, tt.dir)
			}
			if ch.Remote != o.Remote {
				t.Errorf("choice remote = %s, want %s", ch.Remote, o.Remote)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("answer lacks %q:\n%s", w, b)
				}
			}
			// Our own answer must read back as an answer.
			back, err := ParseAnswer(b)
			if err != nil {
				t.Fatalf("answer does not parse: %v\n%s", err, b)
			}
			if back.Remote != local || back.PayloadType != tt.pt || back.DTMF != tt.dtmf {
				t.Errorf("answer reads back as %+v", back)
			}
		})
	}
}

func TestAnswerNoCommonCodec(t *testing.T) {
	b := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 5000 RTP/AVP 18 9\r\na=rtpmap:18 G729/8000\r\n"
	o, err := ParseOffer([]byte(b))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Answer(o, netip.MustParseAddrPort("127.0.0.1:4000"), 1); !errors.Is(err, ErrNoCommonCodec) {
		t.Fatalf("err = %v, want ErrNoCommonCodec", err)
	}
}

func TestAnswerNeedsUsableLocalAddress(t *testing.T) {
	o, err := ParseOffer(readOffer(t, "sipp.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, local := range []string{"0.0.0.0:4000", "127.0.0.1:0"} {
		if _, _, err := Answer(o, netip.MustParseAddrPort(local), 1); err == nil {
			t.Errorf("answer with local %s succeeded", local)
		}
	}
	if _, _, err := Answer(Offer{}, netip.MustParseAddrPort("127.0.0.1:4000"), 1); err == nil {
		t.Error("answer to a zero Offer succeeded")
	}
}

func TestOfferAnswerRoundTrip(t *testing.T) {
	local := netip.MustParseAddrPort("[::1]:30000")
	offer, err := NewOffer(local, 7, 1, SendRecv)
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseOffer(offer)
	if err != nil {
		t.Fatalf("our offer does not parse: %v\n%s", err, offer)
	}
	if o.Remote != local || !slices.Equal(o.Codecs, []uint8{PCMU, PCMA}) || o.DTMF != DefaultDTMF {
		t.Fatalf("offer reads back as %+v", o)
	}
	peer := netip.MustParseAddrPort("[::1]:30002")
	answer, ch, err := AnswerVersion(o, peer, 9, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(answer), "o=earshot 9 3 IN IP6 ::1") {
		t.Errorf("answer origin wrong:\n%s", answer)
	}
	got, err := ParseAnswer(answer)
	if err != nil {
		t.Fatal(err)
	}
	if got.Remote != peer || got.PayloadType != ch.PayloadType || got.DTMF != DefaultDTMF || got.Hold {
		t.Fatalf("ParseAnswer = %+v", got)
	}
}

func TestParseAnswerTakesAnswerersCodec(t *testing.T) {
	b := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 5000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=inactive\r\n"
	ch, err := ParseAnswer([]byte(b))
	if err != nil {
		t.Fatal(err)
	}
	if ch.PayloadType != PCMA || ch.DTMF != 101 || !ch.Hold || ch.Direction != Inactive {
		t.Fatalf("choice = %+v", ch)
	}
	if _, err := ParseAnswer([]byte(strings.Replace(b, "RTP/AVP 8 101", "RTP/AVP 18", 1))); !errors.Is(err, ErrNoCommonCodec) {
		t.Fatalf("err = %v, want ErrNoCommonCodec", err)
	}
}

func TestDirection(t *testing.T) {
	for d, want := range map[Direction]Direction{SendRecv: SendRecv, SendOnly: RecvOnly, RecvOnly: SendOnly, Inactive: Inactive} {
		if d.Reverse() != want {
			t.Errorf("%s.Reverse() = %s, want %s", d, d.Reverse(), want)
		}
	}
}

func BenchmarkParseOffer(b *testing.B) {
	data := readOffer(b, "carrier.sdp")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseOffer(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnswer(b *testing.B) {
	o, err := ParseOffer(readOffer(b, "carrier.sdp"))
	if err != nil {
		b.Fatal(err)
	}
	local := netip.MustParseAddrPort("127.0.0.1:40000")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Answer(o, local, 1); err != nil {
			b.Fatal(err)
		}
	}
}
