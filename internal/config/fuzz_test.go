package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzParse: Parse never panics; it either fails with Errors naming the
// file, or returns a configuration that validates, clones exactly, and
// comes back unchanged through YAML.
func FuzzParse(f *testing.F) {
	f.Add(demoYAML)
	if example, err := os.ReadFile(filepath.Join("..", "..", "earshot.example.yaml")); err == nil {
		f.Add(example)
	}
	for _, s := range []string{
		base,
		base + "    ring_timeout: 0s\n",
		base + "    max_wait: 1m\n    overflow_to: q1\n",
		"listen: {http: ':0', sip: '[::1]:0'}\nnot_ready_reasons: [a, b]\n",
		"users:\n  - name: ann\n   roles: [agent]\n",
		"a: &a [1, 2]\nb: *a\n",
		"dids: [{number: +1 555 0100, queue: q}]\n",
		"dial_plan: {allow: ['+1555XXXXXXX', 'sip:*@127.0.0.1'], deny: ['+1900!']}\n",
		"---\n---\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data)
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %T is not Errors: %v", err, err)
			}
			for _, e := range errs {
				if e.File != "f.yaml" || e.Line < 0 || e.Msg == "" {
					t.Fatalf("bad error %+v", e)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse succeeded but Validate fails: %v", err)
		}
		if !reflect.DeepEqual(c.Clone(), c) {
			t.Fatal("Clone differs")
		}
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := Parse("f.yaml", out)
		if err != nil {
			t.Fatalf("re-Parse of\n%s\nfailed: %v", out, err)
		}
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("round trip changed the configuration:\n%+v\n%+v", c, again)
		}
	})
}
