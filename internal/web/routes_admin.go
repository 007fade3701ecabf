package web

// adminRoutes are the routes of the /admin page beyond the core ones. Each
// change is validated, stored, applied at once and audited (see change).
func (s *Server) adminRoutes() []route {
	return []route{
		{"PATCH", "/api/v1/users/{name}", adminOnly, s.patchUser},
		{"DELETE", "/api/v1/users/{name}", adminOnly, s.deleteUser},
		{"PUT", "/api/v1/teams/{name}", adminOnly, s.putTeam},
		{"DELETE", "/api/v1/teams/{name}", adminOnly, s.deleteTeam},
		{"PUT", "/api/v1/queues/{name}", adminOnly, s.putQueue},
		{"DELETE", "/api/v1/queues/{name}", adminOnly, s.deleteQueue},
		{"PUT", "/api/v1/dids", adminOnly, s.putDIDs},
		{"PUT", "/api/v1/dialplan", adminOnly, s.putDialPlan},
		{"POST", "/api/v1/dialplan/check", adminOnly, s.checkDialPlan},
		{"PUT", "/api/v1/not-ready-reasons", adminOnly, s.putNotReadyReasons},
		{"GET", "/api/v1/audit", adminOnly, s.listAudit},
	}
}
