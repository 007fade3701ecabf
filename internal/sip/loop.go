package sip

import (
	"context"
	"errors"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/sdp"
)

// byeTimeout bounds the wait for a BYE's response: the call is over for
// earshot either way.
const byeTimeout = 5 * time.Second

// run is the call's loop: it owns c.d and does all of the call's SIP work
// until the call ends. The server tracks the call before run starts.
func (c *Call) run() {
	defer c.finish()
	c.d.timer = time.NewTimer(time.Hour)
	c.d.timer.Stop()

	var txDone <-chan struct{}
	if c.d.inviteTx != nil {
		txDone = c.d.inviteTx.Done()
	}
	for !c.ended {
		if c.d.answered {
			txDone = nil // the transaction ends on its own timers after a 2xx
		}
		select {
		case cmd := <-c.cmds:
			cmd.reply <- c.command(cmd)
		case d := <-c.inbox:
			c.request(d.req, d.tx)
			close(d.handled)
		case err := <-c.handlerErr:
			c.handlerDone(err)
		case <-c.cancelled:
			c.cancelled = nil
			if !c.d.answered {
				c.end(EndCancelled) // the transaction layer has answered 487
			}
		case <-txDone:
			if !c.d.answered {
				c.end(EndTransport)
			}
		case <-c.d.timer.C:
			c.retransmit()
		case <-c.srv.stop:
			c.shutdown()
		}
	}
}

func (c *Call) end(r EndReason) {
	if c.ended {
		return
	}
	c.ended = true
	c.d.reason = r
}

// finish releases everything the call holds, then says goodbye.
func (c *Call) finish() {
	c.srv.untrack(c)
	c.d.timer.Stop()
	if err := c.leg.Close(); err != nil {
		c.log.Warn("close media leg", "err", err)
	}
	c.reason.Store(int32(c.d.reason))
	close(c.done)
	c.log.Info("call ended", "reason", c.d.reason.String())
	if c.d.needBye {
		c.bye()
	}
	c.srv.wg.Done()
}

func (c *Call) command(cmd command) error {
	switch cmd.op {
	case opHangup:
		if c.dir == Inbound && !c.d.answered {
			c.final(480, "Temporarily Unavailable")
		} else {
			c.d.needBye = true
			c.d.byeWhy = cmd.reason
		}
		c.end(EndLocalHangup)
		return nil
	case opAnswer:
		if c.dir == Outbound || c.d.answered {
			return ErrAnswered
		}
		return c.answer()
	case opRinging:
		if c.dir == Outbound || c.d.answered {
			return ErrAnswered
		}
		res := c.srv.response(c.d.invite, 180, "Ringing", nil)
		res.AppendHeader(c.d.contact)
		return c.d.inviteTx.Respond(res)
	case opReject:
		if c.dir == Outbound || c.d.answered {
			return ErrAnswered
		}
		reason := cmd.reason
		if reason == "" {
			reason = "Rejected"
		}
		c.final(cmd.code, reason)
		c.end(EndRejected)
		return nil
	}
	return nil
}

// final sends a final non-2xx response to the INVITE.
func (c *Call) final(code int, reason string) {
	res := c.srv.response(c.d.invite, code, reason, nil)
	if err := c.d.inviteTx.Respond(res); err != nil {
		c.log.Debug("final response", "code", code, "err", err)
	}
}

// answer sends 200 OK with the SDP answer, or with an offer when the
// INVITE had none (the ACK then carries the answer).
func (c *Call) answer() error {
	var body []byte
	wantAnswer := c.d.offer == nil
	if wantAnswer {
		b, err := c.newOffer(c.d.srtpOn)
		if err != nil {
			return err
		}
		body = b
	} else {
		b, _, err := c.answerTo(*c.d.offer, c.d.version)
		if err != nil {
			return err
		}
		body = b
	}
	res := c.ok(c.d.invite, body)
	if err := c.d.inviteTx.Respond(res); err != nil {
		c.end(EndTransport)
		return err
	}
	c.d.answered = true
	c.await(c.d.inviteTx, res, c.d.invite.CSeq().SeqNo, wantAnswer)
	c.log.Info("call answered")
	return nil
}

// ok builds a 200 OK with an SDP body to an INVITE.
func (c *Call) ok(req *sip.Request, body []byte) *sip.Response {
	res := c.srv.response(req, 200, "OK", body)
	res.AppendHeader(c.d.contact)
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	ct := sip.ContentTypeHeader("application/sdp")
	res.AppendHeader(&ct)
	return res
}

// await starts waiting for the ACK of a 2xx.
func (c *Call) await(tx sip.ServerTransaction, res *sip.Response, seq uint32, wantAnswer bool) {
	p := &pending2xx{
		tx:         tx,
		res:        res,
		seq:        seq,
		wantAnswer: wantAnswer,
		retransmit: !sip.IsReliable(c.d.transport),
		interval:   c.srv.t1(),
		deadline:   time.Now().Add(64 * c.srv.t1()),
	}
	c.d.pending = p
	if p.retransmit {
		c.d.timer.Reset(p.interval)
	} else {
		c.d.timer.Reset(64 * c.srv.t1())
	}
}

// retransmit resends a 2xx that has no ACK yet, or gives up on it.
func (c *Call) retransmit() {
	p := c.d.pending
	if p == nil {
		return
	}
	now := time.Now()
	if !now.Before(p.deadline) {
		c.log.Warn("no ACK for 2xx; hanging up")
		c.d.pending = nil
		c.d.needBye = true
		c.end(EndNoACK)
		return
	}
	if p.retransmit {
		if err := p.tx.Respond(p.res); err != nil {
			c.log.Debug("resend 2xx", "err", err)
		}
		p.interval = min(2*p.interval, 8*c.srv.t1())
	}
	c.d.timer.Reset(min(p.interval, p.deadline.Sub(now)))
}

func (c *Call) handlerDone(err error) {
	if err == nil || c.ended {
		return
	}
	c.log.Info("handler refused call", "err", err)
	if c.d.answered {
		c.d.needBye = true
		c.end(EndLocalHangup)
		return
	}
	code, reason := handlerResponse(err)
	c.final(code, reason)
	c.end(EndRejected)
}

func (c *Call) shutdown() {
	if c.dir == Inbound && !c.d.answered {
		c.final(503, "Service Unavailable")
	} else {
		c.d.needBye = true
	}
	c.end(EndShutdown)
}

// request handles an in-dialog request from the far end.
func (c *Call) request(req *sip.Request, tx sip.ServerTransaction) {
	if req.IsAck() {
		c.ack(req)
		return
	}
	seq := req.CSeq().SeqNo
	if c.d.remoteSeq != 0 && seq <= c.d.remoteSeq {
		c.srv.reply(req, tx, 500, "Server Internal Error", c.srv.warning(399, "CSeq out of order"))
		return
	}
	c.d.remoteSeq = seq
	switch req.Method {
	case sip.BYE:
		c.srv.reply(req, tx, 200, "OK")
		if c.dir == Inbound && !c.d.answered {
			c.final(487, "Request Terminated")
		}
		c.end(EndRemoteHangup)
	case sip.INVITE:
		c.reinvite(req, tx)
	default:
		c.srv.reply(req, tx, 405, "Method Not Allowed", sip.NewHeader("Allow", allowed))
	}
}

// reinvite handles a re-INVITE: hold, unhold, a new address or codec. A
// refused offer leaves the call as it was.
func (c *Call) reinvite(req *sip.Request, tx sip.ServerTransaction) {
	if c.dir == Inbound && !c.d.answered {
		c.srv.reply(req, tx, 491, "Request Pending")
		return
	}
	var body []byte
	wantAnswer := len(req.Body()) == 0
	if wantAnswer {
		c.d.version++
		b, err := c.newOffer(c.d.srtpOn)
		if err != nil {
			c.srv.reply(req, tx, 500, "Server Internal Error")
			return
		}
		body = b
	} else {
		if !isSDP(req.ContentType()) {
			c.srv.reply(req, tx, 415, "Unsupported Media Type", sip.NewHeader("Accept", "application/sdp"))
			return
		}
		offer, err := sdp.ParseOffer(req.Body())
		if err != nil {
			code, reason := sdpResponse(err)
			c.srv.reply(req, tx, code, reason, c.srv.warning(sdpWarnCode(err), err.Error()))
			return
		}
		b, ch, err := c.answerTo(offer, c.d.version+1)
		if err != nil {
			code, reason := sdpResponse(err)
			c.srv.reply(req, tx, code, reason, c.srv.warning(sdpWarnCode(err), err.Error()))
			return
		}
		if err := c.apply(ch); err != nil {
			c.srv.reply(req, tx, 488, "Not Acceptable Here", c.srv.warning(399, err.Error()))
			return
		}
		c.d.version++
		body = b
	}
	if ct := req.Contact(); ct != nil {
		c.d.target = *ct.Address.Clone()
	}
	res := c.ok(req, body)
	if err := tx.Respond(res); err != nil {
		c.log.Debug("respond to re-INVITE", "err", err)
		return
	}
	c.await(tx, res, req.CSeq().SeqNo, wantAnswer)
}

// ack takes the ACK of a 2xx, and the SDP answer in it when the 2xx made
// the offer.
func (c *Call) ack(req *sip.Request) {
	p := c.d.pending
	if p == nil || req.CSeq().SeqNo != p.seq {
		return
	}
	c.d.pending = nil
	c.d.timer.Stop()
	if !p.wantAnswer {
		return
	}
	ch, err := sdp.ParseAnswer(req.Body())
	if err == nil {
		err = c.checkAnswer(&ch)
	}
	if err == nil {
		err = c.apply(ch)
	}
	if err != nil {
		c.log.Warn("ACK carried no usable SDP answer; hanging up", "err", err)
		c.d.needBye = true
		c.end(EndMedia)
	}
}

// apply points the leg at a negotiated stream. An RFC 2543 hold (address
// 0.0.0.0) keeps the old address. A stream the leg refuses changes
// nothing: the address is set before the SRTP keys, and put back if the
// keys are refused.
func (c *Call) apply(ch sdp.Choice) error {
	profile, err := c.checkSRTP(ch.SRTP)
	if err != nil {
		return err
	}
	prev := c.d.rtpRemote
	next := remoteMedia{ch.Remote, ch.PayloadType, ch.DTMF}
	moved := !ch.Remote.Addr().IsUnspecified()
	if moved {
		if err := c.leg.SetRemote(next.addr, next.pt, next.dtmf); err != nil {
			return errors.Join(ErrMedia, err)
		}
	}
	if err := c.applySRTP(ch.SRTP, profile); err != nil {
		if moved && prev.addr.IsValid() {
			if err := c.leg.SetRemote(prev.addr, prev.pt, prev.dtmf); err != nil {
				c.log.Warn("put the media address back", "err", err)
			}
		}
		return err
	}
	if moved {
		c.d.rtpRemote = next
	}
	if ch.Hold != c.d.held {
		c.leg.Hold(ch.Hold)
		c.d.held = ch.Hold
	}
	return nil
}

// bye sends BYE and waits, bounded, for its response.
func (c *Call) bye() {
	req := c.newRequest(sip.BYE)
	if c.d.byeWhy != "" {
		req.AppendHeader(sip.NewHeader("Reason", `SIP;cause=200;text="`+c.d.byeWhy+`"`))
	}
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	tx, err := c.srv.client.TransactionRequest(ctx, req, asIs)
	if err != nil {
		c.log.Warn("send BYE", "err", err)
		return
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			if !res.IsSuccess() {
				c.log.Debug("BYE refused", "code", res.StatusCode)
			}
			return
		case <-tx.Done():
			return
		case <-ctx.Done():
			c.log.Debug("no response to BYE")
			return
		}
	}
}

// newRequest builds the next request within the dialog.
func (c *Call) newRequest(method sip.RequestMethod) *sip.Request {
	c.d.localSeq++
	return c.buildRequest(method, c.d.localSeq)
}

// buildRequest builds a request within the dialog with CSeq seq (RFC 3261
// 12.2.1.1); an INVITE before the dialog exists too.
func (c *Call) buildRequest(method sip.RequestMethod, seq uint32) *sip.Request {
	req := sip.NewRequest(method, *c.d.target.Clone())
	req.AppendHeader(c.d.l.via())
	for i := range c.d.routes {
		req.AppendHeader(&sip.RouteHeader{Address: *c.d.routes[i].Clone()})
	}
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(sip.HeaderClone(c.d.local))
	req.AppendHeader(sip.HeaderClone(c.d.remote))
	cid := sip.CallIDHeader(c.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	req.AppendHeader(c.d.contact)
	req.AppendHeader(sip.NewHeader("User-Agent", c.srv.cfg.UserAgent))
	req.SetBody(nil)
	req.SetTransport(c.d.transport)
	if c.d.dest != "" && len(c.d.routes) == 0 {
		req.SetDestination(c.d.dest)
	}
	c.d.l.bindLocal(req)
	return req
}
