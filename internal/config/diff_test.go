package config

import (
	"slices"
	"testing"
	"time"
)

func diffBase() *Config {
	return &Config{
		Listen:   Listen{HTTP: "127.0.0.1:8080", SIP: "127.0.0.1:5060"},
		DataDir:  "/var/lib/earshot",
		Database: "postgres://u:secret@db/earshot",
		Users: []User{
			{Name: "ann", Display: "Ann", Roles: []Role{RoleAdmin}, PasswordHash: "h1"},
			{Name: "zoe", Display: "Zoe", Roles: []Role{RoleAgent}, PasswordHash: "h2", SIPPassword: "s1"},
			{Name: "sam", Display: "Sam", Roles: []Role{RoleSupervisor}, PasswordHash: "h3"},
		},
		Teams:  []Team{{Name: "east", Agents: []string{"bob"}, Supervisors: []string{"sam"}}},
		Queues: []Queue{{Name: "sales", Teams: []string{"east"}, Strategy: LongestIdle, RingTimeout: 20 * time.Second, WrapUp: 10 * time.Second}},
		DIDs:   []DID{{Number: "+15550100", Queue: "sales"}},
		Trunks: []Trunk{{Name: "carrier", Sources: []string{"192.0.2.1"}, Username: "acct", Password: "tp"}},
		DialPlan: DialPlan{
			Allow: []string{"+44XXXXXXXXXX", "+1NXXNXXXXXX"},
			Deny:  []string{"+1900."},
		},
		NotReadyReasons: []string{"Lunch", "Training"},
		AssistRingTime:  30 * time.Second,
	}
}

// TestDiff: each row is one admin change and the audit line it gives.
func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(c *Config)
		want   []string
	}{
		{"nothing", func(*Config) {}, nil},
		{"wrap-up", func(c *Config) { c.Queues[0].WrapUp = 30 * time.Second },
			[]string{"queue sales: wrap-up 10s → 30s"}},
		{"agent joins a team", func(c *Config) { c.Teams[0].Agents = append(c.Teams[0].Agents, "zoe") },
			[]string{"team east: agents + zoe"}},
		{"agent leaves, another joins", func(c *Config) { c.Teams[0].Agents = []string{"zoe"} },
			[]string{"team east: agents + zoe, − bob"}},
		{"deny pattern", func(c *Config) { c.DialPlan.Deny = append(c.DialPlan.Deny, "+44XXXXXXXXXX") },
			[]string{"dial plan: deny + +44XXXXXXXXXX"}},
		{"allow pattern removed", func(c *Config) { c.DialPlan.Allow = c.DialPlan.Allow[1:] },
			[]string{"dial plan: allow − +44XXXXXXXXXX"}},
		{"allow reordered", func(c *Config) { slices.Reverse(c.DialPlan.Allow) },
			[]string{"dial plan: allow order +1NXXNXXXXXX, +44XXXXXXXXXX"}},
		{"user added", func(c *Config) {
			c.Users = append(c.Users, User{Name: "max", Roles: []Role{RoleAgent, RoleSupervisor}, PasswordHash: "h"})
		}, []string{"user max added (agent, supervisor)"}},
		{"user removed", func(c *Config) { c.Users = c.Users[:2] }, []string{"user sam removed"}},
		{"user details", func(c *Config) {
			u := &c.Users[1]
			u.Display, u.Roles, u.PasswordHash, u.SIPPassword, u.ListenIn = "Zoë", []Role{RoleSupervisor}, "new", "s2", true
		}, []string{
			`user zoe: display "Zoe" → "Zoë"`,
			"user zoe: roles + supervisor, − agent",
			"user zoe: password changed",
			"user zoe: SIP phone password changed",
			"user zoe: listen-in permission off → on",
		}},
		{"SIP password set and removed", func(c *Config) { c.Users[0].SIPPassword, c.Users[1].SIPPassword = "x", "" },
			[]string{"user ann: SIP phone password set", "user zoe: SIP phone password removed"}},
		{"team added and removed", func(c *Config) {
			c.Teams = []Team{{Name: "west", Agents: []string{"zoe"}}}
		}, []string{"team west added (agents zoe; supervisors (none))", "team east removed"}},
		{"queue settings", func(c *Config) {
			q := &c.Queues[0]
			q.Strategy, q.RingTimeout, q.MaxWait, q.OnMaxWait, q.Message, q.Music, q.Record =
				RingAll, 15*time.Second, 2*time.Minute, OnMaxWaitHangup, "Sorry", "hold.wav", true
		}, []string{
			"queue sales: strategy longest-idle → ring-all",
			"queue sales: ring timeout 20s → 15s",
			"queue sales: max wait 0s → 2m0s",
			"queue sales: on max wait (none) → hangup",
			`queue sales: message (none) → "Sorry"`,
			`queue sales: music (none) → "hold.wav"`,
			"queue sales: recording off → on",
		}},
		{"queue members", func(c *Config) { c.Queues[0].Agents, c.Queues[0].Teams = []string{"zoe"}, nil },
			[]string{"queue sales: agents + zoe", "queue sales: teams − east"}},
		{"queue added", func(c *Config) {
			c.Queues = append(c.Queues, Queue{Name: "vip", Strategy: RoundRobin, RingTimeout: 10 * time.Second, WrapUp: 5 * time.Second})
		}, []string{"queue vip added (round-robin, ring timeout 10s, wrap-up 5s)"}},
		{"DIDs", func(c *Config) {
			c.DIDs = []DID{{Number: "+15550100", Queue: "vip", Priority: 2}, {Number: "+15550199", Queue: "sales"}}
		}, []string{"DID +15550100: queue sales → vip", "DID +15550100: priority 0 → 2", "DID +15550199 added → queue sales"}},
		{"DID removed", func(c *Config) { c.DIDs = nil }, []string{"DID +15550100 removed"}},
		{"trunk", func(c *Config) {
			c.Trunks[0].Sources, c.Trunks[0].Outbound, c.Trunks[0].Password = []string{"192.0.2.2"}, "sip:carrier.example:5060", "new"
		}, []string{"trunk carrier: sources + 192.0.2.2, − 192.0.2.1", "trunk carrier: outbound (none) → sip:carrier.example:5060", "trunk carrier: password changed"}},
		{"trunk registration and caller ID", func(c *Config) {
			t := &c.Trunks[0]
			t.Register, t.RegisterExpires, t.Registrar = true, 10*time.Minute, "sip:reg.carrier.example"
			t.CallerID, t.FromDomain = "+15550100", "carrier.example"
		}, []string{
			"trunk carrier: register off → on",
			"trunk carrier: register expires default (5m0s) → 10m0s",
			"trunk carrier: registrar (none) → sip:reg.carrier.example",
			"trunk carrier: caller ID (none) → +15550100",
			"trunk carrier: from domain (none) → carrier.example",
		}},
		{"not ready reasons", func(c *Config) { c.NotReadyReasons = []string{"Lunch", "Coaching"} },
			[]string{"Not Ready reasons: + Coaching, − Training"}},
		{"the rest", func(c *Config) {
			c.AssistRingTime, c.Database, c.Listen.SIP = 20*time.Second, "postgres://u:other@db/earshot", "127.0.0.1:5070"
		}, []string{"assist ring time 30s → 20s", "listen.sip 127.0.0.1:5060 → 127.0.0.1:5070", "database changed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := diffBase()
			next := old.Clone()
			tc.change(next)
			got := Diff(old, next)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Diff:\n got  %q\n want %q", got, tc.want)
			}
			if back := Diff(next, next); back != nil {
				t.Errorf("Diff of a configuration with itself: %q", back)
			}
		})
	}
}

func TestDiffNil(t *testing.T) {
	got := Diff(nil, &Config{Users: []User{{Name: "ann", Roles: []Role{RoleAdmin}}}})
	if !slices.Equal(got, []string{"user ann added (admin)"}) {
		t.Fatalf("Diff(nil, …) = %q", got)
	}
	if got := Diff(nil, nil); got != nil {
		t.Fatalf("Diff(nil, nil) = %q", got)
	}
}
