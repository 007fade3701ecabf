package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/earshot/earshot/internal/dialplan"
)

// Validate checks the whole configuration and reports every problem in an
// Errors value (without lines: use Parse for a file). The admin API runs
// it on each change, so a change that fails it is not applied.
func (c *Config) Validate() error {
	probs := c.problems()
	if len(probs) == 0 {
		return nil
	}
	errs := make(Errors, 0, len(probs))
	for _, p := range probs {
		errs = append(errs, &Error{Msg: p.msg})
	}
	return finish(errs)
}

// validator collects problems.
type validator struct {
	c     *Config
	probs []problem
	users map[string]*User
	teams map[string]bool
	queue map[string]int // queue name → index of its first definition
}

func (v *validator) add(path, format string, args ...any) {
	v.probs = append(v.probs, problem{path: path, msg: fmt.Sprintf(format, args...)})
}

func (c *Config) problems() []problem {
	v := &validator{c: c, users: map[string]*User{}, teams: map[string]bool{}, queue: map[string]int{}}
	for i, q := range c.Queues {
		if _, dup := v.queue[q.Name]; !dup && q.Name != "" {
			v.queue[q.Name] = i
		}
	}
	v.top()
	v.checkUsers()
	v.checkTeams()
	v.checkQueues()
	v.checkDIDs()
	v.checkTrunks()
	v.checkDialPlan()
	return v.probs
}

func (v *validator) top() {
	c := v.c
	checkAddr := func(path, addr string) {
		if addr == "" {
			v.add(path, "%s must be host:port", path)
			return
		}
		if reason := hostPort(addr); reason != "" {
			v.add(path, "%s %q: %s", path, addr, reason)
		}
	}
	checkAddr("listen.http", c.Listen.HTTP)
	checkAddr("listen.sip", c.Listen.SIP)
	if c.Listen.SIPTLS != "" {
		checkAddr("listen.sip_tls", c.Listen.SIPTLS)
		if c.Listen.TLSCert == "" || c.Listen.TLSKey == "" {
			v.add("listen.sip_tls", "listen.sip_tls needs listen.tls_cert and listen.tls_key (PEM files)")
		}
	}
	v.checkListen()
	for i, srv := range c.WebRTC.ICEServers {
		path := fmt.Sprintf("webrtc.ice_servers.%d", i)
		if len(srv.URLs) == 0 {
			v.add(path, "webrtc.ice_servers: a server needs at least one URL")
		}
		for _, u := range srv.URLs {
			if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") || hasControl(u) {
				v.add(path, "webrtc.ice_servers: %q is not a stun:, turn: or turns: URL", u)
			}
		}
	}
	for i, ip := range c.WebRTC.PublicIPs {
		if _, err := netip.ParseAddr(ip); err != nil {
			v.add(fmt.Sprintf("webrtc.public_ips.%d", i), "webrtc.public_ips: %q is not an IP address", ip)
		}
	}
	if p, q := c.WebRTC.PortMin, c.WebRTC.PortMax; p != 0 || q != 0 {
		if p < 1024 || q > 65535 || p > q {
			v.add("webrtc.port_min", "webrtc: port_min and port_max must be 1024–65535, with port_min ≤ port_max")
		}
	}
	if c.DataDir == "" {
		v.add("data_dir", "data_dir must not be empty")
	} else if hasControl(c.DataDir) {
		v.add("data_dir", "data_dir contains a control character")
	}
	if reason := checkDatabase(c.Database); reason != "" {
		v.add("database", "database: %s", reason)
	}
	if len(c.NotReadyReasons) == 0 {
		v.add("not_ready_reasons", "not_ready_reasons must list at least one reason")
	}
	seen := map[string]bool{}
	for i, r := range c.NotReadyReasons {
		p := "not_ready_reasons." + strconv.Itoa(i)
		key := strings.ToLower(strings.TrimSpace(r))
		switch {
		case key == "":
			v.add(p, "not_ready_reasons[%d] must not be empty", i)
		case len(r) > 64 || hasControl(r):
			v.add(p, "not ready reason %q must be at most 64 printable characters", r)
		case seen[key]:
			v.add(p, "not ready reason %q is listed twice", r)
		}
		seen[key] = true
	}
	if c.AssistRingTime <= 0 {
		v.add("assist_ring_time", "assist_ring_time must be positive")
	}
	if k := c.Phone.HelpKey; k != "" && (len(k) != 1 || !strings.Contains("0123456789*#", k)) {
		v.add("phone.help_key", "phone.help_key %q must be one key: 0-9, * or #", k)
	}
}

// hostPort checks a listen address "host:port"; the host may be empty
// (every interface) and the port 0 (any free port).
func hostPort(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "not host:port"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || port[0] == '+' || port[0] == '-' {
		return "bad port"
	}
	if host == "" {
		return ""
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	if !validHostName(host) {
		return "bad host"
	}
	return ""
}

func checkDatabase(db string) string {
	if db == "" {
		return "" // the SQLite file in data_dir
	}
	if hasControl(db) {
		return "contains a control character"
	}
	scheme, _, found := strings.Cut(db, "://")
	if !found {
		return "" // a SQLite file path
	}
	if scheme != "postgres" && scheme != "postgresql" {
		return fmt.Sprintf("unsupported scheme %q: use a postgres:// URL or a SQLite file path", scheme)
	}
	if _, err := url.Parse(db); err != nil {
		return "bad postgres URL"
	}
	return ""
}

// Name rules. User names log in and appear in SIP user parts: they are
// strict. Team, queue and trunk names may hold capitals and spaces.
func userNameOK(s string) bool {
	if s == "" || len(s) > 64 || !isLowerAlnum(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLowerAlnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-' {
			return false
		}
	}
	return true
}

func groupNameOK(s string) bool {
	if s == "" || len(s) > 64 || !isAlnum(s[0]) || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' && c != ' ' {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
func isAlnum(c byte) bool      { return isLowerAlnum(c) || c >= 'A' && c <= 'Z' }

// hasControl reports whether s holds a control character or is not valid
// UTF-8.
func hasControl(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return true
		}
	}
	return false
}

const (
	userNameRule  = "1-64 characters a-z 0-9 . _ -, starting with a letter or digit"
	groupNameRule = "1-64 characters A-Z a-z 0-9 . _ - and space, starting with a letter or digit"
)

func (v *validator) checkUsers() {
	for i := range v.c.Users {
		u := &v.c.Users[i]
		p := "users." + strconv.Itoa(i)
		ctx := fmt.Sprintf("user %q", u.Name)
		switch {
		case u.Name == "":
			ctx = fmt.Sprintf("users[%d]", i)
			v.add(p+".name", "%s: name must not be empty", ctx)
		case !userNameOK(u.Name):
			v.add(p+".name", "%s: name must be %s", ctx, userNameRule)
		case v.users[u.Name] != nil:
			v.add(p+".name", "%s is defined twice", ctx)
		default:
			v.users[u.Name] = u
		}
		if len(u.Display) > 128 || hasControl(u.Display) {
			v.add(p+".display", "%s: display must be at most 128 printable characters", ctx)
		}
		if len(u.Roles) == 0 {
			v.add(p+".roles", "%s: roles must list at least one of agent, supervisor, admin", ctx)
		}
		seen := map[Role]bool{}
		for j, r := range u.Roles {
			rp := p + ".roles." + strconv.Itoa(j)
			switch {
			case r != RoleAgent && r != RoleSupervisor && r != RoleAdmin:
				v.add(rp, "%s: unknown role %q (roles are agent, supervisor, admin)", ctx, r)
			case seen[r]:
				v.add(rp, "%s: role %s is listed twice", ctx, r)
			}
			seen[r] = true
		}
		switch {
		case u.Password == "" && u.PasswordHash == "":
			v.add(p+".password", "%s: needs a password or password_hash", ctx)
		case u.Password != "" && u.PasswordHash != "":
			v.add(p+".password", "%s: give password or password_hash, not both", ctx)
		case u.PasswordHash != "" && !knownHash(u.PasswordHash):
			v.add(p+".password_hash", "%s: password_hash must be an argon2id ($argon2id$...) or bcrypt ($2a$, $2b$, $2y$...) hash", ctx)
		}
		if hasControl(u.SIPPassword) {
			v.add(p+".sip_password", "%s: sip_password contains a control character", ctx)
		}
	}
}

func knownHash(h string) bool {
	for _, prefix := range []string{"$argon2id$", "$2a$", "$2b$", "$2y$"} {
		if strings.HasPrefix(h, prefix) && len(h) > len(prefix)+8 {
			return true
		}
	}
	return false
}

// members checks a list of user names that must hold role r.
func (v *validator) members(path, ctx, what string, names []string, r Role) {
	seen := map[string]bool{}
	for j, name := range names {
		p := path + "." + strconv.Itoa(j)
		u := v.users[name]
		switch {
		case u == nil:
			v.add(p, "%s: %s %q is not a user", ctx, what, name)
		case !u.Has(r):
			v.add(p, "%s: %s %q does not have the %s role", ctx, what, name, r)
		case seen[name]:
			v.add(p, "%s: %s %q is listed twice", ctx, what, name)
		}
		seen[name] = true
	}
}

// checkGroupName checks the name of the i-th team or queue (kind): set,
// well-formed, and not twice (twice says it is). It returns how errors
// name the group, and whether the name is good.
func (v *validator) checkGroupName(kind string, i int, name string, twice bool) (ctx string, ok bool) {
	p := kind + "s." + strconv.Itoa(i) + ".name"
	ctx = fmt.Sprintf("%s %q", kind, name)
	switch {
	case name == "":
		ctx = fmt.Sprintf("%ss[%d]", kind, i)
		v.add(p, "%s: name must not be empty", ctx)
	case !groupNameOK(name):
		v.add(p, "%s: name must be %s", ctx, groupNameRule)
	case twice:
		v.add(p, "%s is defined twice", ctx)
	default:
		return ctx, true
	}
	return ctx, false
}

func (v *validator) checkTeams() {
	for i, t := range v.c.Teams {
		p := "teams." + strconv.Itoa(i)
		ctx, ok := v.checkGroupName("team", i, t.Name, v.teams[t.Name])
		if ok {
			v.teams[t.Name] = true
		}
		v.members(p+".agents", ctx, "agent", t.Agents, RoleAgent)
		v.members(p+".supervisors", ctx, "supervisor", t.Supervisors, RoleSupervisor)
	}
}

// didKey is a DID number with spaces, dashes and parentheses removed.
func didKey(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')':
			return -1
		}
		return r
	}, s)
}

func (v *validator) checkDIDs() {
	seen := map[string]string{}
	for i, d := range v.c.DIDs {
		p := "dids." + strconv.Itoa(i)
		ctx := fmt.Sprintf("DID %q", d.Number)
		key := didKey(d.Number)
		switch {
		case key == "":
			ctx = fmt.Sprintf("dids[%d]", i)
			v.add(p+".number", "%s: number must not be empty", ctx)
		case !didOK(key):
			v.add(p+".number", "%s: number must be +digits, digits, or a SIP user part (A-Z a-z 0-9 . _ + -), at most 64 characters", ctx)
		case seen[key] != "":
			v.add(p+".number", "%s is defined twice (as %q before)", ctx, seen[key])
		default:
			seen[key] = d.Number
		}
		switch {
		case d.Queue == "":
			v.add(p+".queue", "%s: queue must name a queue", ctx)
		case !v.hasQueue(d.Queue):
			v.add(p+".queue", "%s: queue %q is not defined", ctx, d.Queue)
		}
	}
}

func didOK(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '+' && c != '-' {
			return false
		}
	}
	return true
}

func (v *validator) checkTrunks() {
	names := map[string]bool{}
	sources := map[netip.Prefix]string{}
	for i, t := range v.c.Trunks {
		p := "trunks." + strconv.Itoa(i)
		ctx := fmt.Sprintf("trunk %q", t.Name)
		switch {
		case t.Name == "":
			ctx = fmt.Sprintf("trunks[%d]", i)
			v.add(p+".name", "%s: name must not be empty", ctx)
		case !groupNameOK(t.Name):
			v.add(p+".name", "%s: name must be %s", ctx, groupNameRule)
		case names[t.Name]:
			v.add(p+".name", "%s is defined twice", ctx)
		}
		names[t.Name] = true
		for j, s := range t.Sources {
			sp := p + ".sources." + strconv.Itoa(j)
			pfx, ok := parseSource(s)
			if !ok {
				v.add(sp, "%s: source %q is not an IP address or CIDR (e.g. 192.0.2.10 or 192.0.2.0/24)", ctx, s)
				continue
			}
			if other, dup := sources[pfx]; dup {
				v.add(sp, "%s: source %s is also a source of trunk %q", ctx, pfx, other)
				continue
			}
			sources[pfx] = t.Name
		}
		if t.Outbound != "" {
			if reason := checkOutbound(t.Outbound); reason != "" {
				v.add(p+".outbound", "%s: outbound %q: %s", ctx, t.Outbound, reason)
			}
		}
		if len(t.Sources) == 0 && t.Outbound == "" && !t.Register {
			v.add(p, "%s: needs sources (to take calls in) or outbound (to send calls out)", ctx)
		}
		if t.Password != "" && t.Username == "" {
			v.add(p+".password", "%s: password is set without a username", ctx)
		}
		if hasControl(t.Username) || strings.ContainsAny(t.Username, "@:") {
			v.add(p+".username", "%s: username contains a control character, '@' or ':'", ctx)
		}
		v.checkTrunkRegister(p, ctx, t)
		v.checkTrunkCallerID(p, ctx, t)
	}
}

// checkTrunkRegister checks the keys of registration with a carrier.
func (v *validator) checkTrunkRegister(p, ctx string, t Trunk) {
	if t.Registrar != "" {
		if reason := checkOutbound(t.Registrar); reason != "" {
			v.add(p+".registrar", "%s: registrar %q: %s", ctx, t.Registrar, reason)
		}
	}
	if t.RegisterExpires != 0 && (t.RegisterExpires < MinRegisterExpires || t.RegisterExpires > MaxRegisterExpires) {
		v.add(p+".register_expires", "%s: register_expires must be between %s and %s (or unset for %s)",
			ctx, MinRegisterExpires, MaxRegisterExpires, DefaultRegisterExpires)
	}
	if !t.Register {
		return
	}
	if t.Outbound == "" && t.Registrar == "" {
		v.add(p+".register", "%s: register needs outbound or registrar (where to REGISTER)", ctx)
	}
	if t.Username == "" || t.Password == "" {
		v.add(p+".register", "%s: register needs username and password (the carrier's digest credentials)", ctx)
	}
}

// checkTrunkCallerID checks the caller ID presented on calls out.
func (v *validator) checkTrunkCallerID(p, ctx string, t Trunk) {
	if t.CallerID != "" && !callerIDOK(t.CallerID) {
		v.add(p+".caller_id", "%s: caller_id %q must be a number: an optional '+' and 1 to 32 digits", ctx, t.CallerID)
	}
	if t.FromDomain != "" && !fromDomainOK(t.FromDomain) {
		v.add(p+".from_domain", "%s: from_domain %q must be a host name or an IP address", ctx, t.FromDomain)
	}
}

func callerIDOK(s string) bool {
	digits := strings.TrimPrefix(s, "+")
	if digits == "" || len(digits) > 32 {
		return false
	}
	return strings.Trim(digits, "0123456789") == ""
}

func fromDomainOK(s string) bool {
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.Zone() == "" && (a.Is4() || strings.HasPrefix(s, "["))
	}
	return validHostName(s)
}

// parseSource parses an IP address or CIDR into a masked prefix.
func parseSource(s string) (netip.Prefix, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	pfx, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return pfx.Masked(), true
}

func (v *validator) checkDialPlan() {
	check := func(list string, pats []string) {
		for i, s := range pats {
			if err := dialplan.CheckPattern(s); err != nil {
				reason := err.Error()
				if pe, ok := err.(*dialplan.PatternError); ok {
					reason = pe.Reason
				}
				v.add("dial_plan."+list+"."+strconv.Itoa(i), "dial_plan %s[%d] %q: %s", list, i, s, reason)
			}
		}
	}
	check("allow", v.c.DialPlan.Allow)
	check("deny", v.c.DialPlan.Deny)
}

// checkListen checks the keys of listen beyond its addresses.
func (v *validator) checkListen() {
	l := v.c.Listen
	// RTP of SIP calls is bound to listen.sip's address: an IPv6 wildcard
	// would take IPv6 media only, and every IPv4 call would fail.
	sipIP, sipIPErr := netip.ParseAddrPort(l.SIP)
	if sipIPErr == nil && sipIP.Addr().Is6() && sipIP.Addr().IsUnspecified() {
		v.add("listen.sip", "listen.sip %q: [::] binds SIP's media to IPv6 only; use 0.0.0.0 for every IPv4 interface, or a specific address", l.SIP)
	}
	if l.SIPPublic != "" {
		a, err := netip.ParseAddr(l.SIPPublic)
		switch {
		case err != nil || a.IsUnspecified() || a.Zone() != "":
			v.add("listen.sip_public", "listen.sip_public %q: must be an IP address of this machine or its NAT", l.SIPPublic)
		case sipIPErr == nil && a.Unmap().Is4() != sipIP.Addr().Unmap().Is4():
			want := "an IPv4"
			if !sipIP.Addr().Unmap().Is4() {
				want = "an IPv6"
			}
			v.add("listen.sip_public", "listen.sip_public %q: must be %s address, like listen.sip %q (media is bound there)", l.SIPPublic, want, l.SIP)
		}
	}
	if p, q := l.RTPPortMin, l.RTPPortMax; p != 0 || q != 0 {
		if p < 1024 || q > 65535 || p >= q {
			v.add("listen.rtp_port_min", "listen: rtp_port_min and rtp_port_max must be 1024–65535, with rtp_port_min < rtp_port_max")
		}
	}
	if l.HTTPS != "" {
		if reason := hostPort(l.HTTPS); reason != "" {
			v.add("listen.https", "listen.https %q: %s", l.HTTPS, reason)
		}
		files := l.TLSCert != "" || l.TLSKey != ""
		switch {
		case files && len(l.ACMEDomains) > 0:
			v.add("listen.https", "listen.https: give either listen.tls_cert and listen.tls_key, or listen.acme_domains, not both")
		case !files && len(l.ACMEDomains) == 0:
			v.add("listen.https", "listen.https needs listen.tls_cert and listen.tls_key (PEM files) or listen.acme_domains")
		case files && (l.TLSCert == "" || l.TLSKey == ""):
			v.add("listen.https", "listen.https needs both listen.tls_cert and listen.tls_key")
		}
	} else if len(l.ACMEDomains) > 0 || l.ACMEEmail != "" || l.ACMEDirectory != "" {
		v.add("listen.acme_domains", "listen.acme_domains, acme_email and acme_directory need listen.https")
	}
	for i, d := range l.ACMEDomains {
		if !hostName(d) {
			v.add(fmt.Sprintf("listen.acme_domains.%d", i), "listen.acme_domains: %q is not a host name", d)
		}
	}
	if l.ACMEEmail != "" && (!strings.Contains(l.ACMEEmail, "@") || hasControl(l.ACMEEmail) || strings.ContainsAny(l.ACMEEmail, " <>")) {
		v.add("listen.acme_email", "listen.acme_email %q is not an e-mail address", l.ACMEEmail)
	}
	if d := l.ACMEDirectory; d != "" {
		if u, err := url.Parse(d); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			v.add("listen.acme_directory", "listen.acme_directory %q is not an http(s) URL", d)
		}
	}
	for i, p := range l.TrustedProxies {
		if _, err := ParseProxy(p); err != nil {
			v.add(fmt.Sprintf("listen.trusted_proxies.%d", i), "listen.trusted_proxies: %q is not an IP address or CIDR prefix", p)
		}
	}
}

// ParseProxy reads one trusted proxy: an IP address or a CIDR prefix.
func ParseProxy(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return p.Masked(), nil
}

// hostName reports whether s is a DNS host name (letters, digits, hyphens,
// dots; at least one dot).
func hostName(s string) bool {
	if len(s) == 0 || len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
