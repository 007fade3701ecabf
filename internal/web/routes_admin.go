package web

// adminRoutes are the routes of the /admin page beyond the core ones.
func (s *Server) adminRoutes() []route {
	return nil
}
