package web

import (
	"net/http"
	"sync"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/events"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics is the server's own Prometheus registry and what it records.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	wsClients prometheus.Gauge
	published *prometheus.CounterVec
	handler   http.Handler

	stopOnce sync.Once
	done     chan struct{} // closed to stop counting events
	counted  chan struct{} // closed when the counting goroutine has ended
}

// allStates lists the agent states so each has a gauge, zero or not.
var allStates = []acd.State{acd.Offline, acd.Available, acd.NotReady, acd.Ringing, acd.OnCall, acd.ACW}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "earshot_http_requests_total",
			Help: "HTTP requests served, by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "earshot_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route (WebSockets: the connection's life).",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		wsClients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "earshot_websocket_clients",
			Help: "WebSocket event streams open now.",
		}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "earshot_events_published_total",
			Help: "Events published on the bus, by kind.",
		}, []string{"kind"}),
		done:    make(chan struct{}),
		counted: make(chan struct{}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.wsClients, m.published,
		&viewCollector{eng: s.eng,
			agents: prometheus.NewDesc("earshot_agents", "Agents by state, now.", []string{"state"}, nil),
			waiting: prometheus.NewDesc("earshot_calls_waiting", "Calls waiting, by queue, now.",
				[]string{"queue"}, nil),
		},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	if s.bus != nil {
		go m.count(s.bus)
	} else {
		close(m.counted)
	}
	return m
}

// count follows the bus and counts events by kind, until stopped. A
// subscription dropped for falling behind is renewed.
func (m *metrics) count(bus *events.Bus) {
	defer close(m.counted)
	for {
		sub := bus.Subscribe(4096)
		for open := true; open; {
			select {
			case <-m.done:
				sub.Close() // keeps what was already handed over
				for e := range sub.C {
					m.published.WithLabelValues(string(e.Kind)).Inc()
				}
				return
			case e, ok := <-sub.C:
				if !ok {
					open = false
					break
				}
				m.published.WithLabelValues(string(e.Kind)).Inc()
			}
		}
	}
}

func (m *metrics) stop() {
	m.stopOnce.Do(func() { close(m.done) })
	<-m.counted
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, _ *caller) error {
	s.metrics.handler.ServeHTTP(w, r)
	return nil
}

// viewCollector computes gauges from the control plane's views at scrape
// time, so they are never stale and cost nothing between scrapes.
type viewCollector struct {
	eng     Engine
	agents  *prometheus.Desc
	waiting *prometheus.Desc
}

func (c *viewCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.agents
	ch <- c.waiting
}

func (c *viewCollector) Collect(ch chan<- prometheus.Metric) {
	counts := map[acd.State]int{}
	for _, a := range c.eng.Agents() {
		counts[a.State]++
	}
	for _, st := range allStates {
		ch <- prometheus.MustNewConstMetric(c.agents, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
	for _, q := range c.eng.Queues() {
		ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(q.Waiting), q.Name)
	}
}
