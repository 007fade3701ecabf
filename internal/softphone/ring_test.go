package softphone_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/softphone"
	"github.com/earshot/earshot/internal/softphone/phonetest"
)

// Ring's outcomes, each as the page and the call flow see them.
func TestRing(t *testing.T) {
	r := phonetest.Start(t, phonetest.Options{})
	page := r.Open("alice")
	page.Connect(agentTone)
	phonetest.Eventually(t, wait, "alice online", func() bool { return r.Phones.Online("alice") })

	type outcome struct {
		leg *media.Leg
		err error
	}
	ring := func(ctx context.Context, id string) <-chan outcome {
		out := make(chan outcome, 1)
		go func() {
			leg, err := r.Phones.Ring(ctx, "alice", softphone.CallInfo{ID: id, Caller: "+15550123", Queue: "sales"})
			out <- outcome{leg, err}
		}()
		if m := page.Next("call.ringing", wait); m.Str("call") != id || m.Str("kind") != softphone.KindRouted {
			t.Fatalf("call.ringing = %v, want routed call %s", m, id)
		}
		return out
	}
	ended := func(id, reason string) {
		t.Helper()
		m := page.Next("call.ended", wait)
		if m.Str("call") != id || m.Str("reason") != reason {
			t.Fatalf("call.ended = %v, want call %s reason %s", m, id, reason)
		}
	}

	t.Run("reject", func(t *testing.T) {
		out := ring(context.Background(), "r1")
		page.Send(map[string]string{"type": "call.reject", "call": "r1"})
		ended("r1", softphone.ReasonRejected)
		if got := <-out; !errors.Is(got.err, softphone.ErrRejected) {
			t.Fatalf("Ring = %v, want ErrRejected", got.err)
		}
	})
	t.Run("called off", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		out := ring(ctx, "r2")
		cancel()
		ended("r2", softphone.ReasonCancelled)
		if got := <-out; !errors.Is(got.err, context.Canceled) {
			t.Fatalf("Ring = %v, want context.Canceled", got.err)
		}
	})
	t.Run("ring time runs out", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		out := ring(ctx, "r3")
		ended("r3", softphone.ReasonMissed)
		if got := <-out; !errors.Is(got.err, context.DeadlineExceeded) {
			t.Fatalf("Ring = %v, want DeadlineExceeded", got.err)
		}
	})
	t.Run("ended while ringing", func(t *testing.T) {
		out := ring(context.Background(), "r4")
		r.Phones.Ended("alice", "r4", softphone.ReasonCustomerHangup)
		ended("r4", softphone.ReasonCustomerHangup)
		if got := <-out; !errors.Is(got.err, softphone.ErrEnded) {
			t.Fatalf("Ring = %v, want ErrEnded", got.err)
		}
	})
	t.Run("busy while ringing", func(t *testing.T) {
		out := ring(context.Background(), "r5")
		if _, err := r.Phones.Ring(context.Background(), "alice", softphone.CallInfo{ID: "r6"}); !errors.Is(err, softphone.ErrBusy) {
			t.Fatalf("second Ring = %v, want ErrBusy", err)
		}
		page.Send(map[string]string{"type": "call.answer", "call": "r5"})
		page.Next("call.connected", wait)
		got := <-out
		if got.err != nil || got.leg == nil {
			t.Fatalf("Ring = %v, %v", got.leg, got.err)
		}
		if _, err := r.Phones.Ring(context.Background(), "alice", softphone.CallInfo{ID: "r7"}); !errors.Is(err, softphone.ErrBusy) {
			t.Fatalf("Ring during a call = %v, want ErrBusy", err)
		}
		r.Phones.Ended("alice", "r5", softphone.ReasonTakenOver)
		ended("r5", softphone.ReasonTakenOver)
		r.Phones.Ended("alice", "r5", softphone.ReasonTakenOver) // twice: ignored
	})
	t.Run("answer gives the page's leg every time", func(t *testing.T) {
		a := answered(t, r, page, "r8")
		r.Phones.Ended("alice", "r8", softphone.ReasonCustomerHangup)
		ended("r8", softphone.ReasonCustomerHangup)
		b := answered(t, r, page, "r9")
		if a != b {
			t.Fatalf("legs differ: %v then %v", a.ID(), b.ID())
		}
		hung := make(chan [2]string, 1)
		r.Phones.OnHangup(func(user, call string) { hung <- [2]string{user, call} })
		page.Send(map[string]string{"type": "call.hangup", "call": "r9"})
		ended("r9", softphone.ReasonHangup)
		select {
		case got := <-hung:
			if got != [2]string{"alice", "r9"} {
				t.Fatalf("OnHangup(%v)", got)
			}
		case <-time.After(wait):
			t.Fatal("OnHangup not called")
		}
	})
	t.Run("assist ring says whose call", func(t *testing.T) {
		out := make(chan error, 1)
		go func() {
			_, err := r.Phones.Ring(context.Background(), "alice", softphone.CallInfo{ID: "a1", Caller: "+15550123", Queue: "sales", Kind: softphone.KindAssist, Agent: "bob"})
			out <- err
		}()
		m := page.Next("call.ringing", wait)
		if m.Str("kind") != "assist" || m.Str("agent") != "bob" {
			t.Fatalf("call.ringing = %v", m)
		}
		page.Send(map[string]string{"type": "call.answer", "call": "a1"})
		if m := page.Next("call.connected", wait); m.Str("kind") != "assist" || m.Str("agent") != "bob" {
			t.Fatalf("call.connected = %v", m)
		}
		if err := <-out; err != nil {
			t.Fatal(err)
		}
		page.Send(map[string]string{"type": "call.hangup", "call": "a1"})
		ended("a1", softphone.ReasonHangup)
	})
	t.Run("no phone", func(t *testing.T) {
		if _, err := r.Phones.Ring(context.Background(), "bob", softphone.CallInfo{ID: "x"}); !errors.Is(err, softphone.ErrGone) {
			t.Fatalf("Ring(bob) = %v, want ErrGone", err)
		}
		if r.Phones.Online("bob") {
			t.Fatal("bob online")
		}
	})
}

// A page that goes away while ringing ends the ring with ErrGone.
func TestRingPageGone(t *testing.T) {
	r := phonetest.Start(t, phonetest.Options{Grace: time.Millisecond})
	page := r.Open("alice")
	page.Connect(agentTone)
	phonetest.Eventually(t, wait, "alice online", func() bool { return r.Phones.Online("alice") })
	out := make(chan error, 1)
	go func() {
		_, err := r.Phones.Ring(context.Background(), "alice", softphone.CallInfo{ID: "g1"})
		out <- err
	}()
	page.Next("call.ringing", wait)
	page.Close()
	select {
	case err := <-out:
		if !errors.Is(err, softphone.ErrGone) {
			t.Fatalf("Ring = %v, want ErrGone", err)
		}
	case <-time.After(wait):
		t.Fatal("Ring still ringing a closed page")
	}
	if r.Phones.Online("alice") {
		t.Fatal("closed page still online")
	}
}

// Keys pressed on the page's keypad during a call reach OnDTMF.
func TestKeypad(t *testing.T) {
	r := phonetest.Start(t, phonetest.Options{})
	page := r.Open("alice")
	page.Connect(agentTone)
	phonetest.Eventually(t, wait, "alice online", func() bool { return r.Phones.Online("alice") })

	page.Send(map[string]string{"type": "phone.dtmf", "digit": "5"})
	if m := page.Next("error", wait); m.Str("about") != "phone.dtmf" {
		t.Fatalf("DTMF without a call: %v", m)
	}
	answered(t, r, page, "k1")
	page.Send(map[string]string{"type": "phone.dtmf", "digit": "5"})
	if m := page.Next("error", wait); m.Str("message") != "the keypad is not available" {
		t.Fatalf("DTMF without OnDTMF: %v", m)
	}
	keys := make(chan string, 4)
	r.Phones.OnDTMF(func(user, call string, d rune) { keys <- user + " " + call + " " + string(d) })
	for _, d := range []string{"7", "#", "a"} {
		page.Send(map[string]string{"type": "phone.dtmf", "digit": d})
	}
	for _, want := range []string{"alice k1 7", "alice k1 #", "alice k1 A"} {
		select {
		case got := <-keys:
			if got != want {
				t.Fatalf("OnDTMF(%s), want %s", got, want)
			}
		case <-time.After(wait):
			t.Fatalf("no key %s", want)
		}
	}
}
