package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Diff says in words what changed from old to next, one line per change,
// in a fixed order (users, teams, queues, DIDs, trunks, dial plan, Not
// Ready reasons, the rest): "queue sales: wrap-up 10s → 30s", "team east:
// agents + zoe", "dial plan: deny + +44XXXXXXXXXX". Secrets are never
// shown, only that they changed. No lines means no change an admin can
// make.
func Diff(old, next *Config) []string {
	if old == nil {
		old = &Config{}
	}
	if next == nil {
		next = &Config{}
	}
	d := &differ{}
	d.users(old.Users, next.Users)
	d.teams(old.Teams, next.Teams)
	d.queues(old.Queues, next.Queues)
	d.dids(old.DIDs, next.DIDs)
	d.trunks(old.Trunks, next.Trunks)
	d.list("dial plan: allow", old.DialPlan.Allow, next.DialPlan.Allow)
	d.list("dial plan: deny", old.DialPlan.Deny, next.DialPlan.Deny)
	d.list("Not Ready reasons:", old.NotReadyReasons, next.NotReadyReasons)
	d.value("assist ring time", dur(old.AssistRingTime), dur(next.AssistRingTime))
	d.value("listen.http", old.Listen.HTTP, next.Listen.HTTP)
	d.value("listen.sip", old.Listen.SIP, next.Listen.SIP)
	d.value("data_dir", old.DataDir, next.DataDir)
	if old.Database != next.Database {
		d.add("database changed")
	}
	return d.lines
}

// differ collects the lines of one Diff.
type differ struct {
	lines []string
}

func (d *differ) add(format string, args ...any) {
	d.lines = append(d.lines, fmt.Sprintf(format, args...))
}

// value adds "what old → next" when they differ.
func (d *differ) value(what, old, next string) {
	if old != next {
		d.add("%s %s → %s", what, show(old), show(next))
	}
}

// list adds "what + a, − b" for the members added and removed, or the new
// order when only the order changed.
func (d *differ) list(what string, old, next []string) {
	if s := setChange(old, next); s != "" {
		d.add("%s %s", what, s)
	} else if !slices.Equal(old, next) {
		d.add("%s order %s", what, joinOr(next))
	}
}

// setChange is "+ a, b, − c" for what next adds to old and removes from
// it, or "" when both hold the same members.
func setChange[T ~string](old, next []T) string {
	var added, removed []string
	for _, x := range next {
		if !slices.Contains(old, x) && !slices.Contains(added, string(x)) {
			added = append(added, string(x))
		}
	}
	for _, x := range old {
		if !slices.Contains(next, x) && !slices.Contains(removed, string(x)) {
			removed = append(removed, string(x))
		}
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "+ "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		parts = append(parts, "− "+strings.Join(removed, ", "))
	}
	return strings.Join(parts, ", ")
}

// show quotes text for a line; empty text is "(none)".
func show(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func quoted(s string) string {
	if s == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", s)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func dur(t time.Duration) string { return t.String() }

// registerExpires shows a trunk's register_expires, 0 as the default.
func registerExpires(t time.Duration) string {
	if t == 0 {
		return "default (" + DefaultRegisterExpires.String() + ")"
	}
	return t.String()
}

func joinOr(xs []string) string {
	if len(xs) == 0 {
		return "(none)"
	}
	return strings.Join(xs, ", ")
}

// byName indexes items by name, keeping the first of duplicates.
func byName[T any](xs []T, name func(T) string) map[string]T {
	m := make(map[string]T, len(xs))
	for _, x := range xs {
		if _, dup := m[name(x)]; !dup {
			m[name(x)] = x
		}
	}
	return m
}

// each calls added, removed and changed for the items of old and next, in
// next's order then old's.
func each[T any](old, next []T, name func(T) string, added func(T), removed func(T), changed func(o, n T)) {
	om, nm := byName(old, name), byName(next, name)
	done := map[string]bool{}
	for _, n := range next {
		k := name(n)
		if done[k] {
			continue
		}
		done[k] = true
		if o, ok := om[k]; ok {
			changed(o, n)
		} else {
			added(n)
		}
	}
	for _, o := range old {
		k := name(o)
		if _, ok := nm[k]; !ok && !done[k] {
			done[k] = true
			removed(o)
		}
	}
}

func roleList(rs []Role) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return joinOr(out)
}

func (d *differ) users(old, next []User) {
	each(old, next, func(u User) string { return u.Name },
		func(u User) { d.add("user %s added (%s)", u.Name, roleList(u.Roles)) },
		func(u User) { d.add("user %s removed", u.Name) },
		func(o, n User) {
			p := "user " + n.Name + ":"
			if o.Display != n.Display {
				d.add("%s display %s → %s", p, quoted(o.Display), quoted(n.Display))
			}
			if s := setChange(o.Roles, n.Roles); s != "" {
				d.add("%s roles %s", p, s)
			}
			if o.PasswordHash != n.PasswordHash || o.Password != n.Password {
				d.add("%s password changed", p)
			}
			if o.SIPPassword != n.SIPPassword {
				switch {
				case n.SIPPassword == "":
					d.add("%s SIP phone password removed", p)
				case o.SIPPassword == "":
					d.add("%s SIP phone password set", p)
				default:
					d.add("%s SIP phone password changed", p)
				}
			}
			if o.ListenIn != n.ListenIn {
				d.add("%s listen-in permission %s → %s", p, onOff(o.ListenIn), onOff(n.ListenIn))
			}
		})
}

func (d *differ) teams(old, next []Team) {
	each(old, next, func(t Team) string { return t.Name },
		func(t Team) {
			d.add("team %s added (agents %s; supervisors %s)", t.Name, joinOr(t.Agents), joinOr(t.Supervisors))
		},
		func(t Team) { d.add("team %s removed", t.Name) },
		func(o, n Team) {
			d.list("team "+n.Name+": agents", o.Agents, n.Agents)
			d.list("team "+n.Name+": supervisors", o.Supervisors, n.Supervisors)
		})
}

func (d *differ) queues(old, next []Queue) {
	each(old, next, func(q Queue) string { return q.Name },
		func(q Queue) {
			d.add("queue %s added (%s, ring timeout %s, wrap-up %s)", q.Name, q.Strategy, dur(q.RingTimeout), dur(q.WrapUp))
		},
		func(q Queue) { d.add("queue %s removed", q.Name) },
		func(o, n Queue) {
			p := "queue " + n.Name + ":"
			d.value(p+" strategy", string(o.Strategy), string(n.Strategy))
			d.value(p+" ring timeout", dur(o.RingTimeout), dur(n.RingTimeout))
			d.value(p+" wrap-up", dur(o.WrapUp), dur(n.WrapUp))
			d.value(p+" max wait", dur(o.MaxWait), dur(n.MaxWait))
			d.value(p+" on max wait", o.OnMaxWait, n.OnMaxWait)
			d.value(p+" overflow to", o.OverflowTo, n.OverflowTo)
			if o.Message != n.Message {
				d.add("%s message %s → %s", p, quoted(o.Message), quoted(n.Message))
			}
			if o.Music != n.Music {
				d.add("%s music %s → %s", p, quoted(o.Music), quoted(n.Music))
			}
			d.value(p+" recording", onOff(o.Record), onOff(n.Record))
			d.list(p+" agents", o.Agents, n.Agents)
			d.list(p+" teams", o.Teams, n.Teams)
		})
}

func (d *differ) dids(old, next []DID) {
	each(old, next, func(x DID) string { return x.Number },
		func(x DID) { d.add("DID %s added → queue %s", x.Number, x.Queue) },
		func(x DID) { d.add("DID %s removed", x.Number) },
		func(o, n DID) {
			d.value("DID "+n.Number+": queue", o.Queue, n.Queue)
			if o.Priority != n.Priority {
				d.add("DID %s: priority %d → %d", n.Number, o.Priority, n.Priority)
			}
		})
}

func (d *differ) trunks(old, next []Trunk) {
	each(old, next, func(t Trunk) string { return t.Name },
		func(t Trunk) { d.add("trunk %s added", t.Name) },
		func(t Trunk) { d.add("trunk %s removed", t.Name) },
		func(o, n Trunk) {
			p := "trunk " + n.Name + ":"
			d.list(p+" sources", o.Sources, n.Sources)
			d.value(p+" outbound", o.Outbound, n.Outbound)
			d.value(p+" username", o.Username, n.Username)
			if o.Password != n.Password {
				d.add("%s password changed", p)
			}
			d.value(p+" register", onOff(o.Register), onOff(n.Register))
			if o.RegisterExpires != n.RegisterExpires {
				d.add("%s register expires %s → %s", p, registerExpires(o.RegisterExpires), registerExpires(n.RegisterExpires))
			}
			d.value(p+" registrar", o.Registrar, n.Registrar)
			d.value(p+" caller ID", o.CallerID, n.CallerID)
			d.value(p+" from domain", o.FromDomain, n.FromDomain)
		})
}
