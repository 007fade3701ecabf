package web

import "github.com/prometheus/client_golang/prometheus"

// MediaCounters gives the media plane's counters for /metrics.
// *media.Engine satisfies it.
type MediaCounters interface {
	// SRTPFailures counts SRTP packets dropped for failing authentication
	// or the replay check.
	SRTPFailures() uint64
}

// addMedia exports the media plane's counters, read at scrape time.
func (m *metrics) addMedia(c MediaCounters) {
	if c == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "earshot_srtp_auth_failures_total",
		Help: "SRTP packets dropped for failing authentication or the replay check.",
	}, func() float64 { return float64(c.SRTPFailures()) }))
}
