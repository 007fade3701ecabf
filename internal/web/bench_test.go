package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/earshot/earshot/internal/auth"
	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
)

// BenchmarkStateToScreens measures an agent state change reaching the
// screens of 20 supervisors who each watch 1,000 agents, over real
// WebSockets on loopback: the time from Publish until every supervisor has
// the event and the refreshed row. It reports the p50 and p99 of that.
func BenchmarkStateToScreens(b *testing.B) {
	const nAgents, nSups = 1000, 20
	hash := cheapHash(b, "password-1")
	cfg := &config.Config{NotReadyReasons: []string{"Lunch"}}
	team := config.Team{Name: "floor"}
	for i := range nAgents {
		n := fmt.Sprintf("agent%04d", i)
		cfg.Users = append(cfg.Users, config.User{Name: n, Roles: []config.Role{config.RoleAgent}, PasswordHash: hash})
		team.Agents = append(team.Agents, n)
	}
	for i := range nSups {
		n := fmt.Sprintf("sup%02d", i)
		cfg.Users = append(cfg.Users, config.User{Name: n, Roles: []config.Role{config.RoleSupervisor}, PasswordHash: hash})
		team.Supervisors = append(team.Supervisors, n)
	}
	cfg.Teams = []config.Team{team}
	clk := clock.NewFake(time.Unix(0, 0))
	bus := events.NewBus()
	eng := newFakeEngine(cfg, clk, bus)
	sessions := newFakeSessions()
	srv := New(Options{Engine: eng, Sessions: sessions, Stats: fakeStats{}, Bus: bus, Clock: clk,
		Logger: slog.New(slog.DiscardHandler)})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	defer srv.Shutdown(context.Background())

	got := make(chan struct{}, nSups)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range nSups {
		token, _ := auth.NewToken()
		sessions.CreateSession(ctx, Session{ID: auth.TokenID(token), User: fmt.Sprintf("sup%02d", i), CSRF: "x", Expires: time.Unix(1<<40, 0)})
		hdr := map[string][]string{"Cookie": {CookieName + "=" + token}}
		conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/api/v1/events", &websocket.DialOptions{HTTPHeader: hdr})
		if err != nil {
			b.Fatal(err)
		}
		conn.SetReadLimit(4 << 20)
		defer conn.CloseNow()
		if _, _, err := conn.Read(ctx); err != nil { // snapshot
			b.Fatal(err)
		}
		go func() {
			for {
				_, msg, err := conn.Read(ctx)
				if err != nil {
					return
				}
				if strings.HasPrefix(string(msg), `{"type":"agent"`) {
					got <- struct{}{}
				}
			}
		}()
	}

	var lat []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		bus.Publish(events.Event{Kind: events.AgentState, Agent: fmt.Sprintf("agent%04d", i%nAgents), State: "available"})
		for range nSups {
			<-got
		}
		lat = append(lat, time.Since(start))
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
