package web

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/clock"
)

// TestOpenAPIListsEveryRoute: the document and the route table name the
// same operations, every operation answers something, and every $ref
// resolves.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi version %v", doc["openapi"])
	}
	var documented []string
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			o := op.(map[string]any)
			if o["summary"] == nil || len(o["responses"].(map[string]any)) == 0 {
				t.Errorf("%s %s: no summary or responses", method, path)
			}
		}
	}
	s := New(Options{Engine: newFakeEngine(testConfig(t), clock.NewFake(time.Unix(0, 0)), nil), Sessions: newFakeSessions()})
	defer s.metrics.stop()
	var routed []string
	for _, rt := range s.routes() {
		routed = append(routed, rt.pattern())
	}
	slices.Sort(documented)
	slices.Sort(routed)
	if !slices.Equal(documented, routed) {
		for _, r := range routed {
			if !slices.Contains(documented, r) {
				t.Errorf("route %s is not in openapi.json", r)
			}
		}
		for _, d := range documented {
			if !slices.Contains(routed, d) {
				t.Errorf("openapi.json documents %s, which is not a route", d)
			}
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok && !resolves(doc, ref) {
				t.Errorf("$ref %s does not resolve", ref)
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(doc)
}

func resolves(doc map[string]any, ref string) bool {
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	r := e.anon().call("GET", "/api/v1/openapi.json", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" || string(r.body) != string(openAPI) {
		t.Fatalf("openapi.json: %d %s", r.status, r.header.Get("Content-Type"))
	}
}
