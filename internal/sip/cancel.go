package sip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// abandon ends an INVITE earshot no longer wants. It runs after Dial has
// returned and the leg is released; c only carries the dialog if a 2xx
// crosses the CANCEL.
func (c *Call) abandon(tx sip.ClientTransaction, invite *sip.Request, provisional bool) {
	defer tx.Terminate()
	deadline := time.NewTimer(64 * sip.T1)
	defer deadline.Stop()
	cancelSent := false
	for {
		if provisional && !cancelSent {
			c.sendCancel(invite)
			cancelSent = true
		}
		select {
		case res := <-tx.Responses():
			switch {
			case res.IsProvisional():
				provisional = true
			case res.IsSuccess():
				c.log.Info("answered after CANCEL; hanging up")
				if _, err := c.established(invite, res, tx, target{}, func() bool { return false }); err != nil {
					c.log.Debug("late answer", "err", err)
				}
				return
			default:
				return // 487, or any final: the transaction layer ACKs it
			}
		case <-tx.Done():
			return
		case <-deadline.C:
			return
		}
	}
}

// sendCancel sends CANCEL for invite (RFC 3261 9.1) and waits, bounded,
// for its response.
func (c *Call) sendCancel(invite *sip.Request) {
	req := sip.NewRequest(sip.CANCEL, *invite.Recipient.Clone())
	req.AppendHeader(sip.HeaderClone(invite.Via()))
	for _, h := range invite.GetHeaders("Route") {
		req.AppendHeader(sip.HeaderClone(h))
	}
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(sip.HeaderClone(invite.From()))
	req.AppendHeader(sip.HeaderClone(invite.To()))
	req.AppendHeader(sip.HeaderClone(invite.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: invite.CSeq().SeqNo, MethodName: sip.CANCEL})
	req.AppendHeader(sip.NewHeader("User-Agent", c.srv.cfg.UserAgent))
	req.SetBody(nil)
	req.SetTransport(invite.Transport())
	req.SetDestination(invite.Destination())
	req.Laddr = invite.Laddr

	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	tx, err := c.srv.client.TransactionRequest(ctx, req, asIs)
	if err != nil {
		c.log.Warn("send CANCEL", "err", err)
		return
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			return
		case <-tx.Done():
			return
		case <-ctx.Done():
			return
		}
	}
}

// authorize answers a trunk's 401 or 407 challenge: the same INVITE with
// credentials, a new branch and the next CSeq.
func (c *Call) authorize(invite *sip.Request, res *sip.Response, tr *trunk) (*sip.Request, error) {
	next, err := withCredentials(invite, res, tr.user, tr.pass, c.d.l, invite.CSeq().SeqNo+1)
	var missing errNoChallenge
	switch {
	case errors.As(err, &missing):
		return nil, fmt.Errorf("%w: %w", err, responseError(res.StatusCode, res.Reason))
	case err != nil:
		return nil, fmt.Errorf("trunk %w: %w", err, ErrRejected)
	}
	return next, nil
}

// errNoChallenge is a 401 or 407 without its challenge header.
type errNoChallenge struct {
	code   int
	header string
}

func (e errNoChallenge) Error() string { return fmt.Sprintf("%d without %s", e.code, e.header) }

// withCredentials answers a 401 or 407 challenge (RFC 3261 22.2): req
// again with digest credentials for user, a new branch from l and CSeq
// seq. Its errors say "challenge …" for the caller to name the
// challenger.
func withCredentials(req *sip.Request, res *sip.Response, user, pass string, l *listener, seq uint32) (*sip.Request, error) {
	chName, credName := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		chName, credName = "Proxy-Authenticate", "Proxy-Authorization"
	}
	h := res.GetHeader(chName)
	if h == nil {
		return nil, errNoChallenge{res.StatusCode, chName}
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		return nil, fmt.Errorf("challenge %q: %w", h.Value(), err)
	}
	cred, err := digest.Digest(chal, digest.Options{
		Method:   string(req.Method),
		URI:      req.Recipient.String(),
		Username: user,
		Password: pass,
		Count:    1,
	})
	if err != nil {
		return nil, fmt.Errorf("challenge: %w", err)
	}
	next := req.Clone()
	next.RemoveHeader("Via")
	next.PrependHeader(l.via())
	next.RemoveHeader(credName)
	next.AppendHeader(sip.NewHeader(credName, cred.String()))
	next.CSeq().SeqNo = seq
	return next, nil
}

// nopLeg stands in for a leg already released.
type nopLeg struct{}

func (nopLeg) LocalAddr() netip.AddrPort                    { return netip.AddrPort{} }
func (nopLeg) SetRemote(netip.AddrPort, uint8, uint8) error { return nil }
func (nopLeg) Hold(bool)                                    {}
func (nopLeg) Close() error                                 { return nil }

// netipAddrOf returns the IP of "host:port", or the zero Addr for a name.
func netipAddrOf(hostPort string) netip.Addr {
	if ap, err := netip.ParseAddrPort(hostPort); err == nil {
		return ap.Addr()
	}
	host := hostPort
	if i := strings.LastIndexByte(hostPort, ':'); i > 0 {
		host = hostPort[:i]
	}
	a, _ := netip.ParseAddr(strings.Trim(host, "[]"))
	return a
}
