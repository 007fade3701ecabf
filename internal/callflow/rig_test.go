package callflow

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/media"
)

// busSink stores by numbering and announces on the bus, as the journal
// does.
type busSink struct {
	bus *events.Bus
	mu  sync.Mutex // guards seq
	seq int64
}

func (s *busSink) Store(evs []events.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range evs {
		s.seq++
		evs[i].Seq = s.seq
	}
	return nil
}

func (s *busSink) Announce(evs []events.Event) {
	for _, e := range evs {
		s.bus.Publish(e)
	}
}

// phone is the far end of one party: a UDP socket on loopback that earshot's
// leg for the party sends to.
type phone struct {
	conn *net.UDPConn
	leg  *media.Leg // earshot's side
	seq  uint16
	ts   uint32
}

func (p *phone) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// send sends one 20 ms PCMU frame of the same byte to earshot.
func (p *phone) send(b byte) {
	var pkt [12 + 160]byte
	p.seq++
	p.ts += 160
	pkt[0], pkt[1] = 0x80, 0
	binary.BigEndian.PutUint16(pkt[2:], p.seq)
	binary.BigEndian.PutUint32(pkt[4:], p.ts)
	binary.BigEndian.PutUint32(pkt[8:], uint32(p.addr().Port()))
	for i := 12; i < len(pkt); i++ {
		pkt[i] = b
	}
	p.conn.WriteToUDPAddrPort(pkt[:], p.leg.LocalAddr())
}

// key sends one RFC 4733 digit (payload type 101): start, update and three
// end packets, as phones do.
func (p *phone) key(digit byte) {
	p.ts += 800
	for i, d := range []uint16{0, 400, 800, 800, 800} {
		var pkt [16]byte
		p.seq++
		pkt[0], pkt[1] = 0x80, 101
		if i == 0 {
			pkt[1] |= 0x80
		}
		binary.BigEndian.PutUint16(pkt[2:], p.seq)
		binary.BigEndian.PutUint32(pkt[4:], p.ts)
		binary.BigEndian.PutUint32(pkt[8:], uint32(p.addr().Port()))
		pkt[12] = digit
		pkt[13] = 10
		if i >= 2 {
			pkt[13] |= 0x80
		}
		binary.BigEndian.PutUint16(pkt[14:], d)
		p.conn.WriteToUDPAddrPort(pkt[:], p.leg.LocalAddr())
	}
}

// browsers stands in for the web softphones: every online user answers at
// once with a fresh leg toward their phone; Ended is recorded.
type browsers struct {
	t   testing.TB
	med *media.Engine

	mu     sync.Mutex // guards the fields below
	online map[string]bool
	phones map[string]*phone
	ended  map[string]string // user → last reason
	refuse error             // when set, Ring fails with it
}

func (b *browsers) Online(user string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.online[user]
}

func (b *browsers) Ring(_ context.Context, user, _, _, _ string) (*media.Leg, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refuse != nil {
		return nil, b.refuse
	}
	p := b.phones[user]
	if p == nil {
		return nil, errors.New("no phone")
	}
	leg, err := b.med.NewRTPLeg()
	if err != nil {
		return nil, err
	}
	if err := leg.SetRemote(p.addr(), 0, 101); err != nil {
		return nil, err
	}
	p.leg = leg
	return leg, nil
}

func (b *browsers) Ended(user, _, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ended[user] = reason
}

func (b *browsers) endedWith(user string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ended[user]
}

// rig is the call flow over a real media engine, ACD and assist desk, with
// web softphones standing in for every endpoint, and no SIP.
type rig struct {
	t    testing.TB
	med  *media.Engine
	bus  *events.Bus
	eng  *acd.Engine
	desk *assist.Desk
	flow *Flow
	br   *browsers
	cust *phone
}

func rigConfig() *config.Config {
	agent := func(name string, listen bool) config.User {
		return config.User{Name: name, Display: name, Roles: []config.Role{config.RoleAgent}, ListenIn: listen}
	}
	return &config.Config{
		Users: []config.User{agent("alice", false), agent("carol", true),
			{Name: "sam", Roles: []config.Role{config.RoleSupervisor}}, {Name: "sue", Roles: []config.Role{config.RoleSupervisor}}},
		Teams:          []config.Team{{Name: "sales", Agents: []string{"alice", "carol"}, Supervisors: []string{"sam", "sue"}}},
		Queues:         []config.Queue{{Name: "sales", Teams: []string{"sales"}, Strategy: config.LongestIdle, RingTimeout: 20 * time.Second, WrapUp: time.Minute}},
		DIDs:           []config.DID{{Number: "100", Queue: "sales"}},
		AssistRingTime: 30 * time.Second,
	}
}

func newRig(t testing.TB) *rig {
	t.Helper()
	med, err := media.NewEngine(media.Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 42000, PortMax: 42999})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { med.Close() })
	r := &rig{t: t, med: med, bus: events.NewBus()}
	r.br = &browsers{t: t, med: med, online: map[string]bool{}, phones: map[string]*phone{}, ended: map[string]string{}}
	r.eng = acd.New(rigConfig(), clock.Real{}, &busSink{bus: r.bus})
	r.desk = assist.New(assist.Config{ACD: r.eng, Clock: clock.Real{}, Sink: &busSink{bus: r.bus}})
	sub := r.bus.Subscribe(4096)
	go func() {
		for e := range sub.C {
			r.desk.Observe(e)
		}
	}()
	t.Cleanup(sub.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r.flow = New(ctx, Config{Engine: r.eng, Bus: r.bus, Media: med, Browsers: r.br, Assists: r.desk,
		Logger: slog.New(slog.DiscardHandler)})
	for _, u := range []string{"alice", "carol", "sam", "sue"} {
		r.phone(u)
	}
	return r
}

// phone gives user a signed-in web softphone.
func (r *rig) phone(user string) *phone {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close() })
	p := &phone{conn: c}
	r.br.mu.Lock()
	r.br.online[user], r.br.phones[user] = true, p
	r.br.mu.Unlock()
	return p
}

func (r *rig) phoneOf(user string) *phone {
	r.br.mu.Lock()
	defer r.br.mu.Unlock()
	return r.br.phones[user]
}

// call brings a customer's call c1 to alice, as InboundCall does for a
// SIP caller, and waits until she is on it.
func (r *rig) call() {
	r.t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close() })
	leg, err := r.med.NewRTPLeg()
	if err != nil {
		r.t.Fatal(err)
	}
	r.cust = &phone{conn: c, leg: leg}
	if err := leg.SetRemote(r.cust.addr(), 0, 101); err != nil {
		r.t.Fatal(err)
	}
	lc := &liveCall{id: "c1", leg: leg, room: r.med.NewRoom(), queue: "sales", caller: "+15557654321",
		rings: map[string]context.CancelFunc{}, parties: map[string]*party{}}
	if err := lc.room.Add(leg); err != nil {
		r.t.Fatal(err)
	}
	r.flow.mu.Lock()
	r.flow.calls["c1"] = lc
	r.flow.mu.Unlock()
	if err := r.eng.SetState("alice", acd.Available, "", ""); err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.eng.Arrive(acd.Inbound{ID: "c1", DID: "100", Caller: "+15557654321"}); err != nil {
		r.t.Fatal(err)
	}
	r.waitHearing("alice on the call", map[string][]string{"customer": {"alice"}, "alice": {"customer"}})
}

// hearing is the room's hearing matrix, by party name.
func (r *rig) hearing() map[string][]string {
	r.flow.mu.Lock()
	lc := r.flow.calls["c1"]
	names := map[media.LegID]string{}
	if lc != nil {
		names[lc.leg.ID()] = "customer"
		for _, p := range lc.parties {
			names[p.leg.ID()] = p.name
		}
	}
	r.flow.mu.Unlock()
	if lc == nil {
		return nil
	}
	out := map[string][]string{}
	for l, srcs := range lc.room.Hearing() {
		var heard []string
		for _, s := range srcs {
			heard = append(heard, names[s])
		}
		slices.Sort(heard)
		out[names[l]] = heard
	}
	return out
}

// waitHearing waits, with a deadline, until the room's hearing is want.
func (r *rig) waitHearing(what string, want map[string][]string) {
	r.t.Helper()
	for k := range want {
		slices.Sort(want[k])
	}
	r.waitFor(what, func() bool { return fmt.Sprint(r.hearing()) == fmt.Sprint(want) })
}

func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s (hearing now %v)", what, r.hearing())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// assist starts user's assist on alice from their web client and waits
// until they listen.
func (r *rig) assist(user string) string {
	r.t.Helper()
	res, err := r.desk.Start(user, "alice", assist.Endpoint{Kind: assist.EndpointWeb})
	if err != nil {
		r.t.Fatal(err)
	}
	r.waitMode(res.Session.ID, assist.Listen)
	return res.Session.ID
}

func (r *rig) waitMode(id string, m assist.Mode) {
	r.t.Helper()
	r.waitFor("session "+id+" to be "+string(m), func() bool {
		s, err := r.desk.Session(id)
		return err == nil && s.Mode == m || err != nil && m == assist.Ended
	})
}
