package sip

import (
	"crypto/subtle"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/clock"
)

// sipDate is the Date header format (RFC 3261 20.17).
const sipDate = "Mon, 02 Jan 2006 15:04:05 GMT"

// Contact is one registered phone of a user.
type Contact struct {
	// URI is the phone's Contact URI.
	URI string
	// Source is where its REGISTER came from; earshot sends requests for
	// a UDP or TCP phone there, which works behind NAT.
	Source netip.AddrPort
	// Transport is "udp", "tcp" or "tls".
	Transport string
	// Expires is when the registration lapses.
	Expires time.Time
	// UserAgent is what the phone calls itself.
	UserAgent string
}

// binding is a Contact with what the registrar needs to order updates.
type binding struct {
	Contact
	uri    sip.Uri
	key    string // the URI compared for equality
	callID string
	seq    uint32
}

// registrar holds registrations in memory. They are soft state: a restart
// loses them and phones register again.
type registrar struct {
	clock         clock.Clock
	def, min, max time.Duration
	maxPerUser    int
	mu            sync.Mutex           // guards users
	users         map[string][]binding // by user name
}

func newRegistrar(cfg Config) *registrar {
	return &registrar{
		clock:      cfg.Clock,
		def:        cfg.DefaultExpires,
		min:        cfg.MinExpires,
		max:        cfg.MaxExpires,
		maxPerUser: cfg.MaxContacts,
		users:      make(map[string][]binding),
	}
}

// Contacts returns the live registrations of user, most recent first.
func (s *Server) Contacts(user string) []Contact {
	return s.reg.contacts(user)
}

func (r *registrar) contacts(user string) []Contact {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Contact
	bs := r.users[user]
	for i := len(bs) - 1; i >= 0; i-- {
		if now.Before(bs[i].Expires) {
			out = append(out, bs[i].Contact)
		}
	}
	return out
}

// expire drops lapsed registrations.
func (r *registrar) expire() {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for u, bs := range r.users {
		kept := bs[:0]
		for _, b := range bs {
			if now.Before(b.Expires) {
				kept = append(kept, b)
			}
		}
		if len(kept) == 0 {
			delete(r.users, u)
		} else {
			r.users[u] = kept
		}
	}
}

// regError is a REGISTER refused with a response.
type regError struct {
	code    int
	reason  string
	headers []sip.Header
	warn    string
}

func (e *regError) Error() string { return fmt.Sprintf("%d %s: %s", e.code, e.reason, e.warn) }

func badRegister(format string, a ...any) *regError {
	return &regError{code: 400, reason: "Bad Request", warn: fmt.Sprintf(format, a...)}
}

// update applies an authenticated REGISTER for user (RFC 3261 10.3 steps
// 6-8) and returns the user's bindings afterwards.
func (r *registrar) update(user string, req *sip.Request, src netip.AddrPort) ([]binding, error) {
	var contacts []*sip.ContactHeader
	for _, h := range req.GetHeaders("Contact") {
		ch, ok := h.(*sip.ContactHeader)
		if !ok {
			return nil, badRegister("unreadable Contact")
		}
		contacts = append(contacts, ch)
	}
	headerExp := -1
	if h := req.GetHeader("Expires"); h != nil {
		n, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
		if err != nil {
			return nil, badRegister("Expires %q is not a number", h.Value())
		}
		headerExp = int(min(n, 1<<31-1))
	}
	callID := req.CallID().Value()
	seq := req.CSeq().SeqNo
	ua := ""
	if h := req.GetHeader("User-Agent"); h != nil {
		ua = h.Value()
	}
	now := r.clock.Now()

	r.mu.Lock()
	defer r.mu.Unlock()
	bs := r.live(user, now)

	if len(contacts) == 1 && contacts[0].Address.Wildcard {
		if headerExp != 0 {
			return nil, badRegister("Contact: * needs Expires: 0")
		}
		for _, b := range bs {
			if b.callID == callID && seq <= b.seq {
				return nil, &regError{code: 500, reason: "Server Internal Error", warn: "CSeq out of order"}
			}
		}
		delete(r.users, user)
		return nil, nil
	}

	next := append([]binding(nil), bs...)
	for _, ch := range contacts {
		if ch.Address.Wildcard {
			return nil, badRegister("Contact: * must stand alone")
		}
		if ch.Address.Host == "" {
			return nil, badRegister("Contact without host")
		}
		exp := headerExp
		if v, ok := ch.Params.Get("expires"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			if err != nil {
				return nil, badRegister("Contact expires %q is not a number", v)
			}
			exp = int(min(n, 1<<31-1))
		}
		life := r.def
		if exp >= 0 {
			life = time.Duration(exp) * time.Second
		}
		if life != 0 && life < r.min {
			return nil, &regError{code: 423, reason: "Interval Too Brief",
				headers: []sip.Header{sip.NewHeader("Min-Expires", strconv.Itoa(int(r.min/time.Second)))}}
		}
		life = min(life, r.max)

		key := bindingKey(ch.Address)
		i := indexOf(next, key)
		if i >= 0 && next[i].callID == callID && seq <= next[i].seq {
			return nil, &regError{code: 500, reason: "Server Internal Error", warn: "CSeq out of order"}
		}
		if life == 0 {
			if i >= 0 {
				next = append(next[:i], next[i+1:]...)
			}
			continue
		}
		b := binding{
			Contact: Contact{
				URI:       ch.Address.String(),
				Source:    src,
				Transport: networkOf(req.Transport()),
				Expires:   now.Add(life),
				UserAgent: ua,
			},
			uri:    *ch.Address.Clone(),
			key:    key,
			callID: callID,
			seq:    seq,
		}
		if i >= 0 {
			next = append(next[:i], next[i+1:]...)
		}
		next = append(next, b)
	}
	if len(next) > r.maxPerUser {
		return nil, &regError{code: 403, reason: "Forbidden", warn: fmt.Sprintf("at most %d registered phones", r.maxPerUser)}
	}
	if len(next) == 0 {
		delete(r.users, user)
	} else {
		r.users[user] = next
	}
	return next, nil
}

// live returns user's unexpired bindings. r.mu must be held.
func (r *registrar) live(user string, now time.Time) []binding {
	var out []binding
	for _, b := range r.users[user] {
		if now.Before(b.Expires) {
			out = append(out, b)
		}
	}
	return out
}

// bindingKey is the part of a Contact URI that identifies a binding.
func bindingKey(u sip.Uri) string {
	k := strings.ToLower(u.Scheme) + ":" + u.User + "@" + strings.ToLower(u.Host) + ":" + strconv.Itoa(u.Port)
	if tp, ok := u.UriParams.Get("transport"); ok {
		k += ";transport=" + strings.ToLower(tp)
	}
	return k
}

func indexOf(bs []binding, key string) int {
	for i := range bs {
		if bs[i].key == key {
			return i
		}
	}
	return -1
}

// onRegister authenticates a REGISTER and updates the user's bindings.
func (s *Server) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	src, err := sourceAddr(req.Source())
	if err != nil {
		s.reply(req, tx, 400, "Bad Request")
		return
	}
	ipKey := src.Addr().String()
	if !s.cfg.AuthLimiter.Allow(ipKey) {
		s.log.Warn("REGISTER refused: too many failed attempts", "src", ipKey)
		s.reply(req, tx, 403, "Forbidden")
		return
	}
	user := req.To().Address.User
	if user == "" {
		s.reply(req, tx, 404, "Not Found")
		return
	}

	h := req.GetHeader("Authorization")
	if h == nil {
		s.challenge(req, tx, src.Addr(), false)
		return
	}
	creds, err := parseDigest(h.Value())
	if err != nil {
		s.reply(req, tx, 400, "Bad Request", s.warning(399, err.Error()))
		return
	}
	valid, stale := s.nonces.check(creds.nonce, src.Addr())
	alg := strings.ToUpper(creds.algorithm)
	if !valid || creds.realm != s.cfg.Realm || (alg != "" && alg != "MD5") ||
		(creds.qop != "" && !strings.EqualFold(creds.qop, "auth")) {
		// Not an answer to one of our challenges: challenge afresh.
		s.challenge(req, tx, src.Addr(), false)
		return
	}

	// An unknown user is checked against a password nobody has, so a
	// wrong user and a wrong password look and cost the same.
	password, known := "", false
	if s.cfg.Users != nil {
		password, known = s.cfg.Users.SIPPassword(creds.username)
	}
	if !known {
		password = "\x00unknown user " + newID()
	}
	want := digestResponse(creds, string(req.Method), password)
	match := subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(creds.response))) == 1
	if !match || !known || creds.username != user {
		s.cfg.AuthLimiter.Fail(ipKey)
		s.log.Warn("REGISTER authentication failed", "src", ipKey, "user", user)
		s.reply(req, tx, 403, "Forbidden")
		s.notify("auth-failed", user)
		return
	}
	if stale {
		s.challenge(req, tx, src.Addr(), true)
		return
	}
	if r, ok := s.cfg.AuthLimiter.(interface{ Reset(string) }); ok {
		r.Reset(ipKey)
	}

	bs, err := s.reg.update(user, req, src)
	if err != nil {
		re, ok := err.(*regError)
		if !ok {
			re = &regError{code: 500, reason: "Server Internal Error", warn: err.Error()}
		}
		hs := re.headers
		if re.warn != "" {
			hs = append(hs, s.warning(399, re.warn))
		}
		s.reply(req, tx, re.code, re.reason, hs...)
		return
	}
	res := s.response(req, 200, "OK", nil)
	now := s.cfg.Clock.Now()
	for _, b := range bs {
		secs := int(b.Expires.Sub(now).Round(time.Second) / time.Second)
		ch := &sip.ContactHeader{Address: *b.uri.Clone(), Params: sip.NewParams()}
		ch.Params.Add("expires", strconv.Itoa(max(secs, 0)))
		res.AppendHeader(ch)
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(sipDate)))
	if err := tx.Respond(res); err != nil {
		s.log.Debug("respond to REGISTER", "err", err)
	}
	s.log.Info("registered", "user", user, "contacts", len(bs), "src", src.String())
	s.notify("registered", user)
}

func (s *Server) notify(event, user string) {
	if s.cfg.observe != nil {
		s.cfg.observe(event, user)
	}
}

func (s *Server) challenge(req *sip.Request, tx sip.ServerTransaction, ip netip.Addr, stale bool) {
	s.reply(req, tx, 401, "Unauthorized",
		sip.NewHeader("WWW-Authenticate", challenge(s.cfg.Realm, s.nonces.issue(ip), stale)))
}
