package sip

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/config"
)

// rawRequest builds a request from lines, filling the usual headers.
func rawRequest(method, from string, lines ...string) string {
	b := method + " sip:5551000@127.0.0.1 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + from + ";branch=z9hG4bK" + newID() + ";rport\r\n" +
		"From: <sip:probe@127.0.0.1>;tag=" + newID() + "\r\n" +
		"To: <sip:5551000@127.0.0.1>\r\n" +
		"Call-ID: " + newID() + "\r\n" +
		"Max-Forwards: 70\r\n"
	for _, l := range lines {
		b += l + "\r\n"
	}
	return b + "\r\n"
}

// udpProbe sends datagrams to the server and reads its answers.
type udpProbe struct {
	t    testing.TB
	conn *net.UDPConn
	dst  *net.UDPAddr
}

func newUDPProbe(t testing.TB, server string) *udpProbe {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	dst, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		t.Fatal(err)
	}
	return &udpProbe{t: t, conn: c, dst: dst}
}

func (p *udpProbe) from() string { return p.conn.LocalAddr().String() }

func (p *udpProbe) send(msg string) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDP([]byte(msg), p.dst); err != nil {
		p.t.Fatal(err)
	}
}

// next returns the next message, skipping 100 Trying.
func (p *udpProbe) next() string {
	p.t.Helper()
	buf := make([]byte, 65535)
	for {
		p.conn.SetReadDeadline(time.Now().Add(wait))
		n, _, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			p.t.Fatalf("no answer: %v", err)
		}
		msg := string(buf[:n])
		if !strings.HasPrefix(msg, "SIP/2.0 100 ") {
			return msg
		}
	}
}

func statusLine(msg string) string {
	line, _, _ := strings.Cut(msg, "\r\n")
	return line
}

// Whatever arrives, the server keeps serving; where a reply is possible,
// it is 400. Each probe is followed by an OPTIONS, whose 200 must be the
// next answer, so a probe that should get no answer got none.
func TestMalformedDatagrams(t *testing.T) {
	h := newHarness(t, nil, nil)
	p := newUDPProbe(t, h.addr("udp"))
	options := func() string { return rawRequest("OPTIONS", p.from(), "CSeq: 1 OPTIONS", "Content-Length: 0") }
	tests := []struct {
		name  string
		msg   string
		reply string // status line, or "" for none
	}{
		{"garbage", "\x00\x01hello\xff\r\n\r\n", ""},
		{"binary noise", strings.Repeat("\x80\x81\x82", 500), ""},
		{"bad CSeq", rawRequest("INVITE", p.from(), "CSeq: abc INVITE", "Content-Length: 0"), "SIP/2.0 400 Bad Request"},
		{"body longer than Content-Length claims", rawRequest("OPTIONS", p.from(), "CSeq: 1 OPTIONS", "Content-Length: 500") + "short", "SIP/2.0 400 Bad Request"},
		{"no From", strings.Replace(rawRequest("OPTIONS", p.from(), "CSeq: 1 OPTIONS", "Content-Length: 0"), "From:", "X-From:", 1), "SIP/2.0 400 Bad Request"},
		{"CSeq method mismatch", rawRequest("OPTIONS", p.from(), "CSeq: 1 BYE", "Content-Length: 0"), "SIP/2.0 400 Bad Request"},
		{"a response nobody asked for", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP " + p.from() + ";branch=z9hG4bKx\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", ""},
		{"oversized", rawRequest("OPTIONS", p.from(), "CSeq: 1 OPTIONS", "X-Pad: "+strings.Repeat("a", 40000), "Content-Length: 0"), "SIP/2.0 400 Bad Request"},
		{"unknown method", rawRequest("FOO", p.from(), "CSeq: 1 FOO", "Content-Length: 0"), "SIP/2.0 501 Not Implemented"},
		{"INFO", rawRequest("INFO", p.from(), "CSeq: 1 INFO", "Content-Length: 0"), "SIP/2.0 405 Method Not Allowed"},
		{"BYE outside any dialog", strings.Replace(rawRequest("BYE", p.from(), "CSeq: 2 BYE", "Content-Length: 0"), "To: <sip:5551000@127.0.0.1>", "To: <sip:5551000@127.0.0.1>;tag=nope", 1), "SIP/2.0 481 Call/Transaction Does Not Exist"},
		{"CANCEL of nothing", rawRequest("CANCEL", p.from(), "CSeq: 1 CANCEL", "Content-Length: 0"), "SIP/2.0 481 Call/Transaction Does Not Exist"},
	}
	for _, tt := range tests {
		p.send(tt.msg)
		if tt.reply != "" {
			if got := statusLine(p.next()); got != tt.reply {
				t.Errorf("%s: got %q, want %q", tt.name, got, tt.reply)
			}
		}
		p.send(options())
		if got := statusLine(p.next()); got != "SIP/2.0 200 OK" {
			t.Fatalf("%s: then OPTIONS got %q", tt.name, got)
		}
	}
	if n := h.srv.ActiveCalls(); n != 0 {
		t.Errorf("%d calls from malformed input", n)
	}
}

// A TCP stream that does not parse is closed; the listener goes on.
func TestMalformedTCPStream(t *testing.T) {
	h := newHarness(t, nil, nil)
	c, err := net.Dial("tcp", h.addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("NOT SIP AT ALL\r\n\x00\x01\x02\r\n\r\n"))
	c.SetReadDeadline(time.Now().Add(wait))
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("connection not closed: %v", err)
	}

	c2, err := net.Dial("tcp", h.addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	res := exchange(t, c2, strings.ReplaceAll(rawRequest("OPTIONS", c2.LocalAddr().String(), "CSeq: 1 OPTIONS", "Content-Length: 0"), "SIP/2.0/UDP", "SIP/2.0/TCP"))
	if res.StatusCode != 200 {
		t.Fatalf("OPTIONS over TCP after garbage: %d", res.StatusCode)
	}
}

// exchange writes a request on a stream connection and reads one response.
func exchange(t *testing.T, c net.Conn, req string) *sip.Response {
	t.Helper()
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	r := bufio.NewReader(c)
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read response: %v (so far %q)", err, b.String())
		}
		b.WriteString(line)
		if line == "\r\n" {
			break
		}
	}
	msg, err := sip.ParseMessage([]byte(b.String()))
	if err != nil {
		t.Fatalf("parse %q: %v", b.String(), err)
	}
	res, ok := msg.(*sip.Response)
	if !ok {
		t.Fatalf("not a response: %q", b.String())
	}
	return res
}

func TestTLSListener(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	h := newHarness(t, nil, func(c *Config) {
		c.Listen = append(c.Listen, "tls:127.0.0.1:0")
		c.TLSCert, c.TLSKey = certFile, keyFile
	})
	conn, err := tls.Dial("tcp", h.addr("tls"), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := strings.ReplaceAll(rawRequest("OPTIONS", conn.LocalAddr().String(), "CSeq: 1 OPTIONS", "Content-Length: 0"), "SIP/2.0/UDP", "SIP/2.0/TLS")
	if res := exchange(t, conn, req); res.StatusCode != 200 {
		t.Fatalf("OPTIONS over TLS: %d", res.StatusCode)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	base := func() Config {
		return Config{Listen: []string{"udp:127.0.0.1:0"}, Media: newFakeMedia(), Calls: handlerFunc(func(*Call) error { return nil })}
	}
	tests := []struct {
		name string
		mod  func(*Config)
		say  string
	}{
		{"no media", func(c *Config) { c.Media = nil }, "Media"},
		{"no handler", func(c *Config) { c.Calls = nil }, "Calls"},
		{"no listener", func(c *Config) { c.Listen = nil }, "Listen"},
		{"bad network", func(c *Config) { c.Listen = []string{"sctp:127.0.0.1:0"} }, "sctp"},
		{"bad address", func(c *Config) { c.Listen = []string{"udp:localhost"} }, "localhost"},
		{"tls without cert", func(c *Config) { c.Listen = []string{"tls:127.0.0.1:0"} }, "tls"},
		{"bad source", func(c *Config) {
			c.Trunks = append(c.Trunks, trunkCfg("carrier", "sip.example.com", ""))
		}, "sip.example.com"},
		{"bad outbound", func(c *Config) {
			c.Trunks = append(c.Trunks, trunkCfg("carrier", "192.0.2.1", "http://x"))
		}, "outbound"},
		{"bad realm", func(c *Config) { c.Realm = `a"b` }, "realm"},
	}
	for _, tt := range tests {
		cfg := base()
		tt.mod(&cfg)
		s, err := New(cfg)
		if err == nil {
			s.closeListeners()
			t.Errorf("%s: New succeeded", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), tt.say) {
			t.Errorf("%s: %v, want it to mention %q", tt.name, err, tt.say)
		}
	}
}

func TestBadRequestFor(t *testing.T) {
	req := "INVITE sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa\r\nv: SIP/2.0/UDP 10.0.0.2\r\n" +
		"f: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\ni: abc\r\nCSeq: zz INVITE\r\nContent-Length: 0\r\n\r\n"
	res := string(badRequestFor([]byte(req)))
	for _, want := range []string{"SIP/2.0 400 Bad Request\r\n", "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa\r\nVia: SIP/2.0/UDP 10.0.0.2\r\n",
		"From: <sip:a@h>;tag=1\r\n", "Call-ID: abc\r\n", "CSeq: zz INVITE\r\n", "Content-Length: 0\r\n\r\n"} {
		if !strings.Contains(res, want) {
			t.Errorf("400 lacks %q:\n%s", want, res)
		}
	}
	for _, in := range []string{
		strings.Replace(req, "INVITE sip", "ACK sip", 1),
		"SIP/2.0 200 OK\r\nVia: x\r\n\r\n",
		strings.Replace(req, "i: abc\r\n", "", 1),
		"garbage",
		"invite sip:x SIP/2.0\r\nVia: a\r\nFrom: a\r\nTo: a\r\nCall-ID: a\r\nCSeq: 1 invite\r\n\r\n",
	} {
		if res := badRequestFor([]byte(in)); res != nil {
			t.Errorf("answered %q with\n%s", in, res)
		}
	}
}

// FuzzBadRequest checks that the 400 built for any datagram is a well
// formed response, or nothing.
func FuzzBadRequest(f *testing.F) {
	f.Add([]byte("INVITE sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1\r\nFrom: a;tag=1\r\nTo: b\r\nCall-ID: c\r\nCSeq: x INVITE\r\n\r\n"))
	f.Add([]byte("OPTIONS sip:h SIP/2.0\nv: SIP/2.0/UDP h\nf: a\nt: b\ni: c\nCSeq: 1 OPTIONS\n\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\n\r\n"))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res := badRequestFor(data)
		if res == nil {
			return
		}
		s := string(res)
		if !strings.HasPrefix(s, "SIP/2.0 400 Bad Request\r\n") || !strings.HasSuffix(s, "\r\n\r\n") {
			t.Fatalf("bad framing: %q", s)
		}
		head := strings.TrimSuffix(s, "\r\n\r\n")
		for _, line := range strings.Split(head, "\r\n") {
			if line == "" || strings.ContainsAny(line, "\r\n") {
				t.Fatalf("bad line %q in %q", line, s)
			}
		}
		if len(res) > len(data)+200 {
			t.Fatalf("400 of %d bytes for %d bytes in", len(res), len(data))
		}
	})
}

// selfSigned writes a certificate for 127.0.0.1 and returns its files and
// a pool that trusts it.
func selfSigned(t *testing.T) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "earshot test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func trunkCfg(name, source, outbound string) config.Trunk {
	return config.Trunk{Name: name, Sources: []string{source}, Outbound: outbound}
}
