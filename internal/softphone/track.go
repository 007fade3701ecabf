package softphone

import (
	"errors"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// errNotBound: the track has no negotiated sender yet (or any more).
var errNotBound = errors.New("softphone: track not bound to a connection")

// rtpTrack is the audio earshot sends to one page: RTP packets from the
// media plane, written as they are except for the SSRC, which the peer
// connection chose, and the sequence number. Unlike pion's
// TrackLocalStaticRTP it keeps each packet's payload type, so RFC 4733
// telephone-events pass through beside the audio, and it does not allocate
// per packet.
//
// Packets flow only while the track is live (the page has a call): an idle
// page costs no encryption and no packets. The track numbers the packets it
// sends itself, so the page sees one unbroken sequence; the first packet
// after a pause carries the marker bit, as after silence suppression.
type rtpTrack struct {
	mu      sync.Mutex // guards every field below
	pt      uint8      // the audio payload type to bind to
	hdr     rtp.Header // scratch for the packet being written
	bound   *binding
	live    bool
	seq     uint16
	resumed bool // the next packet starts a talkspurt
}

type binding struct {
	id   string
	ssrc uint32
	w    webrtc.TrackLocalWriter
}

var _ webrtc.TrackLocal = (*rtpTrack)(nil)

// setPayloadType says which negotiated codec Bind must pick.
func (t *rtpTrack) setPayloadType(pt uint8) {
	t.mu.Lock()
	t.pt = pt
	t.mu.Unlock()
}

// Bind picks the negotiated codec whose payload type the media leg uses.
func (t *rtpTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range ctx.CodecParameters() {
		if uint8(c.PayloadType) == t.pt {
			t.bound = &binding{id: ctx.ID(), ssrc: uint32(ctx.SSRC()), w: ctx.WriteStream()}
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
}

// Unbind forgets the sender.
func (t *rtpTrack) Unbind(ctx webrtc.TrackLocalContext) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.bound != nil && t.bound.id == ctx.ID() {
		t.bound = nil
	}
	return nil
}

// ID names the track.
func (t *rtpTrack) ID() string { return "earshot-audio" }

// RID is empty: no simulcast.
func (t *rtpTrack) RID() string { return "" }

// StreamID names the track's stream.
func (t *rtpTrack) StreamID() string { return "earshot" }

// Kind is audio.
func (t *rtpTrack) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeAudio }

// setLive starts or stops the flow of packets to the page.
func (t *rtpTrack) setLive(on bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if on && !t.live {
		t.resumed = true
	}
	t.live = on
}

// isLive reports whether packets flow.
func (t *rtpTrack) isLive() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.live
}

// write sends one marshalled RTP packet to the page. It is the media leg's
// send function: called from a media worker, one packet at a time.
func (t *rtpTrack) write(pkt []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.live {
		return nil
	}
	b := t.bound
	if b == nil {
		return errNotBound
	}
	n, err := t.hdr.Unmarshal(pkt)
	if err != nil {
		return err
	}
	t.hdr.SSRC = b.ssrc
	t.hdr.SequenceNumber = t.seq
	t.seq++
	if t.resumed {
		t.hdr.Marker = true
		t.resumed = false
	}
	_, err = b.w.WriteRTP(&t.hdr, pkt[n:])
	return err
}
