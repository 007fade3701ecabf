package web

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/earshot/earshot/internal/config"
)

// addUser creates a user with a password.
func (s *Server) addUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in userIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Name == "" {
		return errorf(http.StatusBadRequest, "name is required")
	}
	if in.Password == nil {
		return errorf(http.StatusBadRequest, "password is required")
	}
	for _, role := range in.Roles {
		if role != config.RoleAgent && role != config.RoleSupervisor && role != config.RoleAdmin {
			return errorf(http.StatusBadRequest, "unknown role %q; use agent, supervisor or admin", role)
		}
	}
	if _, ok := s.eng.Config().User(in.Name); ok {
		return errorf(http.StatusConflict, "user %q already exists", in.Name)
	}
	u := in.User
	u.Password = ""
	h, err := hashNew(*in.Password, u.Name)
	if err != nil {
		return err
	}
	u.PasswordHash = h
	if in.SIPPassword != nil {
		u.SIPPassword = *in.SIPPassword
	}
	_, _, err = s.change(r, c, func(next *config.Config) error {
		if _, ok := next.User(u.Name); ok {
			return errorf(http.StatusConflict, "user %q already exists", u.Name)
		}
		next.Users = append(next.Users, u)
		return nil
	})
	if err != nil {
		return err
	}
	u.PasswordHash, u.SIPPassword = "", ""
	writeJSON(w, http.StatusCreated, u)
	return nil
}

type passwordRequest struct {
	OldPassword string `json:"old_password"`
	Password    string `json:"password"`
}

// setPassword changes a password: an admin's for anyone, a user's own with
// the old password. Wrong old passwords count as failed logins.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request, c *caller) error {
	name := r.PathValue("name")
	if !c.view.admin && name != c.user.Name {
		return errorf(http.StatusForbidden, "you may change only your own password")
	}
	var in passwordRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	cur := s.eng.Config()
	i := slices.IndexFunc(cur.Users, func(u config.User) bool { return u.Name == name })
	if i < 0 {
		return errorf(http.StatusNotFound, "no user %q", name)
	}
	if !c.view.admin {
		key := "user:" + strings.ToLower(name)
		if wait := s.userLimit.RetryAfter(key); wait > 0 {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			return errorf(http.StatusTooManyRequests, "too many wrong passwords; try again in %d seconds", secs)
		}
		if !s.checkPassword(r, cur.Users[i].PasswordHash, in.OldPassword) {
			s.userLimit.Fail(key)
			return errorf(http.StatusForbidden, "the old password is wrong")
		}
	}
	h, err := hashNew(in.Password, name)
	if err != nil {
		return err
	}
	_, _, err = s.change(r, c, func(next *config.Config) error {
		i := slices.IndexFunc(next.Users, func(u config.User) bool { return u.Name == name })
		if i < 0 {
			return errorf(http.StatusNotFound, "no user %q", name)
		}
		next.Users[i].PasswordHash = h
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
