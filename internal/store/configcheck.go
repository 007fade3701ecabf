package store

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/earshot/earshot/internal/config"
)

// checkConfig rejects a configuration the tables cannot hold as given: a
// plain password, an unnamed or repeated entry, a reference to a user, team
// or queue that is not there, text that is not UTF-8. What the settings mean
// is the config package's business.
func checkConfig(c *config.Config) error {
	if err := checkStrings(reflect.ValueOf(c).Elem(), "config"); err != nil {
		return err
	}
	users := map[string]bool{}
	for i, u := range c.Users {
		if err := checkName("user", i, u.Name, users); err != nil {
			return err
		}
		if u.Password != "" && u.PasswordHash == "" {
			return fmt.Errorf("user %q has a plain password and no hash (hash it before saving; plain passwords are never stored): %w",
				u.Name, ErrInvalid)
		}
		if err := checkHash(u.Name, u.PasswordHash); err != nil {
			return err
		}
		if err := checkList("role of user "+u.Name, roleStrings(u.Roles), nil); err != nil {
			return err
		}
	}
	teams := map[string]bool{}
	for i, t := range c.Teams {
		if err := checkName("team", i, t.Name, teams); err != nil {
			return err
		}
		if err := checkList("agent of team "+t.Name, t.Agents, users); err != nil {
			return err
		}
		if err := checkList("supervisor of team "+t.Name, t.Supervisors, users); err != nil {
			return err
		}
	}
	queues := map[string]bool{}
	for i, q := range c.Queues {
		if err := checkName("queue", i, q.Name, queues); err != nil {
			return err
		}
		if err := checkList("agent of queue "+q.Name, q.Agents, users); err != nil {
			return err
		}
		if err := checkList("team of queue "+q.Name, q.Teams, teams); err != nil {
			return err
		}
	}
	dids := map[string]bool{}
	for i, d := range c.DIDs {
		if err := checkName("DID", i, d.Number, dids); err != nil {
			return err
		}
		if !queues[d.Queue] {
			return fmt.Errorf("DID %q routes to unknown queue %q: %w", d.Number, d.Queue, ErrInvalid)
		}
	}
	trunks := map[string]bool{}
	for i, t := range c.Trunks {
		if err := checkName("trunk", i, t.Name, trunks); err != nil {
			return err
		}
	}
	return nil
}

// checkName requires a non-empty name not seen before, and records it.
func checkName(what string, i int, name string, seen map[string]bool) error {
	if name == "" {
		return fmt.Errorf("%s %d has no name: %w", what, i+1, ErrInvalid)
	}
	if seen[name] {
		return fmt.Errorf("%s %q appears twice: %w", what, name, ErrInvalid)
	}
	seen[name] = true
	return nil
}

// checkList requires non-empty, distinct entries, each in known when known is
// not nil.
func checkList(what string, list []string, known map[string]bool) error {
	seen := map[string]bool{}
	for _, v := range list {
		switch {
		case v == "":
			return fmt.Errorf("empty %s: %w", what, ErrInvalid)
		case seen[v]:
			return fmt.Errorf("%s %q appears twice: %w", what, v, ErrInvalid)
		case known != nil && !known[v]:
			return fmt.Errorf("%s %q does not exist: %w", what, v, ErrInvalid)
		}
		seen[v] = true
	}
	return nil
}

func roleStrings(rs []config.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// checkStrings applies checkText to every string in v, however deep.
func checkStrings(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.String:
		return checkText(path, v.String())
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if !t.Field(i).IsExported() {
				continue
			}
			if err := checkStrings(v.Field(i), path+"."+t.Field(i).Name); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := checkStrings(v.Index(i), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return checkStrings(v.Elem(), path)
		}
	}
	return nil
}
