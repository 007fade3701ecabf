package app

import "testing"

// TestSIPPublicAddress: with listen.sip_public set, earshot's answer to a
// sipp customer carries the public address in its Contact and its SDP,
// while SIP and RTP still listen on the loopback address; the RTP port
// comes from listen.rtp_port_min–rtp_port_max (the scenario checks all
// three and fails otherwise).
func TestSIPPublicAddress(t *testing.T) {
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	cfg.Listen.SIPPublic = "192.0.2.10"
	cfg.Listen.RTPPortMin, cfg.Listen.RTPPortMax = 41000, 41099
	a, err := Start(t.Context(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	sippAsync(t, "testdata/customer_checks_public_address.xml", a.SIPAddr("udp").String(), "-s", "+15550100")()
}
