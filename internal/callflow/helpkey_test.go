package callflow

import (
	"net"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
)

// countEvents reads what the phone receives until it has n audio
// packets (or the deadline), and returns how many telephone-events came.
func (p *phone) countEvents(t *testing.T, n int) int {
	t.Helper()
	var buf [1500]byte
	events, audio := 0, 0
	deadline := time.Now().Add(5 * time.Second)
	for audio < n {
		if time.Now().After(deadline) {
			t.Fatalf("the phone got %d audio packets of %d", audio, n)
		}
		p.conn.SetReadDeadline(deadline)
		k, _, err := p.conn.ReadFromUDP(buf[:])
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if k < 12 {
			continue
		}
		switch buf[1] & 0x7f {
		case 101:
			events++
		case 0:
			audio++
		}
	}
	return events
}

func (r *rig) waitHelp(agent string, want acd.Help) {
	r.t.Helper()
	r.waitFor(agent+"'s help to be "+string(want), func() bool {
		v, err := r.eng.Agent(agent)
		return err == nil && v.Help == want
	})
}

// TestHelpKeyFromAgentPhone: the agent's help key (* by default) asks for
// help, and pressed again cancels the request, as the web client's button
// does. The digit never reaches the customer, and the customer's own *
// is not the agent's help key.
func TestHelpKeyFromAgentPhone(t *testing.T) {
	r := newRig(t)
	r.call()
	alice := r.phoneOf("alice")

	r.cust.key(10) // the customer's * is not alice's
	alice.key(5)   // another digit does nothing
	alice.key(10)
	r.waitHelp("alice", acd.HelpRequested)
	for range 10 {
		alice.send(0x55)
	}
	if n := r.cust.countEvents(t, 5); n != 0 {
		t.Fatalf("the customer received %d telephone-event packets of the agent's help key", n)
	}

	alice.key(10)
	r.waitHelp("alice", acd.HelpNone)

	c := r.eng.Config().Clone()
	c.Phone.HelpKey = "#"
	if err := r.eng.Reconfigure(c, "admin", "help key"); err != nil {
		t.Fatal(err)
	}
	alice.key(10)
	alice.key(11)
	r.waitHelp("alice", acd.HelpRequested)
}
