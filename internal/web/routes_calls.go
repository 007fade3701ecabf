package web

// callRoutes are the routes of call history and recordings.
func (s *Server) callRoutes() []route {
	return nil
}
