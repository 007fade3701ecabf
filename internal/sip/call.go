package sip

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/sdp"
)

// Direction says who placed a call.
type Direction int

// Directions.
const (
	Inbound  Direction = iota // a trunk called earshot
	Outbound                  // earshot dialled
)

// String names the direction.
func (d Direction) String() string {
	if d == Outbound {
		return "outbound"
	}
	return "inbound"
}

// EndReason says why a call ended.
type EndReason int

// End reasons. NotEnded is what EndReason returns while the call is live.
const (
	NotEnded        EndReason = iota
	EndRemoteHangup           // the far end sent BYE
	EndCancelled              // the caller gave up before the answer (CANCEL)
	EndLocalHangup            // Hangup was called
	EndRejected               // Reject was called, or the Handler refused the call
	EndNoACK                  // answered, but the ACK never came
	EndMedia                  // the far end's SDP could not be used mid-call
	EndTransport              // the transaction or connection failed
	EndShutdown               // the server stopped
)

// String describes the reason.
func (r EndReason) String() string {
	switch r {
	case EndRemoteHangup:
		return "remote hangup"
	case EndCancelled:
		return "cancelled by caller"
	case EndLocalHangup:
		return "local hangup"
	case EndRejected:
		return "rejected"
	case EndNoACK:
		return "no ACK"
	case EndMedia:
		return "media failure"
	case EndTransport:
		return "transport failure"
	case EndShutdown:
		return "server shutdown"
	default:
		return "not ended"
	}
}

// Call is one SIP call, inbound or outbound. Its methods are safe for
// concurrent use; a goroutine owned by the call does the SIP work.
type Call struct {
	srv        *Server
	id         string
	dir        Direction
	trunk      string
	callID     string
	dialogID   string
	caller     string
	callerName string
	did        string
	leg        Leg
	log        *slog.Logger

	cmds   chan command  // methods to the loop; unbuffered, so a sent command is always answered
	inbox  chan delivery // in-dialog requests to the loop; unbuffered
	done   chan struct{} // closed when the call has ended
	reason atomic.Int32  // EndReason, stored before done closes
	ended  bool          // loop-owned: the loop should stop

	// Inbound, before the answer.
	cancelled  chan struct{} // closed on CANCEL
	cancelOnce sync.Once
	handlerErr chan error // the Handler's verdict; buffered

	d dialog // owned by the loop goroutine
}

// dialog is the SIP state of a call, owned by the call's loop goroutine.
type dialog struct {
	l         *listener
	transport string             // "UDP", "TCP" or "TLS"
	local     *sip.FromHeader    // earshot's side, with its tag
	remote    *sip.ToHeader      // the far end, with its tag
	target    sip.Uri            // the far end's Contact
	routes    []sip.Uri          // route set, in Route header order
	dest      string             // next hop "ip:port" when not the target's host
	contact   *sip.ContactHeader // earshot's Contact
	localSeq  uint32
	remoteSeq uint32

	sessionID uint64
	version   uint64
	mediaIP   netip.Addr // for the SDP when the leg is bound to a wildcard
	offer     *sdp.Offer // inbound: the INVITE's offer; nil for a late offer
	held      bool

	rtpRemote   remoteMedia   // what the leg was last pointed at (apply)
	srtpKey     sdp.MasterKey // the key the leg sends SRTP with, while srtpOn (sdes.go)
	srtpSuite   sdp.Suite     // the suite of the leg's SRTP, while srtpOn
	srtpOn      bool          // the leg speaks SRTP
	offeredSRTP bool          // earshot's last offer was RTP/SAVP
	offerCrypto sdp.Crypto    // its crypto attribute, when it was

	invite   *sip.Request // inbound: the INVITE, with earshot's To tag
	inviteTx sip.ServerTransaction
	answered bool
	pending  *pending2xx
	timer    *time.Timer
	needBye  bool
	byeWhy   string // the BYE's Reason text, if any
	reason   EndReason
}

// remoteMedia is where and how a leg sends: SetRemote's arguments.
type remoteMedia struct {
	addr     netip.AddrPort
	pt, dtmf uint8
}

// pending2xx is a 2xx to an INVITE waiting for its ACK (RFC 3261 13.3.1.4).
type pending2xx struct {
	tx         sip.ServerTransaction
	res        *sip.Response
	seq        uint32
	wantAnswer bool // the 2xx carried an offer; the ACK carries the answer
	retransmit bool // unreliable transport: earshot resends the 2xx
	interval   time.Duration
	deadline   time.Time
}

type op int

const (
	opAnswer op = iota
	opRinging
	opReject
	opHangup
)

type command struct {
	op     op
	code   int
	reason string
	reply  chan error
}

// delivery is an in-dialog request for the loop; handled closes once the
// loop has answered it.
type delivery struct {
	req     *sip.Request
	tx      sip.ServerTransaction
	handled chan struct{}
}

func newCall(s *Server, dir Direction, callID string, leg Leg) *Call {
	c := &Call{
		srv:    s,
		id:     newID(),
		dir:    dir,
		callID: callID,
		leg:    leg,
		cmds:   make(chan command),
		inbox:  make(chan delivery),
		done:   make(chan struct{}),
	}
	c.log = s.log.With("call", c.id, "sip_call_id", callID, "dir", dir.String())
	c.d.sessionID = uint64(time.Now().UnixNano()) & (1<<62 - 1)
	c.d.version = 1
	return c
}

// ID is earshot's identifier for the call, unique within the process.
func (c *Call) ID() string { return c.id }

// SIPCallID is the SIP Call-ID, for logs and traces.
func (c *Call) SIPCallID() string { return c.callID }

// Direction says whether the call came in or went out.
func (c *Call) Direction() Direction { return c.dir }

// Trunk names the trunk the call came in or went out on; empty for a call
// to a registered phone.
func (c *Call) Trunk() string { return c.trunk }

// Caller is the calling number or user (the From user part). On an
// outbound call it is the user earshot called from.
func (c *Call) Caller() string { return c.caller }

// CallerName is the From display name, possibly empty.
func (c *Call) CallerName() string { return c.callerName }

// DID is the dialled number of an inbound call; the dialled target of an
// outbound one.
func (c *Call) DID() string { return c.did }

// Leg is the call's media leg. The call closes it when it ends.
func (c *Call) Leg() Leg { return c.leg }

// Done is closed when the call has ended, for any reason.
func (c *Call) Done() <-chan struct{} { return c.done }

// EndReason says why the call ended; NotEnded while it is live.
func (c *Call) EndReason() EndReason { return EndReason(c.reason.Load()) }

// Answer answers an inbound call: 200 OK with the SDP answer.
func (c *Call) Answer() error { return c.do(command{op: opAnswer}) }

// Ringing sends 180 Ringing on an inbound call not yet answered.
func (c *Call) Ringing() error { return c.do(command{op: opRinging}) }

// Reject refuses an inbound call not yet answered with a final response
// code from 300 to 699.
func (c *Call) Reject(code int, reason string) error {
	if code < 300 || code > 699 {
		return fmt.Errorf("reject with %d: status must be 300-699", code)
	}
	return c.do(command{op: opReject, code: code, reason: reason})
}

// Hangup ends the call: BYE once answered, 480 before. Hanging up an ended
// call does nothing.
func (c *Call) Hangup() error {
	return c.HangupBecause("")
}

// HangupBecause ends the call as Hangup does; once answered its BYE says
// why in a Reason header (RFC 3326: SIP;cause=200;text="why"), which many
// phones show. Quotes, backslashes and control characters are left out of
// why, and it is cut at 100 characters.
func (c *Call) HangupBecause(why string) error {
	err := c.do(command{op: opHangup, reason: reasonText(why)})
	if err == ErrCallEnded {
		return nil
	}
	return err
}

func reasonText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' {
			continue
		}
		if b.Len() >= 100 {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

func (c *Call) do(cmd command) error {
	cmd.reply = make(chan error, 1)
	select {
	case c.cmds <- cmd:
	case <-c.done:
		return ErrCallEnded
	}
	return <-cmd.reply
}

// deliver hands an in-dialog request to the loop and waits until it is
// handled. It reports false if the call has ended.
func (c *Call) deliver(req *sip.Request, tx sip.ServerTransaction) bool {
	d := delivery{req: req, tx: tx, handled: make(chan struct{})}
	select {
	case c.inbox <- d:
	case <-c.done:
		return false
	}
	<-d.handled
	return true
}

// mediaAddr is where the leg receives, with a wildcard address replaced
// by one the far end can reach.
func (c *Call) mediaAddr() netip.AddrPort {
	a := c.leg.LocalAddr()
	if (a.Addr().IsUnspecified() || c.d.l.advertised) && c.d.mediaIP.IsValid() {
		return netip.AddrPortFrom(c.d.mediaIP, a.Port())
	}
	return a
}

// mediaIPFor picks the address to advertise in SDP beside listener l.
func mediaIPFor(l *listener) netip.Addr {
	if a, err := netip.ParseAddr(l.host); err == nil && !a.IsUnspecified() {
		return a
	}
	if !l.addr.Addr().IsUnspecified() {
		return l.addr.Addr()
	}
	return outwardIP(l.addr.Addr().Is6())
}
