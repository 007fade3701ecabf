package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/events"
)

// AssistDesk is the assist desk as the web edge uses it: supervisors'
// assist sessions and colleagues' listen-ins. *assist.Desk satisfies it.
// Its refusals are sentences for people and wrap the assist sentinels,
// which the API maps to status codes.
type AssistDesk interface {
	SetEndpoint(user string, ep assist.Endpoint) (assist.Endpoint, error)
	Endpoint(user string) (assist.Endpoint, bool)
	Start(supervisor, agent string, ep assist.Endpoint) (assist.StartResult, error)
	SetMode(id, actor string, m assist.Mode) error
	Close(id, actor string) error
	Listen(colleague, agent string, ep assist.Endpoint) (assist.Session, error)
	Session(id string) (assist.Session, error)
	Sessions() []assist.Session
	Availability(agent string) assist.Availability
}

// WebPhones says whether a user's web softphone is signed in, so a
// supervisor can choose it for assist audio.
type WebPhones interface {
	Online(user string) bool
}

// errNoWebClient is what choosing an unsigned web client answers.
const errNoWebClient = "Your web client is not signed in: open /phone first"

// assistErr maps the desk's refusals to statuses; their sentences go to
// the client as they are.
func assistErr(err error) error {
	var status int
	switch {
	case errors.Is(err, assist.ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, assist.ErrUnknownSession):
		status = http.StatusNotFound
	case errors.Is(err, assist.ErrBadEndpoint), errors.Is(err, assist.ErrBadMode):
		status = http.StatusBadRequest
	case errors.Is(err, assist.ErrNotRouted), errors.Is(err, assist.ErrNotAllowed),
		errors.Is(err, assist.ErrTakenOver), errors.Is(err, assist.ErrNoEndpoint):
		status = http.StatusConflict
	default:
		return err
	}
	return &apiError{status: status, msg: err.Error()}
}

func (s *Server) desk() (AssistDesk, error) {
	if s.opts.Assist == nil {
		return nil, errorf(http.StatusServiceUnavailable, "assist is not available on this server")
	}
	return s.opts.Assist, nil
}

// assistOf is the Assist part of an agent's row, when assist is wired in.
func (s *Server) assistOf(agent string) *assist.Availability {
	if s.opts.Assist == nil {
		return nil
	}
	a := s.opts.Assist.Availability(agent)
	return &a
}

// webOnline refuses the web endpoint for a user whose softphone is not
// signed in.
func (s *Server) webOnline(user string) error {
	if s.opts.WebPhones == nil || !s.opts.WebPhones.Online(user) {
		return errorf(http.StatusConflict, errNoWebClient)
	}
	return nil
}

type endpointRequest struct {
	Kind   string `json:"kind"`
	Target string `json:"target"`
}

type endpointResponse struct {
	Endpoint *assist.Endpoint `json:"endpoint"`
}

func (s *Server) getAssistEndpoint(w http.ResponseWriter, _ *http.Request, c *caller) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	var out endpointResponse
	if ep, ok := d.Endpoint(c.user.Name); ok {
		out.Endpoint = &ep
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// setAssistEndpoint is the monitor's sign-in: where assist audio reaches
// the user. A phone must pass the dial plan; the web client must be signed
// in.
func (s *Server) setAssistEndpoint(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	var in endpointRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ep, err := assist.ParseEndpoint(in.Kind, in.Target)
	if err != nil {
		return assistErr(err)
	}
	if ep.Kind == assist.EndpointWeb {
		if err := s.webOnline(c.user.Name); err != nil {
			return err
		}
	}
	if ep, err = d.SetEndpoint(c.user.Name, ep); err != nil {
		return assistErr(err)
	}
	writeJSON(w, http.StatusOK, endpointResponse{&ep})
	return nil
}

// emptyBody reads a body that may be absent or {}: these commands take
// nothing, and anything else is refused as unknown.
func emptyBody(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength == 0 {
		return nil
	}
	var none struct{}
	return decodeJSON(w, r, &none)
}

type startResponse struct {
	Session *assist.Session `json:"session,omitempty"`
	Cleared bool            `json:"cleared"`
	Agent   AgentRow        `json:"agent"`
}

// startAssist is Assist on an agent's row: a session rings the
// supervisor's endpoint, or a green help icon returns to blue.
func (s *Server) startAssist(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	name, err := supervised(r, c)
	if err != nil {
		return err
	}
	if err := emptyBody(w, r); err != nil {
		return err
	}
	if ep, ok := d.Endpoint(c.user.Name); ok && ep.Kind == assist.EndpointWeb {
		if err := s.webOnline(c.user.Name); err != nil {
			return err
		}
	}
	res, err := d.Start(c.user.Name, name, assist.Endpoint{})
	if err != nil {
		return assistErr(err)
	}
	row, err := s.agentRow(name)
	if err != nil {
		return err
	}
	out := startResponse{Cleared: res.Cleared, Agent: row}
	status := http.StatusOK
	if !res.Cleared {
		out.Session = &res.Session
		status = http.StatusCreated
	}
	writeJSON(w, status, out)
	return nil
}

type modeRequest struct {
	Mode string `json:"mode"`
}

type sessionResponse struct {
	Session assist.Session `json:"session"`
}

// ownSession finds a live session of kind by the path's ID.
func ownSession(d AssistDesk, r *http.Request, kind assist.SessionKind) (assist.Session, error) {
	id := r.PathValue("id")
	ss, err := d.Session(id)
	if err != nil || ss.Kind != kind {
		return assist.Session{}, errorf(http.StatusNotFound, "No live %s session has the ID %q", kind, id)
	}
	return ss, nil
}

// setAssistMode is the assist panel's Listen, Talk (press and hold) and
// Take over.
func (s *Server) setAssistMode(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	var in modeRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := assist.ParseMode(in.Mode)
	if err != nil {
		return assistErr(err)
	}
	ss, err := ownSession(d, r, assist.KindAssist)
	if err != nil {
		return err
	}
	if err := d.SetMode(ss.ID, c.user.Name, m); err != nil {
		return assistErr(err)
	}
	if now, err := d.Session(ss.ID); err == nil {
		ss = now
	}
	writeJSON(w, http.StatusOK, sessionResponse{ss})
	return nil
}

// closeAssist is the assist panel's Close.
func (s *Server) closeAssist(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.closeSession(w, r, c, assist.KindAssist)
}

// endListen stops a colleague's listening in.
func (s *Server) endListen(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.closeSession(w, r, c, assist.KindListen)
}

func (s *Server) closeSession(w http.ResponseWriter, r *http.Request, c *caller, kind assist.SessionKind) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	ss, err := ownSession(d, r, kind)
	if err != nil {
		return err
	}
	if err := d.Close(ss.ID, c.user.Name); err != nil {
		return assistErr(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// startListen is a colleague listening in on an agent who lets them.
func (s *Server) startListen(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if err := emptyBody(w, r); err != nil {
		return err
	}
	ss, err := d.Listen(c.user.Name, r.PathValue("name"), assist.Endpoint{})
	if err != nil {
		return assistErr(err)
	}
	writeJSON(w, http.StatusCreated, sessionResponse{ss})
	return nil
}

// seesSession reports whether the user may see a session on agent by
// user: as the agent's supervisor, as the agent, or as its own.
func (v *viewer) seesSession(agent, user string) bool {
	return v.canSupervise(agent) || agent == v.name || user == v.name
}

// listAssists lists the live sessions the user may see, or with
// ?history=1 the audit: each stored session with its modes and times and
// how it ended (newest first; ?agent= narrows it to one agent).
func (s *Server) listAssists(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	for k, vs := range q {
		if k != "history" && k != "agent" {
			return errorf(http.StatusBadRequest, "unknown query parameter %q; use history or agent", k)
		}
		if len(vs) > 1 {
			return errorf(http.StatusBadRequest, "query parameter %q is given more than once", k)
		}
	}
	agent := q.Get("agent")
	switch q.Get("history") {
	case "", "0", "false":
	case "1", "true":
		return s.assistHistory(w, r, c, agent)
	default:
		return errorf(http.StatusBadRequest, "history must be 1 or 0")
	}
	out := []assist.Session{}
	for _, ss := range d.Sessions() {
		if c.view.seesSession(ss.Agent, ss.User) && (agent == "" || ss.Agent == agent) {
			out = append(out, ss)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"assists": out})
	return nil
}

func (s *Server) assistHistory(w http.ResponseWriter, r *http.Request, c *caller, agent string) error {
	if agent != "" && !c.view.seesSession(agent, "") {
		return errorf(http.StatusForbidden, "you do not supervise agent %q", agent)
	}
	if s.history == nil {
		return errorf(http.StatusServiceUnavailable, "history is not available")
	}
	var evs []events.Event
	for _, k := range []events.Kind{events.AssistMode, events.ListenSession} {
		got, err := s.history.Events(r.Context(), HistoryFilter{Kind: k, Agent: agent, Limit: maxHistoryLimit})
		if err != nil {
			return fmt.Errorf("read assist history: %w", err)
		}
		evs = append(evs, got...)
	}
	out := slices.DeleteFunc(assist.Named(s.eng.Config(), assist.Audit(evs)), func(rec assist.Record) bool {
		return !c.view.seesSession(rec.Agent, rec.User)
	})
	writeJSON(w, http.StatusOK, map[string]any{"history": out})
	return nil
}
