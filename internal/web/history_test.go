package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestHistory(t *testing.T) {
	e := newEnv(t)
	seqs := func(r result) string {
		var out []string
		for _, x := range r.json()["events"].([]any) {
			m := x.(map[string]any)
			agent, _ := m["agent"].(string)
			queue, _ := m["queue"].(string)
			out = append(out, m["kind"].(string)+":"+agent+queue)
		}
		return strings.Join(out, ",")
	}
	admin, supA := e.login("admin"), e.login("sup-a")
	get := func(c *client, q string) result {
		r := c.call("GET", "/api/v1/history"+q, nil)
		expect(t, q, r, 200)
		return r
	}
	if got := seqs(get(admin, "")); got != "agent.state:alice,agent.state:bob,call.arrived:support,call.arrived:sales,config.changed:" {
		t.Fatalf("admin history %s", got)
	}
	if got := seqs(get(supA, "")); got != "agent.state:alice,call.arrived:sales" {
		t.Fatalf("sup-a history %s", got)
	}
	if got := seqs(get(supA, "?agent=alice&kind=agent.state&limit=5")); got != "agent.state:alice" {
		t.Fatalf("sup-a alice history %s", got)
	}
	for _, q := range []string{"?limit=0", "?limit=x", "?since=yesterday", "?kind=party", "?colour=red",
		"?since=2025-01-02T00:00:00Z&until=2025-01-01T00:00:00Z", "?agent=a&agent=b"} {
		expect(t, q, admin.call("GET", "/api/v1/history"+q, nil), 400)
	}
}

func TestHistoryUnavailable(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.History = nil })
	expect(t, "no history", e.login("admin").call("GET", "/api/v1/history", nil), 503)
}

// FuzzHistoryQuery: any query string is either a filter within bounds or a
// 400 with a sentence.
func FuzzHistoryQuery(f *testing.F) {
	for _, s := range []string{"", "agent=alice&kind=agent.state&limit=5", "since=2025-01-06T09:00:00Z&until=2025-01-07T00:00:00Z",
		"limit=1001", "kind=nope", "since=%zz", "agent=a&agent=b", "limit=-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, err := parseHistoryQuery(q)
		if err != nil {
			if st, msg := statusOf(err); st != http.StatusBadRequest || msg == "" {
				t.Fatalf("%q: error %v answers %d", raw, err, st)
			}
			return
		}
		if flt.Limit < 1 || flt.Limit > maxHistoryLimit {
			t.Fatalf("%q: limit %d accepted", raw, flt.Limit)
		}
		if flt.Kind != "" && !knownKinds[flt.Kind] {
			t.Fatalf("%q: kind %q accepted", raw, flt.Kind)
		}
	})
}
