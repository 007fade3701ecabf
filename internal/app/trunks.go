package app

import (
	"fmt"

	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/sip"
	"github.com/earshot/earshot/internal/web"
)

// trunkSetter is the SIP edge, which takes a new trunk list at once.
type trunkSetter interface {
	SetTrunks([]config.Trunk) error
}

// checkTrunks refuses trunks the SIP edge would not take, before anything
// is stored.
func (r *reconfigurer) checkTrunks(c *config.Config) error {
	if err := sip.CheckTrunks(c.Trunks); err != nil {
		return fmt.Errorf("%w: %w", web.ErrInvalidConfig, err)
	}
	return nil
}

// applyTrunks hands the trunks of a configuration just put in force to
// the SIP edge, when their list changed.
func (r *reconfigurer) applyTrunks(old, c *config.Config) error {
	if r.trunks == nil || (old != nil && len(config.Diff(&config.Config{Trunks: old.Trunks}, &config.Config{Trunks: c.Trunks})) == 0) {
		return nil
	}
	if err := r.trunks.SetTrunks(c.Trunks); err != nil {
		return fmt.Errorf("apply trunks: %w", err)
	}
	return nil
}

// sipTrunks shows the SIP edge's registrations with carriers to the web
// edge.
type sipTrunks struct{ s *sip.Server }

func (t sipTrunks) TrunkRegistrations() []web.TrunkRegistration {
	regs := t.s.Registrations()
	out := make([]web.TrunkRegistration, len(regs))
	for i, r := range regs {
		out[i] = web.TrunkRegistration{
			Trunk: r.Trunk, Registrar: r.Registrar, State: string(r.State), Reason: r.Reason,
			Since: r.Since, Expires: r.Expires, NextAttempt: r.NextAttempt,
		}
	}
	return out
}
