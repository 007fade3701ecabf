package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/config"
)

// Demo is the caller simulator of "earshot demo" as the API drives it.
// Without it (Options.Demo nil) there is no demo: GET /api/v1/demo says
// so, and its controls answer 409.
type Demo interface {
	// Simulator reports the simulator's rate, pause and counts.
	Simulator() DemoStatus
	// SetSimulator changes the calls placed per minute and the pause.
	SetSimulator(perMin int, paused bool)
}

// CallMeDialer places "Call me" calls: a simulated customer who calls a
// queue's number over real SIP. In the demo everyone with the agent role
// may ask; outside it, admins (who are also agents) may, to try a queue.
type CallMeDialer interface {
	// CallMeReady is nil when a call can be placed, or says why not
	// (wrapping ErrCallMeUnavailable).
	CallMeReady() error
	// CallMe has a simulated customer dial did, asking the queue for agent,
	// and returns the caller number the call comes from. It returns once
	// the call is on its way, not when it is answered.
	CallMe(ctx context.Context, agent, did string) (caller string, err error)
}

// ErrCallMeUnavailable is what a CallMeDialer wraps when it cannot place
// calls now; the API answers 409 with the error's sentence.
var ErrCallMeUnavailable = errors.New("call me is unavailable")

// DemoStatus is the caller simulator's state.
type DemoStatus struct {
	CallsPerMinute int
	Paused         bool
	Placed         int // calls placed since the start
	Live           int // calls in progress
	// People are the demo agents left for a person to use; the other
	// agents are bots.
	People []string
}

// MaxCallsPerMinute is the highest rate the simulator may be set to.
const MaxCallsPerMinute = 120

// Sentences the pages show as they are.
const (
	msgNoDemo      = "there is no demo running: the caller simulator runs only under \"earshot demo\""
	msgCallMeDemo  = "Call me needs the caller simulator (earshot demo)"
	msgCallMeAdmin = "outside the demo, Call me is for admins"
	msgGoAvailable = "Go Available first: Call me rings you only when you are Available"
	msgNoNumber    = "none of your queues has a number to call"
)

// demoBody is GET /api/v1/demo.
type demoBody struct {
	Enabled        bool `json:"enabled"`
	CallsPerMinute int  `json:"calls_per_minute"`
	Paused         bool `json:"paused"`
	Placed         int  `json:"placed"`
	Live           int  `json:"live"`
	// CanChange says whether this user may change the rate and pause.
	CanChange bool `json:"can_change"`
	// CallMe says whether this user may press "Call me".
	CallMe bool `json:"call_me"`
	// People are the agents left for a person; the other agents are bots.
	People []string `json:"people"`
}

func (s *Server) demoBody(c *caller) demoBody {
	out := demoBody{CallMe: s.callMeAllowed(c) == nil, People: []string{}}
	if s.opts.Demo == nil {
		return out
	}
	st := s.opts.Demo.Simulator()
	out.Enabled = true
	out.CallsPerMinute, out.Paused, out.Placed, out.Live = st.CallsPerMinute, st.Paused, st.Placed, st.Live
	out.People = nonNil(st.People)
	out.CanChange = c.view.supervisor || c.view.admin
	return out
}

// callMeAllowed says whether c may press Call me now, or why not.
func (s *Server) callMeAllowed(c *caller) error {
	switch {
	case s.opts.CallMe == nil:
		return errorf(http.StatusConflict, "%s", msgCallMeDemo)
	case !c.view.agent:
		return errorf(http.StatusForbidden, "this needs the agent role")
	case s.opts.Demo == nil && !c.view.admin:
		return errorf(http.StatusConflict, "%s", msgCallMeAdmin)
	}
	if err := s.opts.CallMe.CallMeReady(); err != nil {
		return errorf(http.StatusConflict, "%s", err.Error())
	}
	if _, _, ok := callMeNumber(s.eng.Config(), c.user.Name); !ok {
		return errorf(http.StatusConflict, "%s", msgNoNumber)
	}
	return nil
}

func (s *Server) getDemo(w http.ResponseWriter, _ *http.Request, c *caller) error {
	writeJSON(w, http.StatusOK, s.demoBody(c))
	return nil
}

// demoRequest is PUT /api/v1/demo: either field, or both.
type demoRequest struct {
	CallsPerMinute *int  `json:"calls_per_minute"`
	Paused         *bool `json:"paused"`
}

func (s *Server) putDemo(w http.ResponseWriter, r *http.Request, c *caller) error {
	if s.opts.Demo == nil {
		return errorf(http.StatusConflict, "%s", msgNoDemo)
	}
	perMin, paused, err := demoChange(http.MaxBytesReader(w, r.Body, maxBody), s.opts.Demo.Simulator())
	if err != nil {
		return err
	}
	s.opts.Demo.SetSimulator(perMin, paused)
	s.log.Info("demo simulator changed", "by", c.user.Name, "calls_per_minute", perMin, "paused", paused)
	writeJSON(w, http.StatusOK, s.demoBody(c))
	return nil
}

// demoChange reads a PUT /api/v1/demo body and applies it to st: the rate
// and pause to set, or a 400 that says what is wrong.
func demoChange(body io.Reader, st DemoStatus) (perMin int, paused bool, err error) {
	var req demoRequest
	if err := decodeBody(body, &req); err != nil {
		return 0, false, err
	}
	if req.CallsPerMinute == nil && req.Paused == nil {
		return 0, false, errorf(http.StatusBadRequest, "give calls_per_minute, paused, or both")
	}
	perMin, paused = st.CallsPerMinute, st.Paused
	if req.CallsPerMinute != nil {
		if n := *req.CallsPerMinute; n < 0 || n > MaxCallsPerMinute {
			return 0, false, errorf(http.StatusBadRequest, "calls_per_minute must be between 0 and %d, not %d", MaxCallsPerMinute, n)
		}
		perMin = *req.CallsPerMinute
	}
	if req.Paused != nil {
		paused = *req.Paused
	}
	return perMin, paused, nil
}

// callMeBody is POST /api/v1/me/call-me's answer.
type callMeBody struct {
	DID    string `json:"did"`
	Queue  string `json:"queue"`
	Caller string `json:"caller"`
}

func (s *Server) callMe(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := drainEmptyBody(w, r); err != nil {
		return err
	}
	if err := s.callMeAllowed(c); err != nil {
		return err
	}
	v, err := s.eng.Agent(c.user.Name)
	if err != nil {
		return err
	}
	if v.State != acd.Available {
		return errorf(http.StatusConflict, "%s", msgGoAvailable)
	}
	did, queue, _ := callMeNumber(s.eng.Config(), c.user.Name)
	from, err := s.opts.CallMe.CallMe(r.Context(), c.user.Name, did)
	switch {
	case errors.Is(err, ErrCallMeUnavailable):
		return errorf(http.StatusConflict, "%s", err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case err != nil:
		return errorf(http.StatusServiceUnavailable, "the simulated customer could not call: %v", err)
	}
	s.log.Info("call me", "agent", c.user.Name, "did", did, "queue", queue, "caller", from)
	writeJSON(w, http.StatusAccepted, callMeBody{DID: did, Queue: queue, Caller: from})
	return nil
}

// drainEmptyBody accepts no body, or an empty JSON object.
func drainEmptyBody(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength == 0 {
		return nil
	}
	var none struct{}
	return decodeJSON(w, r, &none)
}

// callMeNumber picks the number a "Call me" customer dials for agent: a
// number of a queue the agent serves through a team, else of one that
// names the agent directly; an E.164 number ("+…") before a short one.
func callMeNumber(cfg *config.Config, agent string) (did, queue string, ok bool) {
	teams := cfg.TeamsOfAgent(agent)
	best := 2 // 0: through a team, 1: named directly
	for _, q := range cfg.Queues {
		rank := best
		switch {
		case slices.ContainsFunc(q.Teams, func(t string) bool { return slices.Contains(teams, t) }):
			rank = 0
		case slices.Contains(q.Agents, agent):
			rank = 1
		}
		if rank >= best {
			continue
		}
		if n := queueNumber(cfg, q.Name); n != "" {
			best, did, queue = rank, n, q.Name
		}
	}
	return did, queue, did != ""
}

// queueNumber is the first E.164 number of queue, or its first number.
func queueNumber(cfg *config.Config, queue string) string {
	first := ""
	for _, d := range cfg.DIDs {
		if d.Queue != queue {
			continue
		}
		if strings.HasPrefix(d.Number, "+") {
			return d.Number
		}
		if first == "" {
			first = d.Number
		}
	}
	return first
}
