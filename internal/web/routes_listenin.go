package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/config"
)

// listenInRoutes serve Let Listen In from the listener's side: which team
// mates may be listened to now, and listening from this page's web client.
// Agents do not get their colleagues' rows on the event stream, so the
// list is asked for; stopping is DELETE /api/v1/listens/{id}.
func (s *Server) listenInRoutes() []route {
	return []route{
		{"GET", "/api/v1/me/listenable", loggedIn, s.listListenable},
		{"POST", "/api/v1/me/listens", loggedIn, s.listenFromWeb},
	}
}

// errNoListenIn is the refusal for a user without the listen-in
// permission, in the desk's words.
const errNoListenIn = "You do not have the listen-in permission; an administrator can give it"

// Listenable is a team mate who lets colleagues listen in and is on a
// call now: what a listener needs to choose, and nothing of the customer.
type Listenable struct {
	Name      string       `json:"name"`
	Display   string       `json:"display"`
	ListenIn  acd.ListenIn `json:"listen_in"`
	Queue     string       `json:"queue,omitempty"`
	CallSince time.Time    `json:"call_since,omitzero"`
	// Session is the caller's own live listen-in on this colleague.
	Session *assist.Session `json:"session,omitempty"`
}

type listenableResponse struct {
	Colleagues []Listenable `json:"colleagues"`
}

// colleaguesOf are the agents of the teams user is an agent or a
// supervisor of, without user: whom the desk lets user listen to.
func colleaguesOf(cfg *config.Config, user string) map[string]bool {
	out := map[string]bool{}
	for _, t := range cfg.Teams {
		if !slices.Contains(t.Agents, user) && !slices.Contains(t.Supervisors, user) {
			continue
		}
		for _, a := range t.Agents {
			if a != user {
				out[a] = true
			}
		}
	}
	return out
}

// listListenable lists the caller's team mates who let colleagues listen
// in and are on a call, by display name, each with the caller's own
// listen-in on them if there is one.
func (s *Server) listListenable(w http.ResponseWriter, _ *http.Request, c *caller) error {
	if !c.user.ListenIn {
		return errorf(http.StatusForbidden, errNoListenIn)
	}
	mine := map[string]assist.Session{} // agent → the caller's live listen-in
	if s.opts.Assist != nil {
		for _, ss := range s.opts.Assist.Sessions() {
			if ss.Kind == assist.KindListen && ss.User == c.user.Name {
				mine[ss.Agent] = ss
			}
		}
	}
	mates := colleaguesOf(s.eng.Config(), c.user.Name)
	out := listenableResponse{Colleagues: []Listenable{}}
	for _, a := range s.eng.Agents() {
		if !mates[a.Name] || a.ListenIn == acd.ListenOff || a.State != acd.OnCall || a.Call == "" {
			continue
		}
		l := Listenable{Name: a.Name, Display: a.Display, ListenIn: a.ListenIn, Queue: a.Queue, CallSince: a.CallSince}
		if ss, ok := mine[a.Name]; ok {
			l.Session = &ss
		}
		out.Colleagues = append(out.Colleagues, l)
	}
	slices.SortFunc(out.Colleagues, func(a, b Listenable) int {
		return strings.Compare(strings.ToLower(a.Display)+"\x00"+a.Name, strings.ToLower(b.Display)+"\x00"+b.Name)
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

type listenRequest struct {
	Agent string `json:"agent"`
}

// listenFromWeb starts listening in on a colleague with the audio on the
// caller's own web client, whatever endpoint the monitor has chosen: the
// page that asks is the page that hears.
func (s *Server) listenFromWeb(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	var in listenRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Agent == "" {
		return errorf(http.StatusBadRequest, "agent is required: the user name of the colleague to listen to")
	}
	if !c.user.ListenIn {
		return errorf(http.StatusForbidden, errNoListenIn)
	}
	if s.opts.WebPhones == nil || !s.opts.WebPhones.Online(c.user.Name) {
		return errorf(http.StatusConflict, "Your web client's audio is not connected: open /phone and wait until it says Audio connected")
	}
	ss, err := d.Listen(c.user.Name, in.Agent, assist.Endpoint{Kind: assist.EndpointWeb})
	if err != nil {
		return assistErr(err)
	}
	writeJSON(w, http.StatusCreated, sessionResponse{ss})
	return nil
}
