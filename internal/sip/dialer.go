package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/sdp"
)

// DialRequest says whom Dial calls.
type DialRequest struct {
	// To is "user:NAME" for the phones NAME registered (all are rung, the
	// first to answer wins), or a number or sip:/tel: URI, which the dial
	// plan must allow. Numbers go out through the outbound trunk.
	To string
	// From is the caller ID: the display name, and the user part too when
	// it is a number.
	From string
	// Headers are extra headers for the INVITE (e.g. Alert-Info). Headers
	// that make up the dialog or body cannot be set.
	Headers map[string]string
}

// target is one destination of a Dial.
type target struct {
	uri       sip.Uri // Request-URI
	dest      string  // next hop host:port
	transport string  // "UDP", "TCP" or "TLS"
	trunk     *trunk  // non-nil when the request goes to a trunk
	keepDest  bool    // send in-dialog requests to dest too (NAT)
}

// Dial calls req.To and returns the answered call. ctx bounds the ringing:
// when it ends first, the INVITE is cancelled and the error wraps
// ErrNoAnswer. A number or URI is checked with the dial plan before
// anything is sent. Failures wrap ErrBusy, ErrNoAnswer, ErrRejected (with
// a *ResponseError), ErrUnreachable, ErrNotRegistered, ErrNoTrunk,
// ErrInvalidTarget, ErrMedia or ErrShuttingDown, or the dial plan's error.
func (s *Server) Dial(ctx context.Context, req DialRequest) (*Call, error) {
	if s.isDraining() {
		return nil, ErrShuttingDown
	}
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.wg.Done()
	headers, err := checkHeaders(req.Headers)
	if err != nil {
		return nil, fmt.Errorf("dial %q: %w", req.To, err)
	}
	if strings.ContainsAny(req.From, "\"\\\r\n\x00") {
		return nil, fmt.Errorf("dial %q: caller ID %q: %w", req.To, req.From, ErrInvalidTarget)
	}
	targets, err := s.targets(req.To)
	if err != nil {
		return nil, fmt.Errorf("dial %q: %w", req.To, err)
	}
	select {
	case <-s.ready:
	case <-s.stop:
		return nil, ErrShuttingDown
	case <-ctx.Done():
		return nil, fmt.Errorf("dial %q: %w: %w", req.To, ErrNoAnswer, context.Cause(ctx))
	}
	if len(targets) == 1 {
		return s.attempt(ctx, targets[0], req, headers, nil)
	}
	return s.fork(ctx, targets, req, headers)
}

// fork rings every target at once; the first to answer wins and the rest
// are cancelled (or, if they answered too, hung up).
func (s *Server) fork(ctx context.Context, targets []target, req DialRequest, headers []sip.Header) (*Call, error) {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex // guards won
	won := false
	claim := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if won {
			return false
		}
		won = true
		cancel()
		return true
	}
	type result struct {
		c   *Call
		err error
	}
	results := make(chan result, len(targets))
	for _, t := range targets {
		go func() {
			c, err := s.attempt(fctx, t, req, headers, claim)
			results <- result{c, err}
		}()
	}
	var winner *Call
	var errs []error
	for range targets {
		r := <-results
		if r.c != nil {
			winner = r.c
		} else {
			errs = append(errs, r.err)
		}
	}
	if winner != nil {
		return winner, nil
	}
	for _, err := range errs {
		if errors.Is(err, ErrBusy) {
			return nil, err
		}
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("dial %q: %w: %w", req.To, ErrNoAnswer, context.Cause(ctx))
	}
	return nil, errors.Join(errs...)
}

// targets resolves a DialRequest.To into destinations.
func (s *Server) targets(to string) ([]target, error) {
	to = strings.TrimSpace(to)
	if name, ok := strings.CutPrefix(to, "user:"); ok {
		if name == "" {
			return nil, fmt.Errorf("no user name: %w", ErrInvalidTarget)
		}
		var out []target
		for _, c := range s.reg.contacts(name) {
			var u sip.Uri
			if err := sip.ParseUri(c.URI, &u); err != nil {
				continue
			}
			t := target{uri: u, dest: c.Source.String(), transport: strings.ToUpper(c.Transport), keepDest: true}
			// A phone is reached where it registered from, which works
			// behind NAT; over TCP or TLS only while its connection lasts.
			if c.Transport != "udp" && !s.hasConn(c.Transport, t.dest) {
				port := u.Port
				if port == 0 {
					port = 5060
					if c.Transport == "tls" {
						port = 5061
					}
				}
				t.dest, t.keepDest = joinHostPort(u.Host, port), false
			}
			out = append(out, t)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s: %w", name, ErrNotRegistered)
		}
		return out, nil
	}

	if s.cfg.DialPlan == nil {
		return nil, fmt.Errorf("no dial plan configured: %w", ErrInvalidTarget)
	}
	resolved := to
	if r, ok := s.cfg.DialPlan.(interface {
		Resolve(string) (string, error)
	}); ok {
		v, err := r.Resolve(to)
		if err != nil {
			return nil, err
		}
		resolved = v
	} else if err := s.cfg.DialPlan.Check(to); err != nil {
		return nil, err
	}

	lower := strings.ToLower(resolved)
	switch {
	case strings.HasPrefix(lower, "sip:"), strings.HasPrefix(lower, "sips:"):
		return s.uriTarget(resolved)
	case strings.HasPrefix(lower, "tel:"):
		resolved = resolved[len("tel:"):]
	}
	return s.numberTarget(resolved)
}

func (s *Server) uriTarget(raw string) ([]target, error) {
	var u sip.Uri
	if err := sip.ParseUri(raw, &u); err != nil {
		return nil, fmt.Errorf("URI %q: %v: %w", raw, err, ErrInvalidTarget)
	}
	if u.User == "" || u.Host == "" {
		return nil, fmt.Errorf("URI %q needs a user and a host: %w", raw, ErrInvalidTarget)
	}
	transport := "UDP"
	if u.Scheme == "sips" {
		transport = "TLS"
	}
	if tp, ok := u.UriParams.Get("transport"); ok {
		transport = strings.ToUpper(tp)
	}
	port := u.Port
	if port == 0 {
		port = 5060
		if transport == "TLS" {
			port = 5061
		}
	}
	t := target{uri: u, dest: joinHostPort(u.Host, port), transport: transport}
	if tr := s.outboundTrunk(); tr != nil && strings.EqualFold(tr.hostPort(), t.dest) {
		t.trunk = tr
	}
	return []target{t}, nil
}

func (s *Server) numberTarget(number string) ([]target, error) {
	tr := s.outboundTrunk()
	if tr == nil {
		return nil, ErrNoTrunk
	}
	for _, r := range number {
		if (r < '0' || r > '9') && r != '+' && r != '*' && r != '#' {
			return nil, fmt.Errorf("%q is not a number: %w", number, ErrInvalidTarget)
		}
	}
	if number == "" {
		return nil, fmt.Errorf("empty number: %w", ErrInvalidTarget)
	}
	u := sip.Uri{Scheme: tr.outbound.Scheme, User: number, Host: tr.outbound.Host, Port: tr.outbound.Port}
	transport := "UDP"
	if u.Scheme == "sips" {
		transport = "TLS"
	}
	if tp, ok := tr.outbound.UriParams.Get("transport"); ok {
		transport = strings.ToUpper(tp)
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", strings.ToLower(tp))
	}
	return []target{{uri: u, dest: tr.hostPort(), transport: transport, trunk: tr}}, nil
}

// hasConn reports whether a stream connection to addr is open.
func (s *Server) hasConn(network, addr string) bool {
	c, err := s.ua.TransportLayer().GetConnection(network, addr)
	if err != nil || c == nil {
		return false
	}
	c.TryClose() // drops the reference GetConnection took
	return true
}

// reservedHeaders make up the dialog, routing, auth or body.
var reservedHeaders = map[string]bool{
	"via": true, "v": true, "from": true, "f": true, "to": true, "t": true,
	"call-id": true, "i": true, "cseq": true, "contact": true, "m": true,
	"content-length": true, "l": true, "content-type": true, "c": true,
	"max-forwards": true, "route": true, "record-route": true,
	"authorization": true, "proxy-authorization": true,
}

func checkHeaders(in map[string]string) ([]sip.Header, error) {
	out := make([]sip.Header, 0, len(in))
	for name, value := range in {
		if name == "" || len(name) > 64 || strings.IndexFunc(name, notTokenChar) >= 0 {
			return nil, fmt.Errorf("header name %q: %w", name, ErrInvalidTarget)
		}
		if reservedHeaders[strings.ToLower(name)] {
			return nil, fmt.Errorf("header %q cannot be set: %w", name, ErrInvalidTarget)
		}
		if len(value) > 1024 || strings.ContainsAny(value, "\r\n\x00") {
			return nil, fmt.Errorf("header %q value: %w", name, ErrInvalidTarget)
		}
		out = append(out, sip.NewHeader(name, value))
	}
	return out, nil
}

// notTokenChar reports characters outside an RFC 3261 token.
func notTokenChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("-.!%*_+`'~", r)
}

// callerUser is the From user part: the trunk's caller ID, else the
// call's caller ID when it is a number.
func callerUser(from string, tr *trunk) string {
	if tr != nil && tr.callerID != "" {
		return tr.callerID
	}
	if from != "" && strings.Trim(from, "+0123456789") == "" && len(from) <= 32 {
		return from
	}
	if tr != nil && tr.user != "" {
		return tr.user
	}
	return "earshot"
}

// attempt rings one target. claim, when non-nil, reports whether this
// branch of a fork is the first to answer.
func (s *Server) attempt(ctx context.Context, t target, req DialRequest, headers []sip.Header, claim func() bool) (*Call, error) {
	l := s.listenerFor(networkOf(t.transport), netipAddrOf(t.dest))
	if l == nil {
		return nil, fmt.Errorf("dial %q: no %s listener: %w", req.To, t.transport, ErrInvalidTarget)
	}
	leg, err := s.cfg.Media.NewLeg()
	if err != nil {
		return nil, fmt.Errorf("dial %q: %w: %w", req.To, ErrMedia, err)
	}
	c := newCall(s, Outbound, newID()+"@"+l.host, leg)
	c.did = req.To
	c.callerName = req.From
	if t.trunk != nil {
		c.trunk = t.trunk.name
	}
	c.caller = callerUser(req.From, t.trunk)
	c.log = c.log.With("to", req.To)
	d := &c.d
	d.l = l
	d.transport = t.transport
	d.mediaIP = mediaIPFor(l)
	d.contact = l.contact("earshot")
	fromHost := l.host
	if t.trunk != nil && t.trunk.fromDomain != "" {
		fromHost = t.trunk.fromDomain
	}
	d.local = &sip.FromHeader{
		DisplayName: req.From,
		Address:     sip.Uri{Scheme: "sip", User: c.caller, Host: fromHost},
		Params:      sip.NewParams(),
	}
	d.local.Params.Add("tag", newID())
	toURI := sip.Uri{Scheme: t.uri.Scheme, User: t.uri.User, Host: t.uri.Host, Port: t.uri.Port}
	d.remote = &sip.ToHeader{Address: toURI, Params: sip.NewParams()}
	d.target = t.uri
	d.dest = t.dest
	d.localSeq = 1

	// SRTP keys travel inside the SDP: offer them only where TLS hides them.
	offer, err := c.newOffer(t.transport == "TLS" && t.trunk == nil)
	if err != nil {
		leg.Close()
		return nil, fmt.Errorf("dial %q: %w: %w", req.To, ErrMedia, err)
	}
	invite := c.buildRequest(sip.INVITE, d.localSeq)
	invite.AppendHeader(sip.NewHeader("Allow", allowed))
	if t.trunk != nil && t.trunk.callerID != "" {
		invite.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<sip:"+t.trunk.callerID+"@"+fromHost+">"))
	}
	for _, h := range headers {
		invite.AppendHeader(sip.HeaderClone(h))
	}
	ct := sip.ContentTypeHeader("application/sdp")
	invite.AppendHeader(&ct)
	invite.SetBody(offer)

	tx, err := s.client.TransactionRequest(ctx, invite, asIs)
	if err != nil {
		leg.Close()
		return nil, fmt.Errorf("dial %q: %w: %w", req.To, ErrUnreachable, err)
	}
	c.log.Info("dialling")
	provisional := false
	authTries := 0
	for {
		select {
		case res := <-tx.Responses():
			switch {
			case res.IsProvisional():
				provisional = true
			case res.IsSuccess():
				return c.established(invite, res, tx, t, claim)
			case (res.StatusCode == 401 || res.StatusCode == 407) && t.trunk != nil && t.trunk.user != "" && authTries < 2:
				authTries++
				next, err := c.authorize(invite, res, t.trunk)
				if err != nil {
					leg.Close()
					return nil, fmt.Errorf("dial %q: %w", req.To, err)
				}
				tx.Terminate()
				invite = next
				d.localSeq = invite.CSeq().SeqNo
				if tx, err = s.client.TransactionRequest(ctx, invite, asIs); err != nil {
					leg.Close()
					return nil, fmt.Errorf("dial %q: %w: %w", req.To, ErrUnreachable, err)
				}
				provisional = false
			case res.StatusCode == 488 && d.offeredSRTP:
				// A phone that takes no SRTP: ask again with plain RTP.
				tx.Terminate()
				if invite, err = c.plainRetry(invite); err != nil {
					leg.Close()
					return nil, fmt.Errorf("dial %q: %w", req.To, err)
				}
				d.localSeq = invite.CSeq().SeqNo
				if tx, err = s.client.TransactionRequest(ctx, invite, asIs); err != nil {
					leg.Close()
					return nil, fmt.Errorf("dial %q: %w: %w", req.To, ErrUnreachable, err)
				}
				provisional = false
			default:
				leg.Close()
				c.log.Info("dial refused", "code", res.StatusCode)
				return nil, fmt.Errorf("dial %q: %w", req.To, responseError(res.StatusCode, res.Reason))
			}
		case <-tx.Done():
			leg.Close()
			kind := ErrUnreachable
			if provisional {
				kind = ErrNoAnswer
			}
			return nil, fmt.Errorf("dial %q: %w: %w", req.To, kind, tx.Err())
		case <-ctx.Done():
			leg.Close()
			s.abandonAsync(c, tx, invite, provisional)
			return nil, fmt.Errorf("dial %q: %w: %w", req.To, ErrNoAnswer, context.Cause(ctx))
		case <-s.stop:
			leg.Close()
			s.abandonAsync(c, tx, invite, provisional)
			return nil, fmt.Errorf("dial %q: %w", req.To, ErrShuttingDown)
		}
	}
}

// established turns a 2xx into a live call: ACK, dialog, media. A call
// that lost a fork, or whose answer cannot be used, is hung up at once.
func (c *Call) established(invite *sip.Request, res *sip.Response, tx sip.ClientTransaction, t target, claim func() bool) (*Call, error) {
	s := c.srv
	d := &c.d
	d.remote = &sip.ToHeader{DisplayName: res.To().DisplayName, Address: *res.To().Address.Clone(), Params: res.To().Params.Clone()}
	if ct := res.Contact(); ct != nil && !ct.Address.Wildcard && ct.Address.Host != "" {
		d.target = *ct.Address.Clone()
	}
	rrs := res.GetHeaders("Record-Route")
	for i := len(rrs) - 1; i >= 0; i-- {
		if rr, ok := rrs[i].(*sip.RecordRouteHeader); ok {
			d.routes = append(d.routes, *rr.Address.Clone())
		}
	}
	if !t.keepDest && !sip.IsReliable(d.transport) {
		d.dest = ""
	}
	c.dialogID = sip.DialogIDMake(c.callID, tagOf(d.local.Params), tagOf(d.remote.Params))

	ack := c.buildRequest(sip.ACK, invite.CSeq().SeqNo)
	if err := s.client.WriteRequest(ack, asIs); err != nil {
		c.log.Warn("send ACK", "err", err)
	}
	tx.OnRetransmission(func(r *sip.Response) {
		if r.IsSuccess() {
			if err := s.client.WriteRequest(ack.Clone(), asIs); err != nil {
				c.log.Debug("resend ACK", "err", err)
			}
		}
	})
	d.answered = true

	var failure error
	switch {
	case tagOf(d.remote.Params) == "":
		failure = fmt.Errorf("dial %q: 2xx without To tag: %w", c.did, ErrRejected)
	case claim != nil && !claim():
		failure = fmt.Errorf("dial %q: another phone answered first: %w", c.did, ErrNoAnswer)
	default:
		ch, err := sdp.ParseAnswer(res.Body())
		if err == nil {
			err = c.checkAnswer(&ch)
		}
		if err == nil {
			err = c.apply(ch)
		}
		if err != nil {
			failure = fmt.Errorf("dial %q: answer SDP: %w: %w", c.did, ErrMedia, err)
		}
	}

	if err := s.track(c); err != nil {
		c.leg.Close()
		c.bye()
		return nil, fmt.Errorf("dial %q: %w", c.did, err)
	}
	if failure != nil {
		reason := EndMedia
		if errors.Is(failure, ErrNoAnswer) {
			reason = EndLocalHangup
		}
		c.d.needBye = true
		c.end(reason)
		go c.run()
		return nil, failure
	}
	c.log.Info("call answered", "dialog", c.dialogID)
	go c.run()
	return c, nil
}

// abandonAsync gives up on an INVITE in the background: CANCEL once a
// provisional response has come (RFC 3261 9.1), and ACK then BYE a 2xx that
// crosses it.
func (s *Server) abandonAsync(c *Call, tx sip.ClientTransaction, invite *sip.Request, provisional bool) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c.leg = nopLeg{}
		c.abandon(tx, invite, provisional)
	}()
}
