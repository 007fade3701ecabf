package config

import (
	"reflect"
	"testing"
	"time"
)

func TestDemo(t *testing.T) {
	c := Demo()
	if err := c.Validate(); err != nil {
		t.Fatalf("Demo().Validate(): %v", err)
	}
	var agents, sups, admins, listen int
	for _, u := range c.Users {
		if u.Password != "demo" {
			t.Errorf("user %s: password %q, want demo", u.Name, u.Password)
		}
		if u.Has(RoleAgent) {
			agents++
		}
		if u.Has(RoleSupervisor) {
			sups++
		}
		if u.Has(RoleAdmin) {
			admins++
		}
		if u.ListenIn {
			listen++
		}
	}
	if agents != 12 || sups != 2 || admins != 1 || listen < 2 {
		t.Errorf("demo has %d agents, %d supervisors, %d admins, %d listen-in; want 12, 2, 1, >=2", agents, sups, admins, listen)
	}
	if got := c.TeamsOfSupervisor("sam"); !reflect.DeepEqual(got, []string{"sales"}) {
		t.Errorf("sam supervises %v", got)
	}
	if got := c.TeamsOfSupervisor("sue"); !reflect.DeepEqual(got, []string{"support"}) {
		t.Errorf("sue supervises %v", got)
	}
	for _, tt := range []struct{ number, queue string }{
		{"+15550100", "sales"}, {"100", "sales"}, {"+1 555-0200", "support"}, {"200", "support"}, {"+15550300", "billing"}, {"300", "billing"},
	} {
		if d, ok := c.QueueForDID(tt.number); !ok || d.Queue != tt.queue {
			t.Errorf("QueueForDID(%q) = %+v, %v; want queue %s", tt.number, d, ok, tt.queue)
		}
	}
	billing, _ := c.Queue("billing")
	if billing.OnMaxWait != OnMaxWaitOverflow || billing.OverflowTo != "support" || billing.MaxWait != 2*time.Minute {
		t.Errorf("billing = %+v", billing)
	}
	if got := c.QueueAgents("billing"); len(got) == 0 || len(c.TeamsOfAgent(got[0])) == 0 {
		t.Errorf("billing agents %v", got)
	}
	if len(c.QueueAgents("sales")) != 6 || len(c.QueueAgents("support")) != 6 {
		t.Errorf("sales/support agents: %v / %v", c.QueueAgents("sales"), c.QueueAgents("support"))
	}
	// Each call is a fresh copy.
	c.Users[0].Name = "changed"
	if Demo().Users[0].Name == "changed" {
		t.Error("Demo() shares state between calls")
	}
}

func BenchmarkParseDemo(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("demo.yaml", demoYAML); err != nil {
			b.Fatal(err)
		}
	}
}
