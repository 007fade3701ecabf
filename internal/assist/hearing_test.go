package assist

import (
	"fmt"
	"reflect"
	"testing"
)

// TestHearingMatrix is ARCHITECTURE.md's table, row by row, plus the rows
// for several supervisors and listening colleagues.
func TestHearingMatrix(t *testing.T) {
	c := Party{ID: "customer", Role: Customer}
	a := Party{ID: "agent", Role: Agent}
	sup := func(id string, m Mode) Party { return Party{ID: id, Role: Supervisor, Mode: m} }
	l := Party{ID: "listener", Role: Listener}
	rows := []struct {
		name    string
		parties []Party
		want    map[string][]string
	}{
		{"no assist", []Party{c, a},
			map[string][]string{"customer": {"agent"}, "agent": {"customer"}}},
		{"supervisor still ringing hears nothing, heard by nobody", []Party{c, a, sup("s", Ringing)},
			map[string][]string{"customer": {"agent"}, "agent": {"customer"}, "s": nil}},
		{"listen", []Party{c, a, sup("s", Listen)},
			map[string][]string{"customer": {"agent"}, "agent": {"customer"}, "s": {"customer", "agent"}}},
		{"talk (whisper)", []Party{c, a, sup("s", Talk)},
			map[string][]string{"customer": {"agent"}, "agent": {"customer", "s"}, "s": {"customer", "agent"}}},
		{"take over (agent released)", []Party{c, sup("s", TakeOver)},
			map[string][]string{"customer": {"s"}, "s": {"customer"}}},
		{"listener hears customer and agent, heard by nobody", []Party{c, a, l},
			map[string][]string{"customer": {"agent"}, "agent": {"customer"}, "listener": {"customer", "agent"}}},
		{"listener does not hear a whisper", []Party{c, a, sup("s", Talk), l},
			map[string][]string{"customer": {"agent"}, "agent": {"customer", "s"}, "s": {"customer", "agent"}, "listener": {"customer", "agent"}}},
		{"two supervisors: one talks, one listens", []Party{c, a, sup("s1", Talk), sup("s2", Listen)},
			map[string][]string{"customer": {"agent"}, "agent": {"customer", "s1"}, "s1": {"customer", "agent"}, "s2": {"customer", "agent", "s1"}}},
		{"two supervisors listening hear neither each other", []Party{c, a, sup("s1", Listen), sup("s2", Listen)},
			map[string][]string{"customer": {"agent"}, "agent": {"customer"}, "s1": {"customer", "agent"}, "s2": {"customer", "agent"}}},
		{"two supervisors talking hear each other", []Party{c, a, sup("s1", Talk), sup("s2", Talk)},
			map[string][]string{"customer": {"agent"}, "agent": {"customer", "s1", "s2"}, "s1": {"customer", "agent", "s2"}, "s2": {"customer", "agent", "s1"}}},
		{"take over with a second supervisor listening", []Party{c, sup("s1", TakeOver), sup("s2", Listen)},
			map[string][]string{"customer": {"s1"}, "s1": {"customer"}, "s2": {"customer", "s1"}}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			got := Hearing(r.parties)
			if !reflect.DeepEqual(got, r.want) {
				t.Fatalf("got  %v\nwant %v", got, r.want)
			}
		})
	}
}

// TestCustomerNeverHearsWhisper: whatever the mix of supervisors in listen
// or talk, the customer hears the agent only.
func TestCustomerNeverHearsWhisper(t *testing.T) {
	modes := []Mode{Ringing, Listen, Talk}
	for _, m1 := range modes {
		for _, m2 := range modes {
			ps := []Party{{ID: "c", Role: Customer}, {ID: "a", Role: Agent}, {ID: "s1", Role: Supervisor, Mode: m1},
				{ID: "s2", Role: Supervisor, Mode: m2}, {ID: "l", Role: Listener}}
			if got := Hearing(ps)["c"]; !reflect.DeepEqual(got, []string{"a"}) {
				t.Fatalf("%s/%s: customer hears %v", m1, m2, got)
			}
		}
	}
}

func ExampleHearing() {
	h := Hearing([]Party{
		{ID: "customer", Role: Customer},
		{ID: "agent", Role: Agent},
		{ID: "sam", Role: Supervisor, Mode: Talk},
	})
	fmt.Println("customer hears", h["customer"])
	fmt.Println("agent hears", h["agent"])
	fmt.Println("sam hears", h["sam"])
	// Output:
	// customer hears [agent]
	// agent hears [customer sam]
	// sam hears [customer agent]
}
