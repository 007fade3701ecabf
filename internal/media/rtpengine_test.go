package media

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/media/loadgen"
)

// BenchmarkRTPEngineCalls runs the load of BenchmarkCalls through
// rtpengine (userspace forwarding, as Debian packages it), so the two can
// be compared in one run on one machine:
//
//	go test -run '^$' -bench '^Benchmark(RTPEngine)?Calls$' ./internal/media -args -load.rtpengine -load.calls 100,300,600
func BenchmarkRTPEngineCalls(b *testing.B) {
	if !*loadRTPEngine {
		b.Skip("comparison with rtpengine not asked for (-load.rtpengine)")
	}
	bin, err := exec.LookPath("rtpengine")
	if err != nil {
		b.Skip("rtpengine is not installed (apt-get install rtpengine-daemon)")
	}
	for _, n := range loadCallCounts(b) {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) {
			for range b.N {
				rtp := startRTPEngine(b, bin)
				r, err := loadgen.Run(loadgen.Config{
					Calls:    n,
					Duration: *loadDuration,
					Setup:    rtp.setup,
					CPU:      loadgen.ProcessCPU(rtp.cmd.Process.Pid),
				})
				if err != nil {
					b.Fatal(err)
				}
				b.Log(r)
				b.ReportMetric(r.CPUPerCallSecond, "µs-cpu/call-s")
				b.ReportMetric(100*r.Loss, "loss-%")
				b.ReportMetric(ms(r.P50), "fwd-p50-ms")
				b.ReportMetric(ms(r.P99), "fwd-p99-ms")
			}
		})
	}
}

// rtpEngine is a running rtpengine and its ng control socket.
type rtpEngine struct {
	cmd  *exec.Cmd
	ng   *net.UDPConn
	seq  int
	addr *net.UDPAddr
}

func startRTPEngine(tb testing.TB, bin string) *rtpEngine {
	tb.Helper()
	dir := tb.TempDir()
	ngPort := 22230 + os.Getpid()%1000
	conf := fmt.Sprintf(`[bench]
table = -1
interface = 127.0.0.1
listen-ng = 127.0.0.1:%d
port-min = 16384
port-max = 32767
log-level = 3
`, ngPort)
	path := filepath.Join(dir, "rtpengine.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "--config-file="+path, "--config-section=bench", "--foreground", "--log-stderr")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	r := &rtpEngine{cmd: cmd, ng: conn, addr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ngPort}}
	// Wait for it to answer a ping.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := r.command(map[string]string{"command": "ping"}); err == nil {
			return r
		}
		if time.Now().After(deadline) {
			tb.Fatalf("rtpengine did not answer: %s", stderr.String())
		}
	}
}

// command sends one ng command and returns the reply's dictionary.
func (r *rtpEngine) command(args map[string]string) (map[string]any, error) {
	r.seq++
	cookie := strconv.Itoa(r.seq)
	msg := []byte(cookie + " " + bencodeDict(args))
	if _, err := r.ng.WriteToUDP(msg, r.addr); err != nil {
		return nil, err
	}
	buf := make([]byte, 65536)
	r.ng.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	for {
		n, err := r.ng.Read(buf)
		if err != nil {
			return nil, err
		}
		reply, ok := bytes.CutPrefix(buf[:n], []byte(cookie+" "))
		if !ok {
			continue // a late answer to an earlier command
		}
		v, _, err := bdecode(reply)
		if err != nil {
			return nil, err
		}
		d, ok := v.(map[string]any)
		if !ok {
			return nil, errors.New("rtpengine: reply is not a dictionary")
		}
		if res, _ := d["result"].(string); res != "ok" && res != "pong" {
			return nil, fmt.Errorf("rtpengine: %v: %v", res, d["error-reason"])
		}
		return d, nil
	}
}

var sdpPort = regexp.MustCompile(`m=audio (\d+) `)

func (r *rtpEngine) setup(call int, legs []netip.AddrPort) ([]netip.AddrPort, error) {
	sdp := func(a netip.AddrPort) string {
		return fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n", a.Port())
	}
	id := fmt.Sprintf("call-%d-%d", os.Getpid(), call)
	offer, err := r.command(map[string]string{"command": "offer", "call-id": id, "from-tag": "a", "sdp": sdp(legs[0])})
	if err != nil {
		return nil, err
	}
	answer, err := r.command(map[string]string{"command": "answer", "call-id": id, "from-tag": "a", "to-tag": "b", "sdp": sdp(legs[1])})
	if err != nil {
		return nil, err
	}
	port := func(d map[string]any) (netip.AddrPort, error) {
		s, _ := d["sdp"].(string)
		m := sdpPort.FindStringSubmatch(s)
		if m == nil {
			return netip.AddrPort{}, fmt.Errorf("rtpengine: no audio port in %q", s)
		}
		p, _ := strconv.Atoi(m[1])
		return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p)), nil
	}
	// The offer's SDP goes to the callee (legs[1]), the answer's to the caller.
	forB, err := port(offer)
	if err != nil {
		return nil, err
	}
	forA, err := port(answer)
	if err != nil {
		return nil, err
	}
	return []netip.AddrPort{forA, forB}, nil
}

func bencodeDict(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var sb strings.Builder
	sb.WriteString("d")
	for _, k := range keys {
		fmt.Fprintf(&sb, "%d:%s%d:%s", len(k), k, len(d[k]), d[k])
	}
	sb.WriteString("e")
	return sb.String()
}

// bdecode decodes one bencoded value from b and returns the rest.
func bdecode(b []byte) (any, []byte, error) {
	if len(b) == 0 {
		return nil, nil, errors.New("bencode: empty")
	}
	switch c := b[0]; {
	case c == 'i':
		end := bytes.IndexByte(b, 'e')
		if end < 0 {
			return nil, nil, errors.New("bencode: unterminated integer")
		}
		n, err := strconv.ParseInt(string(b[1:end]), 10, 64)
		return n, b[end+1:], err
	case c == 'l' || c == 'd':
		rest := b[1:]
		var list []any
		for len(rest) > 0 && rest[0] != 'e' {
			var v any
			var err error
			v, rest, err = bdecode(rest)
			if err != nil {
				return nil, nil, err
			}
			list = append(list, v)
		}
		if len(rest) == 0 {
			return nil, nil, errors.New("bencode: unterminated list")
		}
		if c == 'l' {
			return list, rest[1:], nil
		}
		d := map[string]any{}
		for i := 0; i+1 < len(list); i += 2 {
			k, _ := list[i].(string)
			d[k] = list[i+1]
		}
		return d, rest[1:], nil
	case c >= '0' && c <= '9':
		colon := bytes.IndexByte(b, ':')
		if colon < 0 {
			return nil, nil, errors.New("bencode: bad string")
		}
		n, err := strconv.Atoi(string(b[:colon]))
		if err != nil || colon+1+n > len(b) {
			return nil, nil, errors.New("bencode: bad string length")
		}
		return string(b[colon+1 : colon+1+n]), b[colon+1+n:], nil
	}
	return nil, nil, fmt.Errorf("bencode: unexpected %q", b[0])
}
