package store_test

import (
	"context"
	"fmt"
	"time"

	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/store"
)

func Example() {
	ctx := context.Background()
	s, err := store.Open(ctx, "sqlite::memory:") // or a file path, or postgres://…
	if err != nil {
		panic(err)
	}
	defer s.Close()

	e := events.Event{
		At:   time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC),
		Kind: events.AgentState, Agent: "ann", State: "available",
	}
	if err := s.Append(ctx, &e); err != nil {
		panic(err)
	}
	history, err := s.Events(ctx, store.Filter{Agent: "ann"})
	if err != nil {
		panic(err)
	}
	for _, h := range history {
		fmt.Println(h.Seq, h.At.Format(time.RFC3339), h.Agent, h.State)
	}
	// Output:
	// 1 2025-03-14T09:30:00Z ann available
}
