package config

import (
	"strings"
	"testing"
)

func TestParseWebRTC(t *testing.T) {
	good := base + `webrtc:
  ice_servers:
    - urls: ["stun:stun.example.net:3478"]
    - urls: ["turn:turn.example.net:3478?transport=udp"]
      username: earshot
      credential: s3cret
  public_ips: ["203.0.113.7"]
  port_min: 40000
  port_max: 40999
`
	c, err := Parse("e.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	w := c.WebRTC
	if len(w.ICEServers) != 2 || w.ICEServers[1].Username != "earshot" || w.PublicIPs[0] != "203.0.113.7" || w.PortMax != 40999 {
		t.Fatalf("webrtc section read as %+v", w)
	}
	if cl := c.Clone(); &cl.WebRTC.ICEServers[0] == &c.WebRTC.ICEServers[0] {
		t.Fatal("Clone shares the ICE servers")
	}
	for _, bad := range []struct{ yaml, want string }{
		{"webrtc:\n  ice_servers:\n    - urls: [\"http://x\"]\n", "not a stun:, turn: or turns: URL"},
		{"webrtc:\n  public_ips: [\"nowhere\"]\n", "is not an IP address"},
		{"webrtc:\n  port_min: 50000\n  port_max: 40000\n", "port_min ≤ port_max"},
		{"webrtc:\n  stun: x\n", "e.yaml:"},
	} {
		_, err := Parse("e.yaml", []byte(base+bad.yaml))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: got %v, want an error saying %q", bad.yaml, err, bad.want)
		}
	}
}
