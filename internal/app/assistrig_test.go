package app

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/peertest"
	"github.com/earshot/earshot/internal/tonecheck"
)

// Tones of the parties of an assisted call.
const (
	toneCustomer = 440
	toneAgent    = 1000
	toneSam      = 1700
	toneSue      = 2300
	toneListener = 2900
)

// assistRig is earshot (demo configuration, SIP on loopback) with its
// assist desk, an API server over it, and helpers for the parties.
type assistRig struct {
	t    *testing.T
	a    *App
	desk *assist.Desk
	base string // the API's base URL
	sip  string // earshot's SIP address
}

// newAssistRig starts earshot with sue supervising sales too (so two
// supervisors can assist alice) and tina supervising support only.
func newAssistRig(t *testing.T, tweak func(*config.Config)) *assistRig {
	t.Helper()
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	cfg.Users = append(cfg.Users, config.User{Name: "tina", Display: "Tina Brooks", Roles: []config.Role{config.RoleSupervisor}, Password: "demo"})
	for i := range cfg.Teams {
		switch cfg.Teams[i].Name {
		case "sales":
			cfg.Teams[i].Supervisors = append(cfg.Teams[i].Supervisors, "sue")
		case "support":
			cfg.Teams[i].Supervisors = append(cfg.Teams[i].Supervisors, "tina")
		}
	}
	if tweak != nil {
		tweak(cfg)
	}
	a, err := Start(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return &assistRig{t: t, a: a, desk: a.assist.desk, base: "http://" + a.HTTPAddr(), sip: a.SIPAddr("udp").String()}
}

// login returns an API client logged in as user.
func (r *assistRig) login(user string) *client {
	r.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: r.t, base: r.base, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	c.login(user)
	return c
}

// party is one baresip: its tone and what it recorded.
type party struct {
	name string
	tone float64
	b    *peertest.Baresip
	uri  string // where it answers, for a party earshot dials
}

// phone starts user's SIP phone, registered to earshot, answering by
// itself, and waits for the registration.
func (r *assistRig) phone(user string, tone float64) *party {
	r.t.Helper()
	b := peertest.StartBaresip(r.t, peertest.BaresipOptions{Name: user, Tone: tone, AOR: "sip:" + user + "@" + r.sip, Password: "demo"})
	waitFor(r.t, 10*time.Second, user+"'s phone to register", func() bool { return len(r.a.sip.Contacts(user)) > 0 })
	return &party{name: user, tone: tone, b: b}
}

// reachable starts a phone earshot rings at a SIP URI on loopback (which
// the demo dial plan allows); manual leaves its calls ringing.
func (r *assistRig) reachable(user string, tone float64, manual bool) *party {
	r.t.Helper()
	b := peertest.StartBaresip(r.t, peertest.BaresipOptions{Name: user, Tone: tone, Manual: manual})
	acc, err := os.ReadFile(filepath.Join(b.Dir, "accounts"))
	if err != nil {
		r.t.Fatal(err)
	}
	s := string(acc)
	i, j := strings.IndexByte(s, '<'), strings.IndexByte(s, '>')
	if i < 0 || j < i {
		r.t.Fatalf("accounts file %q", s)
	}
	return &party{name: user, tone: tone, b: b, uri: s[i+1 : j]}
}

// customer starts a caller dialling the sales line and waits until alice
// (already available) is on the call.
func (r *assistRig) customer() *party {
	r.t.Helper()
	b := peertest.StartBaresip(r.t, peertest.BaresipOptions{Name: "customer", From: "+14155550142", Tone: toneCustomer, Dial: "sip:+15550100@" + r.sip})
	waitFor(r.t, 10*time.Second, "alice to be on the call", func() bool { return agentState(r.a, "alice") == acd.OnCall })
	return &party{name: "customer", tone: toneCustomer, b: b}
}

// samOnPhoneAliceOnCall readies the usual assist: alice's SIP phone
// (1000 Hz) and sam's (1700 Hz), sam signed in with his phone for assist
// audio, alice Available, and a customer (440 Hz) on her call. It returns
// alice's phone, sam's client and the customer.
func (r *assistRig) samOnPhoneAliceOnCall() (alice *party, samC *client, cust *party) {
	r.t.Helper()
	alice = r.phone("alice", toneAgent)
	sam := r.reachable("sam", toneSam, false)
	samC, aliceC := r.login("sam"), r.login("alice")
	if code := samC.do("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "phone", "target": sam.uri}, nil); code != 200 {
		r.t.Fatalf("sam signs in with his phone: %d", code)
	}
	if code := aliceC.do("PUT", "/api/v1/me/state", map[string]string{"state": "available"}, nil); code != 200 {
		r.t.Fatalf("alice available: %d", code)
	}
	return alice, samC, r.customer()
}

// session waits until the desk has a session of user on agent in mode,
// and returns it.
func (r *assistRig) session(user string, mode assist.Mode) assist.Session {
	r.t.Helper()
	var found assist.Session
	waitFor(r.t, 10*time.Second, user+"'s session to be "+string(mode), func() bool {
		for _, s := range r.desk.Sessions() {
			if s.User == user && s.Mode == mode {
				found = s
				return true
			}
		}
		return false
	})
	return found
}

// gone waits until session id has ended.
func (r *assistRig) gone(id string) {
	r.t.Helper()
	waitFor(r.t, 10*time.Second, "session "+id+" to end", func() bool {
		_, err := r.desk.Session(id)
		return err != nil
	})
}

// mark is a point in a party's recording: a file and a sample index.
type mark struct {
	file string
	at   int
}

// newest is the recording of the party's current (or last) call.
func (p *party) newest() string {
	files, _ := filepath.Glob(filepath.Join(p.b.RecDir, "*dec.wav"))
	var best string
	var bestT time.Time
	for _, f := range files {
		st, err := os.Stat(f)
		if err == nil && (best == "" || st.ModTime().After(bestT) || st.ModTime().Equal(bestT) && f > best) {
			best, bestT = f, st.ModTime()
		}
	}
	return best
}

// mark is where the party's recording is now. baresip writes what it
// hears as it decodes it (8 kHz, 16-bit, 44-byte header), so the file's
// size tells how many samples it has heard so far.
func (p *party) mark() mark {
	f := p.newest()
	st, err := os.Stat(f)
	if err != nil {
		return mark{file: f}
	}
	return mark{file: f, at: max(int(st.Size())-44, 0) / 2}
}

// expectation is one check on a stretch of a party's recording, checked
// when the recordings are complete.
type expectation struct {
	what            string
	p               *party
	from, to        mark
	hears, notHears []float64
}

// hears records that between from and to (skipping the first 300 ms,
// where a change may still be arriving) p hears exactly the tones given
// and none of the others.
func hears(what string, p *party, from, to mark, heard []float64, notHeard ...float64) expectation {
	return expectation{what: what, p: p, from: from, to: to, hears: heard, notHears: notHeard}
}

func (c expectation) run(t *testing.T) {
	t.Helper()
	if c.from.file != c.to.file || c.from.file == "" {
		t.Errorf("%s: %s's recording changed within the window (%s, %s)", c.what, c.p.name, c.from.file, c.to.file)
		return
	}
	s, rate, err := tonecheck.ReadWAV(c.from.file)
	if err != nil {
		t.Errorf("%s: %v", c.what, err)
		return
	}
	from, to := min(c.from.at+rate*3/10, len(s)), min(c.to.at, len(s))
	check(t, c.what+" ("+c.p.name+")", s[min(from, to):to], rate, c.hears, c.notHears)
}

// latency is how long after the recording reached at the tone freq
// appeared (or, with appear false, went away) in it: the first 10 ms block
// where the tone reads above −24 dBFS (below −30 to go away).
func latency(t *testing.T, at mark, freq float64, appear bool) (time.Duration, bool) {
	t.Helper()
	s, rate, err := tonecheck.ReadWAV(at.file)
	if err != nil {
		t.Errorf("latency: %v", err)
		return 0, false
	}
	block, step := rate/100, rate/400
	for i := max(at.at-rate/10, 0); i+block <= len(s) && i < at.at+rate; i += step {
		l := tonecheck.Level(s[i:i+block], rate, freq)
		if appear && l >= -24 || !appear && l < tonecheck.HeardThreshold {
			return time.Duration(i-at.at) * time.Second / time.Duration(rate), true
		}
	}
	return 0, false
}

// recorded waits until each party's recordings are complete: baresip
// writes a WAV file's sizes into its header when it closes it.
func recorded(t *testing.T, ps ...*party) {
	t.Helper()
	for _, p := range ps {
		waitFor(t, 5*time.Second, p.name+"'s recordings to be complete", func() bool {
			files, _ := filepath.Glob(filepath.Join(p.b.RecDir, "*dec.wav"))
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil || len(b) < 44 || int(binary.LittleEndian.Uint32(b[40:])) != len(b)-44 {
					return false
				}
			}
			return len(files) > 0
		})
	}
}
