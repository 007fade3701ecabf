package web

import (
	"strings"
	"testing"
)

type countedMedia uint64

func (c countedMedia) SRTPFailures() uint64 { return uint64(c) }

func TestMetricsCountSRTPFailures(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Media = countedMedia(7) })
	res := e.anon().call("GET", "/metrics", nil)
	expect(t, "metrics", res, 200)
	if body := string(res.body); !strings.Contains(body, "earshot_srtp_auth_failures_total 7") {
		t.Errorf("metrics lack the SRTP failures:\n%s", body)
	}
}
