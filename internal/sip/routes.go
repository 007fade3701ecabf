package sip

import (
	"fmt"
	"runtime/debug"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// knownMethods are methods earshot understands but does not serve: 405.
// Anything else gets 501.
var knownMethods = map[sip.RequestMethod]bool{
	sip.INFO: true, sip.MESSAGE: true, sip.SUBSCRIBE: true, sip.NOTIFY: true,
	sip.REFER: true, sip.UPDATE: true, sip.PRACK: true, sip.PUBLISH: true,
}

func (s *Server) routes() {
	s.srv.OnInvite(s.guard(s.onInvite))
	s.srv.OnAck(s.guard(s.onAck))
	s.srv.OnBye(s.guard(s.inDialog))
	s.srv.OnCancel(s.guard(s.onCancel))
	s.srv.OnOptions(s.guard(s.onOptions))
	s.srv.OnRegister(s.guard(s.onRegister))
	s.srv.OnNoRoute(s.guard(s.onOther))
}

// guard checks the headers every handler relies on, answers 400 without
// them, and turns a panic into 500 so one bad message cannot stop the edge.
func (s *Server) guard(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("panic handling SIP request", "method", req.Method, "panic", r, "stack", string(debug.Stack()))
				if !req.IsAck() {
					s.reply(req, tx, 500, "Server Internal Error")
				}
			}
		}()
		if err := checkRequest(req); err != nil {
			s.log.Debug("bad request", "method", req.Method, "src", req.Source(), "err", err)
			if !req.IsAck() {
				s.reply(req, tx, 400, "Bad Request", s.warning(399, err.Error()))
			}
			return
		}
		h(req, tx)
	}
}

// checkRequest verifies the mandatory headers (RFC 3261 8.1.1).
func checkRequest(req *sip.Request) error {
	switch {
	case req.From() == nil:
		return fmt.Errorf("no From header")
	case req.To() == nil:
		return fmt.Errorf("no To header")
	case req.CallID() == nil || req.CallID().Value() == "":
		return fmt.Errorf("no Call-ID header")
	case req.CSeq() == nil:
		return fmt.Errorf("no CSeq header")
	case req.CSeq().MethodName != req.Method:
		return fmt.Errorf("CSeq method %s does not match %s", req.CSeq().MethodName, req.Method)
	case req.Method != sip.ACK && req.Method != sip.CANCEL && tagOf(req.From().Params) == "":
		return fmt.Errorf("no From tag")
	}
	return nil
}

func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	res := s.response(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	if err := tx.Respond(res); err != nil {
		s.log.Debug("respond to OPTIONS", "err", err)
	}
}

// onCancel sees only CANCELs that match no INVITE transaction (sipgo
// answers the others itself, with 200 and then 487 to the INVITE).
func (s *Server) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	s.reply(req, tx, 481, "Call/Transaction Does Not Exist")
}

func (s *Server) onOther(req *sip.Request, tx sip.ServerTransaction) {
	if knownMethods[req.Method] {
		s.reply(req, tx, 405, "Method Not Allowed", sip.NewHeader("Allow", allowed))
		return
	}
	s.reply(req, tx, 501, "Not Implemented", sip.NewHeader("Allow", allowed))
}

func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return
	}
	if c := s.lookup(id); c != nil {
		c.deliver(req, tx)
	}
}

// inDialog hands a request within a dialog (BYE, re-INVITE) to its call.
func (s *Server) inDialog(req *sip.Request, tx sip.ServerTransaction) {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		s.reply(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	c := s.lookup(id)
	if c == nil || !c.deliver(req, tx) {
		s.reply(req, tx, 481, "Call/Transaction Does Not Exist")
	}
}
