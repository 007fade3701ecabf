package media_test

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/earshot/earshot/internal/media"
)

// A call with a customer and an agent, and a supervisor who listens, then
// whispers to the agent. Each mode is only a hearing matrix: who hears
// whom. Legs that hear one other leg get its packets forwarded; a leg that
// hears two gets a mix.
func ExampleHearing() {
	e, err := media.NewEngine(media.Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 26000, PortMax: 31999})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	legs := map[string]*media.Leg{}
	room := e.NewRoom()
	for _, who := range []string{"customer", "agent", "supervisor"} {
		l, err := e.NewRTPLeg()
		if err != nil {
			panic(err)
		}
		legs[who] = l
		if err := room.Add(l); err != nil {
			panic(err)
		}
	}
	c, a, s := legs["customer"].ID(), legs["agent"].ID(), legs["supervisor"].ID()
	modes := []struct {
		name string
		h    media.Hearing
	}{
		{"listen", media.Hearing{c: {a}, a: {c}, s: {c, a}}},
		{"whisper", media.Hearing{c: {a}, a: {c, s}, s: {c, a}}},
	}
	name := map[media.LegID]string{c: "customer", a: "agent", s: "supervisor"}
	for _, m := range modes {
		if err := room.SetHearing(m.h); err != nil {
			panic(err)
		}
		fmt.Println(m.name + ":")
		for _, who := range []media.LegID{c, a, s} {
			var heard []string
			for _, src := range room.Hearing()[who] {
				heard = append(heard, name[src])
			}
			slices.Sort(heard)
			fmt.Printf("  %s hears %v\n", name[who], heard)
		}
	}
	// A leg cannot hear itself.
	fmt.Println(room.SetHearing(media.Hearing{c: {c}}) != nil)
	// Output:
	// listen:
	//   customer hears [agent]
	//   agent hears [customer]
	//   supervisor hears [agent customer]
	// whisper:
	//   customer hears [agent]
	//   agent hears [customer supervisor]
	//   supervisor hears [agent customer]
	// true
}
