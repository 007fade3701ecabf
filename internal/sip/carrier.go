package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/clock"
)

// Registration with carriers: a trunk with register set REGISTERs at its
// registrar with digest credentials, refreshes at half the granted
// lifetime, retries with backoff when it fails, and un-REGISTERs when it
// is removed or changed and at shutdown.

// RegState is a registration's state.
type RegState string

// The states of a registration with a carrier.
const (
	RegRegistering RegState = "registering" // the first REGISTER is under way
	RegRegistered  RegState = "registered"  // the carrier accepted; refreshed before Expires
	RegFailed      RegState = "failed"      // the last attempt failed; retried at NextAttempt
)

// Retry backoff after a failed registration: first delay, doubling to max.
const (
	regRetryFirst = 30 * time.Second
	regRetryMax   = 10 * time.Minute
)

// TrunkRegistration is the state of earshot's registration with one
// trunk's carrier.
type TrunkRegistration struct {
	Trunk     string   `json:"trunk"`
	Registrar string   `json:"registrar"` // where REGISTER goes
	State     RegState `json:"state"`
	// Reason says why the last attempt failed (state failed).
	Reason string `json:"reason,omitempty"`
	// Since is when the state began.
	Since time.Time `json:"since"`
	// Expires is when the registration lapses unless refreshed (registered).
	Expires time.Time `json:"expires,omitzero"`
	// NextAttempt is when earshot next sends REGISTER.
	NextAttempt time.Time `json:"next_attempt,omitzero"`
}

// Registrations reports the registration of every trunk set to register,
// in trunk order.
func (s *Server) Registrations() []TrunkRegistration {
	list := s.trunkList()
	out := make([]TrunkRegistration, 0, len(list))
	s.carriers.mu.Lock()
	defer s.carriers.mu.Unlock()
	for i := range list {
		if r := s.carriers.regs[list[i].name]; r != nil {
			out = append(out, r.snapshot())
		}
	}
	return out
}

// carriers keeps one registration per trunk set to register.
type carriers struct {
	srv *Server

	mu      sync.Mutex               // guards regs and running, and orders trunk list swaps
	regs    map[string]*registration // by trunk name
	running bool                     // Run has started and not yet stopped
	wg      sync.WaitGroup           // registration loops
}

func newCarriers(s *Server) *carriers {
	return &carriers{srv: s, regs: map[string]*registration{}}
}

// start begins registering the trunks in force; Run calls it.
func (cs *carriers) start(list func() []trunk) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.running = true
	cs.reconcile(list())
}

// update swaps the trunk list (swap) and brings registrations in line.
func (cs *carriers) update(list []trunk, swap func()) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	swap()
	if cs.running {
		cs.reconcile(list)
	}
}

// reconcile stops the registrations of trunks gone or changed and starts
// those of trunks new or changed. A new registration of a changed trunk
// waits until the old one has un-REGISTERed, so the two never cross.
func (cs *carriers) reconcile(list []trunk) {
	want := map[string]*trunk{}
	for i := range list {
		if list[i].registrar != nil {
			want[list[i].name] = &list[i]
		}
	}
	for name, r := range cs.regs {
		if t := want[name]; t == nil || t.regKey() != r.tr.regKey() {
			r.stop()
			delete(cs.regs, name)
			if t != nil {
				cs.regs[name] = cs.launch(t, r.done)
			}
		}
	}
	for name, t := range want {
		if cs.regs[name] == nil {
			cs.regs[name] = cs.launch(t, nil)
		}
	}
}

func (cs *carriers) launch(t *trunk, after <-chan struct{}) *registration {
	s := cs.srv
	r := &registration{
		srv:     s,
		tr:      t,
		log:     s.log.With("trunk", t.name, "registrar", t.registrar.String()),
		kick:    make(chan struct{}, 1),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
		callID:  newID(),
		expires: t.expires,
	}
	r.status = TrunkRegistration{Trunk: t.name, Registrar: t.registrar.String(), State: RegRegistering, Since: s.cfg.Clock.Now()}
	cs.wg.Add(1)
	go func() {
		defer cs.wg.Done()
		r.run(after)
	}()
	return r
}

// stopAll un-REGISTERs every trunk and waits for it (each bounded).
func (cs *carriers) stopAll() {
	cs.mu.Lock()
	cs.running = false
	for name, r := range cs.regs {
		r.stop()
		delete(cs.regs, name)
	}
	cs.mu.Unlock()
	cs.wg.Wait()
}

// trunkFrom returns the first trunk of list whose registrar answered
// from ip and whose binding there has not lapsed, or nil: a carrier sends
// calls from the proxy it registers at, for as long as it holds earshot's
// binding.
func (cs *carriers) trunkFrom(ip netip.Addr, list []trunk) *trunk {
	ip = ip.Unmap()
	now := cs.srv.cfg.Clock.Now()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for i := range list {
		if r := cs.regs[list[i].name]; r != nil && r.bound(ip, now) {
			return r.tr
		}
	}
	return nil
}

// registration is earshot's registration with one carrier. Its loop
// goroutine owns the SIP state (Call-ID, CSeq, lifetime, timer).
type registration struct {
	srv  *Server
	tr   *trunk
	log  *slog.Logger
	kick chan struct{} // send REGISTER now (the refresh or retry timer)
	quit chan struct{} // closed to un-REGISTER and end
	done chan struct{} // closed when the loop has ended

	// owned by the loop
	callID     string
	cseq       uint32
	expires    time.Duration // lifetime asked for
	failures   int
	registered bool
	unsure     bool // a REGISTER was cut short by the stop: the carrier may have bound it
	timer      clock.Timer

	mu     sync.Mutex // guards status, source and until
	status TrunkRegistration
	source netip.Addr // where the registrar answered from
	until  time.Time  // when the binding it granted lapses; zero: none
}

func (r *registration) snapshot() TrunkRegistration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// bound reports whether the registrar answered from ip and the binding
// it granted is still in force at now. A failed refresh leaves the
// binding until its lifetime ends; an un-REGISTER ends it.
func (r *registration) bound(ip netip.Addr, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.source.IsValid() && r.source == ip && now.Before(r.until)
}

func (r *registration) stop() { close(r.quit) }

func (r *registration) run(after <-chan struct{}) {
	defer close(r.done)
	if after != nil {
		select {
		case <-after:
		case <-r.quit:
			// A registration launched after this one waits on r.done:
			// it must not start while the old binding is being removed.
			<-after
			return
		}
	}
	select {
	case <-r.srv.ready:
	case <-r.quit:
		return
	}
	for {
		r.attempt()
		select {
		case <-r.kick:
		case <-r.quit:
			if r.timer != nil {
				r.timer.Stop()
			}
			if r.registered || r.unsure {
				r.unregister()
			}
			return
		}
	}
}

// attempt registers once (answering a challenge, and a 423 once) and
// arms the timer for the refresh or the retry.
func (r *registration) attempt() {
	ctx, cancel := context.WithTimeout(context.Background(), 64*r.srv.t1())
	defer cancel()
	go func() {
		select {
		case <-r.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	granted, src, err := r.register(ctx, r.expires)
	var brief *intervalTooBrief
	if errors.As(err, &brief) && brief.min > r.expires {
		r.log.Info("registrar wants a longer registration", "min_expires", brief.min)
		r.expires = brief.min
		granted, src, err = r.register(ctx, r.expires)
	}
	now := r.srv.cfg.Clock.Now()
	if err != nil {
		select {
		case <-r.quit:
			// Stopping: not a failure. The carrier may still have taken
			// the REGISTER whose answer was not awaited.
			r.unsure = true
			return
		default:
		}
		r.registered = false
		r.failures++
		delay := regRetryFirst << min(r.failures-1, 5)
		delay = min(delay, regRetryMax)
		r.log.Warn("registration with carrier failed", "err", err, "retry_in", delay)
		r.set(func(st *TrunkRegistration) {
			if st.State != RegFailed {
				st.Since = now
			}
			st.State, st.Reason, st.Expires, st.NextAttempt = RegFailed, err.Error(), time.Time{}, now.Add(delay)
		})
		r.arm(delay)
		r.srv.notify("trunk-failed", r.tr.name)
		return
	}
	if !r.registered {
		r.log.Info("registered with carrier", "expires", granted)
	}
	r.registered = true
	r.failures = 0
	refresh := max(granted/2, time.Second)
	r.set(func(st *TrunkRegistration) {
		if st.State != RegRegistered {
			st.Since = now
		}
		st.State, st.Reason, st.Expires, st.NextAttempt = RegRegistered, "", now.Add(granted), now.Add(refresh)
	})
	r.bind(src, now.Add(granted))
	r.arm(refresh)
	r.srv.notify("trunk-registered", r.tr.name)
}

func (r *registration) set(f func(*TrunkRegistration)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.status)
}

// bind notes the binding the registrar at src granted, until then (zero
// src: none).
func (r *registration) bind(src netip.Addr, until time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.source, r.until = src.Unmap(), until
}

func (r *registration) arm(d time.Duration) {
	if r.timer != nil {
		r.timer.Stop()
	}
	select {
	case <-r.kick: // a timer that fired during the attempt
	default:
	}
	r.timer = r.srv.cfg.Clock.AfterFunc(d, func() {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	})
}

// unregister sends REGISTER with Expires: 0, bounded in time: earshot is
// leaving, or the trunk changed.
func (r *registration) unregister() {
	ctx, cancel := context.WithTimeout(context.Background(), min(64*r.srv.t1(), 3*time.Second))
	defer cancel()
	r.bind(netip.Addr{}, time.Time{})
	if _, _, err := r.register(ctx, 0); err != nil {
		r.log.Warn("un-REGISTER with carrier failed", "err", err)
	} else {
		r.log.Info("un-registered from carrier")
	}
	r.srv.notify("trunk-unregistered", r.tr.name)
}

// intervalTooBrief is a 423 answer: the registrar wants at least min.
type intervalTooBrief struct{ min time.Duration }

func (e *intervalTooBrief) Error() string {
	return fmt.Sprintf("423 Interval Too Brief (Min-Expires %s)", e.min)
}

// register sends one REGISTER asking for expires (0 removes the binding),
// answers one digest challenge, and returns the lifetime granted and the
// address the registrar answered from.
func (r *registration) register(ctx context.Context, expires time.Duration) (time.Duration, netip.Addr, error) {
	s := r.srv
	t := r.tr
	transport := uriTransport(t.registrar)
	dest := uriHostPort(t.registrar)
	l := s.listenerFor(networkOf(transport), netipAddrOf(dest))
	if l == nil {
		return 0, netip.Addr{}, fmt.Errorf("no %s listener for %s", transport, dest)
	}
	secs := int(expires / time.Second)
	req := r.request(l, transport, dest, secs)
	tx, err := s.client.TransactionRequest(ctx, req, asIs)
	if err != nil {
		return 0, netip.Addr{}, fmt.Errorf("send REGISTER to %s: %w", dest, err)
	}
	authTries := 0
	for {
		select {
		case res := <-tx.Responses():
			switch {
			case res.IsProvisional():
				continue
			case res.IsSuccess():
				tx.Terminate()
				src, _ := sourceAddr(res.Source())
				if secs == 0 {
					return 0, src.Addr(), nil
				}
				granted := grantedExpires(res, l, t.user, expires)
				if granted <= 0 {
					return 0, netip.Addr{}, errors.New("the registrar granted no lifetime")
				}
				return granted, src.Addr(), nil
			case (res.StatusCode == 401 || res.StatusCode == 407) && authTries < 1:
				authTries++
				next, err := r.authorize(req, res, l)
				if err != nil {
					tx.Terminate()
					return 0, netip.Addr{}, err
				}
				tx.Terminate()
				req = next
				if tx, err = s.client.TransactionRequest(ctx, req, asIs); err != nil {
					return 0, netip.Addr{}, fmt.Errorf("send REGISTER to %s: %w", dest, err)
				}
			case res.StatusCode == 423:
				tx.Terminate()
				minSecs := 0
				if h := res.GetHeader("Min-Expires"); h != nil {
					minSecs, _ = strconv.Atoi(strings.TrimSpace(h.Value()))
				}
				if minSecs <= 0 || minSecs > maxExpiresSecs {
					return 0, netip.Addr{}, errors.New("423 Interval Too Brief without Min-Expires")
				}
				return 0, netip.Addr{}, &intervalTooBrief{min: time.Duration(minSecs) * time.Second}
			default:
				tx.Terminate()
				if res.StatusCode == 401 || res.StatusCode == 407 {
					return 0, netip.Addr{}, fmt.Errorf("%d %s: the carrier refused the username and password", res.StatusCode, res.Reason)
				}
				return 0, netip.Addr{}, fmt.Errorf("%d %s", res.StatusCode, res.Reason)
			}
		case <-tx.Done():
			err := tx.Err()
			if err == nil {
				err = errors.New("transaction ended")
			}
			return 0, netip.Addr{}, fmt.Errorf("no answer from %s: %w", dest, err)
		case <-ctx.Done():
			tx.Terminate()
			return 0, netip.Addr{}, fmt.Errorf("no answer from %s: %w", dest, ctx.Err())
		}
	}
}

// request builds a REGISTER for the binding of l's Contact.
func (r *registration) request(l *listener, transport, dest string, secs int) *sip.Request {
	t := r.tr
	reqURI := sip.Uri{Scheme: t.registrar.Scheme, Host: t.registrar.Host, Port: t.registrar.Port}
	if tp, ok := t.registrar.UriParams.Get("transport"); ok {
		reqURI.UriParams = sip.NewParams()
		reqURI.UriParams.Add("transport", tp)
	}
	aor := sip.Uri{Scheme: t.registrar.Scheme, User: t.user, Host: t.registrar.Host}
	req := sip.NewRequest(sip.REGISTER, reqURI)
	req.AppendHeader(l.via())
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", newID())
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	cid := sip.CallIDHeader(r.callID)
	req.AppendHeader(&cid)
	r.cseq++
	req.AppendHeader(&sip.CSeqHeader{SeqNo: r.cseq, MethodName: sip.REGISTER})
	req.AppendHeader(l.contact(t.user))
	exp := sip.ExpiresHeader(secs)
	req.AppendHeader(&exp)
	req.AppendHeader(sip.NewHeader("User-Agent", r.srv.cfg.UserAgent))
	req.SetBody(nil)
	req.SetTransport(transport)
	req.SetDestination(dest)
	l.bindLocal(req)
	return req
}

// authorize answers a registrar's challenge: the same REGISTER with
// credentials, a new branch and the next CSeq.
func (r *registration) authorize(req *sip.Request, res *sip.Response, l *listener) (*sip.Request, error) {
	next, err := withCredentials(req, res, r.tr.user, r.tr.pass, l, r.cseq+1)
	var missing errNoChallenge
	switch {
	case errors.As(err, &missing):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("registrar %w", err)
	}
	r.cseq++
	return next, nil
}

// maxExpiresSecs bounds a lifetime read from a registrar (RFC 3261: at
// most 2**32-1 seconds).
const maxExpiresSecs = 1<<32 - 1

// grantedExpires reads the lifetime a 2xx grants earshot's binding: the
// expires parameter of our Contact, else the Expires header, else what
// was asked.
func grantedExpires(res *sip.Response, l *listener, user string, asked time.Duration) time.Duration {
	ours := l.contact(user).Address
	var contacts []*sip.ContactHeader
	for _, h := range res.GetHeaders("Contact") {
		if c, ok := h.(*sip.ContactHeader); ok {
			contacts = append(contacts, c)
		}
	}
	pick := slices.IndexFunc(contacts, func(c *sip.ContactHeader) bool {
		return c.Address.User == ours.User && c.Address.Host == ours.Host && c.Address.Port == ours.Port
	})
	if pick < 0 && len(contacts) == 1 {
		pick = 0
	}
	if pick >= 0 {
		if v, ok := contacts[pick].Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= maxExpiresSecs {
				return time.Duration(n) * time.Second
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n >= 0 && n <= maxExpiresSecs {
			return time.Duration(n) * time.Second
		}
	}
	return asked
}
