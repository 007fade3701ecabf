// Package sdp is earshot's SDP offer/answer for plain G.711 telephone calls
// (RFC 3264, RFC 4566): it reads an offer or an answer into the few facts
// a media leg needs (where to send RTP, which payload type, which
// telephone-event payload type, whether the far end holds the call) and
// writes earshot's own offers and answers.
//
// It speaks PCMU (payload type 0), PCMA (8) and RFC 4733 telephone-event at
// 8000 Hz over RTP/AVP, and over RTP/SAVP with SDES keys (RFC 4568,
// AES_CM_128_HMAC_SHA1_80 and _32). It does not negotiate DTLS-SRTP, video
// or WebRTC: such streams are refused in an answer (port 0), never
// half-accepted.
//
// Parsing is strict about malformed input (every error wraps ErrMalformed,
// ErrNoAudio or ErrNoCommonCodec and says what was wrong) and lenient about
// attributes it does not know.
package sdp

import (
	"errors"
	"net/netip"
)

// Payload types earshot sends and receives.
const (
	// PCMU is G.711 µ-law, static payload type 0.
	PCMU uint8 = 0
	// PCMA is G.711 A-law, static payload type 8.
	PCMA uint8 = 8
	// DefaultDTMF is the payload type earshot offers for telephone-event.
	DefaultDTMF uint8 = 101
)

// MaxSize is the largest session description earshot reads.
const MaxSize = 16 << 10

// Sentinel errors. Callers map them to SIP responses: ErrMalformed to 400,
// ErrNoAudio, ErrNoCommonCodec and ErrNoCommonCrypto to 488.
var (
	// ErrMalformed means the description breaks SDP syntax or carries a
	// value that cannot be right (a port above 65535, a host name where an
	// address belongs, a payload type above 127).
	ErrMalformed = errors.New("malformed SDP")
	// ErrNoAudio means the description is well formed but holds no audio
	// stream earshot can use (none at all, only SRTP or WebRTC profiles,
	// or a multicast address).
	ErrNoAudio = errors.New("no usable audio stream in SDP")
	// ErrNoCommonCodec means the audio stream offers neither PCMU nor PCMA.
	ErrNoCommonCodec = errors.New("no common codec (PCMU or PCMA) in SDP")
)

// Direction is an SDP media direction attribute (RFC 3264 section 5.1).
type Direction uint8

// Directions, from the point of view of the side that wrote them.
const (
	SendRecv Direction = iota
	SendOnly
	RecvOnly
	Inactive
)

// String returns the attribute name.
func (d Direction) String() string {
	switch d {
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case Inactive:
		return "inactive"
	default:
		return "sendrecv"
	}
}

// Reverse returns the direction that matches d from the other side: an
// answer to a sendonly offer is recvonly, and so on.
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	default:
		return d
	}
}

// Receives reports whether the side that wrote d accepts media.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly }

// Offer is what earshot needs from a remote offer.
type Offer struct {
	// Remote is where the offerer wants RTP. Its address is unspecified
	// (0.0.0.0) when the offerer holds the call the RFC 2543 way.
	Remote netip.AddrPort
	// Codecs lists the G.711 payload types offered (PCMU, PCMA), in the
	// offerer's order of preference. It is empty when neither is offered.
	Codecs []uint8
	// DTMF is the payload type of telephone-event/8000, 0 if not offered.
	DTMF uint8
	// Direction is the offerer's direction for the audio stream.
	Direction Direction
	// Crypto is the offerer's SRTP key for an RTP/SAVP stream (the first
	// a=crypto attribute earshot can use); nil for plain RTP/AVP.
	Crypto *Crypto
	// SessionID and SessionVersion come from the o= line.
	SessionID, SessionVersion uint64

	media []mediaLine // every m= line, so an answer can match each in order
	audio int         // index in media of the stream earshot uses
}

// Hold reports whether the offerer has put the call on hold: it will not
// receive media (sendonly or inactive) or gave 0.0.0.0 as its address.
func (o Offer) Hold() bool {
	return !o.Direction.Receives() || o.Remote.Addr().IsUnspecified()
}

// Choice is the outcome of a negotiation, in the terms a media leg needs.
type Choice struct {
	// Remote is where to send RTP (unspecified address while held the
	// RFC 2543 way: keep sending nowhere new).
	Remote netip.AddrPort
	// PayloadType is PCMU or PCMA.
	PayloadType uint8
	// DTMF is the telephone-event payload type, 0 for none.
	DTMF uint8
	// Direction is earshot's own direction for the stream.
	Direction Direction
	// Hold reports that the far end does not want media now.
	Hold bool
	// SRTP holds the keys of an SRTP stream, nil for plain RTP.
	SRTP *Keys
}

// Choose picks the codec earshot answers o with: PCMU if offered, else
// PCMA, plus telephone-event when offered. It fails with ErrNoCommonCodec.
func (o Offer) Choose() (Choice, error) {
	pt, ok := pickG711(o.Codecs)
	if !ok {
		return Choice{}, ErrNoCommonCodec
	}
	return Choice{
		Remote:      o.Remote,
		PayloadType: pt,
		DTMF:        o.DTMF,
		Direction:   o.Direction.Reverse(),
		Hold:        o.Hold(),
		SRTP:        keysOf(o.Crypto),
	}, nil
}

// pickG711 prefers PCMU over PCMA, whatever the offerer's order: PCMU is
// what every earshot leg and the WebRTC side speak without transcoding.
func pickG711(codecs []uint8) (uint8, bool) {
	hasA := false
	for _, c := range codecs {
		switch c {
		case PCMU:
			return PCMU, true
		case PCMA:
			hasA = true
		}
	}
	return PCMA, hasA
}
