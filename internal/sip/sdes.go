package sip

import (
	"fmt"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/srtp/v3"

	"github.com/earshot/earshot/internal/sdp"
)

// SRTP with SDES keys (RFC 4568) on a call's leg:
//   - an inbound RTP/SAVP offer with a crypto suite earshot speaks is
//     answered RTP/SAVP with earshot's own fresh key; one with only other
//     suites gets 488 naming the supported ones; a plain RTP/AVP offer is
//     answered as before (a=crypto on RTP/AVP is ignored);
//   - earshot offers RTP/SAVP itself only where the key cannot be read on
//     the way: to a registered phone over TLS (which may refuse it with
//     488: the INVITE is then sent again with plain RTP);
//   - the call keeps one key of its own for its whole life, so a re-INVITE
//     does not re-key what did not change.

// SecureLeg is a Leg that can protect its RTP with SRTP; *media.Leg is
// one. SetSRTP keys it: profile AES_CM_128_HMAC_SHA1_80 or _32, send and
// recv the 30-byte master key and salt it encrypts and decrypts with;
// SetSRTP(0, nil, nil) returns to plain RTP. A leg without it takes only
// plain RTP: an SRTP offer is refused with 488.
type SecureLeg interface {
	SetSRTP(profile srtp.ProtectionProfile, send, recv []byte) error
}

// profileOf maps an SDES crypto suite to its SRTP protection profile.
func profileOf(s sdp.Suite) (srtp.ProtectionProfile, error) {
	switch s {
	case sdp.AESCM128HMACSHA180:
		return srtp.ProtectionProfileAes128CmHmacSha1_80, nil
	case sdp.AESCM128HMACSHA132:
		return srtp.ProtectionProfileAes128CmHmacSha1_32, nil
	}
	return 0, fmt.Errorf("%w: crypto suite %v", ErrMedia, s)
}

// localKey returns the call's own SRTP master key, made on first use.
func (c *Call) localKey() (*sdp.MasterKey, error) {
	if c.d.srtpKey == nil {
		k, err := sdp.NewMasterKey()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMedia, err)
		}
		c.d.srtpKey = &k
	}
	return c.d.srtpKey, nil
}

// applySRTP keys the leg for a negotiated stream (k nil: plain RTP).
func (c *Call) applySRTP(k *sdp.Keys) error {
	if k == nil {
		if !c.d.srtpOn {
			return nil
		}
		if sl, ok := c.leg.(SecureLeg); ok {
			if err := sl.SetSRTP(0, nil, nil); err != nil {
				return fmt.Errorf("%w: %w", ErrMedia, err)
			}
		}
		c.d.srtpOn = false
		c.log.Info("media is plain RTP again")
		return nil
	}
	sl, ok := c.leg.(SecureLeg)
	if !ok {
		return fmt.Errorf("%w: this media leg cannot speak SRTP", ErrMedia)
	}
	profile, err := profileOf(k.Suite)
	if err != nil {
		return err
	}
	key, err := c.localKey()
	if err != nil {
		return err
	}
	if err := sl.SetSRTP(profile, key[:], k.Remote[:]); err != nil {
		return fmt.Errorf("%w: %w", ErrMedia, err)
	}
	if !c.d.srtpOn {
		c.log.Info("media is SRTP", "suite", k.Suite.String())
	}
	c.d.srtpOn = true
	return nil
}

// newOffer writes an offer of the call's stream: RTP/SAVP with the call's
// key when secure, else plain RTP/AVP. It notes what was offered, for
// checkAnswer.
func (c *Call) newOffer(secure bool) ([]byte, error) {
	c.d.offeredSRTP = secure
	if !secure {
		return sdp.NewOffer(c.mediaAddr(), c.d.sessionID, c.d.version, sdp.SendRecv)
	}
	key, err := c.localKey()
	if err != nil {
		return nil, err
	}
	return sdp.NewSecureOffer(c.mediaAddr(), c.d.sessionID, c.d.version, sdp.SendRecv, *key)
}

// answerTo writes the answer to a remote offer, with the call's key when
// the offer is RTP/SAVP.
func (c *Call) answerTo(offer sdp.Offer, version uint64) ([]byte, sdp.Choice, error) {
	var key *sdp.MasterKey
	if offer.Crypto != nil {
		k, err := c.localKey()
		if err != nil {
			return nil, sdp.Choice{}, err
		}
		key = k
	}
	return sdp.AnswerKeyed(offer, c.mediaAddr(), c.d.sessionID, version, key)
}

// checkAnswer checks that an answer to earshot's offer keeps its security:
// SRTP with the offered crypto attribute if RTP/SAVP was offered, plain RTP
// if RTP/AVP was.
func (c *Call) checkAnswer(ch sdp.Choice) error {
	switch {
	case c.d.offeredSRTP && ch.SRTP == nil:
		return fmt.Errorf("%w: plain RTP answer to an SRTP offer", ErrMedia)
	case !c.d.offeredSRTP && ch.SRTP != nil:
		return fmt.Errorf("%w: SRTP answer to a plain RTP offer", ErrMedia)
	case ch.SRTP != nil && (ch.SRTP.Tag != sdp.OfferTag || ch.SRTP.Suite != sdp.AESCM128HMACSHA180):
		return fmt.Errorf("%w: answer chose crypto %d %v, earshot offered %d %v", ErrMedia,
			ch.SRTP.Tag, ch.SRTP.Suite, sdp.OfferTag, sdp.AESCM128HMACSHA180)
	}
	return nil
}

// plainRetry is invite again, in a new transaction, with a plain RTP/AVP
// offer: for a phone that refused earshot's SRTP offer with 488. Over TLS
// nobody else can forge that 488, so the fallback is the phone's choice.
func (c *Call) plainRetry(invite *sip.Request) (*sip.Request, error) {
	body, err := c.newOffer(false)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMedia, err)
	}
	next := invite.Clone()
	next.RemoveHeader("Via")
	next.PrependHeader(c.d.l.via())
	next.CSeq().SeqNo++
	next.SetBody(body)
	c.log.Info("phone refused SRTP; offering plain RTP")
	return next, nil
}
