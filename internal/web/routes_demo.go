package web

// demoRoutes are the routes of the demo: the caller simulator's controls
// and "Call me".
func (s *Server) demoRoutes() []route {
	return nil
}
