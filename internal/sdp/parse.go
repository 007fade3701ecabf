package sdp

import (
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

// stream is what parsing learned about one usable RTP/AVP audio m= line.
type stream struct {
	index  int
	remote netip.AddrPort
	codecs []uint8
	dtmf   uint8
	dir    Direction
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
	}, nil
}

// pick returns the stream earshot uses: the first usable audio stream that
// offers G.711, else the first usable audio stream.
func (d *description) pick() (stream, error) {
	if len(d.audio) == 0 {
		if len(d.sawAudio) > 0 {
			return stream{}, fmt.Errorf("audio offered only as %s, earshot needs RTP/AVP: %w",
				strings.Join(d.sawAudio, ", "), ErrNoAudio)
		}
		return stream{}, ErrNoAudio
	}
	for _, s := range d.audio {
		if len(s.codecs) > 0 {
			return s, nil
		}
	}
	return d.audio[0], nil
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
		if !strings.EqualFold(ml.proto, "RTP/AVP") {
			d.sawAudio = append(d.sawAudio, ml.proto)
			continue
		}
		s, err := audioStream(md, i, sessionAddr, sessionDir)
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

// audioStream reads one RTP/AVP audio m= line.
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
