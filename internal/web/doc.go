// Package web is earshot's HTTP edge: the JSON API under /api/v1, the
// WebSocket event stream, login sessions with CSRF protection, Prometheus
// metrics, health and readiness, and the static pages.
//
// It holds no contact-centre rules. Every command becomes one call on the
// control plane (Engine) and every answer becomes a response; what a user may
// see or do is decided from the configuration's roles and teams. The parts it
// consumes (control plane, sessions, statistics, history, reconfiguration)
// are small interfaces defined here and wired in by the caller.
package web
