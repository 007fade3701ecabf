package softphone

import (
	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/config"
)

// SessionLookup is what SessionInfo reads: the call and the users (the
// ACD engine).
type SessionLookup interface {
	Call(id string) (acd.CallView, error)
	Config() *config.Config
}

// SessionInfo is what the ring of an assist or listen-in session shows.
// The caller's number is for a supervisor's assist only: a colleague
// listening in sees whose call it is, not who the customer is, as agents
// see no colleague's callers.
func SessionInfo(s assist.Session, eng SessionLookup) CallInfo {
	info := CallInfo{ID: s.Call, Queue: s.Queue, Kind: KindAssist, Agent: s.Agent}
	if s.Kind == assist.KindListen {
		info.Kind = KindListen
	} else if cv, err := eng.Call(s.Call); err == nil {
		info.Caller = cv.Caller
	}
	if u, ok := eng.Config().User(s.Agent); ok {
		info.AgentDisplay = u.Display
	}
	return info
}
