package sdp

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
)

// Answer writes earshot's answer to offer, receiving at local, with o= line
// session id sessionID and version 1. See AnswerVersion.
func Answer(offer Offer, local netip.AddrPort, sessionID uint64) ([]byte, Choice, error) {
	return AnswerVersion(offer, local, sessionID, 1)
}

// AnswerVersion writes earshot's answer to offer, receiving at local. Every
// m= line of the offer gets a line in the answer, in order: the chosen
// audio stream with one G.711 codec (PCMU, else PCMA) and telephone-event
// if offered; every other stream refused with port 0. version must grow
// with each new description sent in one session (a re-INVITE's answer).
//
// An RTP/SAVP offer is answered with a fresh master key of earshot's own,
// returned in the Choice; AnswerKeyed lets the caller keep one key for the
// life of a call.
func AnswerVersion(offer Offer, local netip.AddrPort, sessionID, version uint64) ([]byte, Choice, error) {
	var key *MasterKey
	if offer.Crypto != nil {
		k, err := NewMasterKey()
		if err != nil {
			return nil, Choice{}, err
		}
		key = &k
	}
	return AnswerKeyed(offer, local, sessionID, version, key)
}

// AnswerKeyed is AnswerVersion with earshot's SRTP master key given: an
// RTP/SAVP offer is answered RTP/SAVP with one a=crypto attribute (the
// offer's tag and suite, key) and the Choice carries both keys. key is
// not used for a plain RTP/AVP offer and must not be nil for an RTP/SAVP
// one.
func AnswerKeyed(offer Offer, local netip.AddrPort, sessionID, version uint64, key *MasterKey) ([]byte, Choice, error) {
	if !local.IsValid() || local.Port() == 0 || local.Addr().IsUnspecified() {
		return nil, Choice{}, fmt.Errorf("answer: local address %s cannot receive", local)
	}
	if len(offer.media) == 0 || offer.audio >= len(offer.media) {
		return nil, Choice{}, fmt.Errorf("answer: offer was not parsed by ParseOffer: %w", ErrNoAudio)
	}
	ch, err := offer.Choose()
	if err != nil {
		return nil, Choice{}, err
	}
	var crypto *Crypto
	if ch.SRTP != nil {
		if key == nil {
			return nil, Choice{}, errors.New("answer: an RTP/SAVP offer needs earshot's master key")
		}
		ch.SRTP.Local = *key
		crypto = &Crypto{Tag: ch.SRTP.Tag, Suite: ch.SRTP.Suite, Key: *key}
	}
	b := header(make([]byte, 0, 640), local.Addr(), sessionID, version)
	for i, m := range offer.media {
		if i != offer.audio {
			b = refused(b, m)
			continue
		}
		b = audio(b, local.Port(), ch.PayloadType, ch.DTMF, ch.Direction, crypto)
	}
	return b, ch, nil
}

// NewOffer writes earshot's offer for an outbound call receiving at local:
// PCMU, PCMA and telephone-event (payload type DefaultDTMF), in direction
// dir.
func NewOffer(local netip.AddrPort, sessionID, version uint64, dir Direction) ([]byte, error) {
	return newOffer(local, sessionID, version, dir, nil)
}

// OfferTag is the tag of the one a=crypto attribute of NewSecureOffer.
const OfferTag = 1

// NewSecureOffer writes earshot's offer of an SRTP stream: NewOffer's
// codecs over RTP/SAVP, with one a=crypto attribute (tag OfferTag,
// AES_CM_128_HMAC_SHA1_80, key). The key travels in the clear inside the
// SDP: send this offer only over TLS.
func NewSecureOffer(local netip.AddrPort, sessionID, version uint64, dir Direction, key MasterKey) ([]byte, error) {
	return newOffer(local, sessionID, version, dir, &Crypto{Tag: OfferTag, Suite: AESCM128HMACSHA180, Key: key})
}

// NewCryptoOffer is NewSecureOffer with the a=crypto attribute given
// (tag, suite and key): a re-offer keeps the suite in use, so the stream
// goes on under the same SRTP context.
func NewCryptoOffer(local netip.AddrPort, sessionID, version uint64, dir Direction, c Crypto) ([]byte, error) {
	if _, ok := suiteOf(c.Suite.String()); !ok {
		return nil, fmt.Errorf("offer: crypto suite %v: %w", c.Suite, ErrUnsupportedCrypto)
	}
	return newOffer(local, sessionID, version, dir, &c)
}

func newOffer(local netip.AddrPort, sessionID, version uint64, dir Direction, crypto *Crypto) ([]byte, error) {
	if !local.IsValid() || local.Port() == 0 || local.Addr().IsUnspecified() {
		return nil, fmt.Errorf("offer: local address %s cannot receive", local)
	}
	b := header(make([]byte, 0, 640), local.Addr(), sessionID, version)
	b = append(b, "m=audio "...)
	b = strconv.AppendUint(b, uint64(local.Port()), 10)
	b = append(b, ' ')
	b = append(b, proto(crypto)...)
	b = append(b, " 0 8 101\r\n"...)
	if crypto != nil {
		b = appendCrypto(b, *crypto)
	}
	b = append(b, "a=rtpmap:0 PCMU/8000\r\n"...)
	b = append(b, "a=rtpmap:8 PCMA/8000\r\n"...)
	b = append(b, "a=rtpmap:101 telephone-event/8000\r\n"...)
	b = append(b, "a=fmtp:101 0-16\r\n"...)
	b = append(b, "a=ptime:20\r\n"...)
	b = append(b, "a="...)
	b = append(b, dir.String()...)
	b = append(b, "\r\n"...)
	return b, nil
}

func header(b []byte, addr netip.Addr, sessionID, version uint64) []byte {
	ipType := "IP4"
	if addr.Is6() && !addr.Is4In6() {
		ipType = "IP6"
	}
	addr = addr.Unmap()
	b = append(b, "v=0\r\no=earshot "...)
	b = strconv.AppendUint(b, sessionID, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, version, 10)
	b = append(b, " IN "...)
	b = append(b, ipType...)
	b = append(b, ' ')
	b = addr.AppendTo(b)
	b = append(b, "\r\ns=earshot\r\nc=IN "...)
	b = append(b, ipType...)
	b = append(b, ' ')
	b = addr.AppendTo(b)
	b = append(b, "\r\nt=0 0\r\n"...)
	return b
}

// proto is the m= line's transport: RTP/SAVP when keyed.
func proto(crypto *Crypto) string {
	if crypto != nil {
		return "RTP/SAVP"
	}
	return "RTP/AVP"
}

func audio(b []byte, port uint16, pt, dtmf uint8, dir Direction, crypto *Crypto) []byte {
	b = append(b, "m=audio "...)
	b = strconv.AppendUint(b, uint64(port), 10)
	b = append(b, ' ')
	b = append(b, proto(crypto)...)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(pt), 10)
	if dtmf != 0 {
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(dtmf), 10)
	}
	b = append(b, "\r\na=rtpmap:"...)
	b = strconv.AppendUint(b, uint64(pt), 10)
	if pt == PCMU {
		b = append(b, " PCMU/8000\r\n"...)
	} else {
		b = append(b, " PCMA/8000\r\n"...)
	}
	if dtmf != 0 {
		b = append(b, "a=rtpmap:"...)
		b = strconv.AppendUint(b, uint64(dtmf), 10)
		b = append(b, " telephone-event/8000\r\na=fmtp:"...)
		b = strconv.AppendUint(b, uint64(dtmf), 10)
		b = append(b, " 0-16\r\n"...)
	}
	if crypto != nil {
		b = appendCrypto(b, *crypto)
	}
	b = append(b, "a=ptime:20\r\na="...)
	b = append(b, dir.String()...)
	b = append(b, "\r\n"...)
	return b
}

// refused writes m with port 0, which refuses the stream (RFC 3264 6).
func refused(b []byte, m mediaLine) []byte {
	b = append(b, "m="...)
	b = append(b, m.media...)
	b = append(b, " 0 "...)
	b = append(b, m.proto...)
	for _, f := range m.formats {
		b = append(b, ' ')
		b = append(b, f...)
	}
	return append(b, "\r\n"...)
}
