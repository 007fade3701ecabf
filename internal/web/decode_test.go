package web

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzDecodeBody: any body either decodes into the request type or is a
// 400 with a sentence; nothing panics.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{`{"state":"available","reason":"x"}`, `{"state":5}`, `{"state":"a"}{}`, `[]`, ``, `{"x":1}`,
		`{"state":"\ud800"}`, `null`, `{"state":null}`, `{"users":[{"name":"a","password":"p"}]}`, `{"queues":"x"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, dst := range []any{&stateRequest{}, &loginRequest{}, &configIn{}, &userIn{}} {
			err := decodeBody(strings.NewReader(body), dst)
			if err == nil {
				continue
			}
			if st, msg := statusOf(err); st != http.StatusBadRequest || msg == "" {
				t.Fatalf("%q: error %v answers %d %q", body, err, st, msg)
			}
		}
	})
}

func TestJSONPath(t *testing.T) {
	for in, want := range map[string]string{"": "", "Config.queues": "queues", "users.User.roles": "users.roles", "state": "state", "Config": ""} {
		if got := jsonPath(in); got != want {
			t.Errorf("jsonPath(%q) = %q, want %q", in, got, want)
		}
	}
}
