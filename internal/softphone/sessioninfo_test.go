package softphone

import (
	"testing"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/config"
)

type infoEngine struct{ cfg *config.Config }

func (infoEngine) Call(string) (acd.CallView, error) { return acd.CallView{Caller: "+15550142"}, nil }
func (e infoEngine) Config() *config.Config          { return e.cfg }

// A supervisor's assist ring shows the caller; a colleague's listen-in
// shows whose call it is and not the customer's number.
func TestSessionInfo(t *testing.T) {
	eng := infoEngine{&config.Config{Users: []config.User{{Name: "alice", Display: "Alice Johnson"}}}}
	for _, c := range []struct {
		kind   assist.SessionKind
		want   string
		caller string
	}{
		{assist.KindAssist, KindAssist, "+15550142"},
		{assist.KindListen, KindListen, ""},
	} {
		got := SessionInfo(assist.Session{Kind: c.kind, Call: "c1", Queue: "sales", Agent: "alice", User: "sam"}, eng)
		if got.Kind != c.want || got.Caller != c.caller || got.AgentDisplay != "Alice Johnson" || got.Agent != "alice" || got.Queue != "sales" {
			t.Errorf("%s: %+v; want kind %v, caller %q", c.kind, got, c.want, c.caller)
		}
	}
}
