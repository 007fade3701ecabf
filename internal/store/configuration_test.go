package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/config"
)

// Well-formed (not real) argon2id hashes.
const (
	hashA = "$argon2id$v=19$m=65536,t=1,p=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"
	hashB = "$argon2id$v=19$m=65536,t=1,p=2$cGVwcGVycGVwcGVy$b3RoZXJrZXlvdGhlcmtleW90aGVya2V5"
	hashC = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
)

// sampleConfig sets every field of every part of the configuration.
func sampleConfig() *config.Config {
	return &config.Config{
		Listen:   config.Listen{HTTP: "127.0.0.1:8080", SIP: "127.0.0.1:5060"},
		DataDir:  "/var/lib/earshot",
		Database: "sqlite:/var/lib/earshot/earshot.db",
		Users: []config.User{
			{Name: "ann", Display: "Ann Agent", Roles: []config.Role{config.RoleAgent}, PasswordHash: hashA, SIPPassword: "sip-ann", ListenIn: true},
			{Name: "bob", Display: "Bob Agent", Roles: []config.Role{config.RoleAgent}, PasswordHash: hashB},
			{Name: "sue", Display: "Sue Supervisor", Roles: []config.Role{config.RoleSupervisor, config.RoleAgent, config.RoleAdmin}, PasswordHash: hashC},
			{Name: "zed", Display: "Zed (no roles yet)"},
		},
		Teams: []config.Team{
			{Name: "sales-team", Agents: []string{"bob", "ann"}, Supervisors: []string{"sue"}},
			{Name: "support-team", Agents: []string{"ann"}, Supervisors: []string{"sue", "bob"}},
			{Name: "empty-team"},
		},
		Queues: []config.Queue{
			{Name: "sales", Agents: []string{"sue"}, Teams: []string{"sales-team"}, Strategy: config.LongestIdle,
				RingTimeout: 20 * time.Second, WrapUp: 30 * time.Second, MaxWait: 5 * time.Minute,
				OnMaxWait: "overflow", OverflowTo: "support", Message: "closing.wav", Music: "moh.wav", Record: true},
			{Name: "support", Teams: []string{"support-team", "sales-team"}, Strategy: config.RingAll,
				RingTimeout: 15 * time.Second, WrapUp: 1500 * time.Millisecond, OnMaxWait: "hangup"},
		},
		DIDs: []config.DID{
			{Number: "+44800100200", Queue: "sales", Priority: 2},
			{Number: "+44800100300", Queue: "support"},
		},
		Trunks: []config.Trunk{
			{Name: "carrier", Sources: []string{"192.0.2.0/24", "198.51.100.7"}, Outbound: "sip:192.0.2.1:5060", Username: "acct", Password: "carrier-secret",
				Register: true, RegisterExpires: 10 * time.Minute, Registrar: "sip:reg.carrier.example", CallerID: "+44800100200", FromDomain: "carrier.example"},
			{Name: "pbx", Sources: []string{"10.0.0.5"}},
		},
		DialPlan:        config.DialPlan{Allow: []string{"+44*", "1xxx"}, Deny: []string{"+449*", "+4487*"}},
		NotReadyReasons: []string{"Break", "Lunch", "Training"},
		AssistRingTime:  30 * time.Second,
	}
}

func TestConfigStructsUnchanged(t *testing.T) {
	// The tables hold exactly these fields. A new field needs a column (and a
	// migration) before it can be stored: this test is the reminder.
	for _, c := range []struct {
		v      any
		fields int
	}{
		// Config.WebRTC, Config.Phone and all of Listen but HTTP and SIP
		// are read from the file only, never stored.
		{config.Config{}, 13}, {config.Listen{}, 13}, {config.User{}, 7}, {config.Team{}, 3},
		{config.Queue{}, 12}, {config.DID{}, 3}, {config.Trunk{}, 10}, {config.DialPlan{}, 2},
	} {
		if n := reflect.TypeOf(c.v).NumField(); n != c.fields {
			t.Errorf("%T has %d fields, the store keeps %d: store the new ones", c.v, n, c.fields)
		}
	}
}

func TestConfigRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := testContext(t)
		if _, err := s.LoadConfig(ctx); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LoadConfig on a new store: %v, want ErrNotFound", err)
		}
		want := sampleConfig()
		if err := s.SaveConfig(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.LoadConfig(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("LoadConfig =\n%+v\nwant\n%+v", got, want)
		}
		// An empty configuration is a configuration too.
		if err := s.SaveConfig(ctx, &config.Config{}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.LoadConfig(ctx); err != nil || !reflect.DeepEqual(got, &config.Config{}) {
			t.Fatalf("empty config came back as %+v, %v", got, err)
		}
	})
}

func TestSaveConfigReplaces(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := testContext(t)
		if err := s.SaveConfig(ctx, sampleConfig()); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSession(ctx, sampleSession("bob-token", "bob")); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPreference(ctx, "bob", "listen_in", "all"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPreference(ctx, "ann", "listen_in", "call"); err != nil {
			t.Fatal(err)
		}

		next := sampleConfig()
		next.Teams = next.Teams[:1] // support-team removed
		next.Queues[1].Teams = []string{"sales-team"}
		next.Users = next.Users[:1] // bob, sue and zed removed
		next.Teams[0] = config.Team{Name: "sales-team", Agents: []string{"ann"}}
		next.Queues[0].Agents = nil
		next.Trunks = nil
		next.DialPlan.Deny = nil
		next.NotReadyReasons = []string{}
		next.Users[0].Display = "Ann A."
		if err := s.SaveConfig(ctx, next); err != nil {
			t.Fatal(err)
		}
		got, err := s.LoadConfig(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, next) {
			t.Fatalf("after replace LoadConfig =\n%+v\nwant\n%+v", got, next)
		}
		if _, err := s.Session(ctx, HashToken("bob-token")); !errors.Is(err, ErrNotFound) {
			t.Errorf("removed user's session: %v, want ErrNotFound", err)
		}
		if _, err := s.Preferences(ctx, "bob"); !errors.Is(err, ErrNotFound) {
			t.Errorf("removed user's preferences: %v, want ErrNotFound", err)
		}
		if p, err := s.Preferences(ctx, "ann"); err != nil || p["listen_in"] != "call" {
			t.Errorf("kept user's preferences = %v, %v", p, err)
		}
	})
}

func TestSaveConfigKeepsStoredPasswordHash(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := testContext(t)
		if err := s.SaveConfig(ctx, sampleConfig()); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPasswordHash(ctx, "bob", hashC); err != nil {
			t.Fatal(err)
		}
		// A configuration edited through the API carries no hashes.
		edited := sampleConfig()
		for i := range edited.Users {
			edited.Users[i].PasswordHash = ""
		}
		if err := s.SaveConfig(ctx, edited); err != nil {
			t.Fatal(err)
		}
		got, err := s.LoadConfig(ctx)
		if err != nil {
			t.Fatal(err)
		}
		hashes := map[string]string{}
		for _, u := range got.Users {
			hashes[u.Name] = u.PasswordHash
		}
		want := map[string]string{"ann": hashA, "bob": hashC, "sue": hashC, "zed": ""}
		if !reflect.DeepEqual(hashes, want) {
			t.Fatalf("hashes after save = %v, want %v", hashes, want)
		}
		if err := s.SetPasswordHash(ctx, "nobody", hashA); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetPasswordHash(nobody): %v, want ErrNotFound", err)
		}
		for _, bad := range []string{"", "hunter2", "plain-text-password-long-enough"} {
			if err := s.SetPasswordHash(ctx, "ann", bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("SetPasswordHash(%q): %v, want ErrInvalid", bad, err)
			}
		}
	})
}

func TestSaveConfigRejectsBadInputAndChangesNothing(t *testing.T) {
	cases := map[string]func(c *config.Config){
		"plain password only": func(c *config.Config) { c.Users[1].PasswordHash, c.Users[1].Password = "", "secret" },
		"plain text as hash":  func(c *config.Config) { c.Users[1].PasswordHash = "secret" },
		"unnamed user":        func(c *config.Config) { c.Users[3].Name = "" },
		"duplicate user":      func(c *config.Config) { c.Users[3].Name = "ann" },
		"duplicate role":      func(c *config.Config) { c.Users[0].Roles = []config.Role{"agent", "agent"} },
		"unknown team member": func(c *config.Config) { c.Teams[0].Agents = append(c.Teams[0].Agents, "ghost") },
		"unknown supervisor":  func(c *config.Config) { c.Teams[1].Supervisors = []string{"ghost"} },
		"duplicate team":      func(c *config.Config) { c.Teams[2].Name = "sales-team" },
		"unknown queue agent": func(c *config.Config) { c.Queues[0].Agents = []string{"ghost"} },
		"unknown queue team":  func(c *config.Config) { c.Queues[0].Teams = []string{"ghost-team"} },
		"duplicate queue":     func(c *config.Config) { c.Queues[1].Name = "sales" },
		"DID to no queue":     func(c *config.Config) { c.DIDs[0].Queue = "ghost" },
		"duplicate DID":       func(c *config.Config) { c.DIDs[1].Number = c.DIDs[0].Number },
		"duplicate trunk":     func(c *config.Config) { c.Trunks[1].Name = "carrier" },
		"invalid UTF-8":       func(c *config.Config) { c.Queues[0].Message = "\xc3\x28" },
		"NUL in dial plan":    func(c *config.Config) { c.DialPlan.Allow[0] = "+44\x00" },
	}
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := testContext(t)
		want := sampleConfig()
		if err := s.SaveConfig(ctx, want); err != nil {
			t.Fatal(err)
		}
		for name, spoil := range cases {
			bad := sampleConfig()
			spoil(bad)
			err := s.SaveConfig(ctx, bad)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: SaveConfig error = %v, want ErrInvalid", name, err)
			}
		}
		if err := s.SaveConfig(ctx, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("SaveConfig(nil) = %v, want ErrInvalid", err)
		}
		got, err := s.LoadConfig(ctx)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("after refused saves LoadConfig = %+v, %v; want the first configuration", got, err)
		}
		for _, u := range got.Users {
			if u.Password != "" || strings.Contains(u.PasswordHash, "secret") {
				t.Fatalf("a plain password was stored for %s", u.Name)
			}
		}
	})
}

func TestPlainPasswordNeverSeedsAStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := testContext(t)
		c := sampleConfig()
		c.Users[0].PasswordHash, c.Users[0].Password = "", "letmein"
		if err := s.SaveConfig(ctx, c); !errors.Is(err, ErrInvalid) {
			t.Fatalf("SaveConfig with a plain password: %v, want ErrInvalid", err)
		}
		if _, err := s.LoadConfig(ctx); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a refused first save left a configuration behind: %v", err)
		}
	})
}
