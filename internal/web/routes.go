package web

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"github.com/earshot/earshot/internal/config"
)

// access is who may call a route.
type access int

const (
	public         access = iota // anyone
	loggedIn                     // any user with a session
	agentOnly                    // users with the agent role
	supervisorOnly               // supervisors and admins
	adminOnly                    // admins
)

// handler serves one route. c is nil on public routes. A returned error is
// answered as JSON with its status; nil means the handler wrote the answer.
type handler func(w http.ResponseWriter, r *http.Request, c *caller) error

// route is one entry of the API: the OpenAPI document lists exactly these.
type route struct {
	method string
	path   string
	access access
	h      handler
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

// routes is every route the server answers besides the static pages.
func (s *Server) routes() []route {
	rs := []route{
		{"GET", "/healthz", public, s.healthz},
		{"GET", "/readyz", public, s.readyz},
		{"GET", "/metrics", public, s.serveMetrics},
		{"GET", "/api/v1/openapi.json", public, serveOpenAPI},

		{"POST", "/api/v1/login", public, s.login},
		{"POST", "/api/v1/logout", loggedIn, s.logout},
		{"GET", "/api/v1/me", loggedIn, s.me},
		{"PUT", "/api/v1/me/state", agentOnly, s.setMyState},
		{"POST", "/api/v1/me/help", agentOnly, s.myHelp},
		{"PUT", "/api/v1/me/listen-in", agentOnly, s.setMyListenIn},
		{"GET", "/api/v1/me/assist-endpoint", loggedIn, s.getAssistEndpoint},
		{"PUT", "/api/v1/me/assist-endpoint", loggedIn, s.setAssistEndpoint},
		{"GET", "/api/v1/events", loggedIn, s.serveEvents},

		{"GET", "/api/v1/agents", supervisorOnly, s.listAgents},
		{"GET", "/api/v1/agents/{name}", supervisorOnly, s.getAgent},
		{"PUT", "/api/v1/agents/{name}/state", supervisorOnly, s.setAgentState},
		{"POST", "/api/v1/agents/{name}/help", supervisorOnly, s.agentHelp},
		{"POST", "/api/v1/agents/{name}/assist", supervisorOnly, s.startAssist},
		{"GET", "/api/v1/assists", loggedIn, s.listAssists},
		{"PUT", "/api/v1/assists/{id}", supervisorOnly, s.setAssistMode},
		{"DELETE", "/api/v1/assists/{id}", supervisorOnly, s.closeAssist},
		{"POST", "/api/v1/agents/{name}/listen", loggedIn, s.startListen},
		{"DELETE", "/api/v1/listens/{id}", loggedIn, s.endListen},
		{"GET", "/api/v1/queues", supervisorOnly, s.listQueues},
		{"GET", "/api/v1/calls", supervisorOnly, s.listCalls},
		{"GET", "/api/v1/history", supervisorOnly, s.listHistory},

		{"GET", "/api/v1/config", adminOnly, s.getConfig},
		{"PUT", "/api/v1/config", adminOnly, s.putConfig},
		{"POST", "/api/v1/users", adminOnly, s.addUser},
		{"PUT", "/api/v1/users/{name}/password", loggedIn, s.setPassword},
	}
	rs = append(rs, s.adminRoutes()...)
	rs = append(rs, s.callRoutes()...)
	rs = append(rs, s.trunkRoutes()...)
	rs = append(rs, s.listenInRoutes()...)
	return append(rs, s.demoRoutes()...)
}

// mux registers every route, a JSON 404/405 for the rest of /api/, and the
// pages at /.
func (s *Server) mux() *http.ServeMux {
	mux := http.NewServeMux()
	methods := map[string][]string{} // path → methods, for 405 answers
	paths := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern(), s.wrap(rt))
		if methods[rt.path] == nil {
			p := rt.path
			paths.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
				allow := strings.Join(methods[p], ", ")
				w.Header().Set("Allow", allow)
				writeJSON(w, http.StatusMethodNotAllowed, errorBody{r.Method + " is not allowed here; use " + allow})
			})
		}
		methods[rt.path] = append(methods[rt.path], rt.method)
	}
	paths.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, errorBody{"no such endpoint: " + r.URL.Path})
	})
	for _, p := range []string{"/api/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(p, paths)
	}
	s.pagesOn(mux)
	return mux
}

// caller is the logged-in user making a request.
type caller struct {
	sess Session
	user config.User
	view *viewer
}

// wrap applies a route's checks (origin, session, role, CSRF) before its
// handler.
func (s *Server) wrap(rt route) http.Handler {
	pattern := rt.pattern()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := infoOf(r)
		info.route = pattern
		unsafe := r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
		if unsafe {
			if err := s.cop.Check(r); err != nil {
				s.fail(w, r, errorf(http.StatusForbidden, "cross-origin request refused"))
				return
			}
		}
		var c *caller
		if rt.access != public {
			var err error
			if c, err = s.authenticate(r); err != nil {
				s.fail(w, r, err)
				return
			}
			info.user = c.user.Name
			dropAsParam(r)
			if err := permitted(rt.access, c.view); err != nil {
				s.fail(w, r, err)
				return
			}
			if unsafe && !validCSRF(r, c.sess) {
				s.fail(w, r, errorf(http.StatusForbidden, "missing or wrong X-CSRF-Token header"))
				return
			}
		}
		if err := rt.h(w, r, c); err != nil {
			s.fail(w, r, err)
		}
	})
}

// permitted checks a route's role requirement.
func permitted(a access, v *viewer) error {
	switch {
	case a == agentOnly && !v.agent:
		return errorf(http.StatusForbidden, "this needs the agent role")
	case a == supervisorOnly && !v.supervisor && !v.admin:
		return errorf(http.StatusForbidden, "this needs the supervisor or admin role")
	case a == adminOnly && !v.admin:
		return errorf(http.StatusForbidden, "this needs the admin role")
	}
	return nil
}

// validCSRF compares the X-CSRF-Token header with the session's token.
func validCSRF(r *http.Request, sess Session) bool {
	got := r.Header.Get("X-CSRF-Token")
	return got != "" && sess.CSRF != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ *caller) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request, _ *caller) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !s.ready.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("not ready\n"))
		return nil
	}
	w.Write([]byte("ready\n"))
	return nil
}

// sortedNames is a helper for deterministic listings.
func sortedNames[T any](xs []T, name func(T) string) []T {
	slices.SortFunc(xs, func(a, b T) int { return strings.Compare(name(a), name(b)) })
	return xs
}
