package sip

import (
	"encoding/base64"
	"sync"
	"testing"

	"github.com/pion/srtp/v3"
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
