package sip

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
)

// Media makes media legs, one per call (one per fork branch when dialling).
type Media interface {
	NewLeg() (Leg, error)
}

// Leg is one RTP endpoint of a call, as the SIP edge drives it.
type Leg interface {
	// LocalAddr is where the leg receives RTP; it goes into the SDP.
	LocalAddr() netip.AddrPort
	// SetRemote sets where to send RTP, the G.711 payload type (0 PCMU,
	// 8 PCMA) and the telephone-event payload type (0 for none).
	SetRemote(addr netip.AddrPort, payloadType uint8, dtmfPT uint8) error
	// Hold tells the leg that the far end does (on) or does not want media.
	Hold(on bool)
	// Close releases the leg. The SIP edge closes every leg it made.
	Close() error
}

// Handler takes inbound calls. InboundCall must not block for long: it
// takes the call and later calls Answer, Ringing, Reject or Hangup on it.
// An error refuses the call: wrapping ErrUnknownNumber gives 404, ErrBusy
// 486, ErrUnavailable 503, anything else 500.
type Handler interface {
	InboundCall(c *Call) error
}

// Credentials gives the SIP password of a user whose phone registers.
type Credentials interface {
	SIPPassword(user string) (string, bool)
}

// DialCheck is the dial plan: Check returns an error for any target that
// must not be dialled. If it also has Resolve(target) (string, error), as
// *dialplan.Plan does, the resolved form is what gets dialled.
type DialCheck interface {
	Check(target string) error
}

// FailureLimiter counts failed authentications per source address.
// *auth.Limiter satisfies it.
type FailureLimiter interface {
	Allow(key string) bool
	Fail(key string)
}

// Config is what New needs. Zero values take the defaults noted.
type Config struct {
	// Listen lists the sockets, each "udp:HOST:PORT", "tcp:HOST:PORT" or
	// "tls:HOST:PORT". Port 0 picks a free port (see Server.Addr).
	Listen []string
	// TLSCert and TLSKey are PEM files, needed for a "tls:" listener
	// unless GetCertificate is given.
	TLSCert, TLSKey string
	// GetCertificate, when set, gives a "tls:" listener its certificate at
	// each handshake (a certificate renewed on disk needs no restart).
	GetCertificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	// Advertise is the host or IP put in Via and Contact headers and used
	// in SDP when a leg is bound to a wildcard address. Default: the
	// listen address, or, for a wildcard listener, the address of the
	// interface that routes outwards.
	Advertise string

	// Trunks are the carriers: their Sources may send calls in, and the
	// first with an Outbound address carries calls out.
	Trunks []config.Trunk
	// Realm is the digest realm for registering phones. Default "earshot".
	Realm string
	// Users gives phones' SIP passwords. Nil refuses every REGISTER.
	Users Credentials
	// DialPlan gates every number and URI dialled. Nil dials nothing but
	// registered users.
	DialPlan DialCheck
	// KnownDID reports whether a number is one of earshot's DIDs; on a
	// trunk that registers with its carrier it decides between the
	// Request-URI's number and To's (see didOf). Nil: every number counts.
	KnownDID func(number string) bool
	// Media makes the legs. Required.
	Media Media
	// Calls takes inbound calls. Required.
	Calls Handler
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Clock drives registration expiry, nonces and the failure limiter.
	// Default: the wall clock.
	Clock clock.Clock

	// DefaultExpires (3600 s), MinExpires (60 s) and MaxExpires (7200 s)
	// bound registrations.
	DefaultExpires, MinExpires, MaxExpires time.Duration
	// MaxContacts is how many phones one user may register (default 10).
	MaxContacts int
	// NonceTTL is how long a digest nonce stays valid (default 5 min).
	NonceTTL time.Duration
	// AuthLimiter counts failed REGISTER authentications per source
	// address. Default: 5 failures within a minute lock the address out
	// until the oldest leaves the minute.
	AuthLimiter FailureLimiter
	// UserAgent names earshot in User-Agent and Server headers.
	UserAgent string
	// ShutdownGrace bounds how long Run waits, after its context ends, for
	// live calls to be hung up (default 5 s).
	ShutdownGrace time.Duration

	// t1 replaces sip.T1 for earshot's own 2xx retransmission and ACK
	// wait, so tests need not wait 32 s for a missing ACK.
	t1 time.Duration

	// observe, when set, hears registrar outcomes ("registered",
	// "auth-failed") so tests can wait for them.
	observe func(event, user string)
}

// listenSpec is one parsed Listen entry.
type listenSpec struct {
	network string // "udp", "tcp", "tls"
	addr    string // host:port
}

func parseListen(s string) (listenSpec, error) {
	network, addr, ok := strings.Cut(s, ":")
	if !ok {
		return listenSpec{}, fmt.Errorf("listen %q: want NETWORK:HOST:PORT", s)
	}
	network = strings.ToLower(network)
	switch network {
	case "udp", "tcp", "tls":
	default:
		return listenSpec{}, fmt.Errorf("listen %q: network %q is not udp, tcp or tls", s, network)
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return listenSpec{}, fmt.Errorf("listen %q: %w", s, err)
	}
	return listenSpec{network: network, addr: ap.String()}, nil
}

func (c *Config) withDefaults() {
	if c.Realm == "" {
		c.Realm = "earshot"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.DefaultExpires <= 0 {
		c.DefaultExpires = time.Hour
	}
	if c.MinExpires <= 0 {
		c.MinExpires = time.Minute
	}
	if c.MaxExpires <= 0 {
		c.MaxExpires = 2 * time.Hour
	}
	if c.MaxContacts <= 0 {
		c.MaxContacts = 10
	}
	if c.NonceTTL <= 0 {
		c.NonceTTL = 5 * time.Minute
	}
	if c.UserAgent == "" {
		c.UserAgent = "earshot"
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 5 * time.Second
	}
}
