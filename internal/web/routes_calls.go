package web

// callRoutes are the routes of call history and recordings.
func (s *Server) callRoutes() []route {
	return []route{
		{"GET", "/api/v1/call-history", supervisorOnly, s.listCallHistory},
		{"GET", "/api/v1/call-history/{id}", supervisorOnly, s.getCallHistory},
		{"GET", "/api/v1/recordings/{id}", supervisorOnly, s.serveRecording},
		{"GET", "/api/v1/recordings/{id}/tracks/{session}", supervisorOnly, s.serveTrack},
	}
}
