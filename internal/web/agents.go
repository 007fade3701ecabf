package web

import (
	"net/http"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
)

// AgentRow is one agent as pages show it: the live view and, when
// statistics are wired in, today's figures.
type AgentRow struct {
	acd.AgentView
	Stats  *AgentStats          `json:"stats,omitempty"`
	Assist *assist.Availability `json:"assist,omitempty"`
}

// QueueRow is one queue with today's figures.
type QueueRow struct {
	acd.QueueView
	Stats *QueueStats `json:"stats,omitempty"`
}

func (s *Server) row(v acd.AgentView) AgentRow {
	r := AgentRow{AgentView: v, Assist: s.assistOf(v.Name)}
	if s.stats != nil {
		st := s.stats.AgentStats(v.Name)
		r.Stats = &st
	}
	return r
}

func (s *Server) agentRow(name string) (AgentRow, error) {
	v, err := s.eng.Agent(name)
	if err != nil {
		return AgentRow{}, err
	}
	return s.row(v), nil
}

func (s *Server) queueRow(q acd.QueueView) QueueRow {
	r := QueueRow{QueueView: q}
	if s.stats != nil {
		st := s.stats.QueueStats(q.Name)
		r.Stats = &st
	}
	return r
}

type stateRequest struct {
	State  acd.State `json:"state"`
	Reason string    `json:"reason"`
}

type actionRequest struct {
	Action string `json:"action"`
}

type listenInRequest struct {
	Mode acd.ListenIn `json:"mode"`
}

// settable are the states a person may ask for: log in or be ready
// (available), take a break (not_ready), log out (offline). The others
// follow from calls.
func settableState(st acd.State) error {
	switch st {
	case acd.Available, acd.NotReady, acd.Offline:
		return nil
	case "":
		return errorf(http.StatusBadRequest, "state is required: available, not_ready or offline")
	}
	return errorf(http.StatusBadRequest, "state %q cannot be set; use available, not_ready or offline", st)
}

// answerRow answers with the agent's row after a change.
func (s *Server) answerRow(w http.ResponseWriter, name string) error {
	row, err := s.agentRow(name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, row)
	return nil
}

func (s *Server) setMyState(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in stateRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := settableState(in.State); err != nil {
		return err
	}
	if err := s.eng.SetState(c.user.Name, in.State, in.Reason, ""); err != nil {
		return err
	}
	return s.answerRow(w, c.user.Name)
}

func (s *Server) myHelp(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in actionRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	var err error
	switch in.Action {
	case "request":
		err = s.eng.RequestHelp(c.user.Name)
	case "cancel":
		err = s.eng.CancelHelp(c.user.Name)
	default:
		return errorf(http.StatusBadRequest, "action must be \"request\" or \"cancel\"")
	}
	if err != nil {
		return err
	}
	return s.answerRow(w, c.user.Name)
}

func (s *Server) setMyListenIn(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in listenInRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	switch in.Mode {
	case acd.ListenOff, acd.ListenAll, acd.ListenCall:
	default:
		return errorf(http.StatusBadRequest, "mode must be \"off\", \"all\" or \"call\"")
	}
	if err := s.eng.SetListenIn(c.user.Name, in.Mode); err != nil {
		return err
	}
	return s.answerRow(w, c.user.Name)
}

// supervised checks that c may act on the agent named in the path.
func supervised(r *http.Request, c *caller) (string, error) {
	name := r.PathValue("name")
	if !c.view.canSupervise(name) {
		return "", errorf(http.StatusForbidden, "you do not supervise agent %q", name)
	}
	return name, nil
}

func (s *Server) listAgents(w http.ResponseWriter, _ *http.Request, c *caller) error {
	rows := []AgentRow{}
	for _, v := range s.eng.Agents() {
		if c.view.canSupervise(v.Name) {
			rows = append(rows, s.row(v))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": sortedNames(rows, func(r AgentRow) string { return r.Name })})
	return nil
}

func (s *Server) getAgent(w http.ResponseWriter, r *http.Request, c *caller) error {
	name, err := supervised(r, c)
	if err != nil {
		return err
	}
	return s.answerRow(w, name)
}

// setAgentState is a supervisor's change: force Not Ready, end After Call
// Work (available), or log out. The reason is stored with the supervisor
// as actor.
func (s *Server) setAgentState(w http.ResponseWriter, r *http.Request, c *caller) error {
	name, err := supervised(r, c)
	if err != nil {
		return err
	}
	var in stateRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := settableState(in.State); err != nil {
		return err
	}
	if err := s.eng.SetState(name, in.State, in.Reason, c.user.Name); err != nil {
		return err
	}
	return s.answerRow(w, name)
}

func (s *Server) agentHelp(w http.ResponseWriter, r *http.Request, c *caller) error {
	name, err := supervised(r, c)
	if err != nil {
		return err
	}
	var in actionRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Action != "clear" {
		return errorf(http.StatusBadRequest, "action must be \"clear\"")
	}
	if err := s.eng.ClearHelp(name, c.user.Name); err != nil {
		return err
	}
	return s.answerRow(w, name)
}

func (s *Server) listQueues(w http.ResponseWriter, _ *http.Request, c *caller) error {
	rows := []QueueRow{}
	for _, q := range s.eng.Queues() {
		if c.view.seesQueue(q.Name) {
			rows = append(rows, s.queueRow(q))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"queues": sortedNames(rows, func(r QueueRow) string { return r.Name })})
	return nil
}

func (s *Server) listCalls(w http.ResponseWriter, _ *http.Request, c *caller) error {
	calls := []acd.CallView{}
	for _, cv := range s.eng.Calls() {
		if c.view.seesCall(cv) {
			calls = append(calls, cv)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": sortedNames(calls, func(c acd.CallView) string { return c.ID })})
	return nil
}

// callQueue finds a live call's queue, for event visibility.
func (s *Server) callQueue(id string) (string, bool) {
	c, err := s.eng.Call(id)
	if err != nil {
		return "", false
	}
	return c.Queue, true
}
