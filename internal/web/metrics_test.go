package web

import (
	"strings"
	"testing"

	"github.com/earshot/earshot/internal/events"
)

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	c := e.login("alice")
	expect(t, "not ready", c.call("PUT", "/api/v1/me/state", map[string]string{"state": "not_ready", "reason": "Lunch"}), 200)
	e.bus.Publish(events.Event{Kind: events.CallArrived, Call: "c1", Queue: "sales"})
	conn := c.stream(t)
	next(t, conn)
	e.anon().call("GET", "/healthz", nil)

	res := e.anon().call("GET", "/metrics", nil)
	expect(t, "metrics", res, 200)
	body := string(res.body)
	for _, want := range []string{
		`earshot_agents{state="available"} 2`,
		`earshot_agents{state="not_ready"} 1`,
		`earshot_agents{state="on_call"} 0`,
		`earshot_calls_waiting{queue="sales"} 2`,
		`earshot_calls_waiting{queue="support"} 1`,
		`earshot_http_requests_total{code="200",route="GET /healthz"} 1`,
		`earshot_http_requests_total{code="200",route="POST /api/v1/login"} 1`,
		`earshot_websocket_clients 1`,
		`earshot_http_request_duration_seconds_bucket{route="PUT /api/v1/me/state",le="+Inf"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// Stopping the counter drains what the bus already handed it.
	e.srv.metrics.stop()
	body = string(e.anon().call("GET", "/metrics", nil).body)
	for _, want := range []string{
		`earshot_events_published_total{kind="agent.state"} 1`,
		`earshot_events_published_total{kind="call.arrived"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
