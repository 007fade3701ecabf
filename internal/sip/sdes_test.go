package sip

import (
	"encoding/base64"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/pion/srtp/v3"

	"github.com/earshot/earshot/internal/sdp"
)

// secureMedia makes fake legs that also take SRTP keys.
type secureMedia struct{ m *fakeMedia }

func (s secureMedia) NewLeg() (Leg, error) {
	l, err := s.m.NewLeg()
	if err != nil {
		return nil, err
	}
	return &secureLeg{fakeLeg: l.(*fakeLeg)}, nil
}

// keying is one SetSRTP call.
type keying struct {
	profile    srtp.ProtectionProfile
	send, recv []byte
}

type secureLeg struct {
	*fakeLeg
	mu    sync.Mutex // guards keyed
	keyed []keying
}

func (l *secureLeg) SetSRTP(p srtp.ProtectionProfile, send, recv []byte) error {
	l.mu.Lock()
	l.keyed = append(l.keyed, keying{p, append([]byte(nil), send...), append([]byte(nil), recv...)})
	l.mu.Unlock()
	return nil
}

func (l *secureLeg) keyings() []keying {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]keying(nil), l.keyed...)
}

func withSecureMedia(c *Config) { c.Media = secureMedia{c.Media.(*fakeMedia)} }

// A carrier's SDES-SRTP offer (an unsupported suite first, then
// AES_CM_128_HMAC_SHA1_32) is answered RTP/SAVP with the second line's tag
// and suite and earshot's own key (sipp checks the answer); the leg is
// keyed with earshot's key to send and the carrier's to receive, and a
// re-INVITE with the same offer keeps both.
func TestSRTPOfferAnswered(t *testing.T) {
	h := newHarness(t, nil, withSecureMedia)
	p := startSipp(t, "uac_srtp_call.xml", "-s", "5551000", h.addr("udp"))
	c := h.nextCall()
	if r := ended(t, c); r != EndRemoteHangup {
		t.Errorf("end reason %s, want remote hangup", r)
	}
	p.success()
	leg := c.Leg().(*secureLeg)
	ks := leg.keyings()
	if len(ks) != 2 {
		t.Fatalf("leg keyed %d times, want twice (INVITE, re-INVITE): %+v", len(ks), ks)
	}
	carrier, _ := base64.StdEncoding.DecodeString("NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj")
	for i, k := range ks {
		if k.profile != srtp.ProtectionProfileAes128CmHmacSha1_32 || string(k.recv) != string(carrier) || len(k.send) != 30 {
			t.Errorf("keying %d: profile %v, recv %x, send %d bytes", i, k.profile, k.recv, len(k.send))
		}
	}
	if string(ks[0].send) != string(ks[1].send) {
		t.Error("the re-INVITE changed earshot's key")
	}
}

// SRTP offers earshot cannot take are refused and make no call: only
// unsupported suites → 488 naming the supported ones; a malformed crypto
// line → 400 with the reason; SRTP to a leg that cannot speak it → 488.
func TestSRTPOfferRefusals(t *testing.T) {
	tests := []struct {
		name     string
		scenario string
		secure   bool
	}{
		{"unsupported suites only", "uac_488_srtp.xml", true},
		{"malformed crypto", "uac_400_crypto.xml", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mod func(*Config)
			if tt.secure {
				mod = withSecureMedia
			}
			h := newHarness(t, nil, mod)
			p := startSipp(t, tt.scenario, "-s", "5551000", h.addr("udp"))
			p.success()
			select {
			case c := <-h.calls:
				t.Errorf("handler got call %s", c.ID())
			default:
			}
			if n := h.srv.ActiveCalls(); n != 0 {
				t.Errorf("%d calls left", n)
			}
		})
	}
}

// A re-INVITE whose offer the leg refuses (a new key, and an IPv6 media
// address the IPv4 leg cannot send to) gets 488 and changes nothing: the
// leg keeps its SRTP keys and its address, and the call goes on.
func TestSRTPRefusedReinviteKeepsKeys(t *testing.T) {
	h := newHarness(t, nil, withSecureMedia)
	p := startSipp(t, "uac_srtp_reinvite_refused.xml", "-s", "5551000", h.addr("udp"))
	c := h.nextCall()
	if r := ended(t, c); r != EndRemoteHangup {
		t.Errorf("end reason %s, want remote hangup", r)
	}
	p.success()
	leg := c.Leg().(*secureLeg)
	if ks := leg.keyings(); len(ks) != 1 || ks[0].profile != srtp.ProtectionProfileAes128CmHmacSha1_32 {
		t.Errorf("leg keyed %+v, want once (the INVITE), with AES_CM_128_HMAC_SHA1_32", ks)
	}
	if remote, _, _, _ := leg.snapshot(); !remote.Addr().Is4() {
		t.Errorf("leg points at %v after the refused re-INVITE", remote)
	}
}

// srtpOffer is a remote SDES offer of suite with key (base64).
func srtpOffer(t *testing.T, addr, suite, key string) sdp.Offer {
	t.Helper()
	body := "v=0\r\no=far 1 1 IN IP4 " + addr + "\r\ns=-\r\nc=IN IP4 " + addr + "\r\nt=0 0\r\n" +
		"m=audio 40000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=crypto:7 " + suite + " inline:" + key + "\r\n"
	if suite == "" {
		body = strings.ReplaceAll(strings.ReplaceAll(body, "RTP/SAVP", "RTP/AVP"), "a=crypto:7  inline:"+key+"\r\n", "")
	}
	o, err := sdp.ParseOffer([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// newSRTPCall is a call on a secure fake leg, without a dialog.
func newSRTPCall(t *testing.T) (*Call, *secureLeg) {
	t.Helper()
	m := newFakeMedia()
	l, err := secureMedia{m}.NewLeg()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	c := newCall(&Server{log: slog.New(slog.DiscardHandler)}, Inbound, "x", l)
	c.d.l = &listener{network: "udp", host: "127.0.0.1", addr: netip.MustParseAddrPort("127.0.0.1:5060")}
	return c, l.(*secureLeg)
}

const (
	keyA = "NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj"
	keyB = "WVNfX19zZW1jdGwoKSB3aXRoIHNlbWNuZAECAwQF"
)

// Each new SRTP send context gets a fresh key of earshot's own (a change
// of suite, SRTP again after plain RTP): a new context on an old key
// would restart its rollover counter and repeat keystream. An offer that
// keeps the suite keeps the key and the context, and earshot's own
// re-offer keeps the suite in use.
func TestSRTPFreshKeyForEachSendContext(t *testing.T) {
	c, leg := newSRTPCall(t)
	step := func(name string, o sdp.Offer) {
		t.Helper()
		_, ch, err := c.answerTo(o, c.d.version+1)
		if err == nil {
			err = c.apply(ch)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	step("SRTP _32", srtpOffer(t, "127.0.0.1", "AES_CM_128_HMAC_SHA1_32", keyA))
	step("SRTP _32, the far end's new key", srtpOffer(t, "127.0.0.1", "AES_CM_128_HMAC_SHA1_32", keyB))

	// earshot re-offers (a re-INVITE without SDP): the suite and key in use.
	b, err := c.newOffer(true)
	if err != nil {
		t.Fatal(err)
	}
	first := leg.keyings()[0].send
	wantLine := "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" + base64.StdEncoding.EncodeToString(first)
	if !strings.Contains(string(b), wantLine) {
		t.Fatalf("re-offer:\n%s\nwant %s", b, wantLine)
	}
	ans, err := sdp.ParseAnswer([]byte("v=0\r\no=far 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 40000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" + keyB + "\r\n"))
	if err == nil {
		err = c.checkAnswer(&ans)
	}
	if err == nil {
		err = c.apply(ans)
	}
	if err != nil {
		t.Fatalf("answer to the re-offer: %v", err)
	}

	step("SRTP _80", srtpOffer(t, "127.0.0.1", "AES_CM_128_HMAC_SHA1_80", keyB))
	step("plain RTP", srtpOffer(t, "127.0.0.1", "", keyB))
	step("SRTP _80 again", srtpOffer(t, "127.0.0.1", "AES_CM_128_HMAC_SHA1_80", keyB))

	ks := leg.keyings()
	p32, p80 := srtp.ProtectionProfileAes128CmHmacSha1_32, srtp.ProtectionProfileAes128CmHmacSha1_80
	want := []struct {
		profile srtp.ProtectionProfile
		sameAs  int // index of the keying whose send key this one keeps; -1: a fresh key
	}{{p32, -1}, {p32, 0}, {p32, 0}, {p80, -1}, {0, -2}, {p80, -1}}
	if len(ks) != len(want) {
		t.Fatalf("keyings %d, want %d: %+v", len(ks), len(want), ks)
	}
	seen := map[string]int{}
	for i, w := range want {
		k := ks[i]
		if k.profile != w.profile {
			t.Errorf("keying %d: profile %v, want %v", i, k.profile, w.profile)
		}
		switch {
		case w.sameAs == -2:
			if k.send != nil {
				t.Errorf("keying %d: want plain RTP", i)
			}
			continue
		case w.sameAs >= 0 && string(k.send) != string(ks[w.sameAs].send):
			t.Errorf("keying %d: send key changed, want keying %d's", i, w.sameAs)
		case w.sameAs == -1:
			if j, dup := seen[string(k.send)]; dup {
				t.Errorf("keying %d: reuses keying %d's send key in a new context", i, j)
			}
		}
		if _, dup := seen[string(k.send)]; !dup {
			seen[string(k.send)] = i
		}
	}
}
