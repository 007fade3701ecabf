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
//   - earshot keeps its key while the leg's send context goes on (same
//     suite), so a re-INVITE does not re-key what did not change, and
//     re-offers the suite in use; whenever a new send context is needed
//     (another suite, SRTP again after plain RTP) it takes a fresh key,
//     since a new context on an old key would restart the rollover
//     counter and repeat keystream.

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

// sendKey returns the master key for earshot to send with under suite:
// the key in use when the leg already sends SRTP with that suite (its
// context, and its rollover counter, go on), else a fresh one. A new
// send context on an old key would start its rollover counter again and
// repeat keystream. It changes nothing: apply keeps the key once the leg
// is keyed with it.
func (c *Call) sendKey(suite sdp.Suite) (sdp.MasterKey, error) {
	if c.d.srtpOn && c.d.srtpSuite == suite {
		return c.d.srtpKey, nil
	}
	k, err := sdp.NewMasterKey()
	if err != nil {
		return k, fmt.Errorf("%w: %w", ErrMedia, err)
	}
	return k, nil
}

// checkSRTP reports whether the leg can take k (nil: plain RTP), before
// apply changes anything.
func (c *Call) checkSRTP(k *sdp.Keys) (srtp.ProtectionProfile, error) {
	if k == nil {
		return 0, nil
	}
	if _, ok := c.leg.(SecureLeg); !ok {
		return 0, fmt.Errorf("%w: this media leg cannot speak SRTP", ErrMedia)
	}
	return profileOf(k.Suite)
}

// applySRTP keys the leg for a negotiated stream (k nil: plain RTP), with
// the profile checkSRTP returned; k.Local is earshot's send key.
func (c *Call) applySRTP(k *sdp.Keys, profile srtp.ProtectionProfile) error {
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
	if k.Local == (sdp.MasterKey{}) {
		return fmt.Errorf("%w: no SRTP key of earshot's own", ErrMedia)
	}
	if err := c.leg.(SecureLeg).SetSRTP(profile, k.Local[:], k.Remote[:]); err != nil {
		return fmt.Errorf("%w: %w", ErrMedia, err)
	}
	if !c.d.srtpOn || c.d.srtpSuite != k.Suite {
		c.log.Info("media is SRTP", "suite", k.Suite.String())
	}
	c.d.srtpOn, c.d.srtpKey, c.d.srtpSuite = true, k.Local, k.Suite
	return nil
}

// newOffer writes an offer of the call's stream: RTP/SAVP when secure,
// else plain RTP/AVP. A secure re-offer keeps the suite and key in use,
// so an answer in kind keeps the leg's SRTP context; a first one offers
// AES_CM_128_HMAC_SHA1_80 with a fresh key. It notes what was offered,
// for checkAnswer.
func (c *Call) newOffer(secure bool) ([]byte, error) {
	c.d.offeredSRTP = secure
	if !secure {
		return sdp.NewOffer(c.mediaAddr(), c.d.sessionID, c.d.version, sdp.SendRecv)
	}
	suite := sdp.AESCM128HMACSHA180
	if c.d.srtpOn {
		suite = c.d.srtpSuite
	}
	key, err := c.sendKey(suite)
	if err != nil {
		return nil, err
	}
	c.d.offerCrypto = sdp.Crypto{Tag: sdp.OfferTag, Suite: suite, Key: key}
	return sdp.NewCryptoOffer(c.mediaAddr(), c.d.sessionID, c.d.version, sdp.SendRecv, c.d.offerCrypto)
}

// answerTo writes the answer to a remote offer, with earshot's send key
// for the chosen suite when the offer is RTP/SAVP; the Choice carries
// that key for apply. It changes nothing.
func (c *Call) answerTo(offer sdp.Offer, version uint64) ([]byte, sdp.Choice, error) {
	ch, err := offer.Choose()
	if err != nil {
		return nil, sdp.Choice{}, err
	}
	var key *sdp.MasterKey
	if ch.SRTP != nil {
		k, err := c.sendKey(ch.SRTP.Suite)
		if err != nil {
			return nil, sdp.Choice{}, err
		}
		key = &k
	}
	return sdp.AnswerKeyed(offer, c.mediaAddr(), c.d.sessionID, version, key)
}

// checkAnswer checks that an answer to earshot's offer keeps its security
// (SRTP with the offered crypto attribute if RTP/SAVP was offered, plain
// RTP if RTP/AVP was) and puts earshot's offered key into it.
func (c *Call) checkAnswer(ch *sdp.Choice) error {
	oc := c.d.offerCrypto
	switch {
	case c.d.offeredSRTP && ch.SRTP == nil:
		return fmt.Errorf("%w: plain RTP answer to an SRTP offer", ErrMedia)
	case !c.d.offeredSRTP && ch.SRTP != nil:
		return fmt.Errorf("%w: SRTP answer to a plain RTP offer", ErrMedia)
	case ch.SRTP != nil && (ch.SRTP.Tag != oc.Tag || ch.SRTP.Suite != oc.Suite):
		return fmt.Errorf("%w: answer chose crypto %d %v, earshot offered %d %v", ErrMedia,
			ch.SRTP.Tag, ch.SRTP.Suite, oc.Tag, oc.Suite)
	}
	if ch.SRTP != nil {
		ch.SRTP.Local = oc.Key
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
