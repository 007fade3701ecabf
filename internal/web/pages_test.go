package web

import (
	"testing"
	"testing/fstest"
)

func TestPages(t *testing.T) {
	pages := fstest.MapFS{
		"phone/index.html": {Data: []byte("<h1>phone</h1>")},
		"style.css":        {Data: []byte("body{}")},
	}
	e := newEnv(t, func(o *Options) { o.Pages = pages })
	c := e.anon()
	if r := c.call("GET", "/", nil); r.status != 302 || r.header.Get("Location") != "/phone" {
		t.Fatalf("/: %d %s", r.status, r.header.Get("Location"))
	}
	if r := c.call("GET", "/phone/", nil); r.status != 200 || string(r.body) != "<h1>phone</h1>" {
		t.Fatalf("/phone/: %d %s", r.status, r.body)
	}
	if r := c.call("GET", "/style.css", nil); r.status != 200 {
		t.Fatalf("/style.css: %d", r.status)
	}
	expect(t, "POST a page", c.call("POST", "/style.css", "x"), 405)
	expect(t, "API stays JSON", c.call("GET", "/api/v1/nope", nil), 404)
}
