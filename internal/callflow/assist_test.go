package callflow

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/media"
)

// TestAssistFlow: a supervisor on the web client is rung, joins listening,
// whispers, switches back by DTMF, takes over (the agent's leg is released
// with a notice), and hangs up, which ends the call. At every step the
// room hears as the matrix says.
func TestAssistFlow(t *testing.T) {
	r := newRig(t)
	r.call()
	id := r.assist("sam")
	r.waitHearing("listen", map[string][]string{"customer": {"alice"}, "alice": {"customer"}, "sam": {"customer", "alice"}})

	if err := r.desk.SetMode(id, "sam", assist.Talk); err != nil {
		t.Fatal(err)
	}
	r.waitHearing("talk", map[string][]string{"customer": {"alice"}, "alice": {"customer", "sam"}, "sam": {"customer", "alice"}})

	r.phoneOf("sam").key(2) // talk → listen
	r.waitHearing("listen by DTMF", map[string][]string{"customer": {"alice"}, "alice": {"customer"}, "sam": {"customer", "alice"}})
	r.phoneOf("sam").key(3) // take over
	r.waitHearing("take over", map[string][]string{"customer": {"sam"}, "sam": {"customer"}})
	r.waitFor("alice's leg to be released", func() bool { return r.br.endedWith("alice") == "taken_over" })
	if v, _ := r.eng.Agent("alice"); v.State != acd.ACW {
		t.Fatalf("alice is %s after the take-over", v.State)
	}
	r.flow.BrowserHungUp("alice", "c1") // her page's Hang up, after the fact: nothing happens
	if _, err := r.eng.Call("c1"); err != nil {
		t.Fatalf("the released agent's hang-up ended the call: %v", err)
	}

	r.flow.BrowserHungUp("sam", "c1")
	r.waitMode(id, assist.Ended)
	r.waitFor("the call to end", func() bool {
		_, err := r.eng.Call("c1")
		return errors.Is(err, acd.ErrUnknownCall)
	})
}

// TestAssistClosedWithNotice: a session ended by the desk releases the
// supervisor's leg with the reason, and customer and agent go on.
func TestAssistClosedWithNotice(t *testing.T) {
	r := newRig(t)
	r.call()
	sam := r.assist("sam")
	sue := r.assist("sue")
	// Listening supervisors are heard by nobody, each other included.
	r.waitHearing("two supervisors", map[string][]string{"customer": {"alice"}, "alice": {"customer"},
		"sam": {"customer", "alice"}, "sue": {"customer", "alice"}})
	if err := r.desk.Close(sam, "sam"); err != nil {
		t.Fatal(err)
	}
	r.waitHearing("sam gone", map[string][]string{"customer": {"alice"}, "alice": {"customer"}, "sue": {"customer", "alice"}})
	r.waitFor("sam's notice", func() bool { return r.br.endedWith("sam") == assist.EndClosed })
	if err := r.eng.Hangup("c1", "customer"); err != nil {
		t.Fatal(err)
	}
	r.waitMode(sue, assist.Ended)
	r.waitFor("sue's leg to be released", func() bool { return r.br.endedWith("sue") != "" })
}

// TestListenerFlow: a colleague with no endpoint chosen is rung on their
// web client, hears customer and agent, is heard by nobody, and is let go
// when the agent turns listen-in off.
func TestListenerFlow(t *testing.T) {
	r := newRig(t)
	r.call()
	if err := r.eng.SetListenIn("alice", acd.ListenAll); err != nil {
		t.Fatal(err)
	}
	s, err := r.desk.Listen("carol", "alice", assist.Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	r.waitHearing("carol listens", map[string][]string{"customer": {"alice"}, "alice": {"customer"}, "carol": {"customer", "alice"}})
	if err := r.eng.SetListenIn("alice", acd.ListenOff); err != nil {
		t.Fatal(err)
	}
	r.waitMode(s.ID, assist.Ended)
	r.waitHearing("carol gone", map[string][]string{"customer": {"alice"}, "alice": {"customer"}})
	r.waitFor("carol's notice", func() bool { return r.br.endedWith("carol") == assist.EndListenInOff })
}

// TestAssistNotReached: an endpoint that cannot be rung ends the session
// at once, saying why; the call is untouched.
func TestAssistNotReached(t *testing.T) {
	r := newRig(t)
	r.call()
	r.br.mu.Lock()
	r.br.online["sam"] = false
	r.br.mu.Unlock()
	res, err := r.desk.Start("sam", "alice", assist.Endpoint{Kind: assist.EndpointWeb})
	if err != nil {
		t.Fatal(err)
	}
	r.waitMode(res.Session.ID, assist.Ended)
	r.br.mu.Lock()
	r.br.online["sam"], r.br.refuse = true, ErrRejected
	r.br.mu.Unlock()
	res, err = r.desk.Start("sam", "alice", assist.Endpoint{Kind: assist.EndpointWeb})
	if err != nil {
		t.Fatal(err)
	}
	r.waitMode(res.Session.ID, assist.Ended)
	r.waitHearing("the call goes on", map[string][]string{"customer": {"alice"}, "alice": {"customer"}})
}

// sessionBrowsers are web softphones that can be told what rings.
type sessionBrowsers struct {
	*browsers
	mu    *sync.Mutex // guards kinds
	kinds *[]assist.SessionKind
}

func (s sessionBrowsers) Connected(user string) bool { return s.Online(user) }

func (s sessionBrowsers) RingSession(ctx context.Context, x assist.Session) (*media.Leg, error) {
	s.mu.Lock()
	*s.kinds = append(*s.kinds, x.Kind)
	s.mu.Unlock()
	return s.Ring(ctx, x.User, x.Call, "", x.Queue)
}

// TestSessionBrowsers: web clients that can show what rings are rung for
// sessions as sessions, and for customers' calls as before.
func TestSessionBrowsers(t *testing.T) {
	r := newRig(t)
	var mu sync.Mutex
	var kinds []assist.SessionKind
	r.flow.mu.Lock()
	r.flow.cfg.Browsers = sessionBrowsers{browsers: r.br, mu: &mu, kinds: &kinds}
	r.flow.mu.Unlock()
	r.call()
	r.assist("sam")
	if err := r.eng.SetListenIn("alice", acd.ListenAll); err != nil {
		t.Fatal(err)
	}
	if _, err := r.desk.Listen("carol", "alice", assist.Endpoint{}); err != nil {
		t.Fatal(err)
	}
	r.waitHearing("sam and carol", map[string][]string{"customer": {"alice"}, "alice": {"customer"},
		"sam": {"customer", "alice"}, "carol": {"customer", "alice"}})
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(kinds, []assist.SessionKind{assist.KindAssist, assist.KindListen}) {
		t.Fatalf("rung for %v", kinds)
	}
}
