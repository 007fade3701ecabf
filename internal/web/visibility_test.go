package web

import (
	"testing"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/events"
)

func TestVisibility(t *testing.T) {
	cfg := testConfig(t)
	view := func(name string) *viewer {
		u, ok := cfg.User(name)
		if !ok {
			t.Fatalf("no user %s", name)
		}
		return newViewer(cfg, u)
	}
	calls := map[string]string{"c-sales": "sales", "c-support": "support"}
	callQueue := func(id string) (string, bool) { q, ok := calls[id]; return q, ok }
	ev := func(kind events.Kind, agent, queue, call, actor string) events.Event {
		return events.Event{Kind: kind, Agent: agent, Queue: queue, Call: call, Actor: actor}
	}
	rows := []struct {
		what  string
		e     events.Event
		sees  []string
		blind []string
	}{
		{"an agent's state: the agent, their supervisors, admins",
			ev(events.AgentState, "alice", "", "", ""), []string{"alice", "sup-a", "admin"}, []string{"bob", "carol", "sup-b"}},
		{"an offer to an agent follows the agent, not the queue",
			ev(events.CallOffered, "bob", "support", "c-support", ""), []string{"bob", "sup-b", "admin"}, []string{"alice", "sup-a"}},
		{"a call in a queue: supervisors of agents in it",
			ev(events.CallArrived, "", "sales", "c1", ""), []string{"sup-a", "admin"}, []string{"alice", "sup-b", "bob"}},
		{"an event naming only a live call follows its queue",
			ev(events.CallEnded, "", "", "c-support", ""), []string{"sup-b", "admin"}, []string{"sup-a", "bob"}},
		{"an event naming only an unknown call: admins",
			ev(events.CallEnded, "", "", "gone", ""), []string{"admin"}, []string{"sup-a", "sup-b"}},
		{"configuration changes: admins",
			ev(events.ConfigChanged, "", "", "", "admin"), []string{"admin"}, []string{"sup-a", "alice"}},
		{"its actor sees an event about another team's agent",
			ev(events.AssistMode, "bob", "", "c-support", "carol"), []string{"carol", "bob", "sup-b"}, []string{"alice", "sup-a"}},
	}
	for _, r := range rows {
		for _, who := range r.sees {
			if !view(who).seesEvent(r.e, callQueue) {
				t.Errorf("%s: %s does not see it", r.what, who)
			}
		}
		for _, who := range r.blind {
			if view(who).seesEvent(r.e, callQueue) {
				t.Errorf("%s: %s sees it", r.what, who)
			}
		}
	}

	a := view("sup-a")
	if !a.seesCall(acd.CallView{ID: "x", Queue: "support", Handlers: []string{"carol"}}) {
		t.Error("a supervisor does not see a call their agent handles in another queue")
	}
	if a.seesCall(acd.CallView{ID: "x", Queue: "support", Agents: []string{"bob"}}) {
		t.Error("a supervisor sees a call of another team's queue and agent")
	}
	if a.canSupervise("sup-a") || view("alice").canSupervise("alice") {
		t.Error("canSupervise covers oneself")
	}
}
