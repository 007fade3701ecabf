package web

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
)

// Engine is the control plane as the web edge uses it. *acd.Engine
// satisfies it. Errors wrap the acd sentinels (acd.ErrUnknownAgent, …),
// which the API maps to status codes.
type Engine interface {
	SetState(agent string, st acd.State, reason, actor string) error
	RequestHelp(agent string) error
	CancelHelp(agent string) error
	ClearHelp(agent, actor string) error
	SetListenIn(agent string, mode acd.ListenIn) error
	Agent(name string) (acd.AgentView, error)
	Agents() []acd.AgentView
	Calls() []acd.CallView
	Call(id string) (acd.CallView, error)
	Queues() []acd.QueueView
	// Config is the configuration in force. The web edge never mutates it.
	Config() *config.Config
}

// StatsSource gives today's figures for agents and queues.
type StatsSource interface {
	AgentStats(name string) AgentStats
	QueueStats(name string) QueueStats
}

// AgentStats are one agent's figures for today.
type AgentStats struct {
	Handled   int
	AHT       time.Duration // average handle time
	AvgACW    time.Duration // average after-call work
	Missed    int
	Occupancy float64 // 0..1
}

// MarshalJSON writes durations as seconds.
func (s AgentStats) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Handled   int     `json:"handled"`
		AHT       float64 `json:"aht_seconds"`
		AvgACW    float64 `json:"avg_acw_seconds"`
		Missed    int     `json:"missed"`
		Occupancy float64 `json:"occupancy"`
	}{s.Handled, s.AHT.Seconds(), s.AvgACW.Seconds(), s.Missed, s.Occupancy})
}

// QueueStats are one queue's figures for today.
type QueueStats struct {
	Waiting      int
	LongestWait  time.Duration
	Answered     int
	Abandoned    int
	ServiceLevel float64 // 0..1
}

// MarshalJSON writes durations as seconds.
func (s QueueStats) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Waiting      int     `json:"waiting"`
		LongestWait  float64 `json:"longest_wait_seconds"`
		Answered     int     `json:"answered"`
		Abandoned    int     `json:"abandoned"`
		ServiceLevel float64 `json:"service_level"`
	}{s.Waiting, s.LongestWait.Seconds(), s.Answered, s.Abandoned, s.ServiceLevel})
}

// Session is one login. ID is auth.TokenID of the cookie's token: the token
// itself is never stored.
type Session struct {
	ID      string
	User    string
	CSRF    string
	Created time.Time
	Expires time.Time
}

// ErrNoSession is what a SessionStore returns (wrapped or not) for an
// unknown session.
var ErrNoSession = errors.New("no such session")

// SessionStore keeps sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with this ID, or an error wrapping
	// ErrNoSession.
	Session(ctx context.Context, id string) (Session, error)
	DeleteSession(ctx context.Context, id string) error
}

// HistoryFilter selects stored events. Zero fields do not filter.
type HistoryFilter struct {
	Agent string
	Call  string
	Kind  events.Kind
	Since time.Time // inclusive
	Until time.Time // exclusive
	Limit int       // at most this many, newest first
}

// History reads stored events.
type History interface {
	Events(ctx context.Context, f HistoryFilter) ([]events.Event, error)
}

// ErrInvalidConfig marks a configuration that was refused as invalid; the
// API answers 400 with the error's message. A Reconfigurer wraps it around
// validation errors.
var ErrInvalidConfig = errors.New("invalid configuration")

// Reconfigurer validates, stores and applies a new configuration on behalf
// of actor; what says in words what changed.
type Reconfigurer interface {
	Reconfigure(ctx context.Context, c *config.Config, actor, what string) error
}
