package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/peertest"
)

// TestSRTPCustomerToAgentPhone: a baresip customer that insists on SRTP
// (mediaenc=srtp-mand: it offers only RTP/SAVP with SDES keys and drops
// the call on a plain answer) calls the sales DID over UDP and is routed
// to alice's plain-RTP phone. Each hears the other's tone through
// earshot, which decrypts the customer's SRTP, forwards it as plain RTP to
// alice, and encrypts alice's audio back.
func TestSRTPCustomerToAgentPhone(t *testing.T) {
	a := telephonyApp(t)
	sipAddr := a.SIPAddr("udp").String()

	phone := peertest.StartBaresip(t, peertest.BaresipOptions{Name: "alice", Tone: 1000,
		AOR: "sip:alice@" + sipAddr, Password: "demo"})
	waitFor(t, 10*time.Second, "alice's phone to register", func() bool { return len(a.sip.Contacts("alice")) > 0 })
	if err := a.Engine().SetState("alice", acd.Available, "", ""); err != nil {
		t.Fatal(err)
	}

	customer := peertest.StartBaresip(t, peertest.BaresipOptions{Name: "customer", Tone: 440,
		Dial: fmt.Sprintf("sip:+15550100@%s", sipAddr), MediaEnc: "srtp-mand"})
	waitFor(t, 15*time.Second, "alice to be on the call", func() bool { return agentState(a, "alice") == acd.OnCall })
	time.Sleep(3 * time.Second) // three seconds of conversation, recorded by both
	customer.Command("hangup", "")
	waitFor(t, 10*time.Second, "alice to be in after call work", func() bool { return agentState(a, "alice") == acd.ACW })
	time.Sleep(500 * time.Millisecond) // baresip finishes its recordings

	if out := customer.Output(); !strings.Contains(out, "SRTP is Enabled") {
		t.Errorf("the customer's baresip did not enable SRTP:\n%s", out)
	}
	heard, rate, err := customer.Heard()
	if err != nil {
		t.Fatal(err)
	}
	// The customer's recording starts when its call is answered (music on
	// hold first); the talk is its last three seconds.
	end := float64(len(heard)) / float64(rate)
	talk := window(heard, rate, end-2.5, end-0.7)
	check(t, "SRTP customer", talk, rate, []float64{1000}, []float64{440})

	agentHeard, rate, err := phone.Heard()
	if err != nil {
		t.Fatal(err)
	}
	check(t, "agent", window(agentHeard, rate, 0.5, 2.5), rate, []float64{440}, []float64{1000})
}

// TestSRTPToAgentPhoneOverTLS: alice's baresip registers over SIP TLS and
// takes SRTP (mediaenc=srtp), so earshot offers it SDES-SRTP when it rings
// her for a plain-RTP customer's call. Each hears the other's tone.
func TestSRTPToAgentPhoneOverTLS(t *testing.T) {
	a, certFile, _, _ := startSIPTLS(t)
	tlsAddr := a.SIPAddr("tls").String()

	phone := peertest.StartBaresip(t, peertest.BaresipOptions{Name: "alice", Tone: 1000,
		AOR: "sip:alice@" + tlsAddr + ";transport=tls", Password: "demo", MediaEnc: "srtp", CAFile: certFile})
	waitFor(t, 10*time.Second, "alice's phone to register over TLS", func() bool {
		cs := a.sip.Contacts("alice")
		return len(cs) > 0 && cs[0].Transport == "tls"
	})
	if err := a.Engine().SetState("alice", acd.Available, "", ""); err != nil {
		t.Fatal(err)
	}
	customer := peertest.StartBaresip(t, peertest.BaresipOptions{Name: "customer", Tone: 440,
		Dial: fmt.Sprintf("sip:+15550100@%s", a.SIPAddr("udp"))})
	waitFor(t, 15*time.Second, "alice to be on the call", func() bool { return agentState(a, "alice") == acd.OnCall })
	time.Sleep(3 * time.Second) // three seconds of conversation, recorded by both
	customer.Command("hangup", "")
	waitFor(t, 10*time.Second, "alice to be in after call work", func() bool { return agentState(a, "alice") == acd.ACW })
	time.Sleep(500 * time.Millisecond) // baresip finishes its recordings

	if out := phone.Output(); !strings.Contains(out, "SRTP is Enabled") {
		t.Errorf("alice's baresip did not enable SRTP:\n%s", out)
	}
	agentHeard, rate, err := phone.Heard()
	if err != nil {
		t.Fatal(err)
	}
	check(t, "SRTP agent", window(agentHeard, rate, 0.5, 2.5), rate, []float64{440}, []float64{1000})
	heard, rate, err := customer.Heard()
	if err != nil {
		t.Fatal(err)
	}
	end := float64(len(heard)) / float64(rate)
	check(t, "customer", window(heard, rate, end-2.5, end-0.7), rate, []float64{1000}, []float64{440})
}
