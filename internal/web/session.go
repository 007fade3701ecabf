package web

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/auth"
	"github.com/earshot/earshot/internal/config"
)

// CookieName is the session cookie's name: the browser's latest sign-in.
//
// A page names its user in the X-Earshot-User header (or the "as" query
// parameter, for WebSockets and media links); a request naming someone
// else than the session's user is refused. With Options.SeveralSignIns
// (the demo) each sign-in also sets a cookie of its own user's
// (UserCookieName), so one browser holds several people's sessions at
// once, say an agent's tab and a supervisor's, and a named user gets
// their own. Otherwise a sign-in ends the browser's previous session, as
// a shared desk needs. Over HTTPS the cookies' names carry
// SecureCookiePrefix.
const CookieName = "earshot_session"

// UserHeader names the user whose session a request wants; AsParam does
// the same where a header cannot be set.
const (
	UserHeader = "X-Earshot-User"
	AsParam    = "as"
)

// SecureCookiePrefix starts the name of every session cookie set over
// HTTPS: a browser keeps such a cookie only if it is Secure, for path /
// and no domain, so a sibling host cannot plant or shadow it.
const SecureCookiePrefix = "__Host-"

// secure reports whether the browser reached r over HTTPS.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || s.opts.SecureCookies || s.opts.Proxies.ForwardedTLS(r)
}

// cookieName is the name of the session cookie base as sent over r: with
// SecureCookiePrefix over HTTPS. A plain-named cookie on an HTTPS request
// is never read, whoever set it.
func (s *Server) cookieName(r *http.Request, base string) string {
	if s.secure(r) {
		return SecureCookiePrefix + base
	}
	return base
}

// UserCookieName is the name of user's own session cookie.
func UserCookieName(user string) string {
	return CookieName + "_" + hex.EncodeToString([]byte(strings.ToLower(user)))
}

// requestedUser is the user a request names, or "".
func requestedUser(r *http.Request) string {
	if u := r.Header.Get(UserHeader); u != "" {
		return u
	}
	return r.URL.Query().Get(AsParam)
}

// dropAsParam takes the "as" parameter out of the query once it has chosen
// the session, so handlers that refuse parameters they do not know never
// see it.
func dropAsParam(r *http.Request) {
	if q := r.URL.Query(); q.Has(AsParam) {
		q.Del(AsParam)
		r.URL.RawQuery = q.Encode()
	}
}

// authenticate finds the request's session and its user.
func (s *Server) authenticate(r *http.Request) (*caller, error) {
	want := requestedUser(r)
	ck, err := r.Cookie(s.cookieName(r, CookieName))
	if want != "" && s.opts.SeveralSignIns {
		if own, oerr := r.Cookie(s.cookieName(r, UserCookieName(want))); oerr == nil && own.Value != "" {
			ck, err = own, nil
		}
	}
	if err != nil || ck.Value == "" {
		if want != "" {
			return nil, errorf(http.StatusUnauthorized, "%s is not logged in in this browser", want)
		}
		return nil, errorf(http.StatusUnauthorized, "not logged in")
	}
	id := auth.TokenID(ck.Value)
	sess, err := s.sessions.Session(r.Context(), id)
	if errors.Is(err, ErrNoSession) {
		return nil, errorf(http.StatusUnauthorized, "session expired or unknown; log in again")
	}
	if err != nil {
		return nil, fmt.Errorf("look up session: %w", err)
	}
	if want != "" && !strings.EqualFold(sess.User, want) {
		return nil, errorf(http.StatusUnauthorized, "%s is not logged in in this browser", want)
	}
	if !s.now().Before(sess.Expires) {
		if err := s.sessions.DeleteSession(r.Context(), id); err != nil && !errors.Is(err, ErrNoSession) {
			s.log.Warn("delete expired session", "error", err)
		}
		return nil, errorf(http.StatusUnauthorized, "session expired; log in again")
	}
	cfg := s.eng.Config()
	u, ok := cfg.User(sess.User)
	if !ok {
		return nil, errorf(http.StatusUnauthorized, "user %q no longer exists", sess.User)
	}
	return &caller{sess: sess, user: u, view: newViewer(cfg, u)}, nil
}

type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

type loginResponse struct {
	User    string        `json:"user"`
	Display string        `json:"display"`
	Roles   []config.Role `json:"roles"`
	CSRF    string        `json:"csrf"`
}

// login checks a password and opens a session. Unknown users and wrong
// passwords get the same answer after the same work; failures count against
// both the user name and the source address.
func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *caller) error {
	var in loginRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.User == "" || in.Password == "" {
		return errorf(http.StatusBadRequest, "user and password are required")
	}
	ipKey := "ip:" + s.opts.ClientIP(r)
	userKey := "user:" + strings.ToLower(in.User)
	if wait := max(s.ipLimit.RetryAfter(ipKey), s.userLimit.RetryAfter(userKey)); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return errorf(http.StatusTooManyRequests, "too many failed logins; try again in %d seconds", secs)
	}
	u, known := s.eng.Config().User(in.User)
	if !s.checkPassword(r, u.PasswordHash, in.Password) || !known {
		s.ipLimit.Fail(ipKey)
		s.userLimit.Fail(userKey)
		return errorf(http.StatusUnauthorized, "wrong user name or password")
	}
	s.userLimit.Reset(userKey)

	// A sign-in ends the browser's previous session: on a shared desk the
	// last person's rights must not linger. With several sign-ins, only
	// this user's earlier session here ends; other people's stay.
	previous := CookieName
	if s.opts.SeveralSignIns {
		previous = UserCookieName(u.Name)
	}
	if old, err := r.Cookie(s.cookieName(r, previous)); err == nil && old.Value != "" {
		if err := s.sessions.DeleteSession(r.Context(), auth.TokenID(old.Value)); err != nil && !errors.Is(err, ErrNoSession) {
			s.log.Warn("delete previous session", "error", err)
		}
	}
	token, err := auth.NewToken()
	if err != nil {
		return err
	}
	csrf, err := auth.NewToken()
	if err != nil {
		return err
	}
	now := s.now()
	sess := Session{ID: auth.TokenID(token), User: u.Name, CSRF: csrf, Created: now, Expires: now.Add(s.opts.SessionTTL)}
	if err := s.sessions.CreateSession(r.Context(), sess); err != nil {
		return fmt.Errorf("create session for %s: %w", u.Name, err)
	}
	http.SetCookie(w, s.cookie(r, CookieName, token, sess.Expires))
	if s.opts.SeveralSignIns {
		http.SetCookie(w, s.cookie(r, UserCookieName(u.Name), token, sess.Expires))
	}
	infoOf(r).user = u.Name
	writeJSON(w, http.StatusOK, loginResponse{User: u.Name, Display: u.Display, Roles: nonNil(u.Roles), CSRF: csrf})
	return nil
}

// checkPassword verifies pw against hash, or against a dummy hash when
// there is none, so unknown users cost the same time. Hashing is bounded to
// a few at a time: a login storm waits rather than exhausting memory.
func (s *Server) checkPassword(r *http.Request, hash, pw string) bool {
	select {
	case s.hashSem <- struct{}{}:
		defer func() { <-s.hashSem }()
	case <-r.Context().Done():
		return false
	}
	if hash == "" {
		s.dummyOnce.Do(func() { s.dummyHash, _ = auth.Hash("not a password: unknown user") })
		auth.Verify(s.dummyHash, pw)
		return false
	}
	return auth.Verify(hash, pw)
}

// cookie is the session cookie base (named as cookieName says) holding
// token until expires.
func (s *Server) cookie(r *http.Request, base, token string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name:     s.cookieName(r, base),
		Value:    token,
		Path:     "/",
		Expires:  expires,
		MaxAge:   int(expires.Sub(s.now()).Seconds()),
		HttpOnly: true,
		Secure:   s.secure(r),
		SameSite: http.SameSiteLaxMode,
	}
}

// logout ends the session and its WebSockets.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.sessions.DeleteSession(r.Context(), c.sess.ID); err != nil && !errors.Is(err, ErrNoSession) {
		return fmt.Errorf("delete session of %s: %w", c.user.Name, err)
	}
	s.hub.closeSession(c.sess.ID, "logged out")
	names := []string{UserCookieName(c.user.Name)}
	if ck, err := r.Cookie(s.cookieName(r, CookieName)); err == nil && auth.TokenID(ck.Value) == c.sess.ID {
		names = append(names, CookieName)
	}
	for _, name := range names {
		ck := s.cookie(r, name, "", time.Unix(0, 0))
		ck.MaxAge = -1
		http.SetCookie(w, ck)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type meResponse struct {
	User       string        `json:"user"`
	Display    string        `json:"display"`
	Roles      []config.Role `json:"roles"`
	Teams      []string      `json:"teams"`
	Supervises []string      `json:"supervises"`
	ListenIn   bool          `json:"listen_in"`
	CSRF       string        `json:"csrf"`
	Agent      *AgentRow     `json:"agent,omitempty"`
	// NotReadyReasons are the reasons an agent may choose.
	NotReadyReasons []string `json:"not_ready_reasons"`
	// WrapUp is each queue's After Call Work time in seconds.
	WrapUp map[string]float64 `json:"wrap_up"`
	// AssistRingSeconds is how long an assist rings the supervisor.
	AssistRingSeconds float64 `json:"assist_ring_seconds"`
	// ICEServers are the STUN and TURN servers the web softphone uses.
	ICEServers []ICEServer `json:"ice_servers"`
}

// me says who is logged in, what they may do, and for agents their row.
func (s *Server) me(w http.ResponseWriter, _ *http.Request, c *caller) error {
	out := meResponse{
		User:       c.user.Name,
		Display:    c.user.Display,
		Roles:      nonNil(c.user.Roles),
		Teams:      nonNil(c.view.teams),
		Supervises: nonNil(c.view.supTeams),
		ListenIn:   c.user.ListenIn,
		CSRF:       c.sess.CSRF,
	}
	cfg := s.eng.Config()
	out.NotReadyReasons = nonNil(cfg.NotReadyReasons)
	out.AssistRingSeconds = cfg.AssistRingTime.Seconds()
	out.ICEServers = nonNil(s.opts.ICEServers)
	out.WrapUp = map[string]float64{}
	for _, q := range cfg.Queues {
		out.WrapUp[q.Name] = q.WrapUp.Seconds()
	}
	if c.view.agent {
		row, err := s.agentRow(c.user.Name)
		switch {
		case err == nil:
			out.Agent = &row
		case !errors.Is(err, acd.ErrUnknownAgent):
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
