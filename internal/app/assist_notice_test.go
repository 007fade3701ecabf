package app

import (
	"testing"
	"time"

	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/tonecheck"
)

// noticeTone is the pitch of the beeps an agent on a SIP phone hears when
// an assist starts (callflow's notice).
const noticeTone = 1400

// TestAssistNoticeOnAgentPhone: with real phones, when sam's assist
// starts on alice, who is on a SIP phone, alice's phone plays two short
// beeps; the customer's does not.
func TestAssistNoticeOnAgentPhone(t *testing.T) {
	r := newAssistRig(t, nil)
	alice, samC, cust := r.samOnPhoneAliceOnCall()
	m0 := marks(cust, alice)
	if code := samC.do("POST", "/api/v1/agents/alice/assist", nil, nil); code != 201 {
		t.Fatalf("sam assists alice: %d", code)
	}
	r.session("sam", assist.Listen)
	// Two seconds of what each heard after the start, beeps included.
	at := marks(cust, alice)
	waitFor(t, 10*time.Second, "two seconds of audio", func() bool {
		return alice.mark().at >= at[alice].at+16000 && cust.mark().at >= at[cust].at+16000
	})
	m1 := marks(cust, alice)
	cust.b.Command("hangup", "")
	recorded(t, cust, alice)

	loudest := func(p *party) float64 {
		s, rate, err := tonecheck.ReadWAV(m0[p].file)
		if err != nil {
			t.Fatal(err)
		}
		top := -200.0
		win := rate / 10
		for i := m0[p].at; i+win <= min(m1[p].at, len(s)); i += win / 2 {
			top = max(top, tonecheck.Level(s[i:i+win], rate, noticeTone))
		}
		return top
	}
	la, lc := loudest(alice), loudest(cust)
	t.Logf("notice at %d Hz: alice %.1f dBFS, customer %.1f dBFS", noticeTone, la, lc)
	if la < -40 {
		t.Errorf("alice's phone did not play the notice (%.1f dBFS)", la)
	}
	if lc > -40 {
		t.Errorf("the customer heard the notice (%.1f dBFS)", lc)
	}
}
