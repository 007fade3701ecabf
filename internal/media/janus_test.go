package media

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/media/loadgen"
)

var loadJanus = flag.Bool("load.janus", false, "BenchmarkJanusRooms: run Janus AudioBridge under the same load, for comparison")

// BenchmarkJanusRooms runs the load of BenchmarkMixedRooms through Janus
// AudioBridge (Debian's janus 1.1.2: rooms at 8 kHz, plain-RTP participants
// joined with PCMU), so the two mixers can be compared in one run on one
// machine. Janus's CPU is read from /proc/<pid>/stat; every participant
// must hear the others' tones and not its own, as with the engine, but a
// wrong mix is reported beside Janus's figures rather than failing the
// run (seen here once Janus fills the machine: a participant's own loud
// frame comes back to it, and its own tone at about −35 dBFS):
//
//	apt-get install -y janus
//	go test -run '^$' -bench 'Rooms$' ./internal/media -args -load.janus -load.rooms 10,50,100 -load.parties 3,4
//
// BenchmarkMixedRooms's comment has the figures measured so.
func BenchmarkJanusRooms(b *testing.B) {
	if !*loadJanus {
		b.Skip("comparison with Janus AudioBridge not asked for (-load.janus)")
	}
	bin, err := exec.LookPath("janus")
	if err != nil {
		b.Skip("janus is not installed (apt-get install janus)")
	}
	libDir, err := janusLibDir()
	if err != nil {
		b.Skip(err)
	}
	for _, l := range roomLoads(b) {
		b.Run(fmt.Sprintf("rooms=%d/parties=%d", l[0], l[1]), func(b *testing.B) {
			for range b.N {
				j := startJanus(b, bin, libDir)
				r := runRoomLoad(b, l[0], l[1], j.setupRoom, loadgen.ProcessCPU(j.cmd.Process.Pid), false)
				janusCPU[l] = r.CPUPerParticipantSecond
			}
		})
	}
}

// janusLibDir finds the folder that holds Janus's plugins/ and
// transports/ folders.
func janusLibDir() (string, error) {
	found, _ := filepath.Glob("/usr/lib/*/janus/plugins/libjanus_audiobridge.so")
	more, _ := filepath.Glob("/usr/lib/janus/plugins/libjanus_audiobridge.so")
	found = append(found, more...)
	if len(found) == 0 {
		return "", errors.New("janus's AudioBridge plugin is not installed")
	}
	return filepath.Dir(filepath.Dir(found[0])), nil
}

// janusServer is a running Janus with one API session, over its HTTP
// transport.
type janusServer struct {
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:PORT/janus
	hc      *http.Client
	session uint64
	admin   uint64 // the handle that creates rooms
	txn     int
	log     *lineTail
}

// startJanus starts Janus with a config folder of its own: only the
// AudioBridge plugin and the HTTP transport, everything on 127.0.0.1.
func startJanus(tb testing.TB, bin, libDir string) *janusServer {
	tb.Helper()
	dir := tb.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	httpPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	others := func(sub, keep string) string {
		names, _ := filepath.Glob(filepath.Join(libDir, sub, "*.so"))
		var off []string
		for _, n := range names {
			if base := filepath.Base(n); base != keep {
				off = append(off, base)
			}
		}
		return strings.Join(off, ",")
	}
	files := map[string]string{
		"janus.jcfg": fmt.Sprintf(`general: {
	configs_folder = "%[1]s"
	plugins_folder = "%[2]s/plugins"
	transports_folder = "%[2]s/transports"
	events_folder = "%[2]s/events"
	loggers_folder = "%[2]s/loggers"
	debug_level = 4
	session_timeout = 0
}
media: {
	rtp_port_range = "11000-11999"
}
nat: {
	ice_enforce_list = "127.0.0.1"
}
plugins: {
	disable = "%[3]s"
}
transports: {
	disable = "%[4]s"
}
loggers: {
	disable = "%[5]s"
}
`, dir, libDir, others("plugins", "libjanus_audiobridge.so"), others("transports", "libjanus_http.so"), others("loggers", "")),
		"janus.plugin.audiobridge.jcfg": `general: {
	local_ip = "127.0.0.1"
	rtp_port_range = "12000-15999"
}
`,
		"janus.transport.http.jcfg": fmt.Sprintf(`general: {
	json = "plain"
	base_path = "/janus"
	http = true
	port = %d
	ip = "127.0.0.1"
	https = false
}
admin: {
	admin_http = false
	admin_https = false
}
`, httpPort),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-F", dir, "-o")
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	log := &lineTail{}
	ready := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			log.add(line)
			if !signalled && strings.Contains(line, "REST (HTTP/HTTPS) transport plugin initialized") {
				signalled = true
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-ended:
		tb.Fatalf("janus ended before its HTTP API started:\n%s", log)
	case <-time.After(20 * time.Second):
		tb.Fatalf("janus's HTTP API did not start in 20 s:\n%s", log)
	}
	j := &janusServer{cmd: cmd, base: fmt.Sprintf("http://127.0.0.1:%d/janus", httpPort), hc: &http.Client{Timeout: 40 * time.Second}, log: log}
	// The log line comes as the transport is registered; on a busy machine
	// the API may still drop the first connection or two.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if j.session, err = j.create(); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err == nil {
		j.admin, err = j.attach()
	}
	if err != nil {
		tb.Fatalf("janus: %v\n%s", err, log)
	}
	return j
}

// janusReply is the part of a Janus API answer or event the benchmark
// reads.
type janusReply struct {
	Janus       string `json:"janus"`
	Transaction string `json:"transaction"`
	Sender      uint64 `json:"sender"`
	Data        struct {
		ID uint64 `json:"id"`
	} `json:"data"`
	Error *struct {
		Code   int    `json:"code"`
		Reason string `json:"reason"`
	} `json:"error"`
	PluginData struct {
		Data audioBridgeData `json:"data"`
	} `json:"plugindata"`
}

// audioBridgeData is the AudioBridge plugin's part of an answer.
type audioBridgeData struct {
	AudioBridge string `json:"audiobridge"`
	ErrorCode   int    `json:"error_code"`
	Error       string `json:"error"`
	RTP         *struct {
		IP   string `json:"ip"`
		Port int    `json:"port"`
	} `json:"rtp"`
}

// call POSTs one API request to path (below the base) and returns the
// answer; body gets a fresh transaction.
func (j *janusServer) call(path string, body map[string]any) (janusReply, error) {
	j.txn++
	txn := "t" + strconv.Itoa(j.txn)
	body["transaction"] = txn
	b, err := json.Marshal(body)
	if err != nil {
		return janusReply{}, err
	}
	resp, err := j.hc.Post(j.base+path, "application/json", bytes.NewReader(b))
	if err != nil {
		return janusReply{}, err
	}
	defer resp.Body.Close()
	var r janusReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return janusReply{}, fmt.Errorf("janus %s: %w", body["janus"], err)
	}
	if r.Error != nil {
		return r, fmt.Errorf("janus %s: %d %s", body["janus"], r.Error.Code, r.Error.Reason)
	}
	if r.Transaction != txn {
		return r, fmt.Errorf("janus %s: answer to transaction %q, want %q", body["janus"], r.Transaction, txn)
	}
	return r, nil
}

func (j *janusServer) create() (uint64, error) {
	r, err := j.call("", map[string]any{"janus": "create"})
	return r.Data.ID, err
}

func (j *janusServer) attach() (uint64, error) {
	r, err := j.call("/"+strconv.FormatUint(j.session, 10), map[string]any{"janus": "attach", "plugin": "janus.plugin.audiobridge"})
	return r.Data.ID, err
}

// message sends a request to the AudioBridge through handle h; for an
// asynchronous request it waits for the event that answers it.
func (j *janusServer) message(h uint64, body map[string]any) (audioBridgeData, error) {
	r, err := j.call(fmt.Sprintf("/%d/%d", j.session, h), map[string]any{"janus": "message", "body": body})
	if err != nil {
		return audioBridgeData{}, err
	}
	if r.Janus == "ack" {
		if r, err = j.event(r.Transaction); err != nil {
			return audioBridgeData{}, err
		}
	}
	d := r.PluginData.Data
	if d.ErrorCode != 0 {
		return d, fmt.Errorf("audiobridge %s: %d %s", body["request"], d.ErrorCode, d.Error)
	}
	return d, nil
}

// event long-polls the session until the event of transaction txn comes;
// other events (other participants' news) are dropped.
func (j *janusServer) event(txn string) (janusReply, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := j.hc.Get(fmt.Sprintf("%s/%d?maxev=1", j.base, j.session))
		if err != nil {
			return janusReply{}, err
		}
		var r janusReply
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if err != nil {
			return janusReply{}, fmt.Errorf("janus event: %w", err)
		}
		if r.Janus == "event" && r.Transaction == txn {
			return r, nil
		}
	}
	return janusReply{}, fmt.Errorf("janus: no event for transaction %s in 30 s", txn)
}

// setupRoom creates AudioBridge room 1000+room at 8 kHz and joins one
// plain-RTP PCMU participant per leg, each on a handle of its own. An
// error carries the end of Janus's log.
func (j *janusServer) setupRoom(room int, legs []netip.AddrPort) ([]netip.AddrPort, error) {
	out, err := j.joinRoom(room, legs)
	if err != nil {
		return nil, fmt.Errorf("%w; janus's log ends:\n%s", err, j.log)
	}
	return out, nil
}

func (j *janusServer) joinRoom(room int, legs []netip.AddrPort) ([]netip.AddrPort, error) {
	id := 1000 + room
	d, err := j.message(j.admin, map[string]any{
		"request": "create", "room": id, "permanent": false, "sampling_rate": 8000,
		"allow_rtp_participants": true, "record": false,
	})
	if err != nil {
		return nil, err
	}
	if d.AudioBridge != "created" {
		return nil, fmt.Errorf("audiobridge create room %d: answered %q", id, d.AudioBridge)
	}
	var out []netip.AddrPort
	for k, leg := range legs {
		h, err := j.attach()
		if err != nil {
			return nil, err
		}
		d, err := j.message(h, map[string]any{
			"request": "join", "room": id, "display": fmt.Sprintf("party %d", k), "codec": "pcmu",
			"rtp": map[string]any{"ip": leg.Addr().String(), "port": leg.Port(), "payload_type": 0},
		})
		if err != nil {
			return nil, err
		}
		if d.AudioBridge != "joined" || d.RTP == nil {
			return nil, fmt.Errorf("audiobridge join room %d: answered %q without an rtp address", id, d.AudioBridge)
		}
		ip, err := netip.ParseAddr(d.RTP.IP)
		if err != nil || d.RTP.Port <= 0 || d.RTP.Port > 65535 {
			return nil, fmt.Errorf("audiobridge join room %d: bad rtp address %s:%d", id, d.RTP.IP, d.RTP.Port)
		}
		out = append(out, netip.AddrPortFrom(ip, uint16(d.RTP.Port)))
	}
	return out, nil
}

// lineTail keeps the last lines of a process's output for error messages.
type lineTail struct {
	mu    sync.Mutex // guards lines
	lines []string
}

func (t *lineTail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > 40 {
		t.lines = slices.Delete(t.lines, 0, len(t.lines)-40)
	}
}

func (t *lineTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
