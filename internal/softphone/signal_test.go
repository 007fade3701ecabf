package softphone

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

func readOffers(t testing.TB) map[string]string {
	t.Helper()
	files, _ := filepath.Glob("testdata/offer-*.sdp")
	if len(files) == 0 {
		t.Fatal("no testdata/offer-*.sdp")
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

func sdpMessage(sdp string) []byte {
	b, _ := json.Marshal(map[string]string{"type": "rtc.offer", "sdp": sdp})
	return b
}

func TestParseOffer(t *testing.T) {
	for name, sdp := range readOffers(t) {
		o, err := parseOffer(sdpMessage(sdp))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if o.ufrag == "" || !strings.HasPrefix(o.fingerprint, "sha-256 ") || o.mid == "" {
			t.Errorf("%s: %+v", name, o)
		}
		if o.fingerprint != strings.ToLower(o.fingerprint) {
			t.Errorf("%s: fingerprint not folded: %q", name, o.fingerprint)
		}
	}
	base := readOffers(t)["offer-pion.sdp"]
	for _, tc := range []struct{ name, msg, says string }{
		{"not JSON", `{`, "not a JSON object"},
		{"no sdp", `{"type":"rtc.offer"}`, `"sdp" is missing`},
		{"sdp not a string", `{"sdp":1}`, "not a JSON object"},
		{"too long", string(sdpMessage(strings.Repeat("a", maxSDP+1))), "longer than"},
		{"garbage", string(sdpMessage("hello")), "cannot be parsed"},
		{"no G.711", string(sdpMessage(strings.ReplaceAll(base, " 111 9 0 8", " 111 9"))), "no PCMU or PCMA"},
		{"rejected audio", string(sdpMessage(strings.Replace(base, "m=audio 9 ", "m=audio 0 ", 1))), "no PCMU or PCMA"},
		{"no ufrag", string(sdpMessage(strings.Replace(base, "a=ice-ufrag:ojnzMipJVEKmFhqx\r\n", "", 1))), "no ICE credentials"},
		{"no fingerprint", string(sdpMessage(strings.Replace(base, "a=fingerprint:", "a=x-fingerprint:", 1))), "no DTLS fingerprint"},
	} {
		_, err := parseOffer([]byte(tc.msg))
		var r *refusal
		if !errors.As(err, &r) || !strings.Contains(r.msg, tc.says) {
			t.Errorf("%s: %v, want a refusal saying %q", tc.name, err, tc.says)
		}
	}
}

func TestParseSmallMessages(t *testing.T) {
	if c, err := parseCandidate([]byte(`{"candidate":{"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}`)); err != nil || *c.SDPMid != "0" {
		t.Errorf("candidate: %+v %v", c, err)
	}
	if id, err := parseCall([]byte(`{"call":"call-17"}`)); err != nil || id != "call-17" {
		t.Errorf("call: %q %v", id, err)
	}
	for in, want := range map[string]rune{"1": '1', "#": '#', "*": '*', "d": 'D'} {
		b, _ := json.Marshal(map[string]string{"digit": in})
		if d, err := parseDigit(b); err != nil || d != want {
			t.Errorf("digit %q: %q %v", in, d, err)
		}
	}
	for _, bad := range []string{`{"candidate":{"candidate":""}}`, `{"candidate":{"candidate":"candidate:1 1 udp x"}}`, `{"candidate":null}`} {
		if _, err := parseCandidate([]byte(bad)); err == nil {
			t.Errorf("candidate %s accepted", bad)
		}
	}
	for _, bad := range []string{`{}`, `{"call":""}`, `{"call":"a\nb"}`, `{"call":"` + strings.Repeat("x", maxCallID+1) + `"}`} {
		if _, err := parseCall([]byte(bad)); err == nil {
			t.Errorf("call %s accepted", bad)
		}
	}
	for _, bad := range []string{`{}`, `{"digit":""}`, `{"digit":"E"}`, `{"digit":"11"}`, `{"digit":"é"}`} {
		if _, err := parseDigit([]byte(bad)); err == nil {
			t.Errorf("digit %s accepted", bad)
		}
	}
	for in, want := range map[string]string{`{"where":"browser"}`: RingBrowser, `{"type":"phone.ring_on","where":"phone"}`: RingPhone} {
		if w, err := parseRingOn([]byte(in)); err != nil || w != want {
			t.Errorf("ring_on %s: %q %v", in, w, err)
		}
	}
	for _, bad := range []string{`{}`, `{"where":""}`, `{"where":"Phone"}`, `{"where":"sip"}`, `{"where":null}`, `[]`, `{"where":"\u0000"}`} {
		if _, err := parseRingOn([]byte(bad)); !isRefusal(err) {
			t.Errorf("ring_on %s: %v, want a refusal", bad, err)
		}
	}
}

func TestNegotiated(t *testing.T) {
	for _, tc := range []struct {
		answer     string
		pt, dtmfPT uint8
		ok         bool
	}{
		{"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0 8 126\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:126 telephone-event/8000\r\n", 0, 126, true},
		{"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 8\r\na=rtpmap:8 PCMA/8000\r\n", 8, 0, true},
		{"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 0 UDP/TLS/RTP/SAVPF 0\r\n", 0, 0, false},
		{"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n", 0, 0, false},
	} {
		pt, dtmf, err := negotiated(tc.answer)
		if (err == nil) != tc.ok || (tc.ok && (pt != tc.pt || dtmf != tc.dtmfPT)) {
			t.Errorf("negotiated(%q) = %d, %d, %v", tc.answer, pt, dtmf, err)
		}
	}
}

// FuzzMessage feeds every parser of page messages the same bytes: none may
// panic, and what one accepts must be usable.
func FuzzMessage(f *testing.F) {
	for _, sdp := range readOffers(f) {
		f.Add(sdpMessage(sdp))
	}
	f.Add([]byte(`{"type":"rtc.candidate","candidate":{"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host","sdpMid":"0"}}`))
	f.Add([]byte(`{"type":"call.answer","call":"call-1"}`))
	f.Add([]byte(`{"type":"phone.dtmf","digit":"#"}`))
	f.Add([]byte(`{"type":"phone.ring_on","where":"phone"}`))
	f.Add([]byte(`{"sdp":null,"call":null,"digit":null,"candidate":null,"where":null}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if o, err := parseOffer(raw); err == nil {
			if o.sdp == "" || o.ufrag == "" || o.fingerprint == "" || len(o.sdp) > maxSDP {
				t.Fatalf("accepted offer %+v", o)
			}
			negotiated(o.sdp)
		} else if !isRefusal(err) {
			t.Fatalf("offer error is not a refusal: %v", err)
		}
		if c, err := parseCandidate(raw); err == nil {
			if c.Candidate == "" || len(c.Candidate) > maxCandidate {
				t.Fatalf("accepted candidate %+v", c)
			}
		} else if !isRefusal(err) {
			t.Fatalf("candidate error is not a refusal: %v", err)
		}
		if id, err := parseCall(raw); err == nil {
			if id == "" || len(id) > maxCallID || strings.IndexFunc(id, unicode.IsControl) >= 0 {
				t.Fatalf("accepted call %q", id)
			}
		}
		if d, err := parseDigit(raw); err == nil && !strings.ContainsRune(dtmfDigits, d) {
			t.Fatalf("accepted digit %q", d)
		}
		if w, err := parseRingOn(raw); err == nil && w != RingBrowser && w != RingPhone {
			t.Fatalf("accepted ring_on %q", w)
		} else if err != nil && !isRefusal(err) {
			t.Fatalf("ring_on error is not a refusal: %v", err)
		}
		negotiated(string(raw))
	})
}

func isRefusal(err error) bool {
	var r *refusal
	return errors.As(err, &r)
}
