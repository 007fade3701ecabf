package sip

import (
	"context"
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
	chName, credName := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		chName, credName = "Proxy-Authenticate", "Proxy-Authorization"
	}
	h := res.GetHeader(chName)
	if h == nil {
		return nil, fmt.Errorf("%d without %s: %w", res.StatusCode, chName, responseError(res.StatusCode, res.Reason))
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		return nil, fmt.Errorf("trunk challenge %q: %w: %w", h.Value(), err, ErrRejected)
	}
	cred, err := digest.Digest(chal, digest.Options{
		Method:   string(sip.INVITE),
		URI:      invite.Recipient.String(),
		Username: tr.user,
		Password: tr.pass,
		Count:    1,
	})
	if err != nil {
		return nil, fmt.Errorf("trunk challenge: %w: %w", err, ErrRejected)
	}
	next := invite.Clone()
	next.RemoveHeader("Via")
	next.PrependHeader(c.d.l.via())
	next.RemoveHeader(credName)
	next.AppendHeader(sip.NewHeader(credName, cred.String()))
	next.CSeq().SeqNo++
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
