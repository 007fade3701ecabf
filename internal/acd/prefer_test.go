package acd

import "testing"

// TestPreferredAgent: a call that names an agent ("Call me") rings that
// agent when they serve the queue and are Available; otherwise the queue's
// strategy routes it as if it named nobody.
func TestPreferredAgent(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  []step
		prefer string
		rings  string
	}{
		{"preferred and available: rings them, not the longest idle",
			[]step{login("a1"), wait(1), login("a2"), wait(1), login("a3")}, "a3", "a3"},
		{"preferred but not ready: longest idle as usual",
			[]step{login("a1"), wait(1), login("a2"), wait(1), login("a3"), notReady("a3", "Break")}, "a3", "a1"},
		{"preferred but busy ringing: longest idle as usual",
			[]step{login("a1"), wait(1), login("a2"), wait(1), login("a3"), arrive("busy", "100")}, "a1", "a2"},
		{"preferred agent does not serve the queue: longest idle",
			[]step{login("a1"), wait(1), login("a4")}, "a4", "a1"},
		{"unknown agent: longest idle", []step{login("a2"), wait(1), login("a1")}, "nobody", "a2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, smallConfig())
			f.run(tc.setup...)
			if _, err := f.e.Arrive(Inbound{ID: "c1", DID: "100", Caller: "+15551234", Prefer: tc.prefer}); err != nil {
				t.Fatal(err)
			}
			c, err := f.e.Call("c1")
			if err != nil {
				t.Fatal(err)
			}
			if c.State != CallRinging || len(c.Agents) != 1 || c.Agents[0] != tc.rings {
				t.Fatalf("call is %s ringing %v; want ringing %s", c.State, c.Agents, tc.rings)
			}
		})
	}
}

// TestPreferredAgentQueuedCall: a preferred call that had to wait goes to
// whoever becomes free first, like any other call: a preference never
// holds a customer back.
func TestPreferredAgentQueuedCall(t *testing.T) {
	f := newFixture(t, smallConfig())
	if _, err := f.e.Arrive(Inbound{ID: "c1", DID: "100", Caller: "+15551234", Prefer: "a3"}); err != nil {
		t.Fatal(err)
	}
	f.run(login("a1"))
	if got := f.state("a1"); got != Ringing {
		t.Fatalf("a1 is %s; want ringing", got)
	}
}
