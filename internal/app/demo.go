package app

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/demo"
)

// humanAgents are the demo agents left for the person trying earshot; the
// other agents are bots.
var humanAgents = map[string]bool{"alice": true, "grace": true}

// startDemo brings the demo floor to life: bot agents, and simulated
// customers calling the demo's numbers.
func (a *App) startDemo(cfg *config.Config) error {
	var bots []string
	for _, u := range cfg.Users {
		if u.Has(config.RoleAgent) && !humanAgents[u.Name] {
			bots = append(bots, u.Name)
		}
	}
	voiceDir := filepath.Join(cfg.DataDir, "voices")
	b, err := demo.NewBots(a.engine, a.media, voiceDir, bots, a.log.With("component", "bots"))
	if err != nil {
		return err
	}
	b.OnHangUp(a.flow.BrowserHungUp)
	a.endpoints.bots = b
	var dids []string
	for _, d := range cfg.DIDs {
		if strings.HasPrefix(d.Number, "+") {
			dids = append(dids, d.Number)
		}
	}
	callers, err := demo.NewCallers(demo.CallersConfig{Target: a.SIPAddr("udp").String(), DIDs: dids, PerMin: a.opts.CallsPerMinute,
		Media: a.media, VoiceDir: voiceDir, Logger: a.log})
	if err != nil {
		return err
	}
	a.callers = callers
	ctx, cancel := context.WithCancel(context.Background())
	a.stopDemo = cancel
	go b.Run(ctx)
	go callers.Run(ctx)
	return nil
}

// Callers is the demo's caller simulator (nil outside the demo).
func (a *App) Callers() *demo.Callers { return a.callers }
