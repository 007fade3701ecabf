package assist

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
)

// recorder is a Sink that numbers and keeps what it stored and announced.
// The ACD's and the desk's recorders share one sequence, as one store
// would.
type recorder struct {
	seq       *int64
	stored    []events.Event
	announced []events.Event
	fail      error
}

func (r *recorder) Store(evs []events.Event) error {
	if r.fail != nil {
		return r.fail
	}
	for i := range evs {
		*r.seq++
		evs[i].Seq = *r.seq
	}
	r.stored = append(r.stored, evs...)
	return nil
}

func (r *recorder) Announce(evs []events.Event) { r.announced = append(r.announced, evs...) }

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// testConfig: team sales (alice, bob, carol who may listen in; supervised
// by sam and sue), team support (grace, henry who may listen in;
// supervised by tom). DIDs 100 → sales, 200 → support.
func testConfig() *config.Config {
	agent := func(name, display string, listen bool) config.User {
		return config.User{Name: name, Display: display, Roles: []config.Role{config.RoleAgent}, ListenIn: listen}
	}
	sup := func(name, display string) config.User {
		return config.User{Name: name, Display: display, Roles: []config.Role{config.RoleSupervisor}}
	}
	return &config.Config{
		Users: []config.User{
			agent("alice", "Alice Johnson", false), agent("bob", "Bob Martinez", false), agent("carol", "Carol Nguyen", true),
			agent("grace", "Grace Kim", false), agent("henry", "Henry Patel", true),
			sup("sam", "Sam Taylor"), sup("sue", "Sue Anderson"), sup("tom", "Tom Reyes"),
			{Name: "admin", Roles: []config.Role{config.RoleAdmin}},
		},
		Teams: []config.Team{
			{Name: "sales", Agents: []string{"alice", "bob", "carol"}, Supervisors: []string{"sam", "sue"}},
			{Name: "support", Agents: []string{"grace", "henry"}, Supervisors: []string{"tom"}},
		},
		Queues: []config.Queue{
			{Name: "sales", Teams: []string{"sales"}, Strategy: config.LongestIdle, RingTimeout: 20 * time.Second, WrapUp: 30 * time.Second},
			{Name: "support", Teams: []string{"support"}, Strategy: config.LongestIdle, RingTimeout: 20 * time.Second, WrapUp: 30 * time.Second},
		},
		DIDs:            []config.DID{{Number: "100", Queue: "sales"}, {Number: "200", Queue: "support"}},
		DialPlan:        config.DialPlan{Allow: []string{"+1555XXXXXXX", "sip:*@127.0.0.1"}, Deny: []string{"+1900!"}},
		NotReadyReasons: []string{"Break"},
		AssistRingTime:  30 * time.Second,
	}
}

type fixture struct {
	t        *testing.T
	clk      *clock.Fake
	eng      *acd.Engine
	desk     *Desk
	acdRec   *recorder
	deskRec  *recorder
	observed int // how many of the ACD's announced events the desk has seen
}

func newFixture(t *testing.T) *fixture {
	var seq int64
	f := &fixture{t: t, clk: clock.NewFake(t0), acdRec: &recorder{seq: &seq}, deskRec: &recorder{seq: &seq}}
	f.eng = acd.New(testConfig(), f.clk, f.acdRec)
	f.desk = New(Config{ACD: f.eng, Clock: f.clk, Sink: f.deskRec})
	return f
}

// pump hands the desk the ACD's events it has not seen, as the wiring's
// subscription does.
func (f *fixture) pump() {
	for f.observed < len(f.acdRec.announced) {
		e := f.acdRec.announced[f.observed]
		f.observed++
		f.desk.Observe(e)
	}
}

// step is one thing that happens, written as a sentence in a table.
type step func(f *fixture) error

func (f *fixture) run(steps ...step) {
	f.t.Helper()
	for i, s := range steps {
		if err := s(f); err != nil {
			f.t.Fatalf("step %d: %v", i+1, err)
		}
		f.pump()
	}
}

func login(a string) step {
	return func(f *fixture) error { return f.eng.SetState(a, acd.Available, "", "") }
}

func notReady(a string) step {
	return func(f *fixture) error { return f.eng.SetState(a, acd.NotReady, "Break", "") }
}

// onCall logs a in and gives them call id from the sales or support DID.
func onCall(a, id string) step {
	return func(f *fixture) error {
		if err := f.eng.SetState(a, acd.Available, "", ""); err != nil {
			return err
		}
		did := "100"
		if a == "grace" || a == "henry" {
			did = "200"
		}
		if _, err := f.eng.Arrive(acd.Inbound{ID: id, DID: did, Caller: "+15557654321"}); err != nil {
			return err
		}
		return f.eng.Answer(id, a)
	}
}

func ringing(a, id string) step {
	return func(f *fixture) error {
		if err := f.eng.SetState(a, acd.Available, "", ""); err != nil {
			return err
		}
		_, err := f.eng.Arrive(acd.Inbound{ID: id, DID: "100", Caller: "+15557654321"})
		return err
	}
}

func hangup(id, by string) step { return func(f *fixture) error { return f.eng.Hangup(id, by) } }
func requestHelp(a string) step { return func(f *fixture) error { return f.eng.RequestHelp(a) } }
func listenIn(a string, m acd.ListenIn) step {
	return func(f *fixture) error { return f.eng.SetListenIn(a, m) }
}
func wait(d time.Duration) step { return func(f *fixture) error { f.clk.Advance(d); return nil } }

func phone(target string) Endpoint { return Endpoint{Kind: EndpointPhone, Target: target} }

var samPhone = phone("sip:sam@127.0.0.1:5070")

func endpoint(user string, ep Endpoint) step {
	return func(f *fixture) error { _, err := f.desk.SetEndpoint(user, ep); return err }
}

// start runs Start and returns the session's ID.
func (f *fixture) start(sup, agent string) string {
	f.t.Helper()
	r, err := f.desk.Start(sup, agent, phone("sip:"+sup+"@127.0.0.1:5070"))
	if err != nil {
		f.t.Fatalf("%s assists %s: %v", sup, agent, err)
	}
	f.pump()
	return r.Session.ID
}

// answered starts an assist and answers it: the supervisor listens.
func (f *fixture) answered(sup, agent string) string {
	f.t.Helper()
	id := f.start(sup, agent)
	if err := f.desk.Answered(id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) agent(name string) acd.AgentView {
	f.t.Helper()
	v, err := f.eng.Agent(name)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

// snapshot is everything observable, to check that a refused command
// changed nothing.
func (f *fixture) snapshot() string {
	calls := f.eng.Calls()
	slices.SortFunc(calls, func(a, b acd.CallView) int { return strings.Compare(a.ID, b.ID) })
	return fmt.Sprintf("%+v|%+v|%+v|%d|%d", f.desk.Sessions(), f.eng.Agents(), calls, len(f.acdRec.stored), len(f.deskRec.stored))
}

// trail is the desk's stored events for session id, as state/reason.
func (f *fixture) trail(id string) []string {
	var out []string
	for _, e := range f.deskRec.stored {
		if e.Detail == id {
			s := e.State
			if e.Reason != "" {
				s += "/" + e.Reason
			}
			out = append(out, s)
		}
	}
	return out
}
