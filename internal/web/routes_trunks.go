package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/earshot/earshot/internal/config"
)

// trunkRoutes show the SIP trunks in force and their registration with
// carriers, and replace them. A change applies at once: the SIP edge takes
// the new list as it is saved.
func (s *Server) trunkRoutes() []route {
	return []route{
		{"GET", "/api/v1/trunks", adminOnly, s.listTrunks},
		{"PUT", "/api/v1/trunks", adminOnly, s.putTrunks},
	}
}

// trunksIn is a trunk list as an admin sends it, in the shape GET
// /api/v1/trunks returns, so a list read can be sent back as it is.
type trunksIn struct {
	Trunks []trunkPut `json:"trunks"`
}

// trunkPut is one trunk of a PUT: a trunkView with an optional password
// (absent: the trunk keeps the one it has). The registration GET shows is
// read-only and ignored.
type trunkPut struct {
	Name            string          `json:"name"`
	Sources         []string        `json:"sources"`
	Outbound        string          `json:"outbound"`
	Username        string          `json:"username"`
	Password        *string         `json:"password"`
	Register        bool            `json:"register"`
	RegisterExpires *expiresIn      `json:"register_expires"`
	Registrar       string          `json:"registrar"`
	CallerID        string          `json:"caller_id"`
	FromDomain      string          `json:"from_domain"`
	Registration    json.RawMessage `json:"registration"`
}

// expiresIn is a trunk's register_expires in a PUT: a duration as GET
// shows it ("5m0s"; "" as GET shows it for a trunk that does not
// register), or integer nanoseconds as the configuration API takes it.
type expiresIn struct {
	d     time.Duration
	empty bool // ""
}

// UnmarshalJSON reads a duration string or integer nanoseconds.
func (e *expiresIn) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		if str == "" {
			*e = expiresIn{empty: true}
			return nil
		}
		d, err := time.ParseDuration(str)
		if err != nil {
			return fmt.Errorf("register_expires %q is not a duration such as \"5m0s\"", str)
		}
		*e = expiresIn{d: d}
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("register_expires must be a duration such as \"5m0s\" or whole nanoseconds")
	}
	*e = expiresIn{d: time.Duration(n)}
	return nil
}

// registerExpires is the register_expires to store for t, given the trunk
// of that name in force (nil: a new trunk). What GET showed for the trunk
// in force (its lifetime, the default for 0, or "" when it does not
// register) keeps its value as it is, so a list read and sent back
// changes nothing.
func (t *trunkPut) registerExpires(old *config.Trunk) time.Duration {
	e := t.RegisterExpires
	if e == nil {
		return 0
	}
	if old != nil {
		shown := old.RegisterExpires
		if shown == 0 {
			shown = config.DefaultRegisterExpires
		}
		if e.empty && !old.Register || !e.empty && e.d == shown {
			return old.RegisterExpires
		}
	}
	return e.d
}

// putTrunks replaces the trunk list.
func (s *Server) putTrunks(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in trunksIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Trunks == nil {
		return errorf(http.StatusBadRequest, "trunks is required (a list, which may be empty)")
	}
	return s.edit(w, r, c, func(next *config.Config) error {
		list := make([]config.Trunk, 0, len(in.Trunks))
		for _, ti := range in.Trunks {
			var old *config.Trunk
			for i := range next.Trunks {
				if next.Trunks[i].Name == ti.Name {
					old = &next.Trunks[i]
				}
			}
			t := config.Trunk{
				Name: ti.Name, Sources: ti.Sources, Outbound: ti.Outbound, Username: ti.Username,
				Register: ti.Register, RegisterExpires: ti.registerExpires(old), Registrar: ti.Registrar,
				CallerID: ti.CallerID, FromDomain: ti.FromDomain,
			}
			switch {
			case ti.Password != nil:
				t.Password = *ti.Password
			case old != nil:
				t.Password = old.Password
			}
			list = append(list, t)
		}
		next.Trunks = list
		return nil
	})
}

// TrunkRegistration is one trunk's registration with its carrier.
type TrunkRegistration struct {
	Trunk     string `json:"-"`
	Registrar string `json:"registrar"`
	// State is "registering", "registered" or "failed".
	State       string    `json:"state"`
	Reason      string    `json:"reason,omitempty"`
	Since       time.Time `json:"since"`
	Expires     time.Time `json:"expires,omitzero"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
}

// TrunkRegistrations reports the registration of every trunk set to
// register.
type TrunkRegistrations interface {
	TrunkRegistrations() []TrunkRegistration
}

// trunkView is a trunk as GET /api/v1/trunks shows it: its settings
// without the password, and its registration when it registers.
type trunkView struct {
	Name            string             `json:"name"`
	Sources         []string           `json:"sources"`
	Outbound        string             `json:"outbound"`
	Username        string             `json:"username"`
	Register        bool               `json:"register"`
	RegisterExpires string             `json:"register_expires"`
	Registrar       string             `json:"registrar"`
	CallerID        string             `json:"caller_id"`
	FromDomain      string             `json:"from_domain"`
	Registration    *TrunkRegistration `json:"registration,omitempty"`
}

func (s *Server) listTrunks(w http.ResponseWriter, _ *http.Request, _ *caller) error {
	regs := map[string]TrunkRegistration{}
	if s.opts.Trunks != nil {
		for _, r := range s.opts.Trunks.TrunkRegistrations() {
			regs[r.Trunk] = r
		}
	}
	cfg := s.eng.Config()
	out := make([]trunkView, 0, len(cfg.Trunks))
	for _, t := range cfg.Trunks {
		v := trunkView{
			Name: t.Name, Sources: t.Sources, Outbound: t.Outbound, Username: t.Username,
			Register: t.Register, Registrar: t.Registrar, CallerID: t.CallerID, FromDomain: t.FromDomain,
		}
		if v.Sources == nil {
			v.Sources = []string{}
		}
		if t.Register {
			exp := t.RegisterExpires
			if exp == 0 {
				exp = config.DefaultRegisterExpires
			}
			v.RegisterExpires = exp.String()
			if r, ok := regs[t.Name]; ok {
				v.Registration = &r
			}
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"trunks": out})
	return nil
}
