package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestValidateInCode: a configuration built in code (as the admin API
// does) is checked by the same rules, and its errors carry no file or
// line.
func TestValidateInCode(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		want   string // "" for valid
	}{
		{"demo as is", func(c *Config) {}, ""},
		{"new queue with defaults", func(c *Config) {
			q := NewQueue("after hours")
			q.Teams = []string{"support"}
			c.Queues = append(c.Queues, q)
		}, ""},
		{"wrap_up 0 is allowed", func(c *Config) { c.Queues[0].WrapUp = 0 }, ""},
		{"ring timeout 0", func(c *Config) { c.Queues[0].RingTimeout = 0 }, `queue "sales": ring_timeout must be positive`},
		{"empty strategy", func(c *Config) { c.Queues[1].Strategy = "" }, `queue "support": unknown strategy "" (strategies are longest-idle, round-robin, fewest-calls, ring-all)`},
		{"bad queue name", func(c *Config) { c.Queues[0].Name = "sales/emea" }, `queue "sales/emea": name must be 1-64 characters A-Z a-z 0-9 . _ - and space, starting with a letter or digit
DID "+15550100": queue "sales" is not defined
DID "100": queue "sales" is not defined`},
		{"queue without a name", func(c *Config) { c.Queues[2].Name = "" }, `queues[2]: name must not be empty
DID "+15550300": queue "billing" is not defined
DID "300": queue "billing" is not defined`},
		{"team twice", func(c *Config) { c.Teams = append(c.Teams, c.Teams[0]) }, `team "sales" is defined twice`},
		{"team without a name", func(c *Config) { c.Teams[1].Name = "" }, `teams[1]: name must not be empty
queue "support": team "support" is not defined`},
		{"renamed overflow target", func(c *Config) { c.Queues[1].Name = "help" }, `queue "billing": overflow_to "support" is not a queue
DID "+15550200": queue "support" is not defined
DID "200": queue "support" is not defined`},
		{"loop of two", func(c *Config) {
			c.Queues[1].MaxWait, c.Queues[1].OnMaxWait, c.Queues[1].OverflowTo = time.Minute, OnMaxWaitOverflow, "billing"
		}, `queue "support": overflow loops: support → billing → support`},
		{"agent lost role", func(c *Config) { c.Users[0].Roles = []Role{RoleSupervisor} }, `team "sales": agent "alice" does not have the agent role
queue "billing": agent "alice" does not have the agent role`},
		{"user without password", func(c *Config) { c.Users[14].Password = "" }, `user "admin": needs a password or password_hash`},
		{"control character in display", func(c *Config) { c.Users[0].Display = "Alice\x1b[31m" }, `user "alice": display must be at most 128 printable characters`},
		{"assist ring time", func(c *Config) { c.AssistRingTime = -time.Second }, `assist_ring_time must be positive`},
		{"no reasons", func(c *Config) { c.NotReadyReasons = nil }, `not_ready_reasons must list at least one reason`},
		{"help key #", func(c *Config) { c.Phone.HelpKey = "#" }, ""},
		{"help key 0", func(c *Config) { c.Phone.HelpKey = "0" }, ""},
		{"help key letter", func(c *Config) { c.Phone.HelpKey = "A" }, `phone.help_key "A" must be one key: 0-9, * or #`},
		{"help key two keys", func(c *Config) { c.Phone.HelpKey = "**" }, `phone.help_key "**" must be one key: 0-9, * or #`},
		{"empty listen", func(c *Config) { c.Listen.SIP = "" }, `listen.sip must be host:port`},
		{"duplicate DID by normalisation", func(c *Config) {
			c.DIDs = append(c.DIDs, DID{Number: "(+1) 555-0100", Queue: "support"})
		}, `DID "(+1) 555-0100" is defined twice (as "+15550100" before)`},
		{"trunk outbound", func(c *Config) { c.Trunks[0].Outbound = "sip:127.0.0.1:5080" }, ""},
		{"trunk outbound with user", func(c *Config) { c.Trunks[0].Outbound = "sips:earshot@[::1]:5081;transport=tls" }, ""},
		{"trunk outbound bad", func(c *Config) { c.Trunks[0].Outbound = "sip:" }, `trunk "demo": outbound "sip:": missing host`},
		{"trunk outbound v6 unbracketed", func(c *Config) { c.Trunks[0].Outbound = "sip:2001:db8::1" }, `trunk "demo": outbound "sip:2001:db8::1": IPv6 addresses go in brackets`},
		{"trunk register", func(c *Config) {
			t := &c.Trunks[0]
			t.Outbound, t.Username, t.Password, t.Register, t.RegisterExpires = "sip:127.0.0.1:5080", "acct", "pw", true, 10*time.Minute
		}, ""},
		{"trunk register at a registrar", func(c *Config) {
			t := &c.Trunks[0]
			t.Registrar, t.Username, t.Password, t.Register = "sip:reg.carrier.example", "acct", "pw", true
		}, ""},
		{"trunk that only registers", func(c *Config) {
			t := &c.Trunks[0]
			t.Sources, t.Registrar, t.Username, t.Password, t.Register = nil, "sip:reg.carrier.example", "acct", "pw", true
		}, ""},
		{"trunk register without credentials", func(c *Config) {
			c.Trunks[0].Outbound, c.Trunks[0].Register = "sip:127.0.0.1:5080", true
		}, `trunk "demo": register needs username and password (the carrier's digest credentials)`},
		{"trunk register nowhere", func(c *Config) {
			c.Trunks[0].Username, c.Trunks[0].Password, c.Trunks[0].Register = "acct", "pw", true
		}, `trunk "demo": register needs outbound or registrar (where to REGISTER)`},
		{"trunk register expires short", func(c *Config) { c.Trunks[0].RegisterExpires = 30 * time.Second },
			`trunk "demo": register_expires must be between 1m0s and 24h0m0s (or unset for 5m0s)`},
		{"trunk register expires negative", func(c *Config) { c.Trunks[0].RegisterExpires = -time.Minute },
			`trunk "demo": register_expires must be between 1m0s and 24h0m0s (or unset for 5m0s)`},
		{"trunk registrar bad", func(c *Config) { c.Trunks[0].Registrar = "http://x" },
			`trunk "demo": registrar "http://x": must be a sip: or sips: URI, e.g. sip:sip.carrier.example:5060`},
		{"trunk caller id", func(c *Config) { c.Trunks[0].CallerID, c.Trunks[0].FromDomain = "+15550100", "sip.carrier.example" }, ""},
		{"trunk caller id national", func(c *Config) { c.Trunks[0].CallerID, c.Trunks[0].FromDomain = "02071234567", "192.0.2.7" }, ""},
		{"trunk caller id v6 domain", func(c *Config) { c.Trunks[0].FromDomain = "[2001:db8::7]" }, ""},
		{"trunk caller id letters", func(c *Config) { c.Trunks[0].CallerID = "sales" },
			`trunk "demo": caller_id "sales" must be a number: an optional '+' and 1 to 32 digits`},
		{"trunk caller id plus only", func(c *Config) { c.Trunks[0].CallerID = "+" },
			`trunk "demo": caller_id "+" must be a number: an optional '+' and 1 to 32 digits`},
		{"trunk caller id too long", func(c *Config) { c.Trunks[0].CallerID = strings.Repeat("1", 33) },
			`trunk "demo": caller_id "111111111111111111111111111111111" must be a number: an optional '+' and 1 to 32 digits`},
		{"trunk from domain bad", func(c *Config) { c.Trunks[0].FromDomain = "carrier example" },
			`trunk "demo": from_domain "carrier example" must be a host name or an IP address`},
		{"trunk from domain v6 unbracketed", func(c *Config) { c.Trunks[0].FromDomain = "2001:db8::7" },
			`trunk "demo": from_domain "2001:db8::7" must be a host name or an IP address`},
		{"dial plan", func(c *Config) { c.DialPlan.Deny = append(c.DialPlan.Deny, "+1900*") }, `dial_plan deny[2] "+1900*": character '*' is not allowed in a number pattern`},
		{"sip_public", func(c *Config) { c.Listen.SIPPublic = "203.0.113.7" }, ""},
		{"sip_public name", func(c *Config) { c.Listen.SIPPublic = "pbx.example.com" }, `listen.sip_public "pbx.example.com": must be an IP address of this machine or its NAT`},
		{"sip on every IPv4 interface", func(c *Config) { c.Listen.SIP = "0.0.0.0:5060" }, ""},
		{"sip on a specific IPv6 address", func(c *Config) { c.Listen.SIP = "[2001:db8::5]:5060" }, ""},
		{"sip on the IPv6 wildcard", func(c *Config) { c.Listen.SIP = "[::]:5060" },
			`listen.sip "[::]:5060": [::] binds SIP's media to IPv6 only; use 0.0.0.0 for every IPv4 interface, or a specific address`},
		{"sip_public IPv4 behind a wildcard", func(c *Config) { c.Listen.SIP, c.Listen.SIPPublic = "0.0.0.0:5060", "203.0.113.7" }, ""},
		{"sip_public IPv6 behind IPv4", func(c *Config) { c.Listen.SIP, c.Listen.SIPPublic = "0.0.0.0:5060", "2001:db8::7" },
			`listen.sip_public "2001:db8::7": must be an IPv4 address, like listen.sip "0.0.0.0:5060" (media is bound there)`},
		{"sip_public IPv4 behind IPv6", func(c *Config) { c.Listen.SIP, c.Listen.SIPPublic = "[2001:db8::5]:5060", "203.0.113.7" },
			`listen.sip_public "203.0.113.7": must be an IPv6 address, like listen.sip "[2001:db8::5]:5060" (media is bound there)`},
		{"sip_public IPv6 behind IPv6", func(c *Config) { c.Listen.SIP, c.Listen.SIPPublic = "[2001:db8::5]:5060", "2001:db8::7" }, ""},
		{"rtp ports", func(c *Config) { c.Listen.RTPPortMin, c.Listen.RTPPortMax = 20000, 20100 }, ""},
		{"rtp ports reversed", func(c *Config) { c.Listen.RTPPortMin, c.Listen.RTPPortMax = 20100, 20000 }, `listen: rtp_port_min and rtp_port_max must be 1024–65535, with rtp_port_min < rtp_port_max`},
		{"https with files", func(c *Config) { c.Listen.HTTPS, c.Listen.TLSCert, c.Listen.TLSKey = ":8443", "c.pem", "k.pem" }, ""},
		{"https with acme", func(c *Config) {
			c.Listen.HTTPS, c.Listen.ACMEDomains, c.Listen.ACMEEmail = ":443", []string{"contact.example.com"}, "ops@example.com"
		}, ""},
		{"https without certificate", func(c *Config) { c.Listen.HTTPS = ":8443" }, `listen.https needs listen.tls_cert and listen.tls_key (PEM files) or listen.acme_domains`},
		{"https with both", func(c *Config) {
			c.Listen.HTTPS, c.Listen.TLSCert, c.Listen.TLSKey, c.Listen.ACMEDomains = ":443", "c.pem", "k.pem", []string{"a.example.com"}
		}, `listen.https: give either listen.tls_cert and listen.tls_key, or listen.acme_domains, not both`},
		{"acme without https", func(c *Config) { c.Listen.ACMEDomains = []string{"a.example.com"} }, `listen.acme_domains, acme_email and acme_directory need listen.https`},
		{"acme bad domain", func(c *Config) { c.Listen.HTTPS, c.Listen.ACMEDomains = ":443", []string{"*.example.com"} }, `listen.acme_domains: "*.example.com" is not a host name`},
		{"trusted proxies", func(c *Config) { c.Listen.TrustedProxies = []string{"10.0.0.0/8", "::1"} }, ""},
		{"trusted proxy bad", func(c *Config) { c.Listen.TrustedProxies = []string{"proxy"} }, `listen.trusted_proxies: "proxy" is not an IP address or CIDR prefix`},
		{"message before hanging up", func(c *Config) {
			c.Queues[0].MaxWait, c.Queues[0].OnMaxWait, c.Queues[0].Message = time.Minute, OnMaxWaitHangup, "/srv/sorry.wav"
		}, ""},
		{"message with overflow", func(c *Config) { c.Queues[2].Message = "sorry.wav" },
			`queue "billing": message is played only before hanging up, not with on_max_wait overflow (the caller waits on in overflow_to)`},
		{"message without max_wait", func(c *Config) { c.Queues[0].Message = "sorry.wav" },
			`queue "sales": message is played before hanging up on a caller who waited max_wait: it needs max_wait and on_max_wait hangup`},
		{"hash ok", func(c *Config) {
			c.Users[0].Password, c.Users[0].PasswordHash = "", "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Demo()
			tt.change(c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Validate = %v\nwant %s", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "" || e.Line != 0 {
				t.Errorf("error %+v should have no file or line", e)
			}
		})
	}
}

func TestLookups(t *testing.T) {
	c := &Config{
		Users: []User{{Name: "a", Roles: []Role{RoleAgent}}, {Name: "s", Roles: []Role{RoleSupervisor, RoleAgent}}},
		Teams: []Team{
			{Name: "t1", Agents: []string{"a", "b", "c"}, Supervisors: []string{"s"}},
			{Name: "t2", Agents: []string{"c", "d", "s"}, Supervisors: []string{"s", "x"}},
		},
		Queues: []Queue{
			{Name: "q", Agents: []string{"d", "a"}, Teams: []string{"t1", "t2", "t1"}},
			{Name: "empty"},
		},
		DIDs: []DID{{Number: "+1 (555) 010-0100", Queue: "q"}, {Number: "sales-line", Queue: "empty"}},
	}
	if got, want := c.QueueAgents("q"), []string{"d", "a", "b", "c", "s"}; !reflect.DeepEqual(got, want) {
		t.Errorf("QueueAgents(q) = %v, want %v", got, want)
	}
	if got := c.QueueAgents("empty"); len(got) != 0 {
		t.Errorf("QueueAgents(empty) = %v", got)
	}
	if got := c.QueueAgents("nope"); got != nil {
		t.Errorf("QueueAgents(nope) = %v", got)
	}
	if got, want := c.TeamsOfAgent("c"), []string{"t1", "t2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("TeamsOfAgent(c) = %v", got)
	}
	if got := c.TeamsOfAgent("zz"); got != nil {
		t.Errorf("TeamsOfAgent(zz) = %v", got)
	}
	if got, want := c.TeamsOfSupervisor("s"), []string{"t1", "t2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("TeamsOfSupervisor(s) = %v", got)
	}
	if u, ok := c.User("s"); !ok || !u.Has(RoleSupervisor) {
		t.Errorf("User(s) = %+v, %v", u, ok)
	}
	if _, ok := c.User("nobody"); ok {
		t.Error("User(nobody) found")
	}
	if q, ok := c.Queue("q"); !ok || q.Name != "q" {
		t.Errorf("Queue(q) = %+v, %v", q, ok)
	}
	for _, tt := range []struct {
		number, queue string
	}{
		{"+15550100100", "q"}, {"+1 555 010 0100", "q"}, {"+1-(555)-010-0100", "q"},
		{"sales-line", "empty"}, {"salesline", "empty"},
		{"15550100100", ""}, {"", ""}, {"  ", ""},
	} {
		d, ok := c.QueueForDID(tt.number)
		if ok != (tt.queue != "") || d.Queue != tt.queue {
			t.Errorf("QueueForDID(%q) = %+v, %v; want %q", tt.number, d, ok, tt.queue)
		}
	}
}

// TestCloneIsDeep mutates every slice element of a clone, found by
// reflection so a field added later is covered, and checks the original
// did not change.
func TestCloneIsDeep(t *testing.T) {
	orig := Demo()
	orig.DialPlan.Deny = append(orig.DialPlan.Deny, "+44.")
	orig.Queues[0].Agents = []string{"alice"}
	orig.Trunks[0].Outbound = "sip:127.0.0.1:5080"
	want := Demo()
	want.DialPlan.Deny = append(want.DialPlan.Deny, "+44.")
	want.Queues[0].Agents = []string{"alice"}
	want.Trunks[0].Outbound = "sip:127.0.0.1:5080"

	c := orig.Clone()
	if !reflect.DeepEqual(c, orig) {
		t.Fatal("clone differs from the original")
	}
	n := scribble(reflect.ValueOf(c).Elem())
	if n < 50 {
		t.Fatalf("only %d values changed: is the demo too small?", n)
	}
	if !reflect.DeepEqual(orig, want) {
		t.Error("changing the clone changed the original")
	}
	if (*Config)(nil).Clone() != nil {
		t.Error("nil.Clone() != nil")
	}
}

// scribble changes every string, bool, int and slice element reachable
// from v, and counts them.
func scribble(v reflect.Value) int {
	switch v.Kind() {
	case reflect.Struct:
		n := 0
		for i := 0; i < v.NumField(); i++ {
			n += scribble(v.Field(i))
		}
		return n
	case reflect.Slice:
		n := 0
		for i := 0; i < v.Len(); i++ {
			n += scribble(v.Index(i))
		}
		return n
	case reflect.String:
		v.SetString(v.String() + "~")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	default:
		panic("scribble: " + v.Kind().String())
	}
	return 1
}

func TestErrorFormats(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Msg: "m"}, "a.yaml:3: m"},
		{Error{File: "a.yaml", Msg: "m"}, "a.yaml: m"},
		{Error{Line: 3, Msg: "m"}, "line 3: m"},
		{Error{Msg: "m"}, "m"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q, want %q", tt.e, got, tt.want)
		}
	}
	errs := Errors{{Msg: "a"}, {Msg: "b"}}
	if errs.Error() != "a\nb" || len(errs.Unwrap()) != 2 {
		t.Errorf("Errors = %q", errs.Error())
	}
}

func TestNamesRules(t *testing.T) {
	for _, tt := range []struct {
		name      string
		user, grp bool
	}{
		{"alice", true, true}, {"a.b_c-d9", true, true}, {"9lives", true, true},
		{"Alice", false, true}, {"after hours", false, true}, {"", false, false},
		{".hidden", false, false}, {"-x", false, false}, {"..", false, false},
		{"a/b", false, false}, {"trailing ", false, false}, {"é", false, false},
		{strings.Repeat("a", 64), true, true}, {strings.Repeat("a", 65), false, false},
	} {
		if got := userNameOK(tt.name); got != tt.user {
			t.Errorf("userNameOK(%q) = %v", tt.name, got)
		}
		if got := groupNameOK(tt.name); got != tt.grp {
			t.Errorf("groupNameOK(%q) = %v", tt.name, got)
		}
	}
}

// TestCheckSounds: each queue that plays a message or music has its files
// checked, except a file the configuration in force already plays for that
// queue; each failure names the queue and the file.
func TestCheckSounds(t *testing.T) {
	c := Demo()
	for i := range c.Queues[:2] {
		c.Queues[i].MaxWait, c.Queues[i].OnMaxWait = time.Minute, OnMaxWaitHangup
	}
	c.Queues[0].Message, c.Queues[1].Message = "/srv/sales.wav", "/srv/support.wav"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	var checked []string
	bad := func(p string) error {
		checked = append(checked, p)
		return errors.New("cannot be played: no such file")
	}
	ok := func(string) error { return nil }
	err := c.CheckSounds(nil, bad, ok)
	want := `queue "sales": message "/srv/sales.wav": cannot be played: no such file
queue "support": message "/srv/support.wav": cannot be played: no such file`
	if err == nil || err.Error() != want {
		t.Fatalf("CheckSounds = %v\nwant %s", err, want)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("%T is not an *Error list", err)
	}

	prev := c.Clone()
	c.Queues[1].Message = "/srv/support-new.wav"
	checked = nil
	if err := c.CheckSounds(prev, bad, ok); err == nil || !strings.Contains(err.Error(), "support-new.wav") || strings.Contains(err.Error(), "sales") {
		t.Errorf("CheckSounds after changing support's message = %v; want only support's new file", err)
	}
	if !reflect.DeepEqual(checked, []string{"/srv/support-new.wav"}) {
		t.Errorf("checked %q, want only the changed file", checked)
	}
	if err := c.CheckSounds(nil, ok, ok); err != nil {
		t.Errorf("every file plays: %v", err)
	}

	c.Queues[0].Music = "/srv/hold.wav"
	checked = nil
	err = c.CheckSounds(prev, ok, bad)
	if want := `queue "sales": music "/srv/hold.wav": cannot be played: no such file`; err == nil || err.Error() != want {
		t.Errorf("CheckSounds with a new music file = %v\nwant %s", err, want)
	}
	prev = c.Clone()
	checked = nil
	if err := c.CheckSounds(prev, bad, bad); err != nil || len(checked) != 0 {
		t.Errorf("nothing changed: %v, checked %q", err, checked)
	}
}
