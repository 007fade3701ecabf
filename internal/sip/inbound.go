package sip

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/sdp"
)

// sdpResponse maps an SDP error to the response refusing the offer.
func sdpResponse(err error) (int, string) {
	if errors.Is(err, sdp.ErrMalformed) {
		return 400, "Bad Request"
	}
	return 488, "Not Acceptable Here"
}

// sdpWarnCode picks the Warning code (RFC 3261 20.43) for an SDP error.
func sdpWarnCode(err error) int {
	switch {
	case errors.Is(err, sdp.ErrNoCommonCodec), errors.Is(err, sdp.ErrNoCommonCrypto):
		return 305 // incompatible media format
	case errors.Is(err, sdp.ErrNoAudio):
		return 304 // media type not available
	default:
		return 399
	}
}

// onInvite takes a new INVITE, or passes a re-INVITE to its call.
func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if tagOf(req.To().Params) != "" {
		s.inDialog(req, tx)
		return
	}
	src, err := sourceIP(req)
	if err != nil {
		s.reply(req, tx, 400, "Bad Request")
		return
	}
	tr := s.trunkFor(src)
	if tr == nil {
		s.log.Warn("INVITE from unknown source refused", "src", req.Source(), "to", req.Recipient.String())
		s.reply(req, tx, 403, "Forbidden")
		return
	}
	if s.isDraining() {
		s.reply(req, tx, 503, "Service Unavailable", sip.NewHeader("Retry-After", "30"))
		return
	}
	c, err := s.newInbound(req, tx, tr)
	if err != nil {
		s.log.Info("INVITE refused", "src", req.Source(), "err", err)
		return
	}
	go func() {
		defer func() {
			if r := recover(); r != nil {
				c.handlerErr <- fmt.Errorf("handler panic: %v", r)
			}
		}()
		c.handlerErr <- s.cfg.Calls.InboundCall(c)
	}()
	c.run()
}

// newInbound checks an INVITE from trunk tr and builds its call with a
// media leg. On any failure it has answered the INVITE and released what
// it made; the error says why.
func (s *Server) newInbound(req *sip.Request, tx sip.ServerTransaction, tr *trunk) (*Call, error) {
	did := didOf(req, tr, s.cfg.KnownDID)
	if did == "" {
		s.reply(req, tx, 404, "Not Found", s.warning(399, "no number dialled"))
		return nil, errors.New("no number dialled")
	}
	contact := req.Contact()
	if contact == nil || contact.Address.Wildcard || contact.Address.Host == "" {
		s.reply(req, tx, 400, "Bad Request", s.warning(399, "INVITE needs a Contact"))
		return nil, errors.New("no Contact")
	}

	var offer *sdp.Offer
	var choice sdp.Choice
	if len(req.Body()) > 0 {
		if !isSDP(req.ContentType()) {
			s.reply(req, tx, 415, "Unsupported Media Type", sip.NewHeader("Accept", "application/sdp"))
			return nil, errors.New("body is not SDP")
		}
		o, err := sdp.ParseOffer(req.Body())
		if err == nil {
			choice, err = o.Choose()
		}
		if err != nil {
			code, reason := sdpResponse(err)
			s.reply(req, tx, code, reason, s.warning(sdpWarnCode(err), err.Error()))
			return nil, fmt.Errorf("offer: %w", err)
		}
		offer = &o
	}

	if err := tx.Respond(s.response(req, 100, "Trying", nil)); err != nil {
		return nil, fmt.Errorf("100 Trying: %w", err)
	}

	leg, err := s.cfg.Media.NewLeg()
	if err != nil {
		s.reply(req, tx, 503, "Service Unavailable", s.warning(399, "no media resources"))
		return nil, fmt.Errorf("new media leg: %w", err)
	}

	invite := req.Clone()
	invite.To().Params.Add("tag", newID())
	c := newCall(s, Inbound, req.CallID().Value(), leg)
	c.trunk = tr.name
	c.caller = req.From().Address.User
	c.callerName = req.From().DisplayName
	c.did = did
	c.cancelled = make(chan struct{})
	c.handlerErr = make(chan error, 1)
	c.dialogID = sip.DialogIDMake(c.callID, tagOf(invite.To().Params), tagOf(req.From().Params))
	c.log = c.log.With("trunk", tr.name, "from", c.caller, "did", did)

	srcAddr, _ := sourceAddr(req.Source())
	d := &c.d
	d.transport = req.Transport()
	d.l = s.listenerFor(networkOf(d.transport), srcAddr.Addr())
	if d.l == nil {
		leg.Close()
		s.reply(req, tx, 500, "Server Internal Error")
		return nil, fmt.Errorf("no %s listener", d.transport)
	}
	d.invite = invite
	d.inviteTx = tx
	to := invite.To()
	d.local = &sip.FromHeader{DisplayName: to.DisplayName, Address: *to.Address.Clone(), Params: to.Params.Clone()}
	from := req.From()
	d.remote = &sip.ToHeader{DisplayName: from.DisplayName, Address: *from.Address.Clone(), Params: from.Params.Clone()}
	d.target = *contact.Address.Clone()
	for _, h := range req.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			d.routes = append(d.routes, *rr.Address.Clone())
		}
	}
	if sip.IsReliable(d.transport) {
		d.dest = req.Source() // reuse the caller's connection
	}
	d.contact = d.l.contact("earshot")
	d.remoteSeq = req.CSeq().SeqNo
	d.localSeq = 1
	d.mediaIP = mediaIPFor(d.l)
	d.offer = offer

	if offer != nil {
		if choice.SRTP != nil {
			key, err := c.sendKey(choice.SRTP.Suite)
			if err != nil {
				leg.Close()
				s.reply(req, tx, 500, "Server Internal Error")
				return nil, err
			}
			choice.SRTP.Local = key
		}
		if err := c.apply(choice); err != nil {
			leg.Close()
			s.reply(req, tx, 488, "Not Acceptable Here", s.warning(399, err.Error()))
			return nil, fmt.Errorf("media: %w", err)
		}
	}
	if !tx.OnCancel(func(*sip.Request) { c.cancelOnce.Do(func() { close(c.cancelled) }) }) {
		leg.Close()
		return nil, errors.New("INVITE transaction ended before the call was set up")
	}
	if err := s.track(c); err != nil {
		leg.Close()
		s.reply(req, tx, 503, "Service Unavailable")
		return nil, err
	}
	c.log.Info("inbound call")
	return c, nil
}

// didOf is the number an INVITE on trunk tr dialled: the Request-URI's
// user, unless the trunk registers with its carrier and the Request-URI
// is the Contact earshot registered (RFC 3261 10: the registrar sends the
// call to exactly that binding, user and all) or is no number while To's
// user is; then the dialled number is To's user. A Request-URI user that
// is one of earshot's DIDs (known) always wins, and To's user is taken
// only when it is one.
func didOf(req *sip.Request, tr *trunk, known func(string) bool) string {
	ru, to := req.Recipient.User, req.To().Address.User
	if ru == "" {
		return to
	}
	if tr.registrar == nil || to == "" || to == ru {
		return ru
	}
	if known != nil && (known(ru) || !known(to)) {
		return ru
	}
	if ru == tr.user || (!isNumber(ru) && isNumber(to)) {
		return to
	}
	return ru
}

// isNumber reports whether s is a dialled number: digits, with an
// optional leading "+".
func isNumber(s string) bool {
	d := strings.TrimPrefix(s, "+")
	return d != "" && strings.Trim(d, "0123456789") == ""
}
