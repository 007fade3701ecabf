package softphone_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/earshot/earshot/internal/softphone"
	"github.com/earshot/earshot/internal/softphone/phonetest"
)

// Calls ring: this browser or my SIP phone. While the page chose the SIP
// phone, Online is false (the call flow rings the phone) but the page stays
// connected and can still be rung on purpose; a bad choice is refused and
// changes nothing; the choice ends with the page's WebSocket.
func TestRingOn(t *testing.T) {
	r := phonetest.Start(t, phonetest.Options{})
	page := r.Open("alice")
	page.Connect(agentTone)
	phonetest.Eventually(t, wait, "alice online", func() bool { return r.Phones.Online("alice") })

	choose := func(where string) {
		t.Helper()
		page.Send(map[string]string{"type": "phone.ring_on", "where": where})
		if m := page.Next("phone.ring_on", wait); m.Str("where") != where {
			t.Fatalf("ring_on %s answered %v", where, m)
		}
	}
	choose(softphone.RingPhone)
	if r.Phones.Online("alice") {
		t.Fatal("Online with calls ringing on the SIP phone")
	}
	if !r.Phones.Connected("alice") {
		t.Fatal("not Connected with calls ringing on the SIP phone")
	}

	// Still rung when asked for by name: an assist heard in the web client.
	done := make(chan error, 1)
	go func() {
		_, err := r.Phones.Ring(context.Background(), "alice", softphone.CallInfo{ID: "a1", Caller: "+1555", Queue: phonetest.Queue, Kind: softphone.KindAssist, Agent: "bob"})
		done <- err
	}()
	page.Next("call.ringing", wait)
	page.Send(map[string]string{"type": "call.reject", "call": "a1"})
	if err := <-done; !errors.Is(err, softphone.ErrRejected) {
		t.Fatalf("Ring: %v, want ErrRejected", err)
	}

	for _, tc := range []struct{ msg, says string }{
		{`{"type":"phone.ring_on"}`, `"where" is missing`},
		{`{"type":"phone.ring_on","where":""}`, `"where" is missing`},
		{`{"type":"phone.ring_on","where":"desk"}`, `cannot ring on "desk"`},
		{`{"type":"phone.ring_on","where":"PHONE"}`, `cannot ring on "PHONE"`},
		{`{"type":"phone.ring_on","where":7}`, "not a JSON object"},
		{`{"type":"phone.ring_on","where":"` + strings.Repeat("x", 300) + `"}`, "…"},
	} {
		page.SendRaw([]byte(tc.msg))
		m := page.Next("error", wait)
		if m.Str("about") != "phone.ring_on" || !strings.Contains(m.Str("message"), tc.says) {
			t.Errorf("%s → %v, want a refusal saying %q", tc.msg, m, tc.says)
		}
		if r.Phones.Online("alice") {
			t.Errorf("%s changed the choice", tc.msg)
		}
	}

	choose(softphone.RingBrowser)
	if !r.Phones.Online("alice") {
		t.Fatal("not Online after choosing the browser again")
	}

	// The choice belongs to the page's connection: after a reconnect the
	// page must say it again, and until then the browser rings.
	choose(softphone.RingPhone)
	page.DropWebSocket()
	page.Redial()
	page.Restart()
	phonetest.Eventually(t, wait, "alice online again after the reconnect", func() bool { return r.Phones.Online("alice") })
}
