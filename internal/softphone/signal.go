package softphone

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Message types a page sends.
const (
	msgOffer     = "rtc.offer"
	msgRestart   = "rtc.restart"
	msgCandidate = "rtc.candidate"
	msgAnswer    = "call.answer"
	msgReject    = "call.reject"
	msgHangup    = "call.hangup"
	msgDTMF      = "phone.dtmf"
)

// Limits on what a page may send.
const (
	maxSDP       = 32 << 10
	maxCandidate = 1024
	maxCallID    = 128
)

// refusal is a message refused for a reason the page is told in words:
// malformed, or out of order.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

func badf(format string, args ...any) error {
	return &refusal{msg: fmt.Sprintf(format, args...)}
}

// offer is a checked SDP offer from a page.
type offer struct {
	sdp         string
	mid         string // the audio section's media ID
	mline       uint16 // the audio section's index
	ufrag       string // ICE username fragment: changes on an ICE restart
	fingerprint string // DTLS certificate fingerprint: the same for the life of the peer connection
}

// parseOffer reads an rtc.offer or rtc.restart message. The offer must be
// SDP with an audio section offering PCMU or PCMA, ICE credentials and a
// DTLS fingerprint.
func parseOffer(raw []byte) (offer, error) {
	var m struct {
		SDP *string `json:"sdp"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return offer{}, badf("not a JSON object with an \"sdp\" string: %v", err)
	}
	if m.SDP == nil || *m.SDP == "" {
		return offer{}, badf("\"sdp\" is missing")
	}
	if len(*m.SDP) > maxSDP {
		return offer{}, badf("the SDP is longer than %d bytes", maxSDP)
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(*m.SDP); err != nil {
		return offer{}, badf("the SDP cannot be parsed: %v", err)
	}
	o := offer{sdp: *m.SDP}
	// attr is an attribute's value without surrounding blanks: a blank
	// one counts as missing
	attr := func(get func(string) (string, bool), key string) string {
		v, _ := get(key)
		return strings.TrimSpace(v)
	}
	o.ufrag = attr(d.Attribute, "ice-ufrag")
	o.fingerprint = attr(d.Attribute, "fingerprint")
	audio := false
	for i, md := range d.MediaDescriptions {
		if md.MediaName.Media != "audio" {
			continue
		}
		if o.ufrag == "" {
			o.ufrag = attr(md.Attribute, "ice-ufrag")
		}
		if o.fingerprint == "" {
			o.fingerprint = attr(md.Attribute, "fingerprint")
		}
		if !audio && offersG711(&d, md) {
			audio = true
			o.mid, _ = md.Attribute("mid")
			o.mline = uint16(min(i, 0xFFFF))
		}
	}
	switch {
	case !audio:
		return offer{}, badf("the offer has no PCMU or PCMA audio; this phone speaks G.711 only")
	case o.ufrag == "":
		return offer{}, badf("the offer has no ICE credentials (a=ice-ufrag)")
	case o.fingerprint == "":
		return offer{}, badf("the offer has no DTLS fingerprint (a=fingerprint)")
	}
	o.fingerprint = strings.ToLower(o.fingerprint)
	return o, nil
}

// offersG711 reports whether an audio section lists PCMU or PCMA, by static
// payload type or by rtpmap.
func offersG711(d *sdp.SessionDescription, md *sdp.MediaDescription) bool {
	if md.MediaName.Port.Value == 0 {
		return false
	}
	for _, f := range md.MediaName.Formats {
		pt, err := strconv.ParseUint(f, 10, 8)
		if err != nil {
			continue
		}
		if pt == 0 || pt == 8 {
			return true
		}
		if c, err := d.GetCodecForPayloadType(uint8(pt)); err == nil && c.ClockRate == 8000 &&
			(strings.EqualFold(c.Name, "PCMU") || strings.EqualFold(c.Name, "PCMA")) {
			return true
		}
	}
	return false
}

// candidateJSON is an RTCIceCandidateInit as a page sends it.
type candidateJSON struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

// parseCandidate reads an rtc.candidate message: one ICE candidate in the
// form RTCIceCandidate.toJSON() gives.
func parseCandidate(raw []byte) (webrtc.ICECandidateInit, error) {
	var m struct {
		Candidate *candidateJSON `json:"candidate"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return webrtc.ICECandidateInit{}, badf("not a JSON object with a \"candidate\" object: %v", err)
	}
	c := m.Candidate
	if c == nil || c.Candidate == "" {
		return webrtc.ICECandidateInit{}, badf("\"candidate\" is missing")
	}
	if len(c.Candidate) > maxCandidate {
		return webrtc.ICECandidateInit{}, badf("the candidate is longer than %d bytes", maxCandidate)
	}
	if _, err := ice.UnmarshalCandidate(strings.TrimPrefix(c.Candidate, "candidate:")); err != nil {
		return webrtc.ICECandidateInit{}, badf("the candidate cannot be parsed: %v", err)
	}
	return webrtc.ICECandidateInit{
		Candidate:        c.Candidate,
		SDPMid:           c.SDPMid,
		SDPMLineIndex:    c.SDPMLineIndex,
		UsernameFragment: c.UsernameFragment,
	}, nil
}

// parseCall reads the call identifier of call.answer, call.reject and
// call.hangup.
func parseCall(raw []byte) (string, error) {
	var m struct {
		Call *string `json:"call"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", badf("not a JSON object with a \"call\" string: %v", err)
	}
	if m.Call == nil || *m.Call == "" {
		return "", badf("\"call\" is missing")
	}
	if len(*m.Call) > maxCallID || strings.IndexFunc(*m.Call, unicode.IsControl) >= 0 {
		return "", badf("\"call\" is not a call identifier")
	}
	return *m.Call, nil
}

// dtmfDigits are the keys phone.dtmf accepts.
const dtmfDigits = "0123456789*#ABCD"

// parseDigit reads a phone.dtmf message: one key of 0–9, *, #, A–D.
func parseDigit(raw []byte) (rune, error) {
	var m struct {
		Digit *string `json:"digit"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return 0, badf("not a JSON object with a \"digit\" string: %v", err)
	}
	if m.Digit == nil || *m.Digit == "" {
		return 0, badf("\"digit\" is missing")
	}
	d := strings.ToUpper(*m.Digit)
	if len(d) != 1 || !strings.Contains(dtmfDigits, d) {
		return 0, badf("%q is not a key; use 0–9, *, # or A–D", *m.Digit)
	}
	return rune(d[0]), nil
}

// negotiated reads, from the answer earshot is about to give, the audio
// payload type the browser will send (the first PCMU or PCMA format) and
// the telephone-event payload type (0 when there is none).
func negotiated(answer string) (pt, dtmfPT uint8, err error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(answer); err != nil {
		return 0, 0, fmt.Errorf("parse own answer: %w", err)
	}
	for _, md := range d.MediaDescriptions {
		if md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		found := false
		for _, f := range md.MediaName.Formats {
			n, err := strconv.ParseUint(f, 10, 8)
			if err != nil {
				continue
			}
			c, cerr := d.GetCodecForPayloadType(uint8(n))
			switch {
			case !found && (n == 0 || n == 8):
				pt, found = uint8(n), true
			case cerr == nil && strings.EqualFold(c.Name, "telephone-event") && c.ClockRate == 8000 && n >= 96 && n <= 127 && dtmfPT == 0:
				dtmfPT = uint8(n)
			}
		}
		if found {
			return pt, dtmfPT, nil
		}
	}
	return 0, 0, errors.New("the answer has no PCMU or PCMA audio")
}
