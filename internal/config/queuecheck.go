package config

import (
	"fmt"
	"strconv"
	"strings"
)

// On-max-wait actions.
const (
	OnMaxWaitHangup   = "hangup"
	OnMaxWaitOverflow = "overflow"
)

func (v *validator) hasQueue(name string) bool {
	_, ok := v.queue[name]
	return ok
}

func (v *validator) checkQueues() {
	for i, q := range v.c.Queues {
		p := "queues." + strconv.Itoa(i)
		ctx, _ := v.checkGroupName("queue", i, q.Name, v.queue[q.Name] != i)
		v.members(p+".agents", ctx, "agent", q.Agents, RoleAgent)
		seen := map[string]bool{}
		for j, t := range q.Teams {
			tp := p + ".teams." + strconv.Itoa(j)
			switch {
			case !v.teams[t]:
				v.add(tp, "%s: team %q is not defined", ctx, t)
			case seen[t]:
				v.add(tp, "%s: team %q is listed twice", ctx, t)
			}
			seen[t] = true
		}
		switch q.Strategy {
		case LongestIdle, RoundRobin, FewestCalls, RingAll:
		default:
			v.add(p+".strategy", "%s: unknown strategy %q (strategies are %s, %s, %s, %s)", ctx, q.Strategy, LongestIdle, RoundRobin, FewestCalls, RingAll)
		}
		if q.RingTimeout <= 0 {
			v.add(p+".ring_timeout", "%s: ring_timeout must be positive", ctx)
		}
		if q.WrapUp < 0 {
			v.add(p+".wrap_up", "%s: wrap_up must not be negative (0: after call work ends only on Ready)", ctx)
		}
		if q.MaxWait < 0 {
			v.add(p+".max_wait", "%s: max_wait must not be negative (0: no limit)", ctx)
		}
		if hasControl(q.Message) {
			v.add(p+".message", "%s: message contains a control character", ctx)
		}
		if hasControl(q.Music) {
			v.add(p+".music", "%s: music contains a control character", ctx)
		}
		v.checkMaxWait(p, ctx, q)
	}
	v.checkOverflowLoops()
}

func (v *validator) checkMaxWait(p, ctx string, q Queue) {
	switch q.OnMaxWait {
	case "":
		if q.MaxWait > 0 {
			v.add(p+".on_max_wait", "%s: max_wait is set, so on_max_wait must be hangup or overflow", ctx)
		}
	case OnMaxWaitHangup, OnMaxWaitOverflow:
		if q.MaxWait == 0 {
			v.add(p+".on_max_wait", "%s: on_max_wait needs max_wait (now 0: no limit)", ctx)
		}
	default:
		v.add(p+".on_max_wait", "%s: on_max_wait must be hangup or overflow, not %q", ctx, q.OnMaxWait)
	}
	switch {
	case q.Message == "" || q.OnMaxWait == OnMaxWaitHangup:
	case q.OnMaxWait == OnMaxWaitOverflow:
		v.add(p+".message", "%s: message is played only before hanging up, not with on_max_wait overflow (the caller waits on in overflow_to)", ctx)
	default:
		v.add(p+".message", "%s: message is played before hanging up on a caller who waited max_wait: it needs max_wait and on_max_wait hangup", ctx)
	}
	switch {
	case q.OnMaxWait == OnMaxWaitOverflow && q.OverflowTo == "":
		v.add(p+".overflow_to", "%s: on_max_wait overflow needs overflow_to naming another queue", ctx)
	case q.OnMaxWait != OnMaxWaitOverflow && q.OverflowTo != "":
		v.add(p+".overflow_to", "%s: overflow_to is set but on_max_wait is not overflow", ctx)
	case q.OverflowTo == "":
	case q.OverflowTo == q.Name:
		v.add(p+".overflow_to", "%s: overflow_to must name another queue, not itself", ctx)
	default:
		if _, ok := v.queue[q.OverflowTo]; !ok {
			v.add(p+".overflow_to", "%s: overflow_to %q is not a queue", ctx, q.OverflowTo)
		}
	}
}

// checkOverflowLoops reports each overflow cycle once, at its first queue
// in file order.
func (v *validator) checkOverflowLoops() {
	qs := v.c.Queues
	next := func(i int) int {
		q := qs[i]
		if q.OnMaxWait != OnMaxWaitOverflow || q.OverflowTo == "" || q.OverflowTo == q.Name {
			return -1
		}
		j, ok := v.queue[q.OverflowTo]
		if !ok {
			return -1
		}
		return j
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(qs))
	for start := range qs {
		if state[start] != unseen {
			continue
		}
		var path []int
		i := start
		for i >= 0 && state[i] == unseen {
			state[i] = onPath
			path = append(path, i)
			i = next(i)
		}
		if i >= 0 && state[i] == onPath {
			// i is on the current path: the cycle runs from i to the end.
			k := 0
			for path[k] != i {
				k++
			}
			cycle := path[k:]
			first := cycle[0]
			for _, c := range cycle {
				first = min(first, c)
			}
			names := make([]string, 0, len(cycle)+1)
			at := 0
			for cycle[at] != first {
				at++
			}
			for n := 0; n <= len(cycle); n++ {
				names = append(names, qs[cycle[(at+n)%len(cycle)]].Name)
			}
			v.add("queues."+strconv.Itoa(first)+".overflow_to", "queue %q: overflow loops: %s", qs[first].Name, strings.Join(names, " → "))
		}
		for _, j := range path {
			state[j] = done
		}
	}
}

// CheckSounds runs message on the message file of every queue that plays
// one and music on every queue's music file, except where prev (the
// configuration in force, or nil) names the same file for the same queue,
// and reports each failure as a problem of that queue. The functions say
// whether a file can be played; Validate does not read files, so the start
// of serve and the admin path call this too.
func (c *Config) CheckSounds(prev *Config, message, music func(path string) error) error {
	var errs Errors
	for _, q := range c.Queues {
		var old Queue
		if prev != nil {
			old, _ = prev.Queue(q.Name)
		}
		if q.Message != "" && q.OnMaxWait == OnMaxWaitHangup && (old.Message != q.Message || old.OnMaxWait != OnMaxWaitHangup) {
			if err := message(q.Message); err != nil {
				errs = append(errs, &Error{Msg: fmt.Sprintf("queue %q: message %q: %v", q.Name, q.Message, err)})
			}
		}
		if q.Music != "" && old.Music != q.Music {
			if err := music(q.Music); err != nil {
				errs = append(errs, &Error{Msg: fmt.Sprintf("queue %q: music %q: %v", q.Name, q.Music, err)})
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}
