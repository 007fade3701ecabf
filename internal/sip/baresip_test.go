package sip

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// writeTone writes an 8 kHz 16-bit mono WAV of a sine tone.
func writeTone(t *testing.T, path string, hz float64, seconds int) {
	t.Helper()
	n := 8000 * seconds
	b := make([]byte, 44+2*n)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], 8000)
	binary.LittleEndian.PutUint32(b[28:], 16000)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*n))
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/8000))
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// startBaresip runs baresip as a phone registering user with password at
// server, answering calls automatically and hanging up when its tone of
// toneSeconds ends.
func startBaresip(t *testing.T, server, user, password string, toneSeconds int) {
	t.Helper()
	bin := needPeer(t, "baresip")
	dir := t.TempDir()
	tone := filepath.Join(dir, "tone.wav")
	writeTone(t, tone, 440, toneSeconds)
	port := freePorts(t, 3) // baresip also binds TCP and TLS on the next ports
	conf := fmt.Sprintf(`poll_method epoll
net_interface 127.0.0.1
sip_listen 127.0.0.1:%d
audio_source aufile,%s
audio_player aufile,/dev/null
audio_alert aufile,/dev/null
rtp_ports 21000-21999
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module_app account.so
`, port, tone)
	account := fmt.Sprintf("<sip:%s@%s>;auth_pass=%s;regint=60;answermode=auto;audio_codecs=PCMU\n", user, server, password)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(account), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, bin, "-f", dir)
	cmd.WaitDelay = 2 * time.Second
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start baresip: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() || os.Getenv("EARSHOT_SIP_LOG") != "" {
			t.Logf("baresip output:\n%s", out.String())
		}
	})
}

// observed collects registrar events.
type observed chan string

func (o observed) observe(event, user string) {
	select {
	case o <- event + " " + user:
	default:
	}
}

func (o observed) expect(t *testing.T, e string) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case got := <-o:
			if got == e {
				return
			}
		case <-deadline:
			t.Fatalf("no %q", e)
		}
	}
}

// baresip registers with the right password, is then dialled as a user,
// answers, and hangs up when its tone ends; with a wrong password it is
// refused.
func TestBaresipRegistersAndAnswers(t *testing.T) {
	events := make(observed, 16)
	h := newHarness(t, nil, func(c *Config) {
		c.Users = passwords{"alice": "wonderland", "bob": "builder"}
		c.observe = events.observe
	})
	server := h.addr("udp")

	startBaresip(t, server, "bob", "not-the-password", 60)
	events.expect(t, "auth-failed bob")
	if cs := h.srv.Contacts("bob"); len(cs) != 0 {
		t.Errorf("refused phone registered: %+v", cs)
	}

	startBaresip(t, server, "alice", "wonderland", 1)
	events.expect(t, "registered alice")
	cs := h.srv.Contacts("alice")
	if len(cs) != 1 {
		t.Fatalf("contacts %+v", cs)
	}
	c, err := h.srv.Dial(dialCtx(t), DialRequest{To: "user:alice", From: "Support"})
	if err != nil {
		t.Fatalf("Dial registered baresip: %v", err)
	}
	remote, pt, _, _ := c.Leg().(*fakeLeg).snapshot()
	if pt != 0 || remote.Port() < 21000 || remote.Port() > 21999 {
		t.Errorf("leg remote %s pt %d, want baresip's RTP port with PCMU", remote, pt)
	}
	if r := ended(t, c); r != EndRemoteHangup {
		t.Errorf("end reason %s, want remote hangup (baresip's BYE)", r)
	}
}
