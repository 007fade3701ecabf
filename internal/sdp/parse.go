package sdp

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	pion "github.com/pion/sdp/v3"
)

// mediaLine is one m= line, kept so an answer can refuse it in place.
type mediaLine struct {
	media   string
	proto   string
	formats []string
	port    int
}

// stream is what parsing learned about one usable RTP/AVP or RTP/SAVP
// audio m= line.
type stream struct {
	index  int
	remote netip.AddrPort
	codecs []uint8
	dtmf   uint8
	dir    Direction

	secure      bool     // RTP/SAVP
	crypto      *Crypto  // the first usable a=crypto of a secure stream
	unsupported []string // why the other a=crypto attributes were skipped
}

// description is a parsed session description reduced to earshot's needs.
type description struct {
	sessionID, version uint64
	media              []mediaLine
	audio              []stream
	sawAudio           []string // profiles of audio lines that were not usable
}

// ParseOffer reads a remote offer. It fails with ErrMalformed for broken
// SDP and ErrNoAudio when no RTP/AVP audio stream is offered; an audio
// stream without G.711 parses, and Choose or Answer then report
// ErrNoCommonCodec.
func ParseOffer(b []byte) (Offer, error) {
	d, err := parse(b)
	if err != nil {
		return Offer{}, err
	}
	s, err := d.pick()
	if err != nil {
		return Offer{}, err
	}
	return Offer{
		Remote:         s.remote,
		Codecs:         s.codecs,
		DTMF:           s.dtmf,
		Direction:      s.dir,
		Crypto:         s.crypto,
		SessionID:      d.sessionID,
		SessionVersion: d.version,
		media:          d.media,
		audio:          s.index,
	}, nil
}

// ParseAnswer reads the far end's answer to an offer made with NewOffer. The
// answer must accept an audio stream with PCMU or PCMA.
func ParseAnswer(b []byte) (Choice, error) {
	d, err := parse(b)
	if err != nil {
		return Choice{}, err
	}
	s, err := d.pick()
	if err != nil {
		return Choice{}, err
	}
	// An answer lists what the answerer will receive; take its first G.711
	// format rather than earshot's preference.
	if len(s.codecs) == 0 {
		return Choice{}, fmt.Errorf("answer accepts neither PCMU nor PCMA: %w", ErrNoCommonCodec)
	}
	return Choice{
		Remote:      s.remote,
		PayloadType: s.codecs[0],
		DTMF:        s.dtmf,
		Direction:   s.dir.Reverse(),
		Hold:        !s.dir.Receives() || s.remote.Addr().IsUnspecified(),
		SRTP:        keysOf(s.crypto),
	}, nil
}

// keysOf returns the far end's side of the keys of a secure stream, nil for
// plain RTP.
func keysOf(c *Crypto) *Keys {
	if c == nil {
		return nil
	}
	return &Keys{Suite: c.Suite, Tag: c.Tag, Remote: c.Key}
}

// pick returns the stream earshot uses. A secure stream earshot has a
// crypto suite for beats a plain one, so an offer of both (the two-m=-line
// way of offering SRTP with a fallback) gets SRTP; a stream with G.711
// beats one without. A secure stream with no usable crypto attribute is
// never picked: an offer of nothing else fails with ErrNoCommonCrypto.
func (d *description) pick() (stream, error) {
	best, bestRank := -1, -1
	var refused []string
	for i, s := range d.audio {
		if s.secure && s.crypto == nil {
			refused = append(refused, s.unsupported...)
			continue
		}
		rank := 0
		if len(s.codecs) > 0 {
			rank += 2
		}
		if s.secure {
			rank++
		}
		if rank > bestRank {
			best, bestRank = i, rank
		}
	}
	if best >= 0 {
		return d.audio[best], nil
	}
	if len(d.audio) > 0 {
		why := "no a=crypto attribute"
		if len(refused) > 0 {
			why = strings.Join(refused, "; ")
		}
		return stream{}, fmt.Errorf("RTP/SAVP audio with %s: %w", why, ErrNoCommonCrypto)
	}
	if len(d.sawAudio) > 0 {
		return stream{}, fmt.Errorf("audio offered only as %s, earshot needs RTP/AVP or RTP/SAVP: %w",
			strings.Join(d.sawAudio, ", "), ErrNoAudio)
	}
	return stream{}, ErrNoAudio
}

func parse(b []byte) (*description, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("empty body: %w", ErrMalformed)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%d bytes, more than %d: %w", len(b), MaxSize, ErrMalformed)
	}
	var sd pion.SessionDescription
	if err := sd.UnmarshalString(string(b)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if sd.Version != 0 {
		return nil, fmt.Errorf("version %d, want 0: %w", sd.Version, ErrMalformed)
	}
	d := &description{sessionID: sd.Origin.SessionID, version: sd.Origin.SessionVersion}

	var sessionAddr netip.Addr
	if sd.ConnectionInformation != nil {
		a, err := connectionAddr(sd.ConnectionInformation)
		if err != nil {
			return nil, fmt.Errorf("session c= line: %w", err)
		}
		sessionAddr = a
	}
	sessionDir, err := direction(sd.Attributes, SendRecv)
	if err != nil {
		return nil, fmt.Errorf("session attributes: %w", err)
	}

	for i, md := range sd.MediaDescriptions {
		ml := mediaLine{
			media:   md.MediaName.Media,
			proto:   strings.Join(md.MediaName.Protos, "/"),
			formats: md.MediaName.Formats,
			port:    md.MediaName.Port.Value,
		}
		if len(ml.formats) == 0 {
			return nil, fmt.Errorf("m= line %d has no formats: %w", i+1, ErrMalformed)
		}
		if ml.port < 0 || ml.port > 65535 {
			return nil, fmt.Errorf("m= line %d: port %d: %w", i+1, ml.port, ErrMalformed)
		}
		d.media = append(d.media, ml)

		if ml.media != "audio" || ml.port == 0 {
			continue
		}
		secure := strings.EqualFold(ml.proto, "RTP/SAVP")
		if !secure && !strings.EqualFold(ml.proto, "RTP/AVP") {
			d.sawAudio = append(d.sawAudio, ml.proto)
			continue
		}
		s, err := audioStream(md, i, sessionAddr, sessionDir)
		if err == nil && secure {
			err = s.readCrypto(md.Attributes)
		}
		if err != nil {
			return nil, fmt.Errorf("m= line %d: %w", i+1, err)
		}
		if s.remote.Addr().IsMulticast() {
			d.sawAudio = append(d.sawAudio, "multicast")
			continue
		}
		d.audio = append(d.audio, s)
	}
	return d, nil
}

// readCrypto reads the a=crypto attributes of an RTP/SAVP line: the first
// usable one is the stream's key; unusable ones are noted and skipped; a
// malformed one, or a tag used twice, makes the description malformed.
// (a=crypto on a plain RTP/AVP line, which some phones send hoping for
// SRTP, is not read at all: RFC 4568 defines it for RTP/SAVP only, and such
// an offer gets a plain RTP/AVP answer.)
func (s *stream) readCrypto(attrs []pion.Attribute) error {
	s.secure = true
	seen := map[uint32]bool{}
	for _, a := range attrs {
		if a.Key != "crypto" {
			continue
		}
		c, err := ParseCrypto(a.Value)
		if err == nil || errors.Is(err, ErrUnsupportedCrypto) {
			if seen[c.Tag] {
				return fmt.Errorf("crypto tag %d used twice: %w", c.Tag, ErrMalformed)
			}
			seen[c.Tag] = true
		}
		switch {
		case errors.Is(err, ErrUnsupportedCrypto):
			s.unsupported = append(s.unsupported, strings.TrimSuffix(err.Error(), ": "+ErrUnsupportedCrypto.Error()))
		case err != nil:
			return err
		case s.crypto == nil:
			s.crypto = &c
		}
	}
	return nil
}

// audioStream reads one RTP/AVP or RTP/SAVP audio m= line.
func audioStream(md *pion.MediaDescription, index int, sessionAddr netip.Addr, sessionDir Direction) (stream, error) {
	s := stream{index: index}
	addr := sessionAddr
	if md.ConnectionInformation != nil {
		a, err := connectionAddr(md.ConnectionInformation)
		if err != nil {
			return s, fmt.Errorf("c= line: %w", err)
		}
		addr = a
	}
	if !addr.IsValid() {
		return s, fmt.Errorf("no c= line for the stream or the session: %w", ErrMalformed)
	}
	s.remote = netip.AddrPortFrom(addr, uint16(md.MediaName.Port.Value))

	pts := make([]uint8, 0, len(md.MediaName.Formats))
	for _, f := range md.MediaName.Formats {
		n, err := strconv.ParseUint(f, 10, 8)
		if err != nil || n > 127 {
			return s, fmt.Errorf("payload type %q: %w", f, ErrMalformed)
		}
		pts = append(pts, uint8(n))
	}

	maps := make(map[uint8]string, len(pts))
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		pt, enc, err := rtpmap(a.Value)
		if err != nil {
			return s, err
		}
		maps[pt] = enc
	}
	for _, pt := range pts {
		enc, mapped := maps[pt]
		switch {
		case !mapped && (pt == PCMU || pt == PCMA):
			s.codecs = append(s.codecs, pt)
		case mapped && pt == PCMU && strings.EqualFold(enc, "PCMU/8000"),
			mapped && pt == PCMA && strings.EqualFold(enc, "PCMA/8000"):
			s.codecs = append(s.codecs, pt)
		case mapped && s.dtmf == 0 && strings.EqualFold(enc, "telephone-event/8000"):
			s.dtmf = pt
		}
	}

	dir, err := direction(md.Attributes, sessionDir)
	if err != nil {
		return s, err
	}
	s.dir = dir
	return s, nil
}

// rtpmap parses "<pt> <encoding>/<rate>[/<params>]" and returns the
// payload type and "encoding/rate".
func rtpmap(v string) (uint8, string, error) {
	ptStr, enc, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return 0, "", fmt.Errorf("rtpmap %q has no encoding: %w", v, ErrMalformed)
	}
	n, err := strconv.ParseUint(ptStr, 10, 8)
	if err != nil || n > 127 {
		return 0, "", fmt.Errorf("rtpmap payload type %q: %w", ptStr, ErrMalformed)
	}
	enc = strings.TrimSpace(enc)
	name, rest, ok := strings.Cut(enc, "/")
	if !ok || name == "" {
		return 0, "", fmt.Errorf("rtpmap %q has no clock rate: %w", v, ErrMalformed)
	}
	rate, _, _ := strings.Cut(rest, "/")
	if r, err := strconv.ParseUint(rate, 10, 32); err != nil || r == 0 {
		return 0, "", fmt.Errorf("rtpmap %q: clock rate %q: %w", v, rate, ErrMalformed)
	}
	return uint8(n), name + "/" + rate, nil
}

// connectionAddr reads a c= line: "IN IP4 <address>" or "IN IP6 <address>".
func connectionAddr(ci *pion.ConnectionInformation) (netip.Addr, error) {
	if ci.NetworkType != "IN" {
		return netip.Addr{}, fmt.Errorf("network type %q, want IN: %w", ci.NetworkType, ErrMalformed)
	}
	if ci.Address == nil {
		return netip.Addr{}, fmt.Errorf("no address: %w", ErrMalformed)
	}
	raw, ttl, hasTTL := strings.Cut(ci.Address.Address, "/")
	a, err := netip.ParseAddr(raw)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("address %q is not an IP address: %w", ci.Address.Address, ErrMalformed)
	}
	// Only multicast addresses carry a TTL or count (RFC 4566 5.7).
	if hasTTL && (!a.IsMulticast() || ttl == "") {
		return netip.Addr{}, fmt.Errorf("address %q: %w", ci.Address.Address, ErrMalformed)
	}
	switch ci.AddressType {
	case "IP4":
		if !a.Is4() {
			return netip.Addr{}, fmt.Errorf("IP4 address %q: %w", ci.Address.Address, ErrMalformed)
		}
	case "IP6":
		if !a.Is6() || a.Is4In6() {
			return netip.Addr{}, fmt.Errorf("IP6 address %q: %w", ci.Address.Address, ErrMalformed)
		}
	default:
		return netip.Addr{}, fmt.Errorf("address type %q: %w", ci.AddressType, ErrMalformed)
	}
	return a, nil
}

// direction returns the direction attribute among attrs, or def if none.
// Two different ones are a contradiction.
func direction(attrs []pion.Attribute, def Direction) (Direction, error) {
	found := false
	d := def
	for _, a := range attrs {
		var x Direction
		switch a.Key {
		case "sendrecv":
			x = SendRecv
		case "sendonly":
			x = SendOnly
		case "recvonly":
			x = RecvOnly
		case "inactive":
			x = Inactive
		default:
			continue
		}
		if found && x != d {
			return def, fmt.Errorf("both %s and %s: %w", d, x, ErrMalformed)
		}
		found, d = true, x
	}
	return d, nil
}
