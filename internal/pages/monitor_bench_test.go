package pages_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/browsertest"
)

// The monitor with a thousand agents: the page loads every row, sorts
// them by state, then takes 50 agent updates a second for 5 s through the
// WebSocket (each moves its row) while it measures its own frames. Reported, not asserted: the longest gap between
// animation frames and the longest task (target: no frame over 50 ms).
//
//	go test -run '^$' -bench Monitor1000 ./internal/pages
func BenchmarkMonitor1000Agents(b *testing.B) {
	const (
		agents  = 1000
		onCalls = 200
		rate    = 50 // updates a second
		length  = 5 * time.Second
	)
	names := make([]string, agents)
	for i := range names {
		names[i] = fmt.Sprintf("agent%04d", i+1)
	}
	m := startMonitorRig(b, names)
	for i := range onCalls {
		m.onCall(names[i], fmt.Sprintf("+1555%07d", i))
	}
	// The rest: a third available, a third on a break, the others logged out.
	toggled := names[onCalls : onCalls+2*(agents-onCalls)/3]
	for i, n := range toggled {
		if i%2 == 0 {
			m.state(n, acd.Available, "")
		} else {
			m.state(n, acd.NotReady, "Lunch")
		}
	}

	br := browsertest.Start(b, browsertest.Options{Width: 1440, Height: 900})
	br.Open(m.URL + "/monitor")
	signIn(b, br, "sam")
	br.WaitVisible("#signin-form")
	loadStart := time.Now()
	br.Click("#signin-skip")
	br.WaitTrue(30*time.Second, "every row", fmt.Sprintf(`earshotTest.shownAgents().length === %d`, agents))
	b.Logf("%d rows shown %v after choosing to watch", agents, time.Since(loadStart).Round(time.Millisecond))
	br.Eval(`earshotTest.flush()`, nil)
	br.Screenshot(filepath.Join(screenshots(b), "monitor-1000-agents.png"))
	// Sorted by state, every update moves its row: the harder case.
	br.Click(`th[data-key="state"] button`)
	br.WaitTrue(wait, "sorted by state", `document.querySelector('th[data-key="state"]').getAttribute('aria-sort') === 'ascending'`)

	b.ResetTimer()
	for range b.N {
		br.Eval(`earshotTest.perfStart()`, nil)
		tick := time.NewTicker(time.Second / rate)
		end := time.Now().Add(length)
		updates := 0
		var last string
		for time.Now().Before(end) {
			<-tick.C
			n := toggled[rand.IntN(len(toggled))]
			v, _ := m.Engine.Agent(n)
			if v.State == acd.Available {
				m.state(n, acd.NotReady, "Lunch")
			} else {
				m.state(n, acd.Available, "")
			}
			updates++
			last = n
		}
		tick.Stop()
		v, _ := m.Engine.Agent(last)
		br.WaitTrue(wait, "last update shown", fmt.Sprintf(`document.querySelector('tr[data-agent=%q] .state').dataset.state === %q`, last, v.State))
		var got struct {
			MaxFrameGapMs float64
			Frames        int
			LongTasks     int
			MaxLongTaskMs float64
		}
		br.Eval(`earshotTest.perfStop()`, &got)
		b.Logf("%d updates in %v: %d frames, longest frame gap %.1f ms, %d long tasks (longest %.1f ms)",
			updates, length, got.Frames, got.MaxFrameGapMs, got.LongTasks, got.MaxLongTaskMs)
		b.ReportMetric(got.MaxFrameGapMs, "max-frame-ms")
		b.ReportMetric(got.MaxLongTaskMs, "max-longtask-ms")
		b.ReportMetric(float64(got.LongTasks), "longtasks")
	}
	for _, e := range br.Errors() {
		b.Errorf("page error: %s", e)
	}
}
