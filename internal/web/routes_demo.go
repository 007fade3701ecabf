package web

// demoRoutes are the routes of the demo: the caller simulator's controls
// and "Call me".
func (s *Server) demoRoutes() []route {
	return []route{
		{"GET", "/api/v1/demo", loggedIn, s.getDemo},
		{"PUT", "/api/v1/demo", supervisorOnly, s.putDemo},
		{"POST", "/api/v1/me/call-me", agentOnly, s.callMe},
	}
}
