package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// base is a small valid configuration; cases append to or edit it.
const base = `users:
  - name: ann
    roles: [agent]
    password: x
  - name: sid
    roles: [supervisor]
    password: x
teams:
  - name: t1
    agents: [ann]
    supervisors: [sid]
queues:
  - name: q1
    teams: [t1]
`

func TestParseMinimalAndDefaults(t *testing.T) {
	c, err := Parse("earshot.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	want := Queue{Name: "q1", Teams: []string{"t1"}, Strategy: LongestIdle, RingTimeout: 20 * time.Second, WrapUp: 30 * time.Second}
	if !reflect.DeepEqual(c.Queues[0], want) {
		t.Errorf("queue = %+v\nwant %+v", c.Queues[0], want)
	}
	if !reflect.DeepEqual(NewQueue("q1"), Queue{Name: "q1", Strategy: LongestIdle, RingTimeout: 20 * time.Second, WrapUp: 30 * time.Second}) {
		t.Errorf("NewQueue = %+v", NewQueue("q1"))
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen.http", c.Listen.HTTP, "127.0.0.1:8080"},
		{"listen.sip", c.Listen.SIP, "127.0.0.1:5060"},
		{"data_dir", c.DataDir, "data"},
		{"database", c.Database, filepath.Join("data", "earshot.db")},
		{"not_ready_reasons", c.NotReadyReasons, []string{"Break", "Lunch", "Meeting", "Training"}},
		{"assist_ring_time", c.AssistRingTime, 30 * time.Second},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestParseDefaultsRespectFile(t *testing.T) {
	doc := `listen: {http: "[::1]:9000"}
data_dir: /srv/earshot
database: postgres://earshot@127.0.0.1/earshot
not_ready_reasons: [Coffee]
assist_ring_time: 10s
` + base + `    wrap_up: 0s
    max_wait: 1m
  - name: q2
    strategy: ring-all
    ring_timeout: 5s
    max_wait: 1m
    overflow_to: q1
`
	c, err := Parse("/etc/earshot/earshot.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen.HTTP != "[::1]:9000" || c.Listen.SIP != "127.0.0.1:5060" {
		t.Errorf("listen = %+v", c.Listen)
	}
	if c.DataDir != "/srv/earshot" || c.Database != "postgres://earshot@127.0.0.1/earshot" {
		t.Errorf("data_dir %q database %q", c.DataDir, c.Database)
	}
	if !reflect.DeepEqual(c.NotReadyReasons, []string{"Coffee"}) || c.AssistRingTime != 10*time.Second {
		t.Errorf("reasons %v, assist ring %v", c.NotReadyReasons, c.AssistRingTime)
	}
	q1, q2 := c.Queues[0], c.Queues[1]
	if q1.WrapUp != 0 || q1.OnMaxWait != OnMaxWaitHangup {
		t.Errorf("q1 = %+v: want explicit wrap_up 0 kept, on_max_wait hangup", q1)
	}
	if q2.Strategy != RingAll || q2.RingTimeout != 5*time.Second || q2.OnMaxWait != OnMaxWaitOverflow {
		t.Errorf("q2 = %+v: want ring-all, 5s, overflow inferred from overflow_to", q2)
	}
}

func TestParseRelativeDataDir(t *testing.T) {
	c, err := Parse("conf/earshot.yaml", []byte("data_dir: var\n"+base))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join("conf", "var"); c.DataDir != want {
		t.Errorf("data_dir = %q, want %q", c.DataDir, want)
	}
	if want := filepath.Join("conf", "var", "earshot.db"); c.Database != want {
		t.Errorf("database = %q, want %q", c.Database, want)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, doc := range []string{"", "# only a comment\n", "---\n"} {
		c, err := Parse("e.yaml", []byte(doc))
		if err != nil {
			t.Errorf("Parse(%q): %v", doc, err)
			continue
		}
		if c.Listen.HTTP != DefaultHTTP || len(c.Users) != 0 {
			t.Errorf("Parse(%q) = %+v", doc, c)
		}
	}
}

// TestParseErrors: each row is a document and every problem it must
// report, with its exact line.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"yaml syntax", "users:\n  - name: ann\n   roles: [agent]\n",
			[]string{"f.yaml:2: YAML syntax error here or just after: did not find expected '-' indicator"}},
		{"bad indentation", "listen:\n  http: a\n sip: b\n",
			[]string{"f.yaml:3: YAML syntax error here or just after: did not find expected key"}},
		{"unclosed list", "a: 1\nb: 2\nc: [1, 2\nd: 4\n",
			[]string{"f.yaml:3: YAML syntax error here or just after: did not find expected ',' or ']'"}},
		{"mapping in a value", "a: 1\nb: 2\nc: d: e\n",
			[]string{"f.yaml:3: YAML syntax error here or just after: mapping values are not allowed in this context"}},
		{"unknown anchor", "data_dir: *nope\n",
			[]string{"f.yaml: YAML syntax error: unknown anchor 'nope' referenced"}},
		{"top is a list", "- a\n- b\n",
			[]string{"f.yaml:1: the top level must be a mapping of keys to values, not a list"}},
		{"two documents", base + "---\nusers: []\n",
			[]string{"f.yaml:15: only one YAML document is allowed"}},
		{"unknown top key", "listen: {http: ':1'}\nqueue: []\n",
			[]string{`f.yaml:2: unknown key "queue" at the top level (did you mean "queues"?)`}},
		{"unknown nested key", base + "    ring_timout: 5s\n",
			[]string{`f.yaml:15: unknown key "ring_timout" in queues[0] (did you mean "ring_timeout"?)`}},
		{"unknown key no suggestion", "listen:\n  htps: ':443'\n",
			[]string{`f.yaml:2: unknown key "htps" in listen (did you mean "https"?)`}},
		{"duplicate key", base + "    strategy: round-robin\n    strategy: ring-all\n",
			[]string{`f.yaml:16: key "strategy" appears twice in queues[0] (first at line 15)`}},
		{"merge key", "x: &x {http: ':1'}\n",
			[]string{`f.yaml:1: unknown key "x" at the top level`}},
		{"merge not supported", "listen:\n  <<: {http: ':1'}\n",
			[]string{`f.yaml:2: merge keys (<<) are not supported`}},
		{"wrong types", "users: {name: ann}\nassist_ring_time: [1]\nlisten: x\n",
			[]string{
				"f.yaml:1: users must be a list, not a mapping",
				"f.yaml:2: assist_ring_time must be a duration such as 30s or 2m",
				"f.yaml:3: listen must be a mapping of keys to values, not a single value",
			}},
		{"bad duration", base + "    ring_timeout: 30\n    wrap_up: soon\n",
			[]string{
				`f.yaml:15: ring_timeout: "30" is not a duration; write e.g. 30s or 2m`,
				`f.yaml:16: wrap_up: "soon" is not a duration; write e.g. 30s or 2m`,
			}},
		{"bad bool and int", base + "    record: yes please\ndids:\n  - {number: '1', queue: q1, priority: high}\n",
			[]string{
				"f.yaml:15: record must be true or false",
				"f.yaml:17: priority must be a whole number",
			}},
		{"string given a list", "data_dir: [a]\n",
			[]string{"f.yaml:1: data_dir must be a single value, not a list"}},
		{"ring timeout not positive", base + "    ring_timeout: 0s\n",
			[]string{`f.yaml:15: queue "q1": ring_timeout must be positive`}},
		{"negative durations", base + "    wrap_up: -1s\n    max_wait: -1m\nassist_ring_time: 0s\n",
			[]string{
				`f.yaml:15: queue "q1": wrap_up must not be negative (0: after call work ends only on Ready)`,
				`f.yaml:16: queue "q1": max_wait must not be negative (0: no limit)`,
				`f.yaml:17: assist_ring_time must be positive`,
			}},
		{"unknown strategy", base + "    strategy: random\n",
			[]string{`f.yaml:15: queue "q1": unknown strategy "random" (strategies are longest-idle, round-robin, fewest-calls, ring-all)`}},
		{"users", `users:
  - name: Ann
    roles: [agent]
    password: x
  - name: bob
    roles: [agent, boss]
    password: x
  - name: bob
    roles: [agent]
    password_hash: x
  - name: cy
    roles: []
  - roles: [admin]
    password: x
    password_hash: $2a$12$abcdefghijkl
`, []string{
			`f.yaml:2: user "Ann": name must be 1-64 characters a-z 0-9 . _ -, starting with a letter or digit`,
			`f.yaml:6: user "bob": unknown role "boss" (roles are agent, supervisor, admin)`,
			`f.yaml:8: user "bob" is defined twice`,
			`f.yaml:10: user "bob": password_hash must be an argon2id ($argon2id$...) or bcrypt ($2a$, $2b$, $2y$...) hash`,
			`f.yaml:11: user "cy": needs a password or password_hash`,
			`f.yaml:12: user "cy": roles must list at least one of agent, supervisor, admin`,
			`f.yaml:13: users[4]: name must not be empty`,
			`f.yaml:14: users[4]: give password or password_hash, not both`,
		}},
		{"team members", base + `  - name: q2
    agents: [sid, zed, ann, ann]
    teams: [t1, nope]
  - name: q1
`, []string{
			`f.yaml:16: queue "q2": agent "sid" does not have the agent role`,
			`f.yaml:16: queue "q2": agent "zed" is not a user`,
			`f.yaml:16: queue "q2": agent "ann" is listed twice`,
			`f.yaml:17: queue "q2": team "nope" is not defined`,
			`f.yaml:18: queue "q1" is defined twice`,
		}},
		{"team roles", strings.Replace(base, "agents: [ann]\n    supervisors: [sid]", "agents: [sid]\n    supervisors: [ann, ghost]", 1),
			[]string{
				`f.yaml:10: team "t1": agent "sid" does not have the agent role`,
				`f.yaml:11: team "t1": supervisor "ann" does not have the supervisor role`,
				`f.yaml:11: team "t1": supervisor "ghost" is not a user`,
			}},
		{"overflow rules", base + `    max_wait: 1m
    on_max_wait: overflow
  - name: q2
    on_max_wait: hangup
  - name: q3
    max_wait: 1m
    on_max_wait: overflow
    overflow_to: q3
  - name: q4
    max_wait: 1m
    on_max_wait: retry
  - name: q5
    max_wait: 1m
    overflow_to: nowhere
  - name: q6
    max_wait: 1m
    on_max_wait: hangup
    overflow_to: q1
`, []string{
			`f.yaml:13: queue "q1": on_max_wait overflow needs overflow_to naming another queue`,
			`f.yaml:18: queue "q2": on_max_wait needs max_wait (now 0: no limit)`,
			`f.yaml:22: queue "q3": overflow_to must name another queue, not itself`,
			`f.yaml:25: queue "q4": on_max_wait must be hangup or overflow, not "retry"`,
			`f.yaml:28: queue "q5": overflow_to "nowhere" is not a queue`,
			`f.yaml:32: queue "q6": overflow_to is set but on_max_wait is not overflow`,
		}},
		{"overflow loop", base + `    max_wait: 1m
    overflow_to: q2
  - name: q2
    max_wait: 1m
    overflow_to: q3
  - name: q3
    max_wait: 1m
    overflow_to: q1
  - name: q4
    max_wait: 1m
    overflow_to: q1
`, []string{`f.yaml:16: queue "q1": overflow loops: q1 → q2 → q3 → q1`}},
		{"dids", base + `dids:
  - {number: "+1 555 0100", queue: q1}
  - {number: "+1-555-0100", queue: q1}
  - {number: "12;34", queue: q1}
  - {number: "", queue: q1}
  - {number: "200", queue: q9}
  - {number: "300"}
`, []string{
			`f.yaml:17: DID "+1-555-0100" is defined twice (as "+1 555 0100" before)`,
			`f.yaml:18: DID "12;34": number must be +digits, digits, or a SIP user part (A-Z a-z 0-9 . _ + -), at most 64 characters`,
			`f.yaml:19: dids[3]: number must not be empty`,
			`f.yaml:20: DID "200": queue "q9" is not defined`,
			`f.yaml:21: DID "300": queue must name a queue`,
		}},
		{"trunks", base + `trunks:
  - name: a
    sources: [192.0.2.1, "192.0.2.0/24", 10.0.0.300, "fe80::1%eth0", example.com]
    outbound: http://carrier
  - name: b
    sources: [192.0.2.1]
    password: secret
  - name: a
  - name: c
    outbound: sip:carrier.example:99999
  - name: d
    outbound: sip:carrier..example
  - name: e
    outbound: sips:[2001:db8::1]:5061;transport=tls
`, []string{
			`f.yaml:17: trunk "a": source "10.0.0.300" is not an IP address or CIDR (e.g. 192.0.2.10 or 192.0.2.0/24)`,
			`f.yaml:17: trunk "a": source "fe80::1%eth0" is not an IP address or CIDR (e.g. 192.0.2.10 or 192.0.2.0/24)`,
			`f.yaml:17: trunk "a": source "example.com" is not an IP address or CIDR (e.g. 192.0.2.10 or 192.0.2.0/24)`,
			`f.yaml:18: trunk "a": outbound "http://carrier": must be a sip: or sips: URI, e.g. sip:sip.carrier.example:5060`,
			`f.yaml:20: trunk "b": source 192.0.2.1/32 is also a source of trunk "a"`,
			`f.yaml:21: trunk "b": password is set without a username`,
			`f.yaml:22: trunk "a" is defined twice`,
			`f.yaml:22: trunk "a": needs sources (to take calls in) or outbound (to send calls out)`,
			`f.yaml:24: trunk "c": outbound "sip:carrier.example:99999": bad port`,
			`f.yaml:26: trunk "d": outbound "sip:carrier..example": bad host`,
		}},
		{"dial plan", base + `dial_plan:
  allow: ["+1555XXXXXXX", "+1[5-", "sip:*@*"]
  deny:
    - "+1900!"
    - "9.9"
`, []string{
			`f.yaml:16: dial_plan allow[1] "+1[5-": unclosed '['`,
			`f.yaml:16: dial_plan allow[2] "sip:*@*": the host must be exact: '*' is only allowed as the user part`,
			`f.yaml:19: dial_plan deny[1] "9.9": '.' is only allowed at the end`,
		}},
		{"top level values", `listen: {http: "localhost", sip: ":99999"}
data_dir: ""
database: mysql://x
not_ready_reasons: [Break, break, ""]
` + base, []string{
			`f.yaml:1: listen.http "localhost": not host:port`,
			`f.yaml:1: listen.sip ":99999": bad port`,
			`f.yaml:3: database: unsupported scheme "mysql": use a postgres:// URL or a SQLite file path`,
			`f.yaml:4: not ready reason "break" is listed twice`,
			`f.yaml:4: not_ready_reasons[2] must not be empty`,
		}},
		{"explicit empty listen", "listen: {http: ''}\n",
			[]string{`f.yaml:1: listen.http must be host:port`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("f.yaml", []byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", c)
			}
			if c != nil {
				t.Errorf("Parse returned a config with an error")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T is not Errors: %v", err, err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
			var one *Error
			if !errors.As(err, &one) || one.File != "f.yaml" {
				t.Errorf("errors.As(*Error) = %v", one)
			}
		})
	}
}

// TestParseAliasBomb: a small document whose aliases would expand to
// millions of values is refused, quickly.
func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("teams:\n  - &q {name: x, agents: &ag [")
	for i := 0; i < 2000; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("a")
	}
	b.WriteString("]}\nqueues: [")
	for i := 0; i < 2000; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("{name: q, agents: *ag}")
	}
	b.WriteString("]\n")
	_, err := Parse("f.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "f.yaml:2: document too large (or too many aliases)") {
		t.Fatalf("Parse(alias bomb) = %.300v", err)
	}
}

func TestParseTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("users:\n")
	for i := 0; i < 80; i++ {
		b.WriteString("  - {name: u, roles: [agent], password: x}\n")
	}
	_, err := Parse("f.yaml", []byte(b.String()))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != maxErrors+1 || errs[maxErrors].Msg != "and 29 more problems" {
		t.Fatalf("got %d errors, last %v", len(errs), errs[len(errs)-1])
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "earshot.yaml")
	if err := os.WriteFile(path, []byte(base), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "data"); c.DataDir != want {
		t.Errorf("data_dir = %q, want %q", c.DataDir, want)
	}
	if err := os.WriteFile(path, []byte(base+"    ring_timeout: -1s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	if err == nil || err.Error() != path+`:15: queue "q1": ring_timeout must be positive` {
		t.Errorf("Load(bad) = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
}

func TestExampleFile(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "earshot.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Users) == 0 || len(c.Queues) == 0 || len(c.Trunks) == 0 || len(c.DialPlan.Allow) == 0 {
		t.Errorf("example is missing parts: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}
