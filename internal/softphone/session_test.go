package softphone_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/earshot/earshot/internal/softphone"
	"github.com/earshot/earshot/internal/softphone/phonetest"
)

// A malformed or out-of-order message gets an error about it and changes
// nothing: the call goes on, audio flows, and the page is still online.
func TestBadMessagesChangeNothing(t *testing.T) {
	r := phonetest.Start(t, phonetest.Options{Agents: []string{"alice", "bob"}})

	fresh := r.Open("bob")
	for _, tc := range []struct{ msg, about, says string }{
		{`{"type":"rtc.candidate","candidate":{"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host","sdpMid":"0"}}`, "rtc.candidate", "send rtc.offer before candidates"},
		{`{"type":"call.answer","call":"nope"}`, "call.answer", "no audio connection"},
		{`{"type":"rtc.restart","sdp":"` + strings.ReplaceAll(validOffer(t), "\r\n", `\r\n`) + `"}`, "rtc.restart", "no audio connection to restart"},
	} {
		fresh.SendRaw([]byte(tc.msg))
		m := fresh.Next("error", wait)
		if m.Str("about") != tc.about || !strings.Contains(m.Str("message"), tc.says) {
			t.Errorf("%s → %v, want about %s saying %q", tc.msg, m, tc.about, tc.says)
		}
	}

	page := r.Open("alice")
	page.Connect(agentTone)
	phonetest.Eventually(t, wait, "alice online", func() bool { return r.Phones.Online("alice") })
	leg := answered(t, r, page, "c1")
	cust := newParty(t, r.Media, customerTone)
	bridge(t, r.Media, cust.leg, leg)
	hearsOnly(t, "customer", cust.ear, agentTone, customerTone)

	hung := make(chan string, 8)
	r.Phones.OnHangup(func(_, call string) { hung <- call })
	otherPage := strings.ReplaceAll(validOffer(t), "\r\n", `\r\n`)
	ownOffer := strings.ReplaceAll(page.LocalSDP(), "\r\n", `\r\n`)
	for _, tc := range []struct{ msg, about, says string }{
		{`{"type":"rtc.offer"}`, "rtc.offer", `"sdp" is missing`},
		{`{"type":"rtc.offer","sdp":42}`, "rtc.offer", "not a JSON object"},
		{`{"type":"rtc.offer","sdp":"hello"}`, "rtc.offer", "cannot be parsed"},
		{`{"type":"rtc.offer","sdp":"` + ownOffer + `"}`, "rtc.offer", "a call is in progress"},
		{`{"type":"rtc.offer","sdp":"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\n"}`, "rtc.offer", "no PCMU or PCMA"},
		{`{"type":"rtc.restart","sdp":"nonsense"}`, "rtc.restart", "cannot be parsed"},
		{`{"type":"rtc.restart","sdp":"` + otherPage + `"}`, "rtc.restart", "no audio connection to restart"},
		{`{"type":"rtc.candidate"}`, "rtc.candidate", `"candidate" is missing`},
		{`{"type":"rtc.candidate","candidate":{"candidate":"candidate:garbage"}}`, "rtc.candidate", "cannot be parsed"},
		{`{"type":"rtc.candidate","candidate":"x"}`, "rtc.candidate", "not a JSON object"},
		{`{"type":"call.answer"}`, "call.answer", `"call" is missing`},
		{`{"type":"call.answer","call":"c1"}`, "call.answer", "not ringing"},
		{`{"type":"call.answer","call":"c2"}`, "call.answer", "not ringing"},
		{`{"type":"call.reject","call":"c1"}`, "call.reject", "not ringing"},
		{`{"type":"call.hangup","call":"c2"}`, "call.hangup", "not connected here"},
		{`{"type":"call.hangup","call":"c1\u0000"}`, "call.hangup", "not a call identifier"},
		{`{"type":"call.hangup","call":["c1"]}`, "call.hangup", "not a JSON object"},
		{`{"type":"phone.dtmf","digit":"x"}`, "phone.dtmf", "not a key"},
		{`{"type":"phone.dtmf","digit":"12"}`, "phone.dtmf", "not a key"},
		{`{"type":"phone.dtmf"}`, "phone.dtmf", `"digit" is missing`},
	} {
		page.SendRaw([]byte(tc.msg))
		m := page.Next("error", wait)
		if m.Str("about") != tc.about || !strings.Contains(m.Str("message"), tc.says) {
			t.Errorf("%s → %v, want about %s saying %q", tc.msg, m, tc.about, tc.says)
		}
	}
	select {
	case call := <-hung:
		t.Fatalf("bad messages hung up %s", call)
	default:
	}
	if !r.Phones.Online("alice") {
		t.Fatal("bad messages took alice offline")
	}
	if _, err := r.Phones.Ring(context.Background(), "alice", softphone.CallInfo{ID: "c3"}); !errors.Is(err, softphone.ErrBusy) {
		t.Fatalf("call c1 gone after bad messages: Ring = %v", err)
	}
	before := cust.ear.Packets()
	phonetest.Eventually(t, wait, "audio goes on", func() bool { return cust.ear.Packets() > before+10 })
	hearsOnly(t, "customer", cust.ear, agentTone, customerTone)
	hearsOnly(t, "page", page.Ear, customerTone, agentTone)
}

// validOffer is an offer from a peer connection of its own: a different
// page.
func validOffer(t *testing.T) string {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return o.SDP
}

// The newest page of a user wins: the older one is told session.replaced,
// its connection is closed, and its call is reported hung up.
func TestSecondLoginReplaces(t *testing.T) {
	r := phonetest.Start(t, phonetest.Options{})
	first := r.Open("alice")
	first.Connect(agentTone)
	phonetest.Eventually(t, wait, "alice online", func() bool { return r.Phones.Online("alice") })
	answered(t, r, first, "c1")
	hung := make(chan string, 1)
	r.Phones.OnHangup(func(user, call string) { hung <- user + " " + call })

	second := r.Open("alice")
	second.Connect(2000)
	if m := first.Next("session.replaced", wait); m.Str("message") != "You signed in somewhere else" {
		t.Fatalf("session.replaced = %v", m)
	}
	select {
	case got := <-hung:
		if got != "alice c1" {
			t.Fatalf("OnHangup(%s)", got)
		}
	case <-time.After(wait):
		t.Fatal("the replaced page's call was not reported hung up")
	}
	phonetest.Eventually(t, wait, "first page's connection closed", func() bool {
		s := first.State()
		return s == webrtc.PeerConnectionStateClosed || s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateDisconnected
	})
	phonetest.Eventually(t, wait, "alice online on the second page", func() bool { return r.Phones.Online("alice") })
	leg := answered(t, r, second, "c2")
	cust := newParty(t, r.Media, customerTone)
	bridge(t, r.Media, cust.leg, leg)
	hearsOnly(t, "customer", cust.ear, 2000, agentTone)
	if second.Has("session.replaced") {
		t.Fatal("the newest page was told it was replaced")
	}
}

// A WebSocket drop keeps the page's connection and leg: the call's audio
// goes on, and after the page reconnects and restarts ICE on the same peer
// connection it is told about its call again.
func TestWebSocketDropKeepsCall(t *testing.T) {
	r := phonetest.Start(t, phonetest.Options{})
	page := r.Open("alice")
	page.Connect(agentTone)
	phonetest.Eventually(t, wait, "alice online", func() bool { return r.Phones.Online("alice") })
	leg := answered(t, r, page, "c1")
	cust := newParty(t, r.Media, customerTone)
	bridge(t, r.Media, cust.leg, leg)
	hearsOnly(t, "customer", cust.ear, agentTone, customerTone)
	hung := make(chan string, 1)
	r.Phones.OnHangup(func(_, call string) { hung <- call })

	page.DropWebSocket()
	phonetest.Eventually(t, wait, "alice detached", func() bool { return !r.Phones.Online("alice") })
	before := cust.ear.Packets()
	phonetest.Eventually(t, wait, "audio goes on without the WebSocket", func() bool { return cust.ear.Packets() > before+25 })
	hearsOnly(t, "customer", cust.ear, agentTone, customerTone)

	page.Redial()
	page.Drain()
	page.Restart()
	page.Next("rtc.answer", wait)
	if m := page.Next("call.connected", wait); m.Str("call") != "c1" {
		t.Fatalf("after restart: %v", m)
	}
	phonetest.Eventually(t, wait, "alice online again", func() bool { return r.Phones.Online("alice") })
	before = page.Ear.Packets()
	phonetest.Eventually(t, wait, "page hears after the restart", func() bool { return page.Ear.Packets() > before+25 })
	hearsOnly(t, "page", page.Ear, customerTone, agentTone)
	hearsOnly(t, "customer", cust.ear, agentTone, customerTone)
	select {
	case call := <-hung:
		t.Fatalf("call %s hung up across the drop", call)
	default:
	}
	// The call is still the page's: hanging up works on the new WebSocket.
	page.Send(map[string]string{"type": "call.hangup", "call": "c1"})
	if m := page.Next("call.ended", wait); m.Str("reason") != softphone.ReasonHangup {
		t.Fatalf("call.ended = %v", m)
	}
}

// A page that does not come back within the grace period is dropped, and
// its call is reported hung up.
func TestGraceExpires(t *testing.T) {
	r := phonetest.Start(t, phonetest.Options{Grace: 20 * time.Millisecond})
	page := r.Open("alice")
	page.Connect(agentTone)
	phonetest.Eventually(t, wait, "alice online", func() bool { return r.Phones.Online("alice") })
	answered(t, r, page, "c1")
	hung := make(chan string, 1)
	r.Phones.OnHangup(func(_, call string) { hung <- call })
	page.DropWebSocket()
	select {
	case call := <-hung:
		if call != "c1" {
			t.Fatalf("OnHangup(%s)", call)
		}
	case <-time.After(wait):
		t.Fatal("call not hung up after the grace period")
	}
	page.Redial()
	old := strings.ReplaceAll(page.LocalSDP(), "\r\n", `\r\n`)
	page.SendRaw([]byte(`{"type":"rtc.restart","sdp":"` + old + `"}`))
	m := page.Next("error", wait)
	for m.Str("about") == "rtc.candidate" { // the closed connection's last candidates
		m = page.Next("error", wait)
	}
	if m.Str("about") != "rtc.restart" || !strings.Contains(m.Str("message"), "no audio connection to restart") {
		t.Fatalf("restart after expiry: %v", m)
	}
}
