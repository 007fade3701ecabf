package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// CallHistory reads stored calls. *store.Store satisfies it.
type CallHistory interface {
	// CallsArrived returns the call.arrived events of calls that arrived
	// in [since, until) (zero: unbounded) into queue ("" any), with Seq
	// below before (0: no bound), newest first, at most limit.
	CallsArrived(ctx context.Context, queue string, since, until time.Time, before int64, limit int) ([]events.Event, error)
	// CallEvents returns every event of the named calls, in Seq order.
	CallEvents(ctx context.Context, ids []string) ([]events.Event, error)
}

// Call history limits.
const (
	defaultCallLimit = 50
	maxCallLimit     = 200
	callBatch        = 200 // calls read from the store at a time
	callScanBatches  = 10  // batches one request reads at most
)

var callParams = map[string]bool{"q": true, "queue": true, "agent": true, "outcome": true,
	"since": true, "until": true, "limit": true, "before": true}

// callQuery is a parsed call history query.
type callQuery struct {
	callFilter
	since, until time.Time
	limit        int
	before       int64
}

// parseCallQuery reads /api/v1/call-history's query.
func parseCallQuery(q url.Values) (callQuery, error) {
	cq := callQuery{limit: defaultCallLimit}
	for k, vs := range q {
		if !callParams[k] {
			return cq, errorf(http.StatusBadRequest, "unknown query parameter %q; use q, queue, agent, outcome, since, until, limit or before", k)
		}
		if len(vs) > 1 {
			return cq, errorf(http.StatusBadRequest, "query parameter %q is given more than once", k)
		}
	}
	cq.text = strings.ToLower(strings.TrimSpace(q.Get("q")))
	if len(cq.text) > 200 {
		return cq, errorf(http.StatusBadRequest, "q is longer than 200 characters")
	}
	cq.queue, cq.agent = q.Get("queue"), q.Get("agent")
	if o := q.Get("outcome"); o != "" {
		known := false
		for _, x := range outcomes {
			known = known || x == o
		}
		if !known {
			return cq, errorf(http.StatusBadRequest, "unknown outcome %q; use one of %s", o, strings.Join(outcomes, ", "))
		}
		cq.outcome = o
	}
	var err error
	if cq.since, err = parseTime(q, "since"); err != nil {
		return cq, err
	}
	if cq.until, err = parseTime(q, "until"); err != nil {
		return cq, err
	}
	if !cq.since.IsZero() && !cq.until.IsZero() && !cq.since.Before(cq.until) {
		return cq, errorf(http.StatusBadRequest, "since must be before until")
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxCallLimit {
			return cq, errorf(http.StatusBadRequest, "limit must be a whole number from 1 to %d", maxCallLimit)
		}
		cq.limit = n
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			return cq, errorf(http.StatusBadRequest, "before must be a positive whole number (the next_before of the previous page)")
		}
		cq.before = n
	}
	return cq, nil
}

// callsPage is the answer to a call history query. NextBefore, when not
// zero, is the "before" that fetches the next page.
type callsPage struct {
	Calls      []callSummary `json:"calls"`
	NextBefore int64         `json:"next_before,omitempty"`
}

// listCallHistory answers GET /api/v1/call-history: the calls the caller
// may see, newest first, matching the query.
func (s *Server) listCallHistory(w http.ResponseWriter, r *http.Request, c *caller) error {
	q, err := parseCallQuery(r.URL.Query())
	if err != nil {
		return err
	}
	if q.agent != "" && !c.view.seesAgent(q.agent) {
		return errorf(http.StatusForbidden, "you do not supervise agent %q", q.agent)
	}
	if q.queue != "" && !c.view.seesQueue(q.queue) {
		return errorf(http.StatusForbidden, "you do not supervise queue %q", q.queue)
	}
	if s.opts.Calls == nil {
		return errorf(http.StatusServiceUnavailable, "call history is not available")
	}
	page, err := s.callsPage(r.Context(), c.view, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// callsPage reads arrivals in batches, newest first, until the page is
// full, history runs out, or callScanBatches have been read; in the last
// case NextBefore lets the client read on.
func (s *Server) callsPage(ctx context.Context, v *viewer, q callQuery) (callsPage, error) {
	page := callsPage{Calls: []callSummary{}}
	cursor := q.before
	now := s.now()
	// A first batch of twice the page fills it for a supervisor who sees
	// half the calls; later ones are larger.
	batch := min(2*q.limit, callBatch)
	for range callScanBatches {
		arrived, err := s.opts.Calls.CallsArrived(ctx, "", q.since, q.until, cursor, batch)
		if err != nil {
			return page, fmt.Errorf("read calls: %w", err)
		}
		if len(arrived) == 0 {
			return page, nil
		}
		byCall, err := s.eventsOf(ctx, arrived)
		if err != nil {
			return page, err
		}
		for _, a := range arrived {
			sum := summarizeCall(byCall[a.Call], now)
			if sum.Seq != a.Seq || !v.seesSummary(&sum) || !q.matches(&sum) {
				continue
			}
			page.Calls = append(page.Calls, sum)
			if len(page.Calls) == q.limit {
				page.NextBefore = a.Seq
				return page, nil
			}
		}
		cursor = arrived[len(arrived)-1].Seq
		if len(arrived) < batch {
			return page, nil
		}
		batch = callBatch
	}
	page.NextBefore = cursor
	return page, nil
}

// eventsOf reads the events of the arrived calls, grouped by call.
func (s *Server) eventsOf(ctx context.Context, arrived []events.Event) (map[string][]events.Event, error) {
	ids := make([]string, 0, len(arrived))
	for _, a := range arrived {
		ids = append(ids, a.Call)
	}
	evs, err := s.opts.Calls.CallEvents(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read call events: %w", err)
	}
	byCall := make(map[string][]events.Event, len(ids))
	for _, e := range evs {
		byCall[e.Call] = append(byCall[e.Call], e)
	}
	return byCall, nil
}
