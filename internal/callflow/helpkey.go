package callflow

import (
	"errors"

	"github.com/earshot/earshot/internal/acd"
)

// helpDesk is the control plane's help requests as an agent's help key
// uses them, the same calls the web client's help button makes.
// *acd.Engine satisfies it.
type helpDesk interface {
	Agent(name string) (acd.AgentView, error)
	RequestHelp(name string) error
	CancelHelp(name string) error
}

// agentKey handles a digit the agent sent from their leg. The help key
// (phone.help_key) toggles the agent's help request: it asks for help when
// none is asked, and cancels a request still waiting. Other digits are
// ignored. No digit from the agent's leg reaches the customer: the media
// plane never forwards telephone-events.
func (f *Flow) agentKey(callID, agent string, digit rune) {
	if digit != f.cfg.Engine.Config().Phone.HelpDigit() {
		return
	}
	h, ok := f.cfg.Engine.(helpDesk)
	if !ok {
		return
	}
	v, err := h.Agent(agent)
	if err != nil {
		f.log.Info("help key", "call", callID, "agent", agent, "err", err)
		return
	}
	switch v.Help {
	case acd.HelpNone:
		err = h.RequestHelp(agent)
	case acd.HelpRequested:
		err = h.CancelHelp(agent)
	default:
		f.log.Info("help key ignored: a supervisor is already assisting", "call", callID, "agent", agent)
		return
	}
	switch {
	case errors.Is(err, acd.ErrNotAllowed):
		// The state changed between the look and the toggle (a
		// supervisor acted, or the key was pressed twice at once).
		f.log.Info("help key", "call", callID, "agent", agent, "err", err)
	case err != nil:
		f.log.Warn("help key", "call", callID, "agent", agent, "err", err)
	}
}
