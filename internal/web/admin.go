package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/earshot/earshot/internal/auth"
	"github.com/earshot/earshot/internal/config"
)

// redacted stands in for a secret in a configuration the API shows.
const redacted = "REDACTED"

// publicConfig returns a copy of cfg without secrets: passwords and hashes
// are blanked (and never encoded anyway), a database password is replaced.
func publicConfig(cfg *config.Config) config.Config {
	out := *cfg.Clone()
	for i := range out.Users {
		out.Users[i].Password, out.Users[i].PasswordHash, out.Users[i].SIPPassword = "", "", ""
	}
	for i := range out.Trunks {
		out.Trunks[i].Password = ""
	}
	out.Database = redactDSN(cfg.Database)
	return out
}

// redactDSN hides the password of a database URL, in its user part or
// its query.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return dsn
	}
	changed := false
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), redacted)
			changed = true
		}
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", redacted)
		u.RawQuery = q.Encode()
		changed = true
	}
	if !changed {
		return dsn
	}
	return u.String()
}

func (s *Server) getConfig(w http.ResponseWriter, _ *http.Request, _ *caller) error {
	writeJSON(w, http.StatusOK, publicConfig(s.eng.Config()))
	return nil
}

// userIn is a user as an admin sends it: secrets may be given, and are
// kept from the current configuration when they are not.
type userIn struct {
	config.User
	Password    *string `json:"password,omitempty"`
	SIPPassword *string `json:"sip_password,omitempty"`
}

type trunkIn struct {
	config.Trunk
	Password *string `json:"password,omitempty"`
}

// configIn is a whole configuration as an admin sends it.
type configIn struct {
	config.Config
	Users  []userIn  `json:"users"`
	Trunks []trunkIn `json:"trunks"`
}

// putConfig replaces the whole configuration. Users and trunks without a
// new secret keep the one they have; a new password is hashed here.
func (s *Server) putConfig(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in configIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	next, _, err := s.change(r, c, func(next *config.Config) error {
		merged, err := mergeConfig(next, &in)
		if err != nil {
			return err
		}
		*next = *merged
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, publicConfig(next))
	return nil
}

// mergeConfig builds the configuration to apply from what an admin sent
// and the current one's secrets.
func mergeConfig(cur *config.Config, in *configIn) (*config.Config, error) {
	next := in.Config
	if next.Database == redactDSN(cur.Database) {
		next.Database = cur.Database
	}
	next.Users = make([]config.User, 0, len(in.Users))
	seen := map[string]bool{}
	for _, ui := range in.Users {
		u := ui.User
		if u.Name == "" {
			return nil, errorf(http.StatusBadRequest, "every user needs a name")
		}
		if seen[u.Name] {
			return nil, errorf(http.StatusBadRequest, "user %q appears twice", u.Name)
		}
		seen[u.Name] = true
		old, existed := cur.User(u.Name)
		u.Password = ""
		u.PasswordHash, u.SIPPassword = old.PasswordHash, old.SIPPassword
		if ui.Password != nil {
			h, err := hashNew(*ui.Password, u.Name)
			if err != nil {
				return nil, err
			}
			u.PasswordHash = h
		} else if !existed {
			return nil, errorf(http.StatusBadRequest, "new user %q needs a password", u.Name)
		}
		if ui.SIPPassword != nil {
			u.SIPPassword = *ui.SIPPassword
		}
		next.Users = append(next.Users, u)
	}
	next.Trunks = make([]config.Trunk, 0, len(in.Trunks))
	for _, ti := range in.Trunks {
		t := ti.Trunk
		if ti.Password != nil {
			t.Password = *ti.Password
		} else {
			for _, o := range cur.Trunks {
				if o.Name == t.Name {
					t.Password = o.Password
				}
			}
		}
		next.Trunks = append(next.Trunks, t)
	}
	return &next, nil
}

// hashNew checks and hashes a new password for user.
func hashNew(pw, user string) (string, error) {
	if err := auth.CheckPassword(pw); err != nil {
		return "", errorf(http.StatusBadRequest, "password of %q: %v", user, err)
	}
	h, err := auth.Hash(pw)
	if err != nil {
		return "", fmt.Errorf("hash password of %s: %w", user, err)
	}
	return h, nil
}

// change edits a copy of the configuration in force, validates it and
// hands it to the Reconfigurer, audited with what config.Diff says
// changed. One admin change runs at a time, so none is lost. A change
// that changes nothing is not applied: it returns the configuration in
// force and no lines. Validation failures are the client's: 400 with the
// reason, and nothing changes.
func (s *Server) change(r *http.Request, c *caller, edit func(next *config.Config) error) (*config.Config, []string, error) {
	if s.admin == nil {
		return nil, nil, errorf(http.StatusServiceUnavailable, "configuration changes are not available")
	}
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	cur := s.eng.Config()
	next := cur.Clone()
	if err := edit(next); err != nil {
		return nil, nil, err
	}
	if err := next.Validate(); err != nil {
		return nil, nil, errorf(http.StatusBadRequest, "invalid configuration: %v", err)
	}
	lines := config.Diff(cur, next)
	if len(lines) == 0 {
		return cur, nil, nil
	}
	if err := s.admin.Reconfigure(r.Context(), next, c.user.Name, strings.Join(lines, "\n")); err != nil {
		if errors.Is(err, ErrInvalidConfig) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("apply configuration (%s): %w", lines[0], err)
	}
	return next, lines, nil
}
