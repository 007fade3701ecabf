package web

import (
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

// trunksIn is a trunk list as an admin sends it: a trunk without a
// password keeps the one it has.
type trunksIn struct {
	Trunks []trunkIn `json:"trunks"`
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
			t := ti.Trunk
			t.Password = ""
			if ti.Password != nil {
				t.Password = *ti.Password
			} else {
				for _, o := range next.Trunks {
					if o.Name == t.Name {
						t.Password = o.Password
					}
				}
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
