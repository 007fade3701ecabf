package web

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzDemoChange: any body either sets a rate within 0..120 (keeping what
// it does not name) or is refused with a 400 and a sentence.
func FuzzDemoChange(f *testing.F) {
	for _, seed := range []string{
		`{"calls_per_minute": 6}`, `{"paused": true}`, `{"calls_per_minute": 120, "paused": false}`,
		`{}`, ``, `{"calls_per_minute": 121}`, `{"calls_per_minute": -1}`, `{"calls_per_minute": 1e9}`,
		`{"calls_per_minute": 2.5}`, `{"paused": "yes"}`, `{"rate": 5}`, `[]`, `null`, `{"paused": true}{}`,
		`{"calls_per_minute": null}`, `{"calls_per_minute": 9223372036854775808}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		st := DemoStatus{CallsPerMinute: 7, Paused: true}
		perMin, paused, err := demoChange(strings.NewReader(body), st)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.status != http.StatusBadRequest || ae.msg == "" {
				t.Fatalf("%q: refused without a 400 sentence: %v", body, err)
			}
			return
		}
		if perMin < 0 || perMin > MaxCallsPerMinute {
			t.Fatalf("%q: rate %d accepted", body, perMin)
		}
		// Field names match case-insensitively and may be \u-escaped.
		named := func(field string) bool {
			return strings.Contains(strings.ToLower(body), field) || strings.Contains(body, `\`)
		}
		if !named("calls_per_minute") && perMin != 7 {
			t.Fatalf("%q: rate changed to %d without being named", body, perMin)
		}
		if !named("paused") && !paused {
			t.Fatalf("%q: pause changed without being named", body)
		}
	})
}
