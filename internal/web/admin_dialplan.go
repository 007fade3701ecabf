package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/earshot/earshot/internal/dialplan"
)

// compilePlan checks dial plan patterns: a bad one is a 400 naming it and
// saying why.
func compilePlan(allow, deny []string) error {
	if _, err := dialplan.Compile(allow, deny); err != nil {
		var pe *dialplan.PatternError
		if errors.As(err, &pe) {
			return errorf(http.StatusBadRequest, "%s pattern %q: %s", pe.List, pe.Pattern, pe.Reason)
		}
		return errorf(http.StatusBadRequest, "dial plan: %v", err)
	}
	return nil
}

// dialCheckIn asks whether a target may be dialled, by the plan in force
// or by the allow and deny lists given (an unsaved plan).
type dialCheckIn struct {
	Target string    `json:"target"`
	Allow  *[]string `json:"allow"`
	Deny   *[]string `json:"deny"`
}

// dialCheckOut is the dial plan's answer: the target as it would be
// dialled, whether it may be, and why, with the deciding pattern.
type dialCheckOut struct {
	Target  string `json:"target"`
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	Pattern string `json:"pattern,omitempty"`
}

// checkDialPlan is the dial plan tester: "would +44 20 7946 0000 be
// allowed?".
func (s *Server) checkDialPlan(w http.ResponseWriter, r *http.Request, _ *caller) error {
	var in dialCheckIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Target == "" {
		return errorf(http.StatusBadRequest, "target is required: a number or SIP URI")
	}
	plan := s.eng.Config().DialPlan
	allow, deny := plan.Allow, plan.Deny
	if in.Allow != nil {
		allow = *in.Allow
	}
	if in.Deny != nil {
		deny = *in.Deny
	}
	if err := compilePlan(allow, deny); err != nil {
		return err
	}
	out, err := judge(in.Target, allow, deny)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// judge says whether target passes allow and deny, naming the pattern that
// decides. The patterns must compile.
func judge(target string, allow, deny []string) (dialCheckOut, error) {
	canon, err := dialplan.Normalize(target)
	if err != nil {
		return dialCheckOut{}, errorf(http.StatusBadRequest, "target: %v", err)
	}
	out := dialCheckOut{Target: canon}
	matches := func(p string) bool {
		one, err := dialplan.Compile([]string{p}, nil)
		return err == nil && one.Check(canon) == nil
	}
	for _, p := range deny {
		if matches(p) {
			out.Reason, out.Pattern = fmt.Sprintf("%s matches the deny pattern %q: deny wins over allow", canon, p), p
			return out, nil
		}
	}
	for _, p := range allow {
		if matches(p) {
			out.Allowed = true
			out.Reason, out.Pattern = fmt.Sprintf("%s matches the allow pattern %q and no deny pattern", canon, p), p
			return out, nil
		}
	}
	if len(allow) == 0 {
		out.Reason = "the allow list is empty: nothing may be dialled"
	} else {
		out.Reason = fmt.Sprintf("no allow pattern matches %s", canon)
	}
	return out, nil
}
