// Package config holds earshot's configuration: who works here (users,
// teams), how calls flow (queues, DIDs), how earshot reaches the telephone
// network (trunks, dial plan). It parses and validates the YAML file; it does
// not apply anything.
package config

import "time"

// Config is the whole setup. The YAML file seeds a fresh install; after
// that the store holds it and the admin API changes it.
//
// DataDir is where earshot writes (Parse makes a relative one start at the
// file's folder). Database is a postgres:// (or postgresql://) URL or a
// SQLite file path; empty means <DataDir>/earshot.db, which Parse fills in.
type Config struct {
	Listen          Listen        `yaml:"listen" json:"listen"`
	DataDir         string        `yaml:"data_dir" json:"data_dir"`
	Database        string        `yaml:"database" json:"database"`
	Users           []User        `yaml:"users" json:"users"`
	Teams           []Team        `yaml:"teams" json:"teams"`
	Queues          []Queue       `yaml:"queues" json:"queues"`
	DIDs            []DID         `yaml:"dids" json:"dids"`
	Trunks          []Trunk       `yaml:"trunks" json:"trunks"`
	DialPlan        DialPlan      `yaml:"dial_plan" json:"dial_plan"`
	NotReadyReasons []string      `yaml:"not_ready_reasons" json:"not_ready_reasons"`
	AssistRingTime  time.Duration `yaml:"assist_ring_time" json:"assist_ring_time"`
	// WebRTC is how browsers reach earshot's audio. Like Listen, it is
	// read from the file at every start and never from the store.
	WebRTC WebRTC `yaml:"webrtc" json:"-"`
	// Phone is how people on SIP phones work earshot from the keypad.
	// Like Listen, it is read from the file at every start and never from
	// the store.
	Phone Phone `yaml:"phone" json:"-"`
}

// Phone says what keys on an agent's SIP phone do.
type Phone struct {
	// HelpKey is the DTMF key ("0"–"9", "*" or "#") that toggles the
	// agent's help request from their phone during a call; empty means
	// DefaultHelpKey.
	HelpKey string `yaml:"help_key"`
}

// DefaultHelpKey is the agent's help key when phone.help_key is left out.
// It differs from the supervisor's assist keys (1, 2, 3, #).
const DefaultHelpKey = "*"

// HelpDigit is the help key as a DTMF digit.
func (p Phone) HelpDigit() rune {
	if p.HelpKey == "" {
		return rune(DefaultHelpKey[0])
	}
	return rune(p.HelpKey[0])
}

// WebRTC says how the web softphones' audio crosses networks.
type WebRTC struct {
	// ICEServers are STUN and TURN servers offered to browsers and used by
	// earshot itself.
	ICEServers []ICEServer `yaml:"ice_servers"`
	// PublicIPs are the addresses browsers reach earshot at when it sits
	// behind a 1:1 NAT.
	PublicIPs []string `yaml:"public_ips"`
	// PortMin and PortMax bound the UDP ports of WebRTC audio (0: any).
	PortMin int `yaml:"port_min"`
	PortMax int `yaml:"port_max"`
}

// ICEServer is one STUN or TURN server.
type ICEServer struct {
	URLs       []string `yaml:"urls"` // stun:host:port, turn:host:port?transport=udp, turns:…
	Username   string   `yaml:"username"`
	Credential string   `yaml:"credential"`
}

// Listen says where earshot's edges listen.
type Listen struct {
	HTTP string `yaml:"http" json:"http"` // host:port
	SIP  string `yaml:"sip" json:"sip"`   // host:port, UDP and TCP
	// SIPTLS is host:port for SIP over TLS (empty: none), with the PEM
	// certificate and key files. Read from the file only, never stored.
	SIPTLS  string `yaml:"sip_tls" json:"-"`
	TLSCert string `yaml:"tls_cert" json:"-"`
	TLSKey  string `yaml:"tls_key" json:"-"`
	// SIPPublic is the IP address put in Via and Contact headers and in
	// SDP, for an earshot behind a 1:1 NAT or listening on a wildcard
	// address. Empty: the listen address, or for a wildcard the address
	// of the interface that routes outwards.
	SIPPublic string `yaml:"sip_public" json:"-"`
	// RTPPortMin and RTPPortMax bound the UDP ports of SIP calls' RTP
	// (default 16384–32767).
	RTPPortMin int `yaml:"rtp_port_min" json:"-"`
	RTPPortMax int `yaml:"rtp_port_max" json:"-"`
	// HTTPS is host:port for the pages and the API over TLS (empty: none).
	// It uses TLSCert and TLSKey, or certificates obtained by ACME for
	// ACMEDomains. When set, HTTP redirects every request to HTTPS.
	HTTPS string `yaml:"https" json:"-"`
	// ACMEDomains are the host names to obtain certificates for by ACME;
	// ACMEEmail is the account's contact, ACMEDirectory the CA's directory
	// URL (default: Let's Encrypt). Certificates are kept in
	// <data_dir>/acme.
	ACMEDomains   []string `yaml:"acme_domains" json:"-"`
	ACMEEmail     string   `yaml:"acme_email" json:"-"`
	ACMEDirectory string   `yaml:"acme_directory" json:"-"`
	// TrustedProxies are the addresses or CIDR prefixes of reverse proxies
	// whose X-Forwarded-For and X-Forwarded-Proto earshot believes.
	TrustedProxies []string `yaml:"trusted_proxies" json:"-"`
}

// Default RTP ports of SIP calls.
const (
	DefaultRTPPortMin = 16384
	DefaultRTPPortMax = 32767
)

// Role is what a user may do. A user may hold several.
type Role string

// Roles.
const (
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// User is a person who logs in.
type User struct {
	Name         string `yaml:"name" json:"name"` // login name, unique
	Display      string `yaml:"display" json:"display"`
	Roles        []Role `yaml:"roles" json:"roles"`
	Password     string `yaml:"password,omitempty" json:"-"` // plain, only in a seed file; hashed on import
	PasswordHash string `yaml:"password_hash,omitempty" json:"-"`
	SIPPassword  string `yaml:"sip_password,omitempty" json:"-"` // for the user's registered SIP phone
	ListenIn     bool   `yaml:"listen_in" json:"listen_in"`      // may listen in on colleagues who allow it
}

// Has reports whether the user holds role r.
func (u User) Has(r Role) bool {
	for _, x := range u.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Team groups agents under supervisors.
type Team struct {
	Name        string   `yaml:"name" json:"name"`
	Agents      []string `yaml:"agents" json:"agents"`
	Supervisors []string `yaml:"supervisors" json:"supervisors"`
}

// Strategy picks which available agent gets the next call.
type Strategy string

// Strategies.
const (
	LongestIdle Strategy = "longest-idle" // default
	RoundRobin  Strategy = "round-robin"
	FewestCalls Strategy = "fewest-calls"
	RingAll     Strategy = "ring-all"
)

// Queue is where calls wait for agents.
type Queue struct {
	Name        string        `yaml:"name" json:"name"`
	Agents      []string      `yaml:"agents" json:"agents"` // directly
	Teams       []string      `yaml:"teams" json:"teams"`   // and through teams
	Strategy    Strategy      `yaml:"strategy" json:"strategy"`
	RingTimeout time.Duration `yaml:"ring_timeout" json:"ring_timeout"` // default 20s
	WrapUp      time.Duration `yaml:"wrap_up" json:"wrap_up"`           // default 30s
	MaxWait     time.Duration `yaml:"max_wait" json:"max_wait"`         // 0: no limit
	// OnMaxWait is what happens after MaxWait: "overflow" to OverflowTo, or
	// "hangup" after playing Message.
	OnMaxWait  string `yaml:"on_max_wait" json:"on_max_wait"`
	OverflowTo string `yaml:"overflow_to" json:"overflow_to"`
	Message    string `yaml:"message" json:"message"` // WAV played once before the max_wait hang-up
	Music      string `yaml:"music" json:"music"`     // WAV file; empty: a generated tone
	Record     bool   `yaml:"record" json:"record"`
}

// DID maps a dialled number to a queue.
type DID struct {
	Number   string `yaml:"number" json:"number"`
	Queue    string `yaml:"queue" json:"queue"`
	Priority int    `yaml:"priority" json:"priority"` // higher is served first
}

// Trunk is a SIP connection to a carrier or PBX.
type Trunk struct {
	Name string `yaml:"name" json:"name"`
	// Sources are the addresses or CIDRs that may send calls in.
	Sources []string `yaml:"sources" json:"sources"`
	// Outbound is where earshot sends calls out (sip:host:port), if it does.
	Outbound string `yaml:"outbound" json:"outbound"`
	Username string `yaml:"username" json:"username"`
	Password string `yaml:"password,omitempty" json:"-"`
	// Register makes earshot REGISTER with the carrier, with Username and
	// Password, and keep the registration fresh, so the carrier sends
	// calls in.
	Register bool `yaml:"register" json:"register"`
	// RegisterExpires is the registration lifetime asked for; 0 means
	// DefaultRegisterExpires.
	RegisterExpires time.Duration `yaml:"register_expires" json:"register_expires"`
	// Registrar is where REGISTER goes (a sip: URI); empty means Outbound.
	Registrar string `yaml:"registrar" json:"registrar"`
	// CallerID is the number earshot presents (the From user) on calls it
	// places through this trunk; empty keeps the caller ID of each call.
	CallerID string `yaml:"caller_id" json:"caller_id"`
	// FromDomain is the From host of those calls; empty means earshot's
	// own SIP address.
	FromDomain string `yaml:"from_domain" json:"from_domain"`
}

// DialPlan says which numbers earshot may ever dial. Nothing outside Allow,
// and nothing in Deny, is dialled.
type DialPlan struct {
	Allow []string `yaml:"allow" json:"allow"`
	Deny  []string `yaml:"deny" json:"deny"`
}
