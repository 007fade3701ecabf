package media

import (
	"errors"
	"fmt"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// SRTP (RFC 3711) on a leg, keyed by the signalling (SDES, RFC 4568): the
// worker encrypts each packet in its send slot just before it is queued,
// and decrypts and authenticates each received packet in place before
// anything else reads it. Neither allocates per packet.

// SRTPKeyLen is the length of an SRTP master key with its salt (16 + 14
// bytes) for the AES-CM profiles a leg supports.
const SRTPKeyLen = 30

// srtpMaxTag is the longest authentication tag a supported profile adds to
// a packet (HMAC-SHA1-80: 10 bytes).
const srtpMaxTag = 10

// srtpReplayWindow is how many packets back the replay check remembers.
const srtpReplayWindow = 128

// ErrSRTPProfile is returned by SetSRTP for a profile other than the two
// AES-CM ones SDES negotiates.
var ErrSRTPProfile = errors.New("media: SRTP profile is neither AES_CM_128_HMAC_SHA1_80 nor _32")

// ErrSRTPKeyReused is returned by SetSRTP when a new send context would
// start on the master key the leg sends with (a change of profile alone):
// the new context's rollover counter would start again at zero, and the
// same keystream would encrypt two packets. A new send context needs a
// new key.
var ErrSRTPKeyReused = errors.New("media: SRTP send key already used by this leg; a new send context needs a new key")

// srtpPair is a leg's two SRTP contexts. It is made by SetSRTP and
// replaced whole, under the engine's write lock; the contexts and hdr are
// then used only by the leg's owning worker.
type srtpPair struct {
	profile    srtp.ProtectionProfile
	send, recv [SRTPKeyLen]byte
	enc, dec   *srtp.Context
	hdr        rtp.Header // scratch header for the contexts
}

// SetSRTP makes the leg speak SRTP with profile (AES_CM_128_HMAC_SHA1_80
// or _32): it encrypts what it sends with the master key and salt send
// (30 bytes: 16 of key, then 14 of salt) and decrypts with recv what it
// receives. A received packet that fails authentication or replays an
// earlier one is dropped and counted (Stats.SRTPFailed): it is never
// heard, recorded, taken as DTMF or latched onto. Setting the same keys
// again keeps the running contexts (a re-INVITE that keeps its keys);
// SetSRTP(0, nil, nil) goes back to plain RTP. The send key in use under
// another profile is refused with ErrSRTPKeyReused; a caller turning SRTP
// on again after plain RTP must likewise bring a key it has not sent
// with, since the old context is gone. Bad keys change nothing.
func (l *Leg) SetSRTP(profile srtp.ProtectionProfile, send, recv []byte) error {
	if profile == 0 && send == nil && recv == nil {
		l.e.mu.Lock()
		l.srtp = nil
		l.e.mu.Unlock()
		return nil
	}
	if profile != srtp.ProtectionProfileAes128CmHmacSha1_80 && profile != srtp.ProtectionProfileAes128CmHmacSha1_32 {
		return fmt.Errorf("%w: %v", ErrSRTPProfile, profile)
	}
	if len(send) != SRTPKeyLen || len(recv) != SRTPKeyLen {
		return fmt.Errorf("media: SRTP keys are %d and %d bytes, want %d", len(send), len(recv), SRTPKeyLen)
	}
	p := &srtpPair{profile: profile}
	copy(p.send[:], send)
	copy(p.recv[:], recv)
	l.e.mu.RLock()
	old := l.srtp
	l.e.mu.RUnlock()
	var err error
	if old != nil && old.send == p.send {
		if old.profile != profile {
			return ErrSRTPKeyReused
		}
		p.enc = old.enc
	} else if p.enc, err = srtp.CreateContext(send[:16], send[16:], profile); err != nil {
		return fmt.Errorf("media: SRTP send context: %w", err)
	}
	if old != nil && old.profile == profile && old.recv == p.recv {
		p.dec = old.dec
	} else if p.dec, err = srtp.CreateContext(recv[:16], recv[16:], profile,
		srtp.SRTPReplayProtection(srtpReplayWindow)); err != nil {
		return fmt.Errorf("media: SRTP receive context: %w", err)
	}
	l.e.mu.Lock()
	defer l.e.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.srtp = p
	return nil
}

// SRTPFailures counts the SRTP packets that failed authentication or the
// replay check on any leg since the engine started (each leg's share is in
// its Stats.SRTPFailed). A nil Engine counts none.
func (e *Engine) SRTPFailures() uint64 {
	if e == nil {
		return 0
	}
	return e.srtpFailed.Load()
}

// protect encrypts the n-byte RTP packet at the start of buf in place and
// returns the SRTP packet's length; buf must have room for the tag.
func (p *srtpPair) protect(buf []byte, n int) (int, bool) {
	out, err := p.enc.EncryptRTP(buf[:n], buf[:n], &p.hdr)
	if err != nil || len(out) > len(buf) || &out[0] != &buf[0] {
		return 0, false
	}
	return len(out), true
}

// unprotect authenticates and decrypts the SRTP packet b in place and
// returns the RTP packet, or false when b fails authentication or the
// replay check.
func (p *srtpPair) unprotect(b []byte) ([]byte, bool) {
	out, err := p.dec.DecryptRTP(b, b, &p.hdr)
	if err != nil {
		return nil, false
	}
	return out, true
}
