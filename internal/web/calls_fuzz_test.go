package web

import (
	"net/url"
	"testing"
)

// FuzzParseCallQuery: any query string is either refused with a 400 or
// read into a query within the documented bounds.
func FuzzParseCallQuery(f *testing.F) {
	for _, s := range []string{
		"", "q=alice&queue=sales&outcome=answered", "since=2025-01-06T09:00:00Z&until=2025-01-07T00:00:00Z",
		"limit=200&before=12345", "limit=0", "before=-1", "outcome=lost", "q=%00", "foo=1", "q=a&q=b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseCallQuery(v)
		if err != nil {
			if status, msg := statusOf(err); status != 400 || msg == "" {
				t.Fatalf("%q: %d %q", raw, status, msg)
			}
			return
		}
		if q.limit < 1 || q.limit > maxCallLimit || q.before < 0 || len(q.text) > 200 {
			t.Fatalf("%q: out of bounds %+v", raw, q)
		}
		if !q.since.IsZero() && !q.until.IsZero() && !q.since.Before(q.until) {
			t.Fatalf("%q: since %s not before until %s", raw, q.since, q.until)
		}
	})
}
