package demo

import (
	"testing"
	"time"

	"github.com/earshot/earshot/internal/config"
)

// TestFirstCallsAreShort: the bots' first calls end soon enough for After
// Call Work to show in the demo's first half minute; later ones run long.
func TestFirstCallsAreShort(t *testing.T) {
	for n := range 50 {
		got := talkTime(n, shortCalls)
		if n < shortCalls && (got < 8*time.Second || got > 12*time.Second) {
			t.Errorf("call %d: talk %v, want 8–12 s", n, got)
		}
		if n >= shortCalls && (got < 15*time.Second || got >= time.Minute) {
			t.Errorf("call %d: talk %v, want 15–60 s", n, got)
		}
		if got := talkTime(n, 0); got < 15*time.Second {
			t.Errorf("call %d with no short calls: talk %v, want 15–60 s", n, got)
		}
	}
}

// TestSomeBotsLetColleaguesListen: in each team of the demo, some bots let
// colleagues listen to their calls and some do not, so a person with the
// listen-in permission has someone to listen to.
func TestSomeBotsLetColleaguesListen(t *testing.T) {
	for _, team := range config.Demo().Teams {
		lets := 0
		for _, a := range team.Agents {
			if letsListen(a) {
				lets++
			}
		}
		if lets == 0 || lets == len(team.Agents) {
			t.Errorf("team %s: %d of %d agents let colleagues listen in", team.Name, lets, len(team.Agents))
		}
	}
}
