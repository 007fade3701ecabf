package softphone_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/softphone"
	"github.com/earshot/earshot/internal/softphone/phonetest"
)

const (
	customerTone = 440.0
	agentTone    = 1000.0
	wait         = 10 * time.Second
)

// answered rings page's user for a call with ID id and answers it on the
// page; it returns the leg Ring gave back.
func answered(t *testing.T, r *phonetest.Rig, page *phonetest.Page, id string) *media.Leg {
	t.Helper()
	type result struct {
		leg *media.Leg
		err error
	}
	res := make(chan result, 1)
	go func() {
		leg, err := r.Phones.Ring(context.Background(), page.User, softphone.CallInfo{ID: id, Caller: "+15550199", Queue: "sales"})
		res <- result{leg, err}
	}()
	m := page.Next("call.ringing", wait)
	if m.Str("call") != id || m.Str("caller") != "+15550199" || m.Str("queue") != "sales" {
		t.Fatalf("call.ringing = %v", m)
	}
	page.Send(map[string]string{"type": "call.answer", "call": id})
	if m := page.Next("call.connected", wait); m.Str("call") != id {
		t.Fatalf("call.connected = %v", m)
	}
	got := <-res
	if got.err != nil {
		t.Fatalf("Ring: %v", got.err)
	}
	return got.leg
}

// party is a media leg standing in for the customer: it says a tone into
// the room and keeps what it hears.
type party struct {
	leg   *media.Leg
	ear   *phonetest.Ear
	mouth *phonetest.Mouth
}

func newParty(t *testing.T, m *media.Engine, freq float64) *party {
	t.Helper()
	p := &party{ear: &phonetest.Ear{}}
	leg, err := m.NewPacketLeg(func(pkt []byte) error { p.ear.Hear(pkt); return nil }, 0, 101)
	if err != nil {
		t.Fatal(err)
	}
	p.leg = leg
	p.mouth = phonetest.Speak(freq, 0x1234, leg.Deliver)
	t.Cleanup(func() { p.mouth.Stop(); leg.Close() })
	return p
}

// bridge puts a and b in a room, each hearing the other.
func bridge(t *testing.T, m *media.Engine, a, b *media.Leg) *media.Room {
	t.Helper()
	room := m.NewRoom()
	for _, l := range []*media.Leg{a, b} {
		if err := room.Add(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := room.SetHearing(media.AllHear(a.ID(), b.ID())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { room.Close() })
	return room
}

// hearsOnly waits until ear hears want and not other.
func hearsOnly(t *testing.T, who string, ear *phonetest.Ear, want, other float64) {
	t.Helper()
	phonetest.Eventually(t, wait, who+" hears "+ftoa(want)+" Hz only", func() bool {
		return ear.Hears(want) && !ear.Hears(other)
	})
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// The page's microphone reaches the leg and the leg's audio reaches the
// page, through real pion on both sides, DTLS-SRTP and ICE on loopback.
func TestAudioBothWays(t *testing.T) {
	r := phonetest.Start(t, phonetest.Options{})
	page := r.Open("alice")
	page.Connect(agentTone)
	phonetest.Eventually(t, wait, "alice online", func() bool { return r.Phones.Online("alice") })

	leg := answered(t, r, page, "c1")
	cust := newParty(t, r.Media, customerTone)
	bridge(t, r.Media, cust.leg, leg)

	hearsOnly(t, "customer", cust.ear, agentTone, customerTone)
	hearsOnly(t, "page", page.Ear, customerTone, agentTone)
	t.Logf("customer hears %.1f dBFS at %v Hz, %.1f at %v Hz; page hears %.1f at %v Hz, %.1f at %v Hz",
		cust.ear.Level(agentTone), agentTone, cust.ear.Level(customerTone), customerTone,
		page.Ear.Level(customerTone), customerTone, page.Ear.Level(agentTone), agentTone)
	if s := leg.Stats(); s.Dropped != 0 || s.SendErrors != 0 {
		t.Errorf("page leg stats: %+v", s)
	}
}

// An idle page costs nothing on the wire: audio flows only during a call.
func TestIdlePageGetsNoAudio(t *testing.T) {
	r := phonetest.Start(t, phonetest.Options{})
	page := r.Open("alice")
	page.Connect(agentTone)
	phonetest.Eventually(t, wait, "alice online", func() bool { return r.Phones.Online("alice") })
	leg := answered(t, r, page, "c1")
	phonetest.Eventually(t, wait, "audio during the call", func() bool { return page.Ear.Packets() > 10 })
	in := leg.Stats().PacketsIn

	r.Phones.Ended("alice", "c1", softphone.ReasonCustomerHangup)
	page.Next("call.ended", wait)
	heard, sent := page.Ear.Packets(), leg.Stats().PacketsOut
	phonetest.Eventually(t, wait, "the media plane goes on sending", func() bool { return leg.Stats().PacketsOut > sent+50 })
	if got := page.Ear.Packets(); got > heard+3 { // a few may have been in flight
		t.Errorf("idle page heard %d packets", got-heard)
	}
	if got := leg.Stats().PacketsIn; got > in+10 {
		t.Errorf("idle page's microphone reached the leg: %d packets", got-in)
	}

	answered(t, r, page, "c2")
	phonetest.Eventually(t, wait, "audio again in the next call", func() bool { return page.Ear.Packets() > heard+10 })
}
